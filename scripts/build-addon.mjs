#!/usr/bin/env node
// Builds the live-capture addon (native/capture.cc → build/Release/wiresage_capture.node) with
// node-gyp against the system's Node and libpcap headers. Run by `npm install`/`npm ci` and by
// `npm run build:addon`.
//
// A failed build is not fatal: everything but native capture works without the addon, so the
// reason is written to build/addon-build-error.txt, which `wiresage capture` prints together
// with the fix and the `--backend tcpdump` fallback. WIRESAGE_ADDON_REQUIRED=1 makes it fatal.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const errorFile = join(root, 'build', 'addon-build-error.txt');

function fail(reason) {
  mkdirSync(dirname(errorFile), { recursive: true });
  writeFileSync(errorFile, reason.trimEnd() + '\n');
  process.stderr.write(`wiresage: live-capture addon not built: ${reason.trim().split('\n')[0]}\n` +
    `  (details in build/addon-build-error.txt; 'wiresage capture --backend tcpdump' works without it)\n`);
  process.exit(process.env.WIRESAGE_ADDON_REQUIRED === '1' ? 1 : 0);
}

if (!existsSync('/usr/include/pcap/pcap.h') && !existsSync('/usr/local/include/pcap/pcap.h')) {
  fail('libpcap headers are missing (pcap/pcap.h). Install them: apt-get install libpcap-dev (Debian/Ubuntu), dnf install libpcap-devel (Fedora), then run: npm run build:addon');
}

// node-gyp: the one npm gives its scripts, else the copy bundled with npm, else PATH.
const bundled = join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
const gyp = process.env.npm_config_node_gyp || (existsSync(bundled) ? bundled : undefined);
const args = ['rebuild'];
// Build against the headers of the running Node when they are installed (Debian's nodejs puts
// them in /usr/include/node); otherwise node-gyp would try to download them.
const prefix = join(dirname(process.execPath), '..');
const nodedir = process.env.npm_config_nodedir || (existsSync(join(prefix, 'include', 'node', 'node_api.h')) ? prefix : undefined);
if (nodedir) args.push(`--nodedir=${nodedir}`);
try {
  require_addon_api();
} catch {
  fail('the node-addon-api package is missing: run npm ci (or npm install) first');
}
const r = gyp
  ? spawnSync(process.execPath, [gyp, ...args], { cwd: root, encoding: 'utf8' })
  : spawnSync('node-gyp', args, { cwd: root, encoding: 'utf8' });
if (r.error) fail(`cannot run node-gyp: ${r.error.message}. Install it (npm install -g node-gyp) and a C++ toolchain (apt-get install build-essential python3)`);
if (r.status !== 0) {
  const log = `${r.stdout}\n${r.stderr}`.split('\n').filter((l) => !l.startsWith('gyp info')).slice(-40).join('\n');
  const hint = /g\+\+|make: not found|not found: make|No such file or directory.*(c\+\+|g\+\+)/.test(log)
    ? 'a C++ toolchain is missing: apt-get install build-essential python3'
    : /python/i.test(log) && /not find|No Python/i.test(log) ? 'Python 3 is missing: apt-get install python3'
    : /network|headers.tar/.test(log) ? 'node-gyp tried to download Node headers: install them (Debian: apt-get install libnode-dev) or set npm config nodedir'
    : 'node-gyp failed';
  fail(`${hint}. Fix it, then run: npm run build:addon\n\n${log}`);
}
rmSync(errorFile, { force: true });
process.stderr.write('wiresage: live-capture addon built (build/Release/wiresage_capture.node)\n');

function require_addon_api() {
  const r = spawnSync(process.execPath, ['-p', "require('node-addon-api').include_dir"], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
}
