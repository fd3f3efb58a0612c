/**
 * The flow engine against tshark on tcpdump's public test captures (../shared/corpus/tcpdump):
 * every flow field of every frame. Differences are allowed only where listed below, each with
 * its reason — either a tshark mistake or a layer wiresage does not walk yet; nothing is
 * skipped silently. By default a sample of the corpus runs (captures whose name suggests
 * TCP/UDP or tunnels, plus every listed one); WIRESAGE_CORPUS_FULL=1 runs all of it.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { openCapture } from '../file/open.js';
import { corpusDir, noTshark, tsharkFields } from '../testing/tshark.js';
import { FlowEngine } from './engine.js';
import { noteFieldNames, noteFieldText } from './note-fields.js';

/** Known differences: capture → reason, and who is wrong. */
export const acceptedDifferences: Record<string, { reason: string; whose: 'tshark' | 'wiresage' }> = {
  'arcnet-rfc1051-arp-icmp-http.pcap': { whose: 'wiresage', reason: 'ARCNET link type: neither the header walk nor the Decoder knows it, so its TCP/UDP get no stream' },
  'arcnet-rfc1201-arp-icmp-http.pcap': { whose: 'wiresage', reason: 'ARCNET link type (RFC 1201 framing), as above' },
  'ipoib.pcap': { whose: 'wiresage', reason: 'IP over InfiniBand link type not walked' },
  'ieee802.11_htc.pcap': { whose: 'wiresage', reason: '802.11 link layer (radio headers, LLC/SNAP) not walked' },
  'bgp-aigp.pcap': { whose: 'wiresage', reason: 'Juniper Ethernet link type (Juniper PCAP extension TLVs) not walked' },
  'LINKTYPE_USER2_PKTAP.pcap': { whose: 'wiresage', reason: 'tshark maps the user link type 149 to PKTAP; wiresage does not map user link types' },
  'sflow_expanded.pcap': { whose: 'wiresage', reason: "tshark's sFlow dissector decodes the sampled packet header inside the datagram; wiresage has no sFlow dissector" },
  'of13_ericsson.pcapng': { whose: 'wiresage', reason: "tshark's OpenFlow dissector decodes the frame inside PACKET_IN messages; wiresage has no OpenFlow dissector" },
  'smb_data_print-segv.pcap': { whose: 'wiresage', reason: 'the clock jumps 21 years inside one connection: the engine releases it after 600 s idle (bounded memory) and forgets its unacknowledged segment, so the late ACK gets no acks_frame/ack_rtt' },
  'timestamp_invalid_micro.pcap': { whose: 'tshark', reason: 'a microsecond field of 1e6 or more: tshark keeps it un-normalised and prints times such as "-0.1000000000" (ten fraction digits); the reader normalises the timestamp' },
  'timestamp_invalid_nano.pcap': { whose: 'tshark', reason: 'a nanosecond field of 1e9 or more: same as above ("1.1147483649")' },
};

const sample = /tcp|http|bgp|smb|ftp|telnet|ssh|tls|icmp|geneve|vxlan|gre|mpls|ppp|pim|nflog|rpki|beep|pktap|bigtcp|gso|nsh|macsec|wccp|erspan|dns|nfs|rpc|ldp|lsp/i;
const full = process.env.WIRESAGE_CORPUS_FULL === '1';
const skip = noTshark || (!existsSync(corpusDir) && `no corpus at ${corpusDir}`);

test('flow fields equal tshark on the tcpdump corpus (differences only where listed)', { skip, timeout: 3600_000 }, async () => {
  const files = readdirSync(corpusDir).filter((f) => /\.pcap(ng)?$/.test(f))
    .filter((f) => full || sample.test(f) || f in acceptedDifferences).sort();
  const fields = [...noteFieldNames];
  let frames = 0;
  let values = 0;
  let differing = 0;
  const unexpected: string[] = [];
  for (const name of files) {
    const file = join(corpusDir, name);
    const t = tsharkFields(file, fields);
    const engine = new FlowEngine();
    const rows: string[][] = [];
    try {
      const reader = await openCapture(file);
      await reader.forEach((r) => {
        engine.record(r);
        rows.push(fields.map((f) => noteFieldText(engine, f)));
      });
      reader.close();
    } catch {
      // A damaged file: compare the frames read before the damage (tshark reads as far).
    }
    let bad = 0;
    let first = '';
    for (let i = 0; i < Math.min(rows.length, t.length); i++) {
      for (let j = 0; j < fields.length; j++) {
        if (rows[i][j] !== (t[i][j] ?? '')) {
          if (!bad) first = `frame ${i + 1} ${fields[j]}: tshark '${t[i][j]}' ours '${rows[i][j]}'`;
          bad++;
        }
      }
    }
    frames += rows.length;
    values += rows.length * fields.length;
    if (bad) {
      differing++;
      if (!(name in acceptedDifferences)) unexpected.push(`${name}: ${bad} values differ, first ${first}`);
    }
  }
  console.log(`corpus: ${files.length} captures, ${frames} frames, ${values} values compared; ${differing} captures differ (all listed)`);
  assert.deepEqual(unexpected, []);
});
