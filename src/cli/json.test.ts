/**
 * `read -T json` against `tshark -T json`: text-only items (Wireshark's hf_text_only, e.g. TCP's
 * `[Timestamps]`) are keyed by their text, FT_NONE items (`tcp.analysis`, the expert kinds) are
 * an empty string or the object of their children — checked key path by key path on the
 * layers whose trees already match tshark's (frame, ip, and TCP's timestamps and analysis).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { noTshark, repoRoot, wiresage } from '../testing/tshark.js';

type Json = string | Json[] | { [k: string]: Json };

/** Every key path under `_source.layers`, arrays flattened. */
function keyPaths(packets: Array<{ _source: { layers: Json } }>): Set<string> {
  const out = new Set<string>();
  const walk = (o: Json, path: string): void => {
    if (Array.isArray(o)) for (const v of o) walk(v, path);
    else if (typeof o === 'object') {
      for (const [k, v] of Object.entries(o)) {
        out.add(`${path}/${k}`);
        walk(v, `${path}/${k}`);
      }
    }
  };
  for (const p of packets) walk(p._source.layers, '');
  return out;
}

const compared = [/^\/frame\//, /^\/ip\//, /^\/tcp\/Timestamps/, /^\/tcp\/tcp\.analysis(\/|$)/];
/**
 * Known differences, not compared: tshark nests an expert item's own field (FT_NONE, e.g.
 * `tcp.analysis.retransmission`) inside its `_ws.expert` object, where wiresage writes it beside
 * it; the RTO items (`tcp.analysis.rto`, `rto_frame`) are not computed.
 */
const known = [/\/_ws\.expert\/tcp\./, /\/tcp\.analysis\.flags\/tcp\.analysis\.(retransmission|rto|rto_frame|fast_retransmission|spurious_retransmission|out_of_order|lost_segment|ack_lost_segment|duplicate_ack|zero_window\w*|window_full|window_update|keep_alive\w*|reused_ports)$/];

for (const name of ['seed-case-a-forged-rst-after-failed-logins.pcap', 'seed-case-b-tns-redirect-blocked.pcap']) {
  test(`read -T json equals tshark -T json on frame, ip, TCP timestamps and analysis: ${name}`, { skip: noTshark, timeout: 60_000 }, () => {
    const file = join(repoRoot, 'examples', name);
    const ours = keyPaths(JSON.parse(wiresage(['read', '-T', 'json', file]).stdout));
    const r = spawnSync('tshark', ['-n', '-T', 'json', '-r', file], { encoding: 'utf8', maxBuffer: 1 << 28 });
    const theirs = keyPaths(JSON.parse(r.stdout));
    const pick = (s: Set<string>) => [...s].filter((k) => compared.some((re) => re.test(k)) && !known.some((re) => re.test(k))).sort();
    assert.ok(pick(theirs).some((k) => k.startsWith('/tcp/Timestamps/')), 'tshark shows the timestamps subtree');
    assert.deepEqual(pick(ours), pick(theirs));
    // The values of the text subtree's items too.
    const values = (text: string) => (JSON.parse(text) as Array<{ _source: { layers: { tcp?: { Timestamps?: Json } } } }>).map((p) => JSON.stringify(p._source.layers.tcp?.Timestamps ?? null));
    assert.deepEqual(values(wiresage(['read', '-T', 'json', file]).stdout), values(r.stdout));
  });
}
