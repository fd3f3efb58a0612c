// Live capture in network namespaces joined by a veth pair (root only; skipped elsewhere):
// known UDP traffic from namespace b to a, captured in a by wiresage and by tcpdump at the
// same time; triggers; disk full on a small tmpfs; the interface vanishing; bad input.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { u16 } from '../decode/bytes.js';
import type { Packet } from '../decode/packet.js';
import { openCapture } from '../file/open.js';
import { createLab, finished, labAvailable, waitForText, type Lab } from './_lab.js';
import { NativeSource } from './native.js';
import { CaptureSession } from './session.js';
import { TcpdumpSource } from './tcpdump.js';
import type { CaptureSource, CaptureSourceOptions } from './source.js';

const cli = join(dirname(fileURLToPath(import.meta.url)), '..', 'cli', 'main.js');
let addonOk = false;
try {
  new NativeSource({ device: 'lo' }).close();
  addonOk = true;
} catch { /* not root or no addon: skipped below */ }
const skip = !labAvailable() ? 'needs root and iproute2 (network namespaces)' : !addonOk ? 'the capture addon is not built' : false;
const haveTshark = spawnSync('tshark', ['-v'], { stdio: 'ignore' }).status === 0;
const PORT = 40000;

let lab: Lab;
let work: string;
before(() => {
  if (skip) return;
  lab = createLab();
  work = fs.mkdtempSync(join(tmpdir(), 'wiresage-live-'));
  fs.chmodSync(work, 0o777);
});
after(() => {
  if (skip) return;
  lab.close();
  fs.rmSync(work, { recursive: true, force: true });
});

interface Rec { data: Uint8Array; tsSec: number; tsNsec: number; iface?: string }

async function records(path: string): Promise<Rec[]> {
  const reader = await openCapture(path);
  const out: Rec[] = [];
  await reader.forEach((r) => { out.push({ data: r.data.slice(), tsSec: r.tsSec, tsNsec: r.tsNsec, iface: r.iface.name }); });
  return out;
}

/** The "wiresage N" payload of a captured datagram (Ethernet/IPv4/UDP). */
function payload(data: Uint8Array): string {
  return Buffer.from(data.subarray(42)).toString('latin1').replace(/\.+$/, '').trim();
}

function capture(args: string[]): ChildProcess {
  return lab.spawn('a', [process.execPath, cli, 'capture', ...args]);
}

function tsharkCount(path: string): number {
  const out = execFileSync('tshark', ['-r', path, '-T', 'fields', '-e', 'frame.number'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return out.trim().split('\n').filter(Boolean).length;
}

test('every packet captured, byte-identical to tcpdump -w on the same interface at the same time (pcap and pcapng)', { skip }, async () => {
  const ours = join(work, 'ours.pcap');
  const ng = join(work, 'ours.pcapng');
  const theirs = join(work, 'tcpdump.pcap');
  const filter = `udp port ${PORT}`;
  const a = capture(['-i', lab.ifA, '-F', 'pcap', '-w', ours, filter]);
  const b = capture(['-i', lab.ifA, '-w', ng, '-c', '2000', filter]);
  const t = lab.spawn('a', ['tcpdump', '-i', lab.ifA, '-U', '-w', theirs, '-Z', 'root', '--time-stamp-precision=nano', filter]);
  const done = [finished(a), finished(b), finished(t)];
  await Promise.all([waitForText(a, 'listening on'), waitForText(b, 'listening on'), waitForText(t, 'listening on')]);
  lab.sendUdp(2000, PORT);
  // tcpdump loses what the kernel still holds on Ctrl-C: give its 1 s block timeout time.
  await new Promise((r) => setTimeout(r, 1500));
  a.kill('SIGINT');
  t.kill('SIGINT');
  const [ra, rb, rt] = await Promise.all(done);
  assert.equal(ra.code, 0, ra.stderr);
  assert.equal(rb.code, 0, rb.stderr);
  assert.match(ra.stderr, /2000 packets captured/);
  assert.match(ra.stderr, /0 packets dropped by kernel/);
  assert.match(rb.stderr, /stopped: packet count \(-c\) reached/);
  const [mine, pcapng, reference] = await Promise.all([records(ours), records(ng), records(theirs)]);
  assert.equal(reference.length, 2000, 'tcpdump saw every packet');
  assert.equal(mine.length, 2000);
  assert.equal(pcapng.length, 2000);
  for (let i = 0; i < 2000; i++) {
    assert.deepEqual(mine[i].data, reference[i].data, `packet ${i}`);
    assert.deepEqual(pcapng[i].data, reference[i].data, `pcapng packet ${i}`);
    assert.deepEqual([mine[i].tsSec, mine[i].tsNsec], [reference[i].tsSec, reference[i].tsNsec], `timestamp ${i}`);
  }
  assert.equal(payload(mine[1999].data), 'wiresage 1999');
  assert.equal(pcapng[0].iface, lab.ifA);
  const reader = await openCapture(ng);
  assert.match(reader.sectionComments[0], /^wiresage capture -i wsa0 -w .* -c 2000 udp port 40000$/);
  reader.close();
  if (haveTshark) {
    assert.equal(tsharkCount(ours), 2000);
    assert.equal(tsharkCount(ng), 2000);
  }
  const count = execFileSync(process.execPath, [cli, 'read', '--count', ng], { encoding: 'utf8' });
  assert.equal(count.trim(), '2000 packets');
});

test('live printing in read\'s format, -c stops at the count', { skip }, async () => {
  const p = capture(['-i', lab.ifA, '-c', '5', '-tt', `udp port ${PORT}`]);
  const done = finished(p);
  await waitForText(p, 'listening on');
  lab.sendUdp(20, PORT);
  const r = await done;
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 5);
  assert.match(lines[0], new RegExp(`^\\d+\\.\\d{6} IP ${lab.addrB.replace(/\./g, '\\.')}\\.\\d+ > ${lab.addrA.replace(/\./g, '\\.')}\\.${PORT}: UDP, length 32$`));
  assert.match(r.stderr, /5 packets captured/);
});

test('the tcpdump backend delivers the same packets through the same pipeline', { skip }, async () => {
  const options: CaptureSourceOptions = { device: lab.ifA, filter: `udp port ${PORT + 1}`, netns: lab.pathA };
  const native = new NativeSource(options);
  // tcpdump runs inside the namespace through nsenter --net.
  const tcpdump = await TcpdumpSource.open(options);
  const got: Record<string, Uint8Array[]> = { native: [], tcpdump: [], ssh: [] };
  const collect = (source: CaptureSource) => (batch: Uint8Array) => {
    const v = new DataView(batch.buffer, batch.byteOffset, batch.byteLength);
    for (let o = 0; o < batch.length;) {
      const len = v.getUint32(o + 8, source.littleEndian);
      // A copy: the native source reuses its buffer (Buffer#slice would be a view of it).
      got[source.backend].push(new Uint8Array(batch.subarray(o + 16, o + 16 + len)));
      o += 16 + len;
    }
  };
  for (const s of [native, tcpdump]) s.start(collect(s), (e) => assert.fail(e));
  lab.sendUdp(500, PORT + 1);
  await Promise.all([native.stop(), tcpdump.stop()]);
  assert.equal(got.native.length, 500);
  assert.equal(got.tcpdump.length, 500);
  assert.deepEqual(got.native, got.tcpdump);
  assert.equal(native.linkType, tcpdump.linkType);
  assert.equal(tcpdump.stats()?.received, 500);
  assert.equal(native.stats()?.received, 500);
  native.close();
  tcpdump.close();
});

test('trigger: the ring keeps running until a packet matches, then N more packets, then stops', { skip }, async () => {
  const dir = fs.mkdtempSync(join(work, 'trigger-'));
  const source = new NativeSource({ device: lab.ifA, filter: `udp port ${PORT + 2}`, netns: lab.pathA });
  const isTrigger = (p: Packet) => p.data.length > 49 && Buffer.from(p.data.subarray(42, 49)).toString() === 'TRIGGER';
  const session = new CaptureSession({
    sources: [source],
    files: { path: join(dir, 'ring'), format: 'pcapng', fileSize: 20_000, fileCount: 3 },
    trigger: { match: isTrigger, afterPackets: 50, text: 'payload starts with TRIGGER' },
  });
  session.start();
  lab.sendUdp(3000, PORT + 2, { marker: 2000 });
  const summary = await Promise.race([session.done, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no trigger')), 10_000))]);
  assert.equal(summary.reason, 'trigger');
  assert.equal(summary.triggeredBy?.number, 2001);
  assert.equal(summary.packets, 2051);
  const names = fs.readdirSync(dir).sort();
  assert.deepEqual(names, ['ring0', 'ring1', 'ring2']);
  const all: Rec[] = [];
  for (const f of summary.files) all.push(...await records(f));
  assert.equal(payload(all[all.length - 1].data), 'wiresage 2050', 'the last packet is the 50th after the trigger');
  assert.ok(all.some((r) => payload(r.data) === 'TRIGGER 2000'));
  assert.ok(all.length > 300, 'the minutes before the failure are on disk');
  const used = names.reduce((sum, n) => sum + fs.statSync(join(dir, n)).size, 0);
  assert.ok(used <= 60_000);
});

test('trigger with a time window stops at the first packet past it', { skip }, async () => {
  const source = new NativeSource({ device: lab.ifA, filter: `udp port ${PORT + 3}`, netns: lab.pathA });
  const kept: string[] = [];
  const session = new CaptureSession({
    sources: [source],
    onPacket: (p) => kept.push(payload(p.data)),
    trigger: { match: (p) => u16(p.data, 36) === PORT + 3 && payload(p.data).startsWith('TRIGGER'), afterSeconds: 0.3 },
  });
  session.start();
  // One packet every 2 ms or more: 0.8 s or more of traffic, trigger at packet 100 (after 0.2 s).
  lab.sendUdp(400, PORT + 3, { marker: 100, pace: 1 });
  const summary = await session.done;
  assert.equal(summary.reason, 'trigger');
  assert.ok(summary.packets > 101 && summary.packets < 400, `${summary.packets}`);
});

test('disk full: clean stop, last file valid and complete, clear message, non-zero exit', { skip }, async () => {
  const mount = fs.mkdtempSync(join(work, 'tmpfs-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'wiresage-test', mount]);
  try {
    const file = join(mount, 'full.pcapng');
    const p = capture(['-i', lab.ifA, '-w', file, `udp port ${PORT + 4}`]);
    const done = finished(p);
    await waitForText(p, 'listening on');
    lab.sendUdp(3000, PORT + 4, { size: 200 });
    const r = await Promise.race([done, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('did not stop')), 15_000))]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /no space left on device \(ENOSPC\); the file is complete up to its last whole packet/);
    const got = await records(file);
    assert.ok(got.length > 500 && got.length < 3000, `${got.length}`);
    assert.match(r.stderr, new RegExp(`${got.length} packets captured`));
    if (haveTshark) assert.equal(tsharkCount(file), got.length);
  } finally {
    spawnSync('umount', [mount]);
  }
});

test('interface going away mid-capture: reported, file valid, exit 1', { skip }, async () => {
  const extra = createLab();
  try {
    const file = join(work, 'gone.pcapng');
    const p = extra.spawn('a', [process.execPath, cli, 'capture', '-i', extra.ifA, '-w', file, `udp port ${PORT + 5}`]);
    const done = finished(p);
    await waitForText(p, 'listening on');
    extra.sendUdp(100, PORT + 5);
    await new Promise((r) => setTimeout(r, 300));
    execFileSync('ip', ['-n', extra.a, 'link', 'del', extra.ifA]);
    const r = await Promise.race([done, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('did not notice')), 10_000))]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`capture on ${extra.ifA} stopped: .*(went down|disappeared|No such device)`, 'i'));
    assert.equal((await records(file)).length, 100);
  } finally {
    extra.close();
  }
});

test('bad input: BPF error with its place, unknown interface lists the interfaces, no permission says how to grant it', { skip }, async () => {
  let r = await finished(capture(['-i', lab.ifA, '-c', '1', 'udp', 'port', '40000', 'and', 'and', 'tcp']));
  assert.equal(r.code, 1);
  assert.match(r.stderr, /invalid capture filter: .*syntax error\n {2}udp port 40000 and and tcp\n {2}( ){19}\^ at character 20 \('and'\)/);
  r = await finished(capture(['-i', lab.ifA, '-c', '1', 'udp port 99999']));
  assert.match(r.stderr, /invalid capture filter: .*port number 99999/);
  r = await finished(capture(['-i', 'nosuch0', '-c', '1']));
  assert.equal(r.code, 1);
  assert.match(r.stderr, /no interface named 'nosuch0'. Interfaces:\n.*wsa0 \[up, running\] 10\.251\./s);
  const nobody = spawnSync('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', '--inh-caps=-all', process.execPath, cli, 'capture', '-i', 'lo', '-c', '1'], { encoding: 'utf8' });
  assert.equal(nobody.status, 1, nobody.stderr);
  assert.match(nobody.stderr, /no permission to capture on 'lo'.*\n.*root.*\n.*setcap cap_net_raw,cap_net_admin=eip/);
});

test('-Z drops privileges after opening the device: files belong to the user', { skip }, async () => {
  const file = join(work, 'as-nobody.pcapng');
  const p = capture(['-i', lab.ifA, '-w', file, '-c', '10', '-Z', 'nobody', `udp port ${PORT + 6}`]);
  const done = finished(p);
  await waitForText(p, 'listening on');
  lab.sendUdp(10, PORT + 6);
  const r = await done;
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /dropped privileges to nobody \(uid 65534, gid 65534\) after opening the devices/);
  assert.equal(fs.statSync(file).uid, 65534);
  assert.equal((await records(file)).length, 10);
});

test('--stop-on with a display filter: a reset to port 1521 stops the ring 5 packets later', { skip }, async () => {
  const dir = fs.mkdtempSync(join(work, 'stop-on-'));
  const p = capture(['-i', lab.ifA, '-w', join(dir, 'ring'), '-C', '20k', '-W', '4',
    '--stop-on', 'tcp.flags.reset == 1 && tcp.port == 1521', '--after', '5p', `udp port ${PORT + 7} or tcp port 1521`]);
  const done = finished(p);
  await waitForText(p, 'listening on');
  lab.sendUdp(1000, PORT + 7);
  // Nothing listens on 1521 in a: its kernel answers the SYN with a reset.
  lab.exec('b', [process.execPath, '-e', `require('net').connect(1521, '${lab.addrA}').on('error', () => {})`]);
  lab.sendUdp(100, PORT + 7);
  const r = await Promise.race([done, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no stop')), 10_000))]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /stopped by trigger: packet \d+ at \d+\.\d{9} matched 'tcp.flags.reset == 1 && tcp.port == 1521', then 5 packets more/);
  const names = fs.readdirSync(dir).sort();
  assert.ok(names.length <= 4 && names.every((n) => /^ring\d$/.test(n)), `${names}`);
  const files = /files: (.*)/.exec(r.stderr)![1].split(' ');
  const all: Rec[] = [];
  for (const f of files) all.push(...await records(f));
  const reset = all.findIndex((x) => x.data[23] === 6 && (x.data[47] & 0x04) !== 0);
  assert.ok(reset > 0, 'the reset is on disk');
  assert.equal(all.length - 1 - reset, 5, 'five packets after it');
  assert.ok(all.length > 100, 'and what came before it');
});

test('-i twice and -i any: one pcapng with an interface per capture point; any is LINUX_SLL2 as tcpdump 4.99', { skip }, async () => {
  const file = join(work, 'multi.pcapng');
  const p = capture(['-i', lab.ifA, '-i', 'any', '-w', file, '-c', '20', `udp port ${PORT + 8}`]);
  const done = finished(p);
  const text = await waitForText(p, 'listening on any');
  assert.match(text, /listening on any, link-type LINUX_SLL2/);
  lab.sendUdp(10, PORT + 8);
  const r = await done;
  assert.equal(r.code, 0, r.stderr);
  const got = await records(file);
  assert.equal(got.length, 20);
  assert.deepEqual([...new Set(got.map((x) => x.iface))].sort(), ['any', lab.ifA]);
  if (haveTshark) {
    const out = execFileSync('tshark', ['-r', file, '-T', 'fields', '-e', 'frame.interface_name', '-e', 'sll.ifindex'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    assert.match(out, /^any\t\d+$/m); // SLL2 carries the interface index
    assert.match(out, new RegExp(`^${lab.ifA}\t$`, 'm'));
  }
});

test('-G 1 -W 2: a new file each second, named by strftime, stop after two files', { skip }, async () => {
  const dir = fs.mkdtempSync(join(work, 'rotate-'));
  const p = capture(['-i', lab.ifA, '-w', join(dir, 'g-%H%M%S.pcap'), '-F', 'pcap', '-G', '1', '-W', '2', `udp port ${PORT + 9}`]);
  const done = finished(p);
  await waitForText(p, 'listening on');
  for (let i = 0; i < 6; i++) {
    lab.sendUdp(5, PORT + 9);
    await new Promise((resolve) => setTimeout(resolve, 400));
  }
  const r = await Promise.race([done, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no stop')), 10_000))]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /stopped: file count \(-W\) reached/);
  const names = fs.readdirSync(dir).sort();
  assert.equal(names.length, 2);
  for (const n of names) assert.match(n, /^g-\d{6}\.pcap$/);
  let total = 0;
  for (const n of names) total += (await records(join(dir, n))).length;
  assert.ok(total >= 5 && total < 30, `${total}`);
});

test('--backend tcpdump through the CLI: same files, SIGTERM ends it with complete files and the counters', { skip }, async () => {
  const file = join(work, 'via-tcpdump.pcapng');
  // tcpdump must run inside the namespace: the CLI itself runs there.
  const p = capture(['--backend', 'tcpdump', '-i', lab.ifA, '-w', file, `udp port ${PORT + 10}`]);
  const done = finished(p);
  await waitForText(p, 'listening on');
  lab.sendUdp(300, PORT + 10);
  p.kill('SIGTERM');
  const r = await done;
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /300 packets captured\n300 packets received by filter\n0 packets dropped by kernel/);
  const got = await records(file);
  assert.equal(got.length, 300);
  assert.equal(payload(got[299].data), 'wiresage 299');
  assert.equal(got[0].iface, lab.ifA);
});

test('interface set down mid-capture: reported, file valid, exit 1', { skip }, async () => {
  const extra = createLab();
  try {
    const file = join(work, 'down.pcap');
    const p = extra.spawn('a', [process.execPath, cli, 'capture', '-F', 'pcap', '-i', extra.ifA, '-w', file, `udp port ${PORT + 11}`]);
    const done = finished(p);
    await waitForText(p, 'listening on');
    extra.sendUdp(50, PORT + 11);
    await new Promise((r) => setTimeout(r, 300));
    execFileSync('ip', ['-n', extra.a, 'link', 'set', extra.ifA, 'down']);
    const r = await Promise.race([done, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('did not notice')), 10_000))]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`capture on ${extra.ifA} stopped: .*went down`, 'i'));
    assert.equal((await records(file)).length, 50);
  } finally {
    extra.close();
  }
});

test('-Q in/out, -Y and -V live, --duration, -D with addresses and state', { skip }, async () => {
  // b sends to a: at a the datagrams are incoming. -Q out sees none of them.
  const inbound = capture(['-i', lab.ifA, '-Q', 'in', '-c', '3', `udp port ${PORT + 12}`]);
  const outbound = capture(['-i', lab.ifA, '-Q', 'out', '--duration', '2', `udp port ${PORT + 12}`]);
  const verbose = capture(['-i', lab.ifA, '-V', '-Y', 'frame.number == 5', '--duration', '2', `udp port ${PORT + 12}`]);
  const done = [finished(inbound), finished(outbound), finished(verbose)];
  await Promise.all([waitForText(inbound, 'listening on'), waitForText(outbound, 'listening on'), waitForText(verbose, 'listening on')]);
  lab.sendUdp(10, PORT + 12);
  const [ri, ro, rv] = await Promise.all(done);
  assert.equal(ri.code, 0, ri.stderr);
  assert.equal(ri.stdout.trim().split('\n').length, 3);
  assert.equal(ro.code, 0, ro.stderr);
  assert.equal(ro.stdout, '');
  assert.match(ro.stderr, /0 packets captured\n.*\n.*\n.*\nstopped: duration reached/);
  assert.equal(rv.code, 0, rv.stderr);
  assert.match(rv.stderr, /10 packets captured/);
  // One packet passed the display filter, shown as a detail tree.
  assert.equal((rv.stdout.match(/^Frame \d+:/gm) ?? []).length, 1, rv.stdout);
  assert.match(rv.stdout, /User Datagram Protocol, Src Port: \d+, Dst Port: 40012/);
  const list = await finished(capture(['-D']));
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, new RegExp(`^\\d+\\.${lab.ifA} \\[Up, Running, Connected\\]\\n {4}link {2}[0-9a-f:]{17} broadcast ff:ff:ff:ff:ff:ff\\n {4}inet {2}${lab.addrA.replace(/\./g, '\\.')} netmask 255\\.255\\.255\\.0`, 'm'));
});

/** The interface's promiscuity counter inside namespace a (`ip -d link`): > 0 while something holds it promiscuous. */
function promiscuity(): number {
  const out = lab.exec('a', ['ip', '-d', '-j', 'link', 'show', lab.ifA]);
  return (JSON.parse(out) as Array<{ promiscuity: number }>)[0].promiscuity;
}

test('-p leaves the interface out of promiscuous mode; -B, -y LINUX_SLL, --immediate-mode and -tttt/-ttt/-ttttt as tcpdump', { skip }, async () => {
  const port = PORT + 14;
  assert.equal(promiscuity(), 0);
  // Without -p the interface is promiscuous while the capture runs; with -p it is not.
  for (const [args, expected] of [[[], 1], [['-p'], 0]] as Array<[string[], number]>) {
    const p = capture(['-i', lab.ifA, ...args, '-c', '1', `udp port ${port}`]);
    const done = finished(p);
    await waitForText(p, 'listening on');
    assert.equal(promiscuity(), expected, `promiscuity with ${args.join(' ') || 'no -p'}`);
    lab.sendUdp(3, port);
    assert.equal((await done).code, 0);
  }
  assert.equal(promiscuity(), 0, 'the capture gave the interface back');
  // -y picks among the device's link types: `any` gives LINUX_SLL2 by default, LINUX_SLL (v1)
  // when asked; with a 4 MiB buffer and immediate mode.
  const file = join(work, 'sll.pcapng');
  const y = capture(['-i', 'any', '-B', '4096', '-y', 'LINUX_SLL', '--immediate-mode', '-c', '4', '-w', file, `udp port ${port}`]);
  const yDone = finished(y);
  await waitForText(y, 'listening on');
  lab.sendUdp(4, port);
  const ry = await yDone;
  assert.equal(ry.code, 0, ry.stderr);
  assert.match(ry.stderr, /LINUX_SLL\b/);
  const reader = await openCapture(file);
  const types: number[] = [];
  await reader.forEach((r) => { types.push(r.iface.linkType); });
  reader.close();
  assert.deepEqual(types, [113, 113, 113, 113]);
  if (haveTshark) {
    const encap = execFileSync('tshark', ['-r', file, '-T', 'fields', '-e', 'sll.ifindex', '-e', 'udp.dstport'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    assert.equal(encap.trim().split('\n').length, 4);
    assert.match(encap, new RegExp(`\\t${port}$`, 'm'));
  }
  // Time formats on live lines: -tttt date and time, -ttt delta, -ttttt since the first packet.
  const formats: Array<[string, RegExp]> = [
    ['-tttt', /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6} IP /],
    ['-ttt', /^ \d\d:\d\d:\d\d\.\d{6} IP /],
    ['-ttttt', /^ \d\d:\d\d:\d\d\.\d{6} IP /],
  ];
  for (const [flag, pattern] of formats) {
    const t = capture(['-i', lab.ifA, flag, '-c', '2', `udp port ${port}`]);
    const tDone = finished(t);
    await waitForText(t, 'listening on');
    lab.sendUdp(2, port);
    const rt = await tDone;
    assert.equal(rt.code, 0, rt.stderr);
    const lines = rt.stdout.replace(/\n$/, '').split('\n');
    assert.equal(lines.length, 2);
    for (const line of lines) assert.match(line, pattern, `${flag}: ${line}`);
    if (flag !== '-tttt') assert.match(lines[0], /^ 00:00:00\.000000 IP /, `${flag} starts at zero`);
  }
});
