/**
 * Remote capture over ssh (`--ssh USER@HOST[:PORT]`): the remote host captures and streams a
 * pcap back through the system's ssh client (BatchMode: never a password prompt), and the
 * stream becomes one more capture point of the local pipeline (same files, display, triggers).
 *
 * On the remote side a small POSIX sh script runs: it uses `wiresage capture -F pcap -w -` when
 * wiresage is installed there, else `tcpdump -U -w -`; not being root, it runs itself again
 * under `sudo -n` (never a prompt). To stop, the local side writes a line to the ssh session:
 * the script sends SIGINT to the capture, which flushes and prints its counters (the local
 * summary shows them), and exits. When the connection drops, the same happens on EOF.
 *
 *   REMOTE := [USER@]HOST[:PORT][,iface=IFACE][,snaplen=N][,target=TARGET][,filter=BPF…]   (IPv6: [ADDR]:PORT)
 *
 * `target=container:db` (any TARGET of --at) captures inside that container, pod or namespace
 * of the remote host: its wiresage resolves and enters it (tcpdump alone cannot, so a remote
 * without wiresage is then an error that says so).
 *
 * @example
 * const source = await openRemote(parseRemote('root@db1:2222,iface=eth0,filter=tcp port 1521'), { sshOptions: [] });
 */
import { DEFAULT_SNAPLEN, type CaptureOpenCode, type CaptureSource } from './source.js';
import { PcapStreamSource, tcpdumpArgs } from './tcpdump.js';
import { parsePointOptions, PointSyntaxError } from './points.js';

/** A --ssh value, parsed. */
export interface RemoteSpec {
  /** USER@HOST as ssh takes it (no port). */
  destination: string;
  host: string;
  user?: string;
  port?: number;
  iface?: string;
  snapLen?: number;
  filter?: string;
  /** A capture target on the remote host (needs wiresage there). */
  target?: string;
  text: string;
}

export interface RemoteOptions {
  /** Extra `-o` options for ssh (--ssh-option), e.g. IdentityFile=…, StrictHostKeyChecking=accept-new. */
  sshOptions?: string[];
  /** Interface when the spec names none (-i, else the remote's `any`). */
  device?: string;
  filter?: string;
  snapLen?: number;
  promisc?: boolean;
  /** Capture with tcpdump even when the remote has wiresage. */
  forceTcpdump?: boolean;
  /** The ssh client (tests). */
  ssh?: string;
}

/** Parses `[USER@]HOST[:PORT][,iface=…][,snaplen=…][,filter=…]`. */
export function parseRemote(text: string): RemoteSpec {
  const s = text.trim();
  const comma = s.indexOf(',');
  const head = comma < 0 ? s : s.slice(0, comma);
  const m = /^(?:([^@\s]+)@)?(\[[0-9a-fA-F:.]+\]|[^:@\s[\]]+)(?::(\d+))?$/.exec(head);
  if (!m) throw new PointSyntaxError(`--ssh '${text}': write USER@HOST or USER@HOST:PORT (IPv6: USER@[ADDR]:PORT)`);
  const host = m[2].replace(/^\[|\]$/g, '');
  const spec: RemoteSpec = { destination: m[1] ? `${m[1]}@${host}` : host, host, text: s, ...(m[1] ? { user: m[1] } : {}) };
  if (m[3]) {
    const port = Number(m[3]);
    if (port < 1 || port > 65535) throw new PointSyntaxError(`--ssh '${text}': port ${port} is not 1-65535`);
    spec.port = port;
  }
  if (comma >= 0) parsePointOptions(s.slice(comma + 1), `--ssh ${text}`, spec, true);
  return spec;
}

/** The point's name: `ssh:root@db1/eth0`. */
export function remoteLabel(spec: RemoteSpec, device: string): string {
  return `ssh:${spec.destination}${spec.port ? `:${spec.port}` : ''}/${spec.target ? `${spec.target.replace(/@[^@]*$/, '')}@` : ''}${device}`;
}

/** Single-quoted for a POSIX shell (and fish, which reads '\'' the same way). */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

const NO_TOOL = 'wiresage-remote: no capture tool';
const NO_WIRESAGE = 'wiresage-remote: no wiresage';
const NO_SUDO = 'wiresage-remote: not root and no sudo';

/**
 * The remote command: sh runs the outer script as the login user; it re-runs the capture script
 * as root (itself when root, else `sudo -n sh -c`), passing $SSH_CONNECTION along. The capture
 * script leaves its own ssh connection out of the capture (`not (tcp and host C and port CP and
 * host S and port SP)` added to the filter, else every captured packet would make more), picks
 * wiresage or tcpdump, runs it in the background with stdin from /dev/null, and waits; a line
 * (or EOF) on the session's stdin makes it send SIGINT to the capture.
 */
export function remoteCommand(wiresageArgs: string[], tcpdump: string[] | undefined, filter: string | undefined, forceTcpdump = false): string {
  return `sh -c ${shellQuote(remoteScript(captureScript(wiresageArgs, tcpdump, filter, forceTcpdump)))}`;
}

/** The capture script (see {@link remoteCommand}); $1 is $SSH_CONNECTION or empty. */
function captureScript(wiresageArgs: string[], tcpdump: string[] | undefined, filter: string | undefined, forceTcpdump: boolean): string {
  const command = (argv: string[]) => argv.map(shellQuote).join(' ');
  return [
    'PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"',
    `F=${shellQuote(filter ?? '')}`,
    'if [ -n "$1" ]; then set -- $1; X="not (tcp and host $1 and port $2 and host $3 and port $4)"; F="${F:+($F) and }$X"; fi',
    `if ${forceTcpdump ? 'false' : 'command -v wiresage >/dev/null 2>&1'}; then set -- ${command(['wiresage', ...wiresageArgs])}; [ -z "$F" ] || set -- "$@" -- "$F"`,
    tcpdump ? `elif command -v tcpdump >/dev/null 2>&1; then set -- ${command(['tcpdump', ...tcpdump])}; [ -z "$F" ] || set -- "$@" "$F"`
      : `else echo "${NO_WIRESAGE}: wiresage is not on PATH ($PATH) of $(hostname 2>/dev/null || echo the remote host)" >&2; exit 127; fi`,
    ...(tcpdump ? [`else echo "${NO_TOOL}: neither wiresage nor tcpdump is on PATH ($PATH) of $(hostname 2>/dev/null || echo the remote host)" >&2; exit 127; fi`] : []),
    'exec 3<&0',
    '"$@" </dev/null &',
    'p=$!',
    '( read _ <&3; kill -INT $p 2>/dev/null ) &',
    'w=$!',
    'wait $p; s=$?',
    'kill $w 2>/dev/null',
    'exit $s',
  ].join('\n');
}

/** The outer script of {@link remoteCommand}: become root (or say why not), then run `inner`. */
function remoteScript(inner: string): string {
  return [
    `S=${shellQuote(inner)}`,
    'if [ "$(id -u)" = 0 ]; then exec sh -c "$S" sh "$SSH_CONNECTION"',
    'elif command -v sudo >/dev/null 2>&1; then exec sudo -n sh -c "$S" sh "$SSH_CONNECTION"',
    `else echo "${NO_SUDO}: log in as root or install sudo (with NOPASSWD for tcpdump)" >&2; exit 126; fi`,
  ].join('\n');
}

/** ssh's and the remote script's failures, in words that say what to do. */
export function explainRemote(spec: RemoteSpec, stderr: string, status: number | null): { message: string; code: CaptureOpenCode } {
  const where = `ssh ${spec.destination}${spec.port ? ` (port ${spec.port})` : ''}`;
  const text = stderr.replace(/^\*\*.*\n?/gm, '').replace(/^Warning: Permanently added .*\n?/gm, '').trim();
  const last = text.split('\n').filter(Boolean).slice(-3).join('; ');
  const say = (message: string, code: CaptureOpenCode = 'REMOTE') => ({ message: `${where}: ${message}`, code });
  if (/Permission denied \(/.test(text)) {
    return say(`authentication failed (${/\(([^)]*)\)/.exec(text)?.[1] ?? 'publickey'}); wiresage runs ssh with BatchMode=yes, so no password is asked: put your public key in the remote ~/.ssh/authorized_keys, load it into ssh-agent, or name it with --ssh-option IdentityFile=PATH`);
  }
  if (/Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED/.test(text)) {
    return say(`the host key is unknown or changed (${last}): connect once with 'ssh ${spec.destination}' to check and accept it, or pass --ssh-option StrictHostKeyChecking=accept-new`);
  }
  if (/Could not resolve hostname/.test(text)) return say(`cannot resolve the host name '${spec.host}' (${last})`);
  if (/Connection refused|No route to host|Connection timed out|Network is unreachable|Operation timed out|connect to host/.test(text)) {
    return say(`host unreachable: ${last}`);
  }
  if (text.includes(NO_WIRESAGE)) {
    return say(`${text.slice(text.indexOf(NO_WIRESAGE) + NO_WIRESAGE.length + 2).split('\n')[0]}: capturing inside a target there (target=${spec.target}) needs wiresage on that host; tcpdump alone cannot enter a container`);
  }
  if (text.includes(NO_TOOL)) {
    return say(`${text.slice(text.indexOf(NO_TOOL) + NO_TOOL.length + 2).split('\n')[0]}: install tcpdump there (apt-get install tcpdump / dnf install tcpdump) or wiresage`);
  }
  if (text.includes(NO_SUDO)) return say(text.slice(text.indexOf(NO_SUDO)).split('\n')[0].replace('wiresage-remote: ', ''));
  if (/sudo: (a )?password is required|sudo: a terminal is required|no tty present/.test(text)) {
    return say(`sudo needs a password for ${spec.user ?? 'this user'} and wiresage never types one (sudo -n): connect as root, or allow the capture without a password (sudoers: '${spec.user ?? 'USER'} ALL=(root) NOPASSWD: /usr/bin/tcpdump, /bin/sh')`, 'PERM_DENIED');
  }
  if (/is not in the sudoers file|not allowed to execute/.test(text)) return say(`sudo refused: ${last}`, 'PERM_DENIED');
  const code: CaptureOpenCode = /No such device|doesn't exist|no interface named/i.test(text) ? 'NO_SUCH_DEVICE'
    : /syntax error|invalid capture filter|can't parse filter/i.test(text) ? 'FILTER'
    : /permission|not permitted/i.test(text) ? 'PERM_DENIED' : 'REMOTE';
  return say(`${last || `ssh exited with status ${status}`}`, code);
}

/** Opens a remote capture point; throws CaptureOpenError (REMOTE, PERM_DENIED, NO_SUCH_DEVICE, FILTER). */
export async function openRemote(spec: RemoteSpec, o: RemoteOptions = {}): Promise<CaptureSource> {
  const device = spec.iface ?? o.device ?? 'any';
  const filter = spec.filter ?? o.filter;
  const snapLen = spec.snapLen ?? o.snapLen;
  const wiresageArgs = ['capture', '-F', 'pcap', '-w', '-', '-i', device, ...(snapLen ? ['-s', String(snapLen)] : []),
    ...(o.promisc === false ? ['-p'] : []), ...(spec.target ? ['--at', spec.target] : [])];
  // tcpdump -U: every packet leaves at once (the stream is the file); microsecond stamps, which
  // any tcpdump writes, are turned into nanoseconds on arrival.
  const tcpdump = tcpdumpArgs({ device, snapLen: snapLen || DEFAULT_SNAPLEN, packetBuffered: true, ...(o.promisc === false ? { promisc: false } : {}) })
    .filter((a) => a !== '--time-stamp-precision=nano');
  const argv = [o.ssh ?? 'ssh', '-T', '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=10', '-o', 'ServerAliveInterval=15', '-o', 'LogLevel=ERROR',
    ...(o.sshOptions ?? []).flatMap((x) => ['-o', x]), ...(spec.port ? ['-p', String(spec.port)] : []),
    spec.destination, remoteCommand(wiresageArgs, spec.target ? undefined : tcpdump, filter, !spec.target && o.forceTcpdump)];
  return PcapStreamSource.spawn({ device, label: remoteLabel(spec, device), ...(filter ? { filter } : {}), ...(snapLen ? { snapLen } : {}) }, {
    argv, backend: 'ssh', name: `ssh ${spec.destination}`,
    explain: (stderr, status) => explainRemote(spec, stderr, status),
    explainExit: (stderr, status, signal) => {
      const { message } = explainRemote(spec, stderr.split('\n').filter((l) => !/packets? (captured|received|dropped)/.test(l)).join('\n'), status);
      return status === 255 ? `the ssh connection ended: ${message}` : `${message} (${signal ?? `status ${status}`})`;
    },
    stop: (child) => { child.stdin.end('stop\n'); },
    missing: 'the ssh client is not installed (apt-get install openssh-client), so --ssh cannot capture',
  });
}

/** What targets/kube.ts found: the pod is on another node. */
export interface PodPlan {
  namespace: string;
  pod: string;
  node: string;
  target: string;
  image: string;
}

/**
 * `kubectl debug` argv that captures in a pod on another node: an ephemeral container (image
 * with tcpdump, netadmin profile) joins the pod's namespaces (`--target` its first container)
 * and runs the same capture script as ssh does, so a line on stdin stops tcpdump cleanly and
 * the pcap stream comes back on stdout. The ephemeral container stays in the pod's spec
 * (Kubernetes cannot remove one) but its process ends with the capture.
 */
export function kubectlCaptureArgv(plan: PodPlan, device: string, filter: string | undefined, snapLen?: number): string[] {
  const tcpdump = tcpdumpArgs({ device, snapLen: snapLen || DEFAULT_SNAPLEN, packetBuffered: true }).filter((a) => a !== '--time-stamp-precision=nano');
  return ['kubectl', 'debug', '-n', plan.namespace, `pod/${plan.pod}`, '--quiet', '-i', '--image', plan.image,
    ...(plan.target ? ['--target', plan.target] : []), '--profile', 'netadmin', '--',
    'sh', '-c', remoteScript(captureScript([], tcpdump, filter, true))];
}

/** Opens a capture point in a pod on another node through kubectl (see {@link kubectlCaptureArgv}). */
export async function openPodOnNode(plan: PodPlan, label: string, o: { device?: string; filter?: string; snapLen?: number } = {}): Promise<CaptureSource> {
  const device = o.device ?? 'any';
  return PcapStreamSource.spawn({ device, label, ...(o.filter ? { filter: o.filter } : {}), ...(o.snapLen ? { snapLen: o.snapLen } : {}) }, {
    argv: kubectlCaptureArgv(plan, device, o.filter, o.snapLen), backend: 'ssh', name: `kubectl debug ${plan.namespace}/${plan.pod}`,
    explain: (stderr, status) => {
      const text = stderr.trim().split('\n').filter(Boolean).slice(-3).join('; ');
      return { message: `pod ${plan.namespace}/${plan.pod} on node ${plan.node}: kubectl debug failed: ${text || `exit status ${status}`}`, code: 'REMOTE' };
    },
    explainExit: (stderr, status, signal) => `kubectl debug ended (${signal ?? `status ${status}`}): ${stderr.trim().split('\n').filter((l) => !/packets? (captured|received|dropped)/.test(l)).slice(-2).join('; ')}`,
    stop: (child) => { child.stdin.end('stop\n'); },
    missing: 'kubectl is not installed, so a pod on another node cannot be captured',
  });
}
