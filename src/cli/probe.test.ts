/**
 * `wiresage probe` end to end, as a user runs it: the seed's case B network in namespaces
 * (client ↔ router with nftables ↔ server with a RAC-like VIP and node address), the test TNS
 * listener redirecting from the VIP to the node the router drops, real MariaDB, PostgreSQL and
 * Redis servers, and a closed port. Every probe runs from inside the client namespace
 * (`--via netns:NAME`), capturing there with the native capture. One network and one set of
 * servers serve the whole file.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { RoutedLab, noRoutedLab } from '../diagnosis/_lab.js';
import { repoRoot } from '../testing/tshark.js';

const main = join(repoRoot, 'dist/cli/main.js');
const listenerJs = join(repoRoot, 'dist/testing/tns-listener.js');
const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
const skip = noRoutedLab || (!has('nsenter') && 'nsenter is not installed');
const noMariadb = skip || (!(has('mariadbd') && has('mariadb-install-db')) && 'mariadb-server is not installed');
const pgBin = (() => {
  const r = spawnSync('sh', ['-c', 'ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1'], { encoding: 'utf8' });
  return r.stdout.trim();
})();
const noPostgres = skip || (!(pgBin && existsSync(join(pgBin, 'initdb'))) && 'postgresql is not installed');
const noRedis = skip || (!has('redis-server') && 'redis is not installed');

let lab: RoutedLab;
let dir: string;

function sh(cmd: string): void {
  const r = spawnSync('sh', ['-ec', cmd], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd}: ${r.stderr}`);
}

before(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'wiresage-probe-test-'));
  sh(`chmod 755 ${dir}`);
  lab = await RoutedLab.create('wspb', 1);
  const [node] = lab.extraIps;
  // Case B: the VIP redirects to the node; the security group lets only the VIP through.
  await RoutedLab.waitFor(lab.start(lab.server, process.execPath, [listenerJs, `${lab.serverIp}:1521=redirect,to=${node}:1521`, `${node}:1521=accept-ora`]), 'listening');
  lab.nft(`ip daddr ${node} tcp flags & (syn|ack) == syn drop`);
  // Data directories first (synchronous), then every server started and awaited together.
  const my = join(dir, 'mysql');
  const pg = join(dir, 'pg');
  if (!noMariadb) sh(`mkdir -p ${my} && chown mysql ${my} && mariadb-install-db --no-defaults --user=mysql --datadir=${my}/data --auth-root-authentication-method=socket >/dev/null 2>&1`);
  if (!noPostgres) sh(`mkdir -p ${pg} && chown postgres ${pg} && runuser -u postgres -- ${pgBin}/initdb -D ${pg}/data --auth-host=scram-sha-256 >/dev/null && echo 'host all all 0.0.0.0/0 scram-sha-256' >> ${pg}/data/pg_hba.conf`);
  const waits: Array<Promise<void>> = [];
  if (!noRedis) {
    waits.push(RoutedLab.waitFor(lab.start(lab.server, 'redis-server', ['--bind', lab.serverIp, '--port', '6379', '--requirepass', 'secret', '--save', '', '--appendonly', 'no']), 'Ready to accept connections', 30_000));
  }
  if (!noMariadb) {
    const m = lab.start(lab.server, 'mariadbd', ['--no-defaults', '--user=mysql', `--datadir=${my}/data`, `--socket=${my}/sock`, `--pid-file=${my}/pid`, `--bind-address=${lab.serverIp}`, '--port=3306', '--skip-name-resolve', '--skip-log-bin']);
    waits.push(RoutedLab.waitFor(m, 'ready for connections', 30_000));
  }
  if (!noPostgres) {
    const p = lab.start(lab.server, 'runuser', ['-u', 'postgres', '--', `${pgBin}/postgres`, '-D', `${pg}/data`, '-c', `listen_addresses=${lab.serverIp}`, '-c', `unix_socket_directories=${pg}`, '-c', 'ssl=off']);
    waits.push(RoutedLab.waitFor(p, 'ready to accept connections', 30_000));
  }
  await Promise.all(waits);
});

after(async () => {
  await lab?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface ProbeJson {
  hops: Array<{ address: string; via: string | null; tcp: string; answer: string | null; ok: boolean; syns: number; findings: string[] }>;
  findings: Array<{ id: string; severity: string; evidence: { streams: number[]; frames: number[] } }>;
  frames: number;
}

function probe(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string; json?: ProbeJson }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [main, 'probe', ...args, '--via', `netns:${lab.client}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => {
      let json: ProbeJson | undefined;
      try {
        if (args.includes('--json')) json = JSON.parse(stdout);
      } catch {
        // left undefined: the assertion shows stdout
      }
      resolve({ code, stdout, stderr, json });
    });
  });
}

test('seed case B: the VIP answers and redirects to a node the router drops → tns.redirect.unreachable on the second hop', { skip, timeout: 60_000 }, async () => {
  const [node] = lab.extraIps;
  const r = await probe([`${lab.serverIp}:1521`, '--service', 'orclpdb', '--timeout', '4', '--json']);
  assert.ok(r.json, r.stdout + r.stderr);
  const { hops, findings } = r.json;
  assert.equal(r.code, 1, r.stderr);
  assert.equal(hops.length, 2, JSON.stringify(hops));
  assert.equal(hops[0].address, `${lab.serverIp}:1521`);
  assert.equal(hops[0].tcp, 'connected');
  assert.equal(hops[0].answer, `REDIRECT to ${node}:1521`);
  assert.equal(hops[1].address, `${node}:1521`);
  assert.equal(hops[1].via, `${lab.serverIp}:1521`);
  assert.equal(hops[1].tcp, 'timeout');
  assert.ok(hops[1].syns >= 2, JSON.stringify(hops[1]));
  assert.deepEqual(hops[1].findings, ['tns.redirect.unreachable']);
  assert.equal(findings[0].id, 'tns.redirect.unreachable');
  // The text report tells the hops in one line each.
  const text = await probe([`${lab.serverIp}:1521`, '--service', 'orclpdb', '--timeout', '3']);
  assert.match(text.stdout, new RegExp(`${lab.serverIp.replace(/\./g, '\\.')}:1521 +TCP connected \\([\\d.]+ ms\\) · TNS CONNECT SERVICE_NAME=orclpdb → REDIRECT to ${node.replace(/\./g, '\\.')}:1521`), text.stdout);
  assert.match(text.stdout, new RegExp(`${node.replace(/\./g, '\\.')}:1521 +\\(redirected by .*\\) · SYN unanswered ×\\d+ over [\\d.]+ s → tns\\.redirect\\.unreachable`), text.stdout);
});

test('MariaDB without an account for the client host: error 1130 → auth.failed; with one: greeting, no warning, exit 0', { skip: noMariadb, timeout: 30_000 }, async () => {
  const refused = await probe([`${lab.serverIp}:3306`, '--json']);
  assert.ok(refused.json, refused.stdout + refused.stderr);
  assert.equal(refused.code, 1);
  assert.match(refused.json.hops[0].answer ?? '', /^error 1130: Host '10\.251\.\d+\.2' is not allowed/);
  assert.deepEqual(refused.json.findings.map((f) => f.id), ['auth.failed']);
  const m = await lab.run(lab.server, 'mariadb', ['--no-defaults', `--socket=${join(dir, 'mysql', 'sock')}`, '-uroot', '-e', "CREATE USER app@'10.251.%' IDENTIFIED BY 'app-secret'"]);
  assert.equal(m.status, 0, m.stderr);
  const r = await probe([`${lab.serverIp}:3306`, '--json']);
  assert.ok(r.json, r.stdout + r.stderr);
  assert.equal(r.code, 0, r.stdout);
  assert.match(r.json.hops[0].answer ?? '', /^greeting, server .*MariaDB/);
  assert.deepEqual(r.json.findings, []);
});

test('healthy PostgreSQL: startup answered with a SCRAM request, no warning, exit 0', { skip: noPostgres, timeout: 30_000 }, async () => {
  const r = await probe([`${lab.serverIp}:5432`, '--json']);
  assert.ok(r.json, r.stdout + r.stderr);
  assert.equal(r.code, 0, r.stdout);
  assert.match(r.json.hops[0].answer ?? '', /SCRAM/);
  assert.deepEqual(r.json.findings, []);
});

test('healthy Redis (password required, none given): PING answered, no warning, exit 0', { skip: noRedis, timeout: 30_000 }, async () => {
  const r = await probe([`${lab.serverIp}:6379`, '--json']);
  assert.ok(r.json, r.stdout + r.stderr);
  assert.equal(r.code, 0, r.stdout);
  assert.match(r.json.hops[0].answer ?? '', /NOAUTH.*none was given/);
  assert.deepEqual(r.json.findings, []);
  const withPassword = await probe([`${lab.serverIp}:6379`, '--password', 'secret', '--json']);
  assert.equal(withPassword.json?.hops[0].answer, 'PONG');
  assert.equal(withPassword.code, 0);
});

test('closed port: refused by the server itself → tcp.rst.refused, exit 1', { skip, timeout: 30_000 }, async () => {
  const r = await probe([`${lab.serverIp}:5999`, '--json']);
  assert.ok(r.json, r.stdout + r.stderr);
  assert.equal(r.code, 1);
  assert.equal(r.json.hops[0].tcp, 'refused');
  assert.deepEqual(r.json.hops[0].findings, ['tcp.rst.refused']);
  assert.equal(r.json.findings[0].id, 'tcp.rst.refused');
});

test('usage errors exit 2', async () => {
  for (const args of [[], ['nohostport'], ['10.0.0.1:99999'], ['10.0.0.1:1521', '--proto', 'smtp']]) {
    const r = spawnSync(process.execPath, [main, 'probe', ...args], { encoding: 'utf8' });
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /wiresage probe: /);
  }
});

test('HTTP: HEAD answered by a real server (python3 http.server) → no warning, exit 0', { skip, timeout: 30_000 }, async () => {
  const web = lab.start(lab.server, 'python3', ['-u', '-m', 'http.server', '8000', '--bind', lab.serverIp, '--directory', dir]);
  await RoutedLab.waitFor(web, 'Serving HTTP');
  const r = await probe([`${lab.serverIp}:8000`, '--proto', 'http', '--json']);
  assert.ok(r.json, r.stdout + r.stderr);
  assert.equal(r.code, 0, r.stdout);
  assert.match(r.json.hops[0].answer ?? '', /^HTTP\/1\.[01] 200/);
  assert.deepEqual(r.json.findings, []);
});

test('TLS: a certificate the client does not trust is reported on the hop (openssl s_server), exit 1', { skip, timeout: 30_000 }, async () => {
  sh(`cd ${dir} && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout tls.key -out tls.pem -days 2 -subj /CN=db.test 2>/dev/null`);
  const server = lab.start(lab.server, 'sh', ['-c', `sleep 30 | exec openssl s_server -accept ${lab.serverIp}:8443 -cert ${dir}/tls.pem -key ${dir}/tls.key`]);
  await RoutedLab.waitFor(server, 'ACCEPT');
  const r = await probe([`${lab.serverIp}:8443`, '--json']);
  assert.ok(r.json, r.stdout + r.stderr);
  assert.equal(r.code, 1);
  assert.equal(r.json.hops[0].tcp, 'connected');
  assert.match(r.json.hops[0].answer ?? '', /SELF_SIGNED|self.signed/i);
});
