/**
 * Command-line parsing in the tcpdump/tshark manner: clustered short flags (`-nn`, `-tttt`,
 * `-vvv` counted), short options with their value attached or next (`-c5`, `-c 5`), long
 * options (`--json`, `--stream=3`), and the remaining words (a BPF expression, file names).
 */

export type OptionKind = 'flag' | 'count' | 'value' | 'list';

export interface OptionSpec {
  kind: OptionKind;
  /** Long name (without --); the key in the result. */
  name: string;
  short?: string;
  help?: string;
  /** Shown in help for value options, e.g. FILE. */
  arg?: string;
}

export interface Parsed {
  opts: Record<string, string | number | boolean | string[] | undefined>;
  rest: string[];
}

/** A usage error: printed as one line, exit code 2. */
export class UsageError extends Error {}

export function parseArgs(argv: string[], specs: OptionSpec[]): Parsed {
  const byShort = new Map<string, OptionSpec>();
  const byLong = new Map<string, OptionSpec>();
  for (const s of specs) {
    byLong.set(s.name, s);
    if (s.short) byShort.set(s.short, s);
  }
  const opts: Parsed['opts'] = {};
  const rest: string[] = [];
  const set = (s: OptionSpec, value?: string) => {
    switch (s.kind) {
      case 'flag': opts[s.name] = true; break;
      case 'count': opts[s.name] = ((opts[s.name] as number | undefined) ?? 0) + 1; break;
      case 'value': opts[s.name] = value; break;
      case 'list': ((opts[s.name] ??= []) as string[]).push(value!); break;
    }
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      rest.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = a.slice(2, eq < 0 ? undefined : eq);
      const s = byLong.get(name);
      if (!s) throw new UsageError(`unknown option --${name}`);
      if (s.kind === 'value' || s.kind === 'list') {
        const v = eq >= 0 ? a.slice(eq + 1) : argv[++i];
        if (v === undefined) throw new UsageError(`option --${name} needs a value`);
        set(s, v);
      } else {
        if (eq >= 0) throw new UsageError(`option --${name} takes no value`);
        set(s);
      }
      continue;
    }
    if (a.startsWith('-') && a.length > 1) {
      for (let j = 1; j < a.length; j++) {
        const s = byShort.get(a[j]);
        if (!s) throw new UsageError(`unknown option -${a[j]}`);
        if (s.kind === 'value' || s.kind === 'list') {
          const v = j + 1 < a.length ? a.slice(j + 1) : argv[++i];
          if (v === undefined) throw new UsageError(`option -${a[j]} needs a value`);
          set(s, v);
          break;
        }
        set(s);
      }
      continue;
    }
    rest.push(a);
  }
  return { opts, rest };
}

/** Help lines for a list of options. */
export function optionHelp(specs: OptionSpec[]): string {
  return specs
    .filter((s) => s.help)
    .map((s) => {
      const names = [s.short ? `-${s.short}` : '', `--${s.name}`].filter(Boolean).join(', ');
      const arg = s.kind === 'value' || s.kind === 'list' ? ` ${s.arg ?? 'VALUE'}` : '';
      return `  ${(names + arg).padEnd(28)} ${s.help}`;
    })
    .join('\n');
}

/** Parses a positive integer option, or throws a UsageError naming it. */
export function intOption(value: unknown, name: string, min = 0): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`option ${name} needs a whole number >= ${min}, not '${value}'`);
  return n;
}
