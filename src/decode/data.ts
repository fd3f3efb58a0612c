/** Bytes no dissector claimed, as Wireshark's `data` protocol. */
import { defineFields } from '../fields/field.js';
import { GENERATED } from '../fields/value.js';
import { registerDissector, STOP } from './dissector.js';

export const dataFields = defineFields('data', {
  data: { display: 'Data', type: 'bytes' },
  len: { display: 'Length', type: 'int32', base: 'dec' },
});

export const data = registerDissector({
  name: 'data',
  display: 'Data',
  decode(p, layer) {
    p.end[layer] = p.limit[layer];
    return STOP;
  },
  summary: (p, layer) => `Data (${p.end[layer] - p.start[layer]} bytes)`,
  tree(p, layer, s) {
    const b = p.bufferOf(layer);
    const start = p.start[layer];
    const end = Math.min(p.end[layer], b.length);
    s.add(dataFields.data, b, start, end - start);
    s.add(dataFields.len, b, start, 0, end - start, GENERATED);
  },
});
