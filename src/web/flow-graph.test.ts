/**
 * Flow graph: arrows coloured as the packet list's rows (Wireshark's colouring rules) and
 * application messages named from the dissected layers for TNS, MySQL, PostgreSQL, Redis, DNS,
 * HTTP and TLS — the example captures, tcpdump's Redis capture, and a capture written here
 * with a MySQL and a PostgreSQL login failing (payloads as the protocol tests captured them).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { tcpFrame, writePcap } from '../flows/synthetic.js';
import { corpusDir, repoRoot } from '../testing/tshark.js';
import { Capture } from './capture.js';
import { flowGraph, tcpFlagsLabel } from './flow-graph.js';

const lowerRules = new Set(['Bad TCP', 'TCP RST', 'TCP SYN/FIN', 'ARP', 'ICMP', 'ICMP errors', 'UDP']);
const example = (name: string) => join(repoRoot, 'examples', name);

function mysqlPacket(seq: number, payload: Buffer): Buffer {
  return Buffer.concat([Buffer.from([payload.length & 255, (payload.length >> 8) & 255, payload.length >> 16, seq]), payload]);
}

function pgMessage(t: string, body: Buffer): Buffer {
  const h = Buffer.alloc(5);
  h[0] = t.charCodeAt(0);
  h.writeUInt32BE(body.length + 4, 1);
  return Buffer.concat([h, body]);
}

/** A MySQL greeting and ERR 1045, a PostgreSQL startup and ErrorResponse 28P01, each on its own connection. */
function writeDatabases(path: string): void {
  const C = '10.0.0.1';
  const S = '10.0.0.2';
  const greeting = mysqlPacket(0, Buffer.concat([
    Buffer.from([10]), Buffer.from('10.11.6-MariaDB-0+deb12u1\0'), Buffer.from([3, 0, 0, 0]), Buffer.from('abcdefgh\0'),
    Buffer.from([0xfe, 0xf7, 8, 2, 0, 0xff, 0x81, 21, 0, 0, 0, 0, 0, 0x1d, 0, 0, 0]), Buffer.from('ijklmnopqrst\0'),
    Buffer.from('mysql_native_password\0'),
  ]));
  const err1045 = mysqlPacket(2, Buffer.concat([Buffer.from([0xff, 0x15, 0x04]), Buffer.from("#28000Access denied for user 'app'@'10.0.0.1' (using password: YES)")]));
  const startupBody = Buffer.concat([Buffer.from([0, 3, 0, 0]), Buffer.from('user\0app\0database\0shop\0\0')]);
  const startup = Buffer.concat([Buffer.from([0, 0, 0, startupBody.length + 4]), startupBody]);
  const error = pgMessage('E', Buffer.from('SFATAL\0VFATAL\0C28P01\0Mpassword authentication failed for user "app"\0Rauth_failed\0\0'));
  let t = 0;
  const frames: Array<{ ts: number; data: Uint8Array }> = [];
  const conn = (sport: number, dport: number, client: Buffer | null, server: Buffer[]) => {
    let cs = 1000;
    let ss = 5000;
    frames.push({ ts: (t += 0.01), data: tcpFrame({ src: C, dst: S, sport, dport, seq: cs++, flags: 'S' }) });
    frames.push({ ts: (t += 0.01), data: tcpFrame({ src: S, dst: C, sport: dport, dport: sport, seq: ss++, ack: cs, flags: 'SA' }) });
    frames.push({ ts: (t += 0.01), data: tcpFrame({ src: C, dst: S, sport, dport, seq: cs, ack: ss, flags: 'A' }) });
    if (client) {
      frames.push({ ts: (t += 0.01), data: tcpFrame({ src: C, dst: S, sport, dport, seq: cs, ack: ss, flags: 'PA', payload: client }) });
      cs += client.length;
    }
    for (const s of server) {
      frames.push({ ts: (t += 0.01), data: tcpFrame({ src: S, dst: C, sport: dport, dport: sport, seq: ss, ack: cs, flags: 'PA', payload: s }) });
      ss += s.length;
    }
    frames.push({ ts: (t += 0.01), data: tcpFrame({ src: S, dst: C, sport: dport, dport: sport, seq: ss, ack: cs, flags: 'RA' }) });
  };
  conn(41000, 3306, null, [greeting, err1045]);
  conn(42000, 5432, startup, [error]);
  writePcap(path, frames);
}

describe('flow graph', () => {
  let dir = '';
  before(() => {
    dir = fs.mkdtempSync(join(tmpdir(), 'wiresage-flow-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function graph(file: string, numbers?: number[]) {
    const c = new Capture('t', 't', file, dir);
    await c.start();
    try {
      const frames = numbers ?? Array.from({ length: c.index.count }, (_, i) => i + 1);
      const g = flowGraph(c, frames);
      const rows = c.rows(frames);
      // An arrow has the colour of its packet-list row (rules above the application layer: a
      // row decoded alone may take a port-80 segment for HTTP that its stream shows is not).
      for (const e of g.events) {
        const row = rows.find((r) => r.no === e.frame)!;
        if (row.color && lowerRules.has(row.color.name)) assert.deepEqual(e.color, row.color, `frame ${e.frame}`);
      }
      return { label: (n: number) => g.events.find((e) => e.frame === n)?.label, event: (n: number) => g.events.find((e) => e.frame === n)!, g };
    } finally {
      c.close();
    }
  }

  it('TCP labels as Wireshark: flags in its order, then the length', () => {
    assert.equal(tcpFlagsLabel(0x12, 0), 'SYN, ACK');
    assert.equal(tcpFlagsLabel(0x18, 12), 'PSH, ACK Len=12');
    assert.equal(tcpFlagsLabel(0x11, 0), 'FIN, ACK');
    assert.equal(tcpFlagsLabel(0, 0), '<None>');
  });

  it('TNS: Connect and Redirect named, SYN/FIN grey, a retransmitted SYN black and red', async () => {
    const { label, event } = await graph(example('seed-case-b-tns-redirect-blocked.pcap'));
    assert.equal(label(6), 'TNS Connect');
    assert.match(label(8)!, /^TNS Redirect \(ADDRESS=\(PROTOCOL=TCP\)\(HOST=172\.31\.166\.11\)/);
    assert.match(event(6).comment!, /^PSH, ACK Len=269 Seq = 1 Ack = 1$/);
    assert.equal(event(3).label, 'SYN');
    assert.deepEqual(event(3).color, { name: 'TCP SYN/FIN', bg: '#a0a0a0', fg: '#12272e' });
    assert.equal(event(14).color?.name, 'Bad TCP');
    assert.equal(event(14).color?.fg, '#f78787');
  });

  it('forged resets are red', async () => {
    const { g } = await graph(example('seed-case-a-forged-rst-after-failed-logins.pcap'));
    const rst = g.events.filter((e) => /RST/.test(`${e.label} ${e.comment ?? ""}`));
    assert.ok(rst.length > 0);
    for (const e of rst) assert.equal(e.color?.bg, '#a40000', `frame ${e.frame}`);
  });

  it('DNS, HTTP and TLS messages', async () => {
    const { label } = await graph(example('web-and-dns.pcap'), Array.from({ length: 60 }, (_, i) => i + 1));
    assert.equal(label(7), 'DNS A cdn8.amet-server.net');
    assert.equal(label(8), 'DNS AAAA cdn8.amet-server.net');
    assert.equal(label(14), 'TLS Client Hello');
    assert.match(label(18)!, /^TLS Server Hello/);
    assert.equal(label(31), 'HTTP GET /');
    assert.equal(label(40), 'HTTP 200 OK');
  });

  it('Redis commands', async () => {
    const { label } = await graph(join(corpusDir, 'resp_2_inline.pcap'));
    assert.equal(label(4), 'Redis set test 1');
    assert.match(label(6)!, /^Redis incr test, Redis set test2 redis, Redis get test2, \+\d+ more$/);
  });

  it('MySQL and PostgreSQL errors by their codes', async () => {
    const file = join(dir, 'db.pcap');
    writeDatabases(file);
    const { g } = await graph(file);
    const labels = g.events.map((e) => e.label);
    assert.ok(labels.includes('MySQL Error 1045'), labels.join(' | '));
    assert.ok(labels.includes('PGSQL Error 28P01'), labels.join(' | '));
    assert.ok(labels.some((l) => /^PGSQL Startup/i.test(l)), labels.join(' | '));
    assert.equal(g.events.filter((e) => e.color?.name === 'TCP RST').length, 2);
  });
});
