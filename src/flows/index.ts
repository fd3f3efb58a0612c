/**
 * The connections engine and everything it registers: importing this module declares the
 * `tcp.stream`, `tcp.analysis.*`, `udp.stream` … fields and plugs them into the TCP and UDP
 * trees, so a command only has to run `engine.packet(p)` before printing.
 *
 * @example
 * import { FlowEngine } from '../flows/index.js';
 * const flows = new FlowEngine({ packetExperts: true });
 * reader.forEach((r) => { const p = decoder.decode(r); flows.packet(p); print(p); });
 */
import './tcp-tree.js';
import './udp-streams.js';

export { FlowEngine, TcpConnection, UdpConnection, type FlowEngineOptions } from './engine.js';
export type { ConnectionSummary } from './conversation.js';
export { ExpertTally } from './expert.js';
