/**
 * Loads the link, network and transport dissectors (everything up to TCP/UDP and the tunnels
 * they carry), so each registers its fields and attaches to its tables. Order matters only for
 * field listing order (`wiresage fields`).
 */
import './frame.js';
import './data.js';
import './ethernet.js';
import './vlan.js';
import './ipv4.js';
import './tcp.js';
import './udp.js';
import './ipv6.js';
import './icmp.js';
import './icmpv6.js';
import './arp.js';
import './sll.js';
import './loopback.js';
import './raw.js';
import './mpls.js';
import './ppp.js';
import './pppoe.js';
import './chdlc.js';
import './gre.js';
import './pim.js';
import './pktap.js';
import './nflog.js';
import './macsec.js';
import './nsh.js';
import './vxlan.js';
import './geneve.js';
