/**
 * The application protocols: importing this module registers every dissector of
 * `src/protocols/` with its fields, port-table entries and heuristics, and plugs conversation
 * pinning into the transport dissectors.
 *
 * @example
 * import '../protocols/index.js'; // from src/decode/protocols.ts
 */
import { dissectorByName } from '../decode/dissector.js';
import type { PduLength } from './_pdu.js';
import { registerTransportName } from './conversation-state.js';
import { registerOpaqueStart } from './desegment.js';
import { pduLength as dnsPduLength } from './dns.js';
import { pduLength as httpPduLength } from './http.js';
import { pduLength as mysqlPduLength } from './mysql.js';
import { pduLength as pgsqlPduLength } from './pgsql.js';
import { pduLength as respPduLength } from './resp.js';
import { pduLength as tlsPduLength } from './tls.js';
import { pduLength as tnsPduLength } from './tns.js';

for (const name of ['tcp', 'udp'] as const) {
  const d = dissectorByName(name);
  if (d) registerTransportName(d.id, name);
}

/**
 * `pduLength` of each stream protocol by dissector name, for the flow engine's reassembly
 * (Wireshark's `get_pdu_len`): bytes the PDU at `off` needs, undefined until enough bytes tell.
 * Reassembled PDUs are then handed to the dissector as a new buffer layer (`p.addBuffer`).
 */
export const pduLengths: Readonly<Record<string, PduLength>> = {
  tns: tnsPduLength, mysql: mysqlPduLength, pgsql: pgsqlPduLength, resp: respPduLength, dns: dnsPduLength, http: httpPduLength, tls: tlsPduLength,
};

export { appSummary, appStates, conversationKey, clearAppStates, streamState, type AppConversationState } from './conversation-state.js';

/**
 * A TLS record held for reassembly is opaque after its 5-byte header when it is application
 * data (TLS 1.3 sends its encrypted handshake so too): tls.ts reads nothing of it without keys.
 * Declared here, with the other per-protocol tables, rather than in tls.ts.
 */
const TLS_APPLICATION_DATA = 23;
const TLS_RECORD_HEADER = 5;
const tlsDissector = dissectorByName('tls');
if (tlsDissector) registerOpaqueStart(tlsDissector.id, (b, o) => (b[o] === TLS_APPLICATION_DATA ? TLS_RECORD_HEADER : -1));
