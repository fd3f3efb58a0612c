/**
 * Wireshark display filters (tshark 4.0's language) for every command and the web UI.
 *
 * @example
 * import { compileFilter, FilterError } from '../filter/index.js';
 * const f = compileFilter('tcp.analysis.retransmission && ip.addr == 10.0.0.0/8');
 * for (const p of packets) if (f.matches(p)) show(p);
 * f.fields;    // [tcp.analysis.retransmission, ip.addr] — what the filter reads
 * f.canonical; // 'tcp.analysis.retransmission && ip.addr == 10.0.0.0/8'
 */
export { checkFilter, compileFilter, type CompiledFilter, type CompileOptions } from './compile.js';
export { decodeNeeds, type DecodeNeeds } from './direct.js';
export { FilterError } from './error.js';
