/**
 * The display-filter options as commands list them. Apart from `filter.ts` so a command can
 * declare them without loading the filter compiler, which it imports only when a filter is given.
 */
import type { OptionSpec } from './args.js';

/** The `-Y`/`--filter` option, to add to a command's options. */
export const displayFilterOptionSpec: OptionSpec = {
  name: 'filter', short: 'Y', kind: 'value', arg: 'FILTER', help: 'display filter (Wireshark syntax, e.g. "tcp.port == 443 && tcp.analysis.flags")',
};

/** tshark's long name for -Y (`--display-filter FILTER`), accepted beside `--filter` where a command lists it. */
export const displayFilterLongSpec: OptionSpec = { name: 'display-filter', kind: 'value', arg: 'FILTER' };
