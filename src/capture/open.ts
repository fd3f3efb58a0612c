/**
 * Opening capture sources with messages that say what to do: an unknown interface lists the
 * interfaces there are, a permission error says how to grant capture rights, a bad filter
 * shows libpcap's message with the place in the expression.
 *
 * @example
 * const source = await openSource('native', { device: 'eth0', filter: 'tcp port 1521' });
 */
import { loadAddon, type DeviceInfo } from './addon.js';
import { NativeSource } from './native.js';
import { CaptureOpenError, type CaptureSource, type CaptureSourceOptions } from './source.js';
import { TcpdumpSource } from './tcpdump.js';
import { spawnSync } from 'node:child_process';

export type Backend = 'native' | 'tcpdump';

/** Opens one capture point; throws CaptureOpenError with advice, or AddonUnavailableError. */
export async function openSource(backend: Backend, options: CaptureSourceOptions): Promise<CaptureSource> {
  try {
    return backend === 'native' ? new NativeSource(options) : await TcpdumpSource.open(options);
  } catch (e) {
    if (!(e instanceof CaptureOpenError)) throw e;
    throw explain(e, backend, options);
  }
}

function explain(e: CaptureOpenError, backend: Backend, options: CaptureSourceOptions): CaptureOpenError {
  const device = options.device;
  switch (e.code) {
    case 'NO_SUCH_DEVICE': {
      let list = '';
      try {
        list = listInterfaces(backend, options.netns).map((d) => `  ${d.name}${addressSummary(d)}`).join('\n');
      } catch {
        list = '  (the interface list is not available)';
      }
      const where = options.netns ? ` in ${options.label ? `${options.label.replace(/@[^@]*$/, '')} (network namespace ${options.netns})` : options.netns}` : '';
      return new CaptureOpenError(`no interface named '${device}'${where}. Interfaces:\n${list}`, e.code, device);
    }
    case 'PERM_DENIED':
      return new CaptureOpenError(`no permission to capture on '${device}' (${e.message}). Capturing needs root or the capabilities CAP_NET_RAW and CAP_NET_ADMIN:\n` +
        '  run as root (sudo wiresage capture …), or\n' +
        `  grant them to node: sudo setcap cap_net_raw,cap_net_admin=eip "$(readlink -f "$(command -v node)")" (every script run by that node gets them), or\n` +
        '  use a tcpdump that may capture: wiresage capture --backend tcpdump … (tcpdump itself needs the same rights)', e.code, device);
    case 'FILTER':
      return new CaptureOpenError(filterMessage(options.filter ?? '', e.message, backend === 'native' ? undefined : e.message), e.code, device);
    case 'NETNS_PERM': {
      const hint = e.message.includes('CAP_SYS_ADMIN') ? '' : ' (entering a namespace needs root: CAP_SYS_ADMIN)';
      return new CaptureOpenError(`${options.label ? `${options.label}: ` : ''}${e.message}${hint}`, e.code, device);
    }
    case 'NETNS_GONE':
    case 'NETNS':
      return new CaptureOpenError(`${options.label ? `${options.label}: ` : ''}${e.message}`, e.code, device);
    case 'IFACE_NOT_UP':
      return new CaptureOpenError(`interface '${device}' is not up: ${e.message} (ip link set ${device} up)`, e.code, device);
    default:
      return e;
  }
}

function addressSummary(d: DeviceInfo): string {
  const flags = [d.up ? 'up' : 'down', d.running ? 'running' : '', d.loopback ? 'loopback' : ''].filter(Boolean).join(', ');
  const addresses = d.addresses.filter((a) => a.family !== 'link').map((a) => a.address);
  return ` [${flags}]${addresses.length ? ` ${addresses.join(' ')}` : ''}${d.description ? ` (${d.description})` : ''}`;
}

/**
 * The interfaces a backend can capture on, inside the network namespace at `netns` when given
 * (native: the addon enters it; tcpdump: `nsenter --net=PATH tcpdump -D`). Throws with the reason.
 */
export function listInterfaces(backend: Backend, netns?: string): DeviceInfo[] {
  return backend === 'native' ? loadAddon().listInterfaces(netns) : tcpdumpInterfaces(netns);
}

/** `tcpdump -D` parsed into DeviceInfo (no addresses); inside `netns` through nsenter. */
export function tcpdumpInterfaces(netns?: string): DeviceInfo[] {
  const argv = netns ? ['nsenter', `--net=${netns}`, 'tcpdump', '-D'] : ['tcpdump', '-D'];
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.error ? `cannot run ${argv[0]}: ${r.error.message}` : r.stderr.trim());
  return r.stdout.trim().split('\n').filter(Boolean).map((line) => {
    const m = /^\d+\.(\S+)(?: \((.*?)\))?(?: \[(.*)\])?$/.exec(line.trim());
    const flags = (m?.[3] ?? '').split(', ');
    return {
      name: m?.[1] ?? line, ...(m?.[2] ? { description: m[2] } : {}),
      loopback: flags.includes('Loopback'), up: flags.includes('Up'), running: flags.includes('Running'), wireless: flags.includes('Wireless'),
      connection: flags.includes('Connected') ? 'connected' : flags.includes('Disconnected') ? 'disconnected' : 'unknown',
      addresses: [],
    } satisfies DeviceInfo;
  });
}

/**
 * libpcap's filter error with a caret under the place it refers to. libpcap names the bad
 * word for most errors (`unknown host 'hst'`); for a bare "syntax error" the place is found by
 * compiling ever longer prefixes of the expression: the first word after which no completion
 * compiles is where the parser stopped.
 */
export function filterMessage(expression: string, message: string, _tcpdumpText?: string, linkType = 1): string {
  const clean = message.replace(/^tcpdump: /, '');
  let at = -1;
  let word = '';
  const quoted = /'([^']+)'/.exec(clean);
  if (quoted && expression.includes(quoted[1])) {
    word = quoted[1];
    at = wordIndex(expression, word);
  } else if (/syntax error/.test(clean)) {
    at = syntaxErrorPosition(expression, linkType);
    if (at >= 0) word = expression.slice(at).split(/\s+/)[0] ?? '';
  }
  let text = `invalid capture filter: ${clean}`;
  if (at >= 0) {
    text += `\n  ${expression}\n  ${' '.repeat(at)}^ ${at >= expression.length ? 'at the end: the expression is incomplete' : `at character ${at + 1} ('${word}')`}`;
  }
  return text;
}

function wordIndex(expression: string, word: string): number {
  const re = new RegExp(`(^|[\\s()!])(${word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')})(?=$|[\\s()])`);
  const m = re.exec(expression);
  return m ? m.index + m[1].length : expression.indexOf(word);
}

const COMPLETIONS = ['', ' 1', ' 1.1.1.1', ' ip', ' host 1.1.1.1', ' port 1', ')', ' 1)', ' 1.1.1.1)', ' ip)', '))', ' 1))', ' and ip', ' 1 and ip'];

function syntaxErrorPosition(expression: string, linkType: number): number {
  let compile: (text: string) => string | null;
  try {
    const addon = loadAddon();
    compile = (text) => addon.compileFilter(linkType, 262144, text);
  } catch {
    return -1;
  }
  const viable = (prefix: string) => COMPLETIONS.some((c) => compile(prefix + c) === null);
  const words = [...expression.matchAll(/\S+/g)];
  for (const w of words) {
    const end = w.index! + w[0].length;
    if (!viable(expression.slice(0, end))) return w.index!;
  }
  return expression.length;
}
