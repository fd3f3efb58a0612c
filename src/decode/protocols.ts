/**
 * Loads every dissector so each registers its fields and attaches to its tables.
 * Order matters only for field listing order (`wiresage fields`).
 */
import './frame.js';
import './data.js';
import './ethernet.js';
import './vlan.js';
import './ipv4.js';
import './tcp.js';
import './udp.js';
