// Issue 6: live capture cost. A bounded UDP blast (2M packets of 74 bytes; --quick 300k) from
// one network namespace to another over a veth pair, captured on the receiving side by
// `wiresage capture -w` and `tcpdump -w` at the same time, each writing its own file. Prints
// captured/dropped and CPU per packet (user+system time of the capturing process) for each.
// Target: zero drops wherever tcpdump has zero drops; CPU per packet within 2x of tcpdump.
// Both run with their defaults: wiresage's kernel ring is 8 MiB (src/capture/native.ts),
// tcpdump's 2 MiB. BENCH_CAPTURE_RATE=N paces the sender at N packets/s (default: flat out).
//
// The sender is a small C program using sendmmsg (built here with cc into bench/data): Node's
// dgram cannot send fast enough to load a capture. Needs root (namespaces).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, dataDir, root } from '../lib.mjs';

const SENDER = String.raw`
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
// udp-blast DST PORT COUNT RATE(pps, 0 = as fast as possible): COUNT datagrams of 32 bytes.
int main(int argc, char **argv) {
  if (argc < 5) return 2;
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  int sndbuf = 4 << 20;
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
  struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(atoi(argv[2])) };
  inet_pton(AF_INET, argv[1], &to.sin_addr);
  long count = atol(argv[3]), rate = atol(argv[4]);
  enum { B = 64 };
  static char payload[B][32];
  struct iovec iov[B];
  struct mmsghdr msgs[B];
  memset(msgs, 0, sizeof msgs);
  for (int i = 0; i < B; i++) {
    iov[i].iov_base = payload[i];
    iov[i].iov_len = 32;
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
    msgs[i].msg_hdr.msg_name = &to;
    msgs[i].msg_hdr.msg_namelen = sizeof to;
  }
  struct timespec start, now;
  clock_gettime(CLOCK_MONOTONIC, &start);
  long sent = 0;
  while (sent < count) {
    int n = count - sent < B ? (int)(count - sent) : B;
    for (int i = 0; i < n; i++) snprintf(payload[i], 32, "blast %ld", sent + i);
    int r = sendmmsg(fd, msgs, n, 0);
    if (r < 0) { usleep(100); continue; }
    sent += r;
    if (rate > 0) {
      for (;;) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        double elapsed = (now.tv_sec - start.tv_sec) + (now.tv_nsec - start.tv_nsec) / 1e9;
        if (sent <= elapsed * rate) break;
        usleep(50);
      }
    }
  }
  clock_gettime(CLOCK_MONOTONIC, &now);
  printf("%ld %.3f\n", sent, (now.tv_sec - start.tv_sec) + (now.tv_nsec - start.tv_nsec) / 1e9);
  return 0;
}
`;

function sender() {
  mkdirSync(dataDir, { recursive: true });
  const bin = join(dataDir, 'udp-blast');
  if (!existsSync(bin)) {
    writeFileSync(`${bin}.c`, SENDER);
    execFileSync('cc', ['-O2', '-o', bin, `${bin}.c`], { stdio: 'inherit' });
  }
  return bin;
}

const clk = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }));

/** user+system seconds of a live process (and its waited-for children). */
function cpuSeconds(pid) {
  const fields = execFileSync('cat', [`/proc/${pid}/stat`], { encoding: 'utf8' }).split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / clk;
}

function waitListening(child, name) {
  return new Promise((resolve, reject) => {
    let text = '';
    const t = setTimeout(() => reject(new Error(`${name} did not start: ${text}`)), 15000);
    child.stderr.on('data', (c) => {
      text += c;
      if (text.includes('listening on')) { clearTimeout(t); resolve(); }
    });
    child.once('exit', () => reject(new Error(`${name} exited: ${text}`)));
  });
}

function collect(child) {
  let err = '';
  child.stderr.on('data', (c) => { err += c; });
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stderr: err })));
}

const num = (text, re) => { const m = re.exec(text); return m ? Number(m[1]) : NaN; };

/** One blast captured by wiresage (format) and tcpdump at the same time. */
async function round(lab, blast, packets, rate, format, work) {
  const port = 40000;
  const filter = `udp dst port ${port}`;
  const ours = lab.spawn('a', [process.execPath, cli, 'capture', '-i', lab.ifA, '-F', format, '-w', join(work, `w.${format}`), filter]);
  const theirs = lab.spawn('a', ['tcpdump', '-i', lab.ifA, '-w', join(work, 'tcpdump.pcap'), '-Z', 'root', filter]);
  const doneOurs = collect(ours);
  const doneTheirs = collect(theirs);
  await Promise.all([waitListening(ours, 'wiresage'), waitListening(theirs, 'tcpdump')]);
  // ip netns exec execs, so the pids are the capturing processes.
  const cpu0 = [cpuSeconds(ours.pid), cpuSeconds(theirs.pid)];
  const out = lab.exec('b', [blast, lab.addrA, String(port), String(packets), String(rate)]);
  const [sent, seconds] = out.trim().split(' ').map(Number);
  await new Promise((r) => setTimeout(r, 1500)); // tcpdump's 1 s block timeout
  const cpu1 = [cpuSeconds(ours.pid), cpuSeconds(theirs.pid)];
  ours.kill('SIGINT');
  theirs.kill('SIGINT');
  const [a, b] = await Promise.all([doneOurs, doneTheirs]);
  const result = (r, cpu, file) => ({
    captured: num(r.stderr, /(\d+) packets captured/),
    dropped: num(r.stderr, /(\d+) packets dropped by kernel/),
    cpu,
    mb: statSync(file).size / 1e6,
  });
  return {
    sent, seconds,
    wiresage: result(a, cpu1[0] - cpu0[0], join(work, `w.${format}`)),
    tcpdump: result(b, cpu1[1] - cpu0[1], join(work, 'tcpdump.pcap')),
  };
}

export async function run({ quick }) {
  if (process.getuid?.() !== 0 || spawnSync('ip', ['netns', 'list'], { stdio: 'ignore' }).status !== 0) {
    console.log('capture: skipped (needs root and network namespaces)\n');
    return;
  }
  const { createLab } = await import(join(root, 'dist', 'capture', '_lab.js'));
  const blast = sender();
  const packets = quick ? 300_000 : 2_000_000;
  const rate = Number(process.env.BENCH_CAPTURE_RATE ?? 0);
  const lab = createLab();
  const work = mkdtempSync(join(tmpdir(), 'wiresage-bench-capture-'));
  try {
    // Nothing listens on the port: drop the datagrams after capture so no ICMP comes back.
    lab.exec('a', ['nft', 'add', 'table', 'inet', 'blast']);
    lab.exec('a', ['nft', 'add', 'chain', 'inet', 'blast', 'input', '{ type filter hook input priority 0 ; }']);
    lab.exec('a', ['nft', 'add', 'rule', 'inet', 'blast', 'input', 'udp', 'dport', '40000', 'drop']);
    for (const format of ['pcapng', 'pcap']) {
      const r = await round(lab, blast, packets, rate, format, work);
      const per = (x) => `${((x.cpu / r.sent) * 1e6).toFixed(2)} µs/packet`;
      const line = (name, x) => `  ${name.padEnd(22)} captured ${x.captured}, dropped by kernel ${x.dropped}, CPU ${x.cpu.toFixed(2)} s = ${per(x)}, ${x.mb.toFixed(0)} MB`;
      console.log([
        `live capture to a ${format} file: ${r.sent} UDP packets (74-byte frames) in ${r.seconds.toFixed(2)} s (${(r.sent / r.seconds / 1e3).toFixed(0)}k pkt/s) over veth`,
        line(`wiresage -F ${format}`, r.wiresage),
        line('tcpdump -w', r.tcpdump),
        `  CPU ratio wiresage/tcpdump: ${(r.wiresage.cpu / r.tcpdump.cpu).toFixed(2)} (target <= 2); drops: ${r.wiresage.dropped} vs ${r.tcpdump.dropped} (target: 0 where tcpdump has 0)`,
      ].join('\n') + '\n');
    }
  } finally {
    lab.close();
    rmSync(work, { recursive: true, force: true });
  }
}
