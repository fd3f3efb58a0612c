/**
 * `wiresage filter --check EXPR`: validates a display filter and prints its canonical form (for
 * scripts and the web UI); an invalid filter prints tshark-style diagnostics and exits 2.
 * Also the shared `-Y FILTER` option every command that reads packets takes.
 *
 * @example
 * // wiresage filter --check 'ip.addr eq 10.0.0.1 and tcp.port in {80 ,443}'
 * // ip.addr == 10.0.0.1 && tcp.port in {80, 443}
 * const filter = displayFilterOption(opts); // in a command: undefined when no -Y was given
 * if (filter && !filter.matches(p)) return;
 */
import { compileFilter, type CompiledFilter } from '../filter/compile.js';
import { FilterError } from '../filter/error.js';
import { UsageError, type OptionSpec, type Parsed } from './args.js';
import { Output } from './output.js';

export { displayFilterLongSpec, displayFilterOptionSpec } from './filter-option.js';

/**
 * The compiled `-Y` filter of parsed options, or undefined when none (or an empty one) was
 * given. An invalid filter becomes a UsageError (exit status 2) with position and suggestions.
 */
export function displayFilterOption(opts: Parsed['opts'], name = 'filter'): CompiledFilter | undefined {
  const text = opts[name] ?? (name === 'filter' ? opts['display-filter'] : undefined);
  if (typeof text !== 'string' || text.trim() === '') return undefined;
  return compileDisplayFilter(text);
}

/** Compiles a filter for a command, turning a FilterError into a UsageError. */
export function compileDisplayFilter(text: string): CompiledFilter {
  try {
    return compileFilter(text);
  } catch (e) {
    if (e instanceof FilterError) throw new UsageError(`invalid display filter: ${e.format(text)}`);
    throw e;
  }
}

export const filterOptions: OptionSpec[] = [
  { name: 'check', kind: 'flag', help: 'validate the filter and print its canonical form (the default)' },
  { name: 'json', kind: 'flag', help: 'print {"valid", "canonical", "fields", "error"} as JSON (exit 0 even when invalid)' },
];

export async function filterCommand({ opts, rest }: Parsed): Promise<number> {
  if (rest.length !== 1) throw new UsageError("filter needs one expression: wiresage filter --check 'tcp.port == 443'");
  const text = rest[0];
  const out = new Output();
  if (opts.json) {
    try {
      const f = compileFilter(text);
      out.line(JSON.stringify({ valid: true, canonical: f.canonical, fields: f.fields.map((d) => d.name) }));
    } catch (e) {
      if (!(e instanceof FilterError)) throw e;
      out.line(JSON.stringify({ valid: false, error: { position: e.position, length: e.length, message: e.message, suggestions: e.suggestions } }));
    }
    out.flush();
    return 0;
  }
  const f = compileDisplayFilter(text);
  out.line(f.canonical);
  out.flush();
  return 0;
}
