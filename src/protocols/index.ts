/**
 * The application protocols: importing this module registers every dissector of
 * `src/protocols/` with its fields, port-table entries and heuristics, and plugs conversation
 * pinning into the transport dissectors.
 *
 * @example
 * import '../protocols/index.js'; // from src/decode/protocols.ts
 */
import { dissectorByName } from '../decode/dissector.js';
import { registerTransportName } from './conversation-state.js';
import './tns.js';
import './mysql.js';
import './pgsql.js';
import './resp.js';
import './dns.js';
import './http.js';
import './tls.js';

for (const name of ['tcp', 'udp'] as const) {
  const d = dissectorByName(name);
  if (d) registerTransportName(d.id, name);
}

export { appSummary, appStates, conversationKey, clearAppStates, type AppConversationState } from './conversation-state.js';
