// Remote capture over ssh against a real sshd (Debian openssh-server) started by the test in a
// network namespace with its own host key and a test client key (root only; skipped elsewhere).
// The local wiresage runs in the other namespace of the pair:
// - --ssh with the remote's tcpdump, together with a local --at point: one pcapng, both points;
// - --ssh with wiresage on the remote's PATH (this checkout, run by node there);
// - remote without tcpdump (nor wiresage) on PATH, wrong key, nothing listening: clear errors, exit 1.
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createLab, finished, labAvailable, waitForText, type Lab } from './_lab.js';
import { tryAddon } from './addon.js';
import { explainRemote, parseRemote, remoteCommand } from './remote.js';

const cli = join(dirname(fileURLToPath(import.meta.url)), '..', 'cli', 'main.js');
const sshd = '/usr/sbin/sshd';
const haveSsh = fs.existsSync(sshd) && spawnSync('ssh', ['-V'], { stdio: 'ignore' }).status === 0;
const haveTshark = spawnSync('tshark', ['-v'], { stdio: 'ignore' }).status === 0;
const skip = !labAvailable() ? 'needs root and iproute2 (network namespaces)' : !haveSsh ? 'needs openssh-server and openssh-client (scripts/setup.sh --tests)'
  : !tryAddon() ? 'the capture addon is not built' : !haveTshark ? 'needs tshark' : false;
const PORT = 42000;

let lab: Lab;
let work: string;
let server: ChildProcess | undefined;
let madeRunSshd = false;
const children: ChildProcess[] = [];

before(async () => {
  if (skip) return;
  lab = createLab();
  work = fs.mkdtempSync(join(tmpdir(), 'wiresage-ssh-'));
  const key = (name: string) => execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `wiresage-test-${name}`, '-f', join(work, name)]);
  key('host_key');
  key('client_key');
  key('stranger_key');
  fs.copyFileSync(join(work, 'client_key.pub'), join(work, 'authorized_keys'));
  // PATHs for the sessions: no capture tool at all; wiresage (this checkout) first.
  const bare = join(work, 'bare-bin');
  const withWiresage = join(work, 'ws-bin');
  fs.mkdirSync(bare);
  fs.mkdirSync(withWiresage);
  for (const tool of ['sh', 'id', 'hostname']) fs.symlinkSync(execFileSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim(), join(bare, tool));
  fs.writeFileSync(join(withWiresage, 'wiresage'), `#!/bin/sh\nexec ${process.execPath} ${cli} "$@"\n`, { mode: 0o755 });
  fs.writeFileSync(join(work, 'sshd_config'), [
    `ListenAddress ${lab.addrA}:22`, `ListenAddress ${lab.addrA}:2222`, `ListenAddress ${lab.addrA}:2223`,
    `HostKey ${join(work, 'host_key')}`, `PidFile ${join(work, 'sshd.pid')}`, `AuthorizedKeysFile ${join(work, 'authorized_keys')}`,
    'PermitRootLogin prohibit-password', 'PasswordAuthentication no', 'KbdInteractiveAuthentication no', 'UsePAM no', 'StrictModes no',
    'Match LocalPort 2222', `  SetEnv PATH=${bare}`,
    'Match LocalPort 2223', `  SetEnv PATH=${withWiresage}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
    '',
  ].join('\n'));
  if (!fs.existsSync('/run/sshd')) {
    fs.mkdirSync('/run/sshd', { mode: 0o755 });
    madeRunSshd = true;
  }
  server = lab.spawn('a', [sshd, '-D', '-e', '-f', join(work, 'sshd_config')]);
  await waitForText(server, `Server listening on ${lab.addrA} port 2223`);
});

after(() => {
  if (skip) return;
  for (const c of children) c.kill('SIGKILL');
  server?.kill('SIGKILL');
  lab.close();
  if (madeRunSshd) fs.rmSync('/run/sshd', { recursive: true, force: true });
  fs.rmSync(work, { recursive: true, force: true });
});

const sshOptions = (key = 'client_key') => ['--ssh-option', `IdentityFile=${join(work, key)}`, '--ssh-option', 'UserKnownHostsFile=/dev/null',
  '--ssh-option', 'StrictHostKeyChecking=no', '--ssh-option', 'IdentitiesOnly=yes'];

/** wiresage capture in namespace b (the "local" host). */
function wiresage(args: string[]): ChildProcess {
  const child = lab.spawn('b', [process.execPath, cli, 'capture', ...args]);
  children.push(child);
  return child;
}

function tshark(path: string, fields: string[]): string[][] {
  const out = execFileSync('tshark', ['-r', path, '-T', 'fields', ...fields.flatMap((f) => ['-e', f])], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return out.trim().split('\n').filter(Boolean).map((l) => l.split('\t'));
}

test('--ssh root@HOST (remote tcpdump) with a local --at point, and --ssh to a host with wiresage: streamed into one pcapng', { skip }, async () => {
  const both = join(work, 'both.pcapng');
  const viaWiresage = join(work, 'remote-wiresage.pcap');
  const filter = `udp port ${PORT}`;
  const p1 = wiresage(['--ssh', `root@${lab.addrA}`, ...sshOptions(), '--at', `host:${lab.ifB}`, '-w', both, filter]);
  const p2 = wiresage(['--ssh', `root@${lab.addrA}:2223,iface=${lab.ifA}`, ...sshOptions(), '-F', 'pcap', '-w', viaWiresage, filter]);
  // The remote wiresage enters a namespace of its host (here: b, the sender's).
  const inTarget = join(work, 'remote-target.pcapng');
  const p3 = wiresage(['--ssh', `root@${lab.addrA}:2223,target=netns:${lab.b}`, ...sshOptions(), '-w', inTarget, filter]);
  const done = [finished(p1), finished(p2), finished(p3)];
  const remote = `ssh:root@${lab.addrA}/any`;
  await Promise.all([waitForText(p1, `listening on ${remote}`), waitForText(p2, `listening on ssh:root@${lab.addrA}:2223/${lab.ifA}`, 20_000),
    waitForText(p3, `listening on ssh:root@${lab.addrA}:2223/netns:${lab.b}@any`, 20_000)]);
  lab.sendUdp(50, PORT);
  await new Promise((r) => setTimeout(r, 1500));
  p1.kill('SIGINT');
  p2.kill('SIGINT');
  p3.kill('SIGINT');
  const [r1, r2, r3] = await Promise.all(done);
  assert.equal(r1.code, 0, r1.stderr);
  assert.equal(r2.code, 0, r2.stderr);
  assert.equal(r3.code, 0, r3.stderr);
  const targetRows = tshark(inTarget, ['frame.interface_name', 'udp.dstport', 'ip.src']);
  assert.equal(targetRows.length, 50);
  assert.ok(targetRows.every((r) => r[0] === `ssh:root@${lab.addrA}:2223/netns:${lab.b}@any` && r[2] === lab.addrB), targetRows.slice(0, 3).join("\n"));
  assert.match(r1.stderr, new RegExp(`wiresage \\(over ssh\\): listening on ${remote}, link-type LINUX_SLL2`));
  const rows = tshark(both, ['frame.interface_name', 'udp.dstport', 'frame.time_epoch']);
  const at = (name: string) => rows.filter((r) => r[0] === name && r[1] === String(PORT)).length;
  assert.equal(at(`host:${lab.ifB}`), 50, 'the local point');
  assert.equal(at(remote), 50, 'the remote point: every datagram, and none of its own ssh traffic');
  assert.equal(rows.length, 100);
  // The remote tcpdump's counters reach the summary.
  assert.match(r1.stderr, new RegExp(`${remote.replace(/[.]/g, '\\.')}: 50 captured, \\d+ received by filter, 0 dropped by kernel`));
  // Remote wiresage: pcap stream, its own summary counters.
  const viaRows = tshark(viaWiresage, ['udp.dstport', 'data.data']);
  assert.equal(viaRows.length, 50);
  assert.ok(viaRows.every((r) => r[0] === String(PORT)));
  assert.match(r2.stderr, /50 packets captured\n50 packets received by filter/);
});

test('remote errors: no tcpdump on the remote PATH, a key the remote does not accept, nothing listening — each clear, exit 1', { skip }, async () => {
  const noTool = await finished(wiresage(['--ssh', `root@${lab.addrA}:2222`, ...sshOptions(), '-c', '1']));
  assert.equal(noTool.code, 1, noTool.stderr);
  assert.match(noTool.stderr, new RegExp(`ssh root@${lab.addrA.replace(/\./g, '\\.')} \\(port 2222\\): neither wiresage nor tcpdump is on PATH \\(.*${work}/bare-bin.*\\) of .*: install tcpdump there`));
  const noWiresage = await finished(wiresage(['--ssh', `root@${lab.addrA},target=netns:${lab.b}`, ...sshOptions(), '-c', '1']));
  assert.equal(noWiresage.code, 1, noWiresage.stderr);
  assert.match(noWiresage.stderr, /wiresage is not on PATH .*: capturing inside a target there \(target=netns:.*\) needs wiresage on that host; tcpdump alone cannot enter a container/);
  const stranger = await finished(wiresage(['--ssh', `root@${lab.addrA}`, ...sshOptions('stranger_key'), '-c', '1']));
  assert.equal(stranger.code, 1, stranger.stderr);
  assert.match(stranger.stderr, /authentication failed \(publickey\); wiresage runs ssh with BatchMode=yes, so no password is asked/);
  const refused = await finished(wiresage(['--ssh', `root@${lab.addrA}:2299`, ...sshOptions(), '-c', '1']));
  assert.equal(refused.code, 1, refused.stderr);
  assert.match(refused.stderr, /host unreachable: .*Connection refused/);
  const badIface = await finished(wiresage(['--ssh', `root@${lab.addrA},iface=nosuch0`, ...sshOptions(), '-c', '1']));
  assert.equal(badIface.code, 1, badIface.stderr);
  assert.match(badIface.stderr, /nosuch0/);
});

test('the remote host going away mid-capture: reported, file valid, exit 1', { skip }, async () => {
  const file = join(work, 'cut.pcapng');
  const p = wiresage(['--ssh', `root@${lab.addrA}`, ...sshOptions(), '-w', file, `udp port ${PORT + 1}`]);
  const done = finished(p);
  await waitForText(p, 'listening on');
  lab.sendUdp(20, PORT + 1);
  await new Promise((r) => setTimeout(r, 1500));
  // The remote capture dies (as when the host reboots): the tcpdump among namespace a's processes.
  const pids = execFileSync('ip', ['netns', 'pids', lab.a], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).map(Number);
  const tcpdump = pids.filter((pid) => {
    try { return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'tcpdump'; } catch { return false; }
  });
  assert.equal(tcpdump.length, 1);
  process.kill(tcpdump[0], 'SIGKILL');
  const r = await Promise.race([done, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('did not notice')), 10_000))]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, new RegExp(`capture on ssh:root@${lab.addrA.replace(/\./g, '\\.')}/any stopped: `));
  assert.equal(tshark(file, ['udp.dstport']).length, 20);
});

test('a login that is not root and whose sudo wants a password: the capture script asks sudo -n, the message says what to configure', {
  skip: process.getuid?.() !== 0 ? 'needs root (to run as nobody)' : spawnSync('sudo', ['-V'], { stdio: 'ignore' }).status !== 0 ? 'needs sudo (apt-get install sudo)' : false,
}, () => {
  // The remote command as a non-root login runs it (setpriv as nobody; the real sudo answers).
  const command = remoteCommand(['capture'], ['-i', 'any', '-w', '-'], undefined, true);
  const r = spawnSync('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', 'sh', '-c', command], { encoding: 'utf8', input: '' });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /sudo: a password is required/);
  const { message, code } = explainRemote(parseRemote('ops@db1'), r.stderr, r.status);
  assert.equal(code, 'PERM_DENIED');
  assert.match(message, /^ssh ops@db1: sudo needs a password for ops and wiresage never types one \(sudo -n\): connect as root, or allow the capture without a password/);
});
