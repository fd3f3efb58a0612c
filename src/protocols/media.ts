/**
 * The bodies HTTP hands on by media type, as Wireshark 4.0's `media_type` table does:
 * `data-text-lines` ("Line-based text data") for text/html, text/plain, text/css,
 * text/javascript; `media` ("Media Type") for types no dissector claims; `data` for
 * application/octet-stream and a body without Content-Type. Types Wireshark hands to a
 * dissector wiresage does not have (JSON, XML, urlencoded forms, multipart, message/http) get
 * no layer (listed in src/testing/tshark-differences.ts).
 *
 * A body layer sits between its message and the next PDU of the segment (pipelining): the
 * message's decode parks where the walk goes after the body with {@link bodyLayer}, the body's
 * decode resumes it.
 */
import { registerDissector, STOP } from '../decode/dissector.js';
import { data } from '../decode/data.js';
import type { Packet } from '../decode/packet.js';
import { defineFields } from '../fields/field.js';

export const mediaFields = defineFields('media', {
  type: { display: 'Media type', type: 'bytes' },
});

/** Text types of Wireshark's text-media dissector (packet-text-media.c). */
const TEXT_TYPES = new Set(['text/html', 'text/plain', 'text/css', 'text/javascript', 'text/richtext', 'text/enriched', 'text/vnd.wap.wml', 'text/x-component']);
/** Types Wireshark gives to dissectors wiresage does not have: no layer. */
const OTHER_DISSECTOR = /^(application\/(json|xml|.*\+xml|.*\+json|x-www-form-urlencoded|ocsp-.*|dns-message|grpc.*|sdp|ssdp)|text\/xml|multipart\/.*|message\/.*)$/;

/** Where the walk goes after a body layer: parked by the message, read back by the body. */
const parked = { packet: -1, number: -1, layer: -1, next: STOP, start: 0, end: 0, buffer: 0 };
let parkedPacket: Packet | undefined;

/** Line-based text data. */
export const dataTextLines = registerDissector({
  name: 'data-text-lines',
  display: 'Line-based text data',
  decode: resumeAfterBody,
  summary: (p, layer) => {
    const b = p.bufferOf(layer);
    let lines = 0;
    const end = Math.min(p.end[layer], b.length);
    for (let i = p.start[layer]; i < end; i++) if (b[i] === 10) lines++;
    if (end > p.start[layer] && b[end - 1] !== 10) lines++;
    return `Line-based text data (${lines} lines)`;
  },
  tree() {
    // tshark's lines are text items without a filter field.
  },
});

/** A body of a media type no dissector claims. */
export const media = registerDissector({
  name: 'media',
  display: 'Media Type',
  decode: resumeAfterBody,
  tree(p, layer, s) {
    const b = p.bufferOf(layer);
    const o = p.start[layer];
    const end = Math.min(p.end[layer], b.length);
    s.add(mediaFields.type, b, o, end - o);
  },
});

function resumeAfterBody(p: Packet, layer: number): number {
  p.end[layer] = p.limit[layer];
  if (parkedPacket !== p || parked.number !== p.number || parked.layer !== layer) return STOP;
  parked.layer = -1;
  p.nextStart = parked.start;
  p.nextEnd = parked.end;
  p.nextBuffer = parked.buffer;
  return parked.next;
}

/** The dissector for a body of `contentType` (lower case, parameters dropped), or STOP for none. */
export function bodyDissector(contentType: string | undefined): number {
  if (contentType === undefined || contentType === 'application/octet-stream') return data.id;
  if (TEXT_TYPES.has(contentType)) return dataTextLines.id;
  if (OTHER_DISSECTOR.test(contentType)) return STOP;
  return media.id;
}

/**
 * True when the layer a body of `contentType` gets reads its bytes while decoding: none of
 * wiresage's body layers does (data, media and line-based text only span them), so a held
 * body's bytes may be elided (src/protocols/desegment.ts, `Packet.elideOpaque`). A body
 * dissector that parses (JSON, XML…) must be named here.
 */
export function bodyReadsBytes(contentType: string | undefined): boolean {
  const id = bodyDissector(contentType);
  return id !== STOP && id !== data.id && id !== media.id && id !== dataTextLines.id;
}

/**
 * Called by a message's decode whose body is `buffer[start..end)`: returns the body's dissector
 * and parks the walk's next step (`next`, set up in `p.next*` by `endPdu`) for after it; returns
 * `next` untouched when the body gets no layer. `data` ends the walk, so it is used only for the
 * last PDU of a range.
 */
export function bodyLayer(p: Packet, layer: number, contentType: string | undefined, buffer: number, start: number, end: number, next: number): number {
  if (end <= start) return next;
  const id = bodyDissector(contentType);
  if (id === STOP || (id === data.id && next !== STOP)) return next;
  parkedPacket = p;
  parked.number = p.number;
  parked.layer = layer + 1;
  parked.next = next;
  parked.start = p.nextStart;
  parked.end = p.nextEnd;
  parked.buffer = p.nextBuffer;
  p.nextStart = start;
  p.nextEnd = end;
  p.nextBuffer = buffer;
  return id;
}
