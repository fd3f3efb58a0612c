/**
 * frame.protocols and udp.payload against tshark on corpus files whose every protocol wiresage
 * dissects (IPv6 extension headers, QinQ, ICMPv6, DNS over TCP, cut and bad packets).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { corpusDir, noTshark, tsharkFields, wiresage } from '../testing/tshark.js';

const files = [
  'icmpv6.pcap', 'ip6_frag_asan.pcap', 'heapoverflow-tcp_print.pcap', 'ipv6-routing-header.pcap', 'dns_tcp.pcap',
  '802.1ad_QinQ.pcap', 'arp-too-long-tha.pcap', 'dns_udp.pcap', 'icmp-rfc5837.pcap', 'LINKTYPE_IPV6.pcap',
].map((f) => join(corpusDir, f));

describe('frame.protocols and udp.payload equal tshark', { skip: noTshark }, () => {
  for (const file of files) {
    it(file.split('/').pop()!, (t) => {
      if (!existsSync(file)) return t.skip('corpus file missing');
      const fields = ['frame.number', 'frame.protocols', 'udp.payload'];
      const theirs = tsharkFields(file, fields).map((r) => r.join('\t'));
      const args = ['read', '-T', 'fields', '-E', 'occurrence=a', '-E', 'separator=\t'];
      for (const f of fields) args.push('-e', f);
      const ours = wiresage([...args, file]).stdout.split('\n').filter((l) => l !== '');
      assert.deepEqual(ours, theirs);
    });
  }
});
