/**
 * The DNS detail tree (`wiresage read -V`) against `tshark -n -V`, line by line, and the DNS
 * fields (flags, questions, records, request/response matching) against `tshark -T fields`, on
 * real DNS captures of tcpdump's corpus, the bundled web-and-dns example, and a generated
 * capture of retransmitted, repeated and unsolicited messages.
 *
 * Every "Domain Name System" section of every frame is compared. The differences that remain
 * are listed in `known` with their reason, each for the captures it concerns; any other
 * differing line fails.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { writePcap } from '../flows/synthetic.js';
import { corpusDir, noTshark, repoRoot, tsharkText, wiresage } from '../testing/tshark.js';
import { difference, frames, sectionLines } from '../testing/tree-text-diff.js';
import { compareWithTshark, mismatchText, udpFrame } from './_compare.js';
import { dnsFields } from './dns.js';

interface Known {
  /** Captures (file names) the difference is expected in. */
  files: string[];
  side: 'tshark' | 'ours' | 'either';
  line: RegExp;
  reason: string;
}

const known: Known[] = [
  {
    files: ['dns-badlabel.pcap', 'dns_fwdptr.pcap'],
    side: 'tshark',
    line: /^ {8}<Name too long>: type \S+( \(\d+\))?, class Unknown$|^ {12}(Name: <Name too long>|\[Name Length: 15\]|\[Label Count: 1\]|Type: (Unknown|Unused) \(\d+\)|Class: Unknown \(0x[0-9a-f]{4}\))$/,
    reason: 'fuzzed names (compression loops, 64,259 questions): tshark writes <Name too long> for each question until its exception; wiresage stops the message at the first malformed name',
  },
  {
    files: ['dns-badlabel.pcap', 'dns_fwdptr.pcap'],
    side: 'ours',
    line: /^ {8}\[Malformed name: .*\]$/,
    reason: "wiresage's own item naming why the name could not be read (see above)",
  },
  {
    files: ['dns_udp_8053.pcap'],
    side: 'tshark',
    line: /.*/,
    reason: 'tshark dissects DNS on UDP port 8053 (not a DNS port in its tables: found by another route); wiresage dissects DNS on port 53 only',
  },
];

/** Captures with their own kind of DNS traffic: query types, EDNS options, DNSSEC, TCP, truncation, fuzzed names. */
const captures = [
  join(repoRoot, 'examples', 'web-and-dns.pcap'),
  ...['dns-badcookie', 'dns-badvers', 'dns-uri', 'dns_tcp', 'dns_udp', 'dns_udp_2', 'dns_udp_8053', 'dnssec', 'edns-opts', 'dns-badlabel', 'dns_fwdptr']
    .map((n) => join(corpusDir, `${n}.pcap`)),
  // DNS inside other link types and a message cut inside its header counts.
  ...['nflog.pcap', 'mptcp-aa-v1.pcap', 'LINKTYPE_RAW_ipv6.pcap', 'LINKTYPE_PKTAP.pcap', 'rtp-seg-fault-1.pcapng'].map((n) => join(corpusDir, n)),
];

/** The DNS sections of each frame of a `-V` text (top-level `Domain Name System` items and their children). */
function dnsSections(text: string): string[][] {
  return frames(text).map((f) => sectionLines(f, (heading) => heading.startsWith('Domain Name System')));
}

interface TreeResult {
  tsharkLines: number;
  equalLines: number;
  explained: Map<string, number>;
  unexplained: string[];
}

function compareTree(file: string): TreeResult {
  const name = file.split('/').pop()!;
  const ours = dnsSections(wiresage(['read', '-V', file], { allowFail: true }).stdout);
  const theirs = dnsSections(tsharkText(['-n', '-V', '-r', file]));
  assert.equal(ours.length, theirs.length, `${name}: frame count`);
  const r: TreeResult = { tsharkLines: 0, equalLines: 0, explained: new Map(), unexplained: [] };
  for (let k = 0; k < theirs.length; k++) {
    r.tsharkLines += theirs[k].length;
    const d = difference(ours[k], theirs[k]);
    r.equalLines += theirs[k].length - d.tshark.length;
    for (const [side, lines] of [['ours', d.ours], ['tshark', d.tshark]] as const) {
      for (const line of lines) {
        const rule = known.find((x) => x.files.includes(name) && (x.side === 'either' || x.side === side) && x.line.test(line));
        if (rule) r.explained.set(rule.reason, (r.explained.get(rule.reason) ?? 0) + 1);
        else r.unexplained.push(`${name} frame ${k + 1} (only ${side === 'ours' ? 'wiresage' : 'tshark'}): ${line}`);
      }
    }
  }
  return r;
}

/**
 * A capture of what the matching must tell apart, in one UDP conversation unless said: a query
 * repeated within 5 s (retransmission), its response and that response again, the same ID
 * asked again after the answer (a new transaction) and 6 s after an unanswered query (new
 * again), a response to no query, and a response in another conversation than its query.
 */
function matchingCapture(path: string): void {
  const name = (n: string) => [...n.split('.').flatMap((l) => [l.length, ...Buffer.from(l)]), 0];
  const q = (id: number) => Buffer.from([id >> 8, id & 255, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, ...name('db.example'), 0, 1, 0, 1]);
  const r = (id: number) => Buffer.from([id >> 8, id & 255, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0, ...name('db.example'), 0, 1, 0, 1,
    0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 0, 0, 9]);
  const C = '10.0.0.1';
  const S = '10.0.0.2';
  const frames: [number, Uint8Array][] = [
    [0, udpFrame(q(1), C, 4000, S, 53)],
    [1, udpFrame(q(1), C, 4000, S, 53)],
    [1.5, udpFrame(r(1), S, 53, C, 4000)],
    [1.6, udpFrame(r(1), S, 53, C, 4000)],
    [2, udpFrame(q(1), C, 4000, S, 53)],
    [8, udpFrame(q(1), C, 4000, S, 53)],
    [8.5, udpFrame(r(1), S, 53, C, 4000)],
    [9, udpFrame(r(2), S, 53, C, 4000)],
    [9.1, udpFrame(q(3), C, 4001, S, 53)],
    [9.2, udpFrame(r(3), S, 53, C, 4000)],
  ];
  writePcap(path, frames.map(([ts, data]) => ({ ts, data })));
}

/**
 * An ANY query and a response with the common record types (CNAME, PTR, MX, SRV, TXT with two
 * strings, NS with TTL 0, AAAA, DS, DNSKEY, NSEC, CAA, HINFO, HTTPS with ALPN), whose summary
 * lines and items the corpus captures lack.
 */
function recordTypesCapture(path: string): void {
  const name = (n: string) => [...n.split('.').flatMap((l) => [l.length, ...Buffer.from(l)]), 0];
  const rr = (owner: string, type: number, rdata: number[], ttl = 3600) =>
    [...name(owner), type >> 8, type & 255, 0, 1, ttl >>> 24, (ttl >> 16) & 255, (ttl >> 8) & 255, ttl & 255, rdata.length >> 8, rdata.length & 255, ...rdata];
  const recs = [
    rr('www.example', 5, name('web.example')),
    rr('4.3.2.1.in-addr.arpa', 12, name('host.example')),
    rr('example', 15, [0, 10, ...name('mail.example')]),
    rr('_sip._tcp.example', 33, [0, 1, 0, 2, 0x13, 0xc4, ...name('sip.example')]),
    rr('txt.example', 16, [5, ...Buffer.from('hello'), 3, ...Buffer.from('a=b')]),
    rr('example', 2, name('ns1.example'), 0),
    rr('v6.example', 28, [0x20, 1, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], 86400),
  ];
  recs.push(
    rr('example', 43, [0x30, 0x39, 8, 2, ...Array<number>(32).fill(0xab)]),
    rr('example', 48, [1, 1, 3, 8, ...Array<number>(20).fill(0x11)]),
    rr('example', 47, [...name('a.example'), 0, 6, 0x40, 1, 0, 0, 0, 3]),
    rr('example', 257, [0, 5, ...Buffer.from('issue'), ...Buffer.from('ca.example')]),
    rr('example', 13, [3, ...Buffer.from('x86'), 5, ...Buffer.from('Linux')]),
    rr('example', 65, [0, 1, 0, 0, 1, 0, 6, 2, 0x68, 0x32, 2, 0x68, 0x33]),
  );
  const q = Buffer.from([0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, ...name('example'), 0, 255, 0, 1]);
  const r = Buffer.from([0x12, 0x34, 0x85, 0x80, 0, 1, 0, recs.length, 0, 0, 0, 0, ...name('example'), 0, 255, 0, 1, ...recs.flat()]);
  writePcap(path, [{ ts: 0, data: udpFrame(q, '10.0.0.1', 4000, '10.0.0.2', 53) }, { ts: 0.01, data: udpFrame(r, '10.0.0.2', 53, '10.0.0.1', 4000) }]);
}

/** The generated captures, written to `dir`. */
function generated(dir: string): string[] {
  const matching = join(dir, 'dns-matching.pcap');
  matchingCapture(matching);
  const types = join(dir, 'dns-record-types.pcap');
  recordTypesCapture(types);
  return [matching, types];
}

/** Every DNS field wiresage declares (its own malformed-name item aside): tshark knows each. */
const allFields = Object.values(dnsFields).map((f) => f.name).filter((n) => n !== 'dns.name.malformed');
/** Fields of the header and the matching: compared on every capture, the fuzzed ones included. */
const headerFields = allFields.filter((n) => !/^dns\.(qry|resp|a$|aaaa|cname|ns|ptr|mx|txt|soa|srv|rr|opt|rrsig|sshfp|data|count\.labels)/.test(n));

test('DNS detail tree against tshark -n -V, line by line', { skip: noTshark, timeout: 600_000 }, (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wiresage-dns-tree-'));
  try {
    const report: string[] = [];
    const unexplained: string[] = [];
    let total = 0;
    let equal = 0;
    for (const file of [...captures, ...generated(dir)]) {
      if (!existsSync(file)) {
        unexplained.push(`${file}: missing`);
        continue;
      }
      const r = compareTree(file);
      total += r.tsharkLines;
      equal += r.equalLines;
      report.push(`${file.split('/').pop()}: ${r.tsharkLines} tshark DNS lines, ${r.equalLines} equal; explained ${[...r.explained].map(([why, n]) => `${n} (${why.slice(0, 40)}…)`).join(', ') || 'none'}`);
      unexplained.push(...r.unexplained);
    }
    t.diagnostic(report.join('\n'));
    assert.ok(total > 60_000 && equal > 3_800, `tshark DNS lines compared: ${total}, equal: ${equal}`);
    assert.deepEqual(unexplained.slice(0, 40), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('DNS fields and request/response matching against tshark -T fields', { skip: noTshark, timeout: 600_000 }, (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wiresage-dns-fields-'));
  try {
    const failures: string[] = [];
    const cells: Record<string, number> = {};
    for (const file of [...captures, ...generated(dir)]) {
      const name = file.split('/').pop()!;
      if (!existsSync(file) || name === 'dns_udp_8053.pcap') continue; // not DNS to wiresage: see `known`
      const fuzzed = known[0].files.includes(name);
      const cmp = compareWithTshark(file, fuzzed ? headerFields : allFields);
      for (const [f, n] of Object.entries(cmp.cells)) cells[f] = (cells[f] ?? 0) + n;
      // tshark -T fields writes the control bytes of this string (a wire-format name) raw;
      // wiresage's -T fields escapes control bytes in every string as \xNN (src/fields/format.ts).
      const rest = cmp.mismatches.filter((m) => !(m.field === 'dns.opt.chain.fqdn' && m.ours === m.tshark.replace(/[\x00-\x1f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)));
      if (rest.length) failures.push(`${name}:\n${mismatchText(rest)}`);
    }
    t.diagnostic(`cells compared: ${JSON.stringify(cells)}`);
    assert.deepEqual(failures, []);
    // The matching fields were really compared: responses matched, retransmissions and unsolicited responses seen.
    assert.ok((cells['dns.response_to'] ?? 0) >= 30 && (cells['dns.time'] ?? 0) >= 30, 'responses matched with their queries');
    for (const f of ['dns.retransmission', 'dns.retransmit_request_in', 'dns.retransmit_response_in', 'dns.unsolicited']) assert.ok((cells[f] ?? 0) >= 1, f);
    for (const f of ['dns.flags.rcode', 'dns.qry.name', 'dns.resp.ttl', 'dns.opt.cookie.client', 'dns.rrsig.signature_expiration', 'dns.soa.mname']) {
      assert.ok((cells[f] ?? 0) >= 1, `${f} compared`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
