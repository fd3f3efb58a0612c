/**
 * The little of protobuf and gRPC that the CRI needs: unary calls over HTTP/2 on a unix
 * socket (node:http2), messages built from field numbers and read back as field → values.
 * Enough for the CRI RuntimeService (strings, varints, nested messages, maps); not a general
 * protobuf library.
 */
import { connect as h2connect, constants } from 'node:http2';
import { connect as netConnect } from 'node:net';

/** An encoded protobuf message. */
export type Pb = Buffer;

function varint(n: number | bigint): Buffer {
  let v = BigInt(n);
  if (v < 0n) v += 1n << 64n;
  const out: number[] = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
  return Buffer.from(out);
}

const tag = (field: number, wire: number) => varint((field << 3) | wire);

/** Builders of one field each; `message(...)` concatenates them. Empty/zero values are omitted, as proto3 does. */
export const pb = {
  string: (field: number, s: string | undefined): Pb => (s ? Buffer.concat([tag(field, 2), varint(Buffer.byteLength(s)), Buffer.from(s)]) : Buffer.alloc(0)),
  uint: (field: number, n: number | bigint | boolean | undefined): Pb => (n ? Buffer.concat([tag(field, 0), varint(typeof n === 'boolean' ? 1 : n)]) : Buffer.alloc(0)),
  message: (field: number, ...parts: Pb[]): Pb => {
    const body = Buffer.concat(parts);
    return Buffer.concat([tag(field, 2), varint(body.length), body]);
  },
  map: (field: number, m: Record<string, string> | undefined): Pb =>
    Buffer.concat(Object.entries(m ?? {}).map(([k, v]) => pb.message(field, pb.string(1, k), pb.string(2, v)))),
  repeated: (field: number, items: string[] | undefined): Pb => Buffer.concat((items ?? []).map((s) => pb.string(field, s))),
};

/** A decoded message: field number → values in order (numbers for varints, Buffers for length-delimited). */
export class Fields {
  constructor(readonly byField: Map<number, Array<number | Buffer>>) {}

  static decode(buf: Buffer): Fields {
    const m = new Map<number, Array<number | Buffer>>();
    let i = 0;
    const readVarint = (): number => {
      let result = 0;
      let mul = 1;
      for (;;) {
        if (i >= buf.length) throw new Error('protobuf: truncated varint');
        const b = buf[i++];
        result += (b & 0x7f) * mul;
        mul *= 128;
        if (!(b & 0x80)) return result;
      }
    };
    while (i < buf.length) {
      const key = readVarint();
      const field = Math.floor(key / 8);
      const wire = key & 7;
      let value: number | Buffer;
      if (wire === 0) value = readVarint();
      else if (wire === 2) {
        const len = readVarint();
        if (i + len > buf.length) throw new Error('protobuf: truncated field');
        value = buf.subarray(i, i + len);
        i += len;
      } else if (wire === 1) { value = buf.readDoubleLE(i); i += 8; }
      else if (wire === 5) { value = buf.readFloatLE(i); i += 4; }
      else throw new Error(`protobuf: unsupported wire type ${wire}`);
      const list = m.get(field);
      if (list) list.push(value);
      else m.set(field, [value]);
    }
    return new Fields(m);
  }

  string(field: number): string {
    const v = this.byField.get(field)?.[0];
    return Buffer.isBuffer(v) ? v.toString('utf8') : '';
  }

  number(field: number): number {
    const v = this.byField.get(field)?.[0];
    return typeof v === 'number' ? v : 0;
  }

  message(field: number): Fields {
    const v = this.byField.get(field)?.[0];
    return Fields.decode(Buffer.isBuffer(v) ? v : Buffer.alloc(0));
  }

  messages(field: number): Fields[] {
    return (this.byField.get(field) ?? []).filter(Buffer.isBuffer).map((b) => Fields.decode(b));
  }

  map(field: number): Record<string, string> {
    const out: Record<string, string> = {};
    for (const e of this.messages(field)) out[e.string(1)] = e.string(2);
    return out;
  }
}

/** A gRPC status other than OK. */
export class GrpcError extends Error {
  constructor(readonly status: number, message: string, readonly method: string) {
    super(`${method}: ${message} (gRPC status ${status})`);
  }
}

export const GRPC_UNIMPLEMENTED = 12;
export const GRPC_NOT_FOUND = 5;

/** One unary gRPC call over a unix socket. */
export function grpcUnary(socketPath: string, method: string, request: Pb, timeoutMs = 20_000): Promise<Fields> {
  return new Promise((resolve, reject) => {
    const session = h2connect('http://localhost', { createConnection: () => netConnect(socketPath) });
    let settled = false;
    const done = (err: Error | undefined, value?: Fields) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      session.close();
      session.destroy();
      if (err) reject(err);
      else resolve(value!);
    };
    const timer = setTimeout(() => done(new Error(`${method}: no answer from ${socketPath} within ${timeoutMs / 1000} s`)), timeoutMs);
    session.on('error', (e) => done(e));
    const frame = Buffer.alloc(5);
    frame.writeUInt32BE(request.length, 1);
    const stream = session.request({
      [constants.HTTP2_HEADER_METHOD]: 'POST',
      [constants.HTTP2_HEADER_PATH]: method,
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    const chunks: Buffer[] = [];
    let headers: Record<string, unknown> = {};
    stream.on('response', (h) => { headers = h; });
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('trailers', (t) => { headers = { ...headers, ...t }; });
    stream.on('error', (e) => done(e));
    stream.on('end', () => {
      const status = Number(headers['grpc-status'] ?? (headers[':status'] === 200 ? 0 : 2));
      if (status !== 0) {
        return done(new GrpcError(status, decodeURIComponent(String(headers['grpc-message'] ?? `HTTP ${headers[':status']}`)), method));
      }
      const body = Buffer.concat(chunks);
      if (body.length < 5) return done(undefined, Fields.decode(Buffer.alloc(0)));
      if (body[0] !== 0) return done(new Error(`${method}: compressed gRPC answers are not supported`));
      const len = body.readUInt32BE(1);
      try {
        done(undefined, Fields.decode(body.subarray(5, 5 + len)));
      } catch (e) {
        done(e as Error);
      }
    });
    stream.end(Buffer.concat([frame, request]));
  });
}
