/** `wiresage fields`: the field registry, one field per line (name, type, protocol, display name). */
import '../decode/protocols.js';
import { allFields } from '../fields/field.js';
import type { OptionSpec, Parsed } from './args.js';
import { Output } from './output.js';

export const fieldsOptions: OptionSpec[] = [{ name: 'json', kind: 'flag', help: 'one JSON object per field' }];

export async function fieldsCommand({ opts, rest }: Parsed): Promise<number> {
  const prefix = rest[0];
  const out = new Output();
  for (const f of allFields()) {
    if (prefix && f.name !== prefix && !f.name.startsWith(prefix + '.')) continue;
    if (opts.json) out.line(JSON.stringify({ name: f.name, display: f.display, type: f.type, protocol: f.protocol, base: f.base, mask: f.mask, description: f.description }));
    else out.line(`${f.name}\t${f.type}\t${f.protocol}\t${f.display}`);
  }
  out.flush();
  return 0;
}
