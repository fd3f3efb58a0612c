/**
 * A scripted Oracle TNS listener for tests: no Oracle server can be installed here, so the real
 * `oracledb` thin client is paired with this listener, which answers its CONNECT the way a
 * listener or a RAC SCAN listener does:
 *
 * - `redirect`       REDIRECT whose data is the address only (flag 0);
 * - `redirect-nul`   REDIRECT with flag 0x02: address, NUL, then the connect data;
 * - `redirect-split` header-only REDIRECT, the address in the following DATA packet;
 * - `refuse`         REFUSE with `(ERR=12514)` (service not known);
 * - `accept-ora`     ACCEPT (version 319, large SDU), then answers the client's first DATA
 *                    with a DATA packet carrying the TTC error ORA-01017.
 *
 * Run inside a test's network namespace:
 * `node dist/testing/tns-listener.js 10.251.1.2:1521=redirect,to=10.251.1.3:1521 10.251.1.3:1521=accept-ora`
 * It prints `listening` once every socket is bound, and serves until killed.
 */
import { createServer, type Socket } from 'node:net';

export type ListenerMode = 'redirect' | 'redirect-nul' | 'redirect-split' | 'refuse' | 'accept-ora';

const CONNECT = 1;
const ACCEPT = 2;
const REFUSE = 4;
const REDIRECT = 5;
const DATA = 6;
const ACCEPT_VERSION = 319;

/** A TNS packet: 8-byte header (2- or 4-byte length) and body. */
export function tnsPacket(type: number, body: Buffer, flags = 0, large = false): Buffer {
  const header = Buffer.alloc(8);
  if (large) header.writeUInt32BE(8 + body.length, 0);
  else header.writeUInt16BE(8 + body.length, 0);
  header[4] = type;
  header[5] = flags;
  return Buffer.concat([header, body]);
}

export function redirectPacket(data: string, flags = 0): Buffer {
  const body = Buffer.alloc(2 + Buffer.byteLength(data, 'latin1'));
  body.writeUInt16BE(body.length - 2, 0);
  body.write(data, 2, 'latin1');
  return tnsPacket(REDIRECT, body, flags);
}

export function refusePacket(err: number): Buffer {
  const data = `(DESCRIPTION=(TMP=)(VSNNUM=318767104)(ERR=${err})(ERROR_STACK=(ERROR=(CODE=${err})(EMFI=4))))`;
  const body = Buffer.alloc(4 + data.length);
  body[0] = 0x22; // user reason, as listeners send
  body[1] = 0x00;
  body.writeUInt16BE(data.length, 2);
  body.write(data, 4, 'latin1');
  return tnsPacket(REFUSE, body);
}

/** ACCEPT of version 319 (4-byte lengths afterwards), no NA services, 41-byte header + flags2. */
export function acceptPacket(): Buffer {
  const body = Buffer.alloc(45 - 8);
  body.writeUInt16BE(ACCEPT_VERSION, 0); // version
  body.writeUInt16BE(0x0801, 2); // service options
  body.writeUInt16BE(8192, 4); // SDU
  body.writeUInt16BE(65535, 6); // TDU
  body.writeUInt16BE(0x0100, 8); // value of one
  body.writeUInt16BE(0, 10); // accept data length
  body.writeUInt16BE(45, 12); // accept data offset
  body[14] = 0x41; // flags 0
  body[15] = 0x08; // flags 1: no NA services linked
  body.writeUInt32BE(8192, 24); // large SDU
  body.writeUInt32BE(65535, 28); // large TDU
  body[32] = 0; // compression off
  body.writeUInt32BE(0, 33); // flags 2
  return tnsPacket(ACCEPT, body);
}

/** A DATA packet (4-byte length) carrying a TTC error message (type 4) with `code` and `message`. */
export function oraErrorPacket(code: number, message: string): Buffer {
  const ub4 = (n: number) => (n === 0 ? [0] : n < 256 ? [1, n] : n < 65536 ? [2, n >> 8, n & 255] : [4, n >>> 24, (n >> 16) & 255, (n >> 8) & 255, n & 255]);
  const text = Buffer.from(`${message}\n`, 'latin1');
  const bytes = [
    0, 0, // data flags
    4, // TNS_MSG_TYPE_ERROR
    ...ub4(0), // call status
    0, // end-to-end seq (ub2)
    0, // current row (ub4)
    0, 0, 0, // error number, array elem errors (ub2 ×3)
    0, // cursor id (ub2)
    0, // error position (sb2)
    0, 0, 0, 0, 0, // sql type, fatal, flags, user cursor options, UPI parameter (ub1 ×5)
    0, // warning flag
    0, 0, 0, 0, 0, // rowid: rba, partition, (ub1), block, slot
    0, // OS error (ub4)
    0, 0, // statement error, call number (ub1)
    0, // padding (ub2)
    0, // success iterations (ub4)
    0, // oerrdd length (ub4)
    0, // batch error codes (ub2)
    0, // batch error offsets (ub4)
    0, // batch error messages (ub2)
    ...ub4(code), // error number
    0, // row count (ub8)
    0, 0, // sql type, server checksum (20c fields, ub4 ×2)
    text.length, ...text,
  ];
  return tnsPacket(DATA, Buffer.from(bytes), 0, true);
}

interface Route {
  host: string;
  port: number;
  mode: ListenerMode;
  to?: string;
}

/** Connect data of a CONNECT packet, or undefined when it comes in the next DATA packet. */
function connectData(pkt: Buffer): string | undefined {
  if (pkt.length < 34) return undefined;
  const len = pkt.readUInt16BE(24);
  const off = pkt.readUInt16BE(26);
  if (len === 0 || off >= pkt.length) return undefined;
  return pkt.toString('latin1', off, off + len);
}

/** Serves one client connection by the route's mode. */
function serve(sock: Socket, route: Route): void {
  let buf = Buffer.alloc(0);
  let accepted = false;
  let awaitingConnectData = false;
  let cdata = '';
  sock.on('error', () => undefined);
  sock.on('data', (chunk) => {
    buf = Buffer.concat([buf, chunk]);
    for (;;) {
      if (buf.length < 8) return;
      const len = accepted ? buf.readUInt32BE(0) : buf.readUInt16BE(0);
      if (len < 8 || buf.length < len) return;
      const pkt = buf.subarray(0, len);
      buf = buf.subarray(len);
      const type = pkt[4];
      if (type === CONNECT) {
        const cd = connectData(pkt);
        if (cd === undefined) {
          awaitingConnectData = true;
          continue;
        }
        cdata = cd;
        answerConnect();
      } else if (type === DATA && awaitingConnectData) {
        awaitingConnectData = false;
        cdata = pkt.toString('latin1', 10);
        answerConnect();
      } else if (type === DATA && accepted) {
        sock.write(oraErrorPacket(1017, 'ORA-01017: invalid username/password; logon denied'));
      }
    }
  });

  function answerConnect(): void {
    const to = route.to ?? `${route.host}:${route.port}`;
    const [host, port] = to.split(':');
    const address = `(ADDRESS=(PROTOCOL=TCP)(HOST=${host})(PORT=${port}))`;
    switch (route.mode) {
      case 'redirect':
        sock.end(redirectPacket(address));
        return;
      case 'redirect-nul':
        sock.end(redirectPacket(`${address}\0${cdata}`, 0x02));
        return;
      case 'redirect-split': {
        const header = Buffer.alloc(2);
        header.writeUInt16BE(address.length, 0);
        const data = Buffer.concat([Buffer.from([0, 0]), Buffer.from(address, 'latin1')]);
        sock.write(tnsPacket(REDIRECT, header));
        // The DATA goes in its own segment, as listeners send it.
        setTimeout(() => sock.end(tnsPacket(DATA, data)), 20);
        return;
      }
      case 'refuse':
        sock.end(refusePacket(12514));
        return;
      case 'accept-ora':
        accepted = true;
        sock.write(acceptPacket());
        return;
    }
  }
}

/** Starts one server per route; resolves when all listen. */
export async function startListener(routes: Route[]): Promise<() => void> {
  const servers = await Promise.all(
    routes.map(
      (route) =>
        new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
          const server = createServer((sock) => serve(sock, route));
          server.once('error', reject);
          server.listen(route.port, route.host, () => resolve(server));
        }),
    ),
  );
  return () => servers.forEach((s) => s.close());
}

/** `HOST:PORT=MODE[,to=HOST:PORT]` → Route. */
export function parseRoute(arg: string): Route {
  const m = /^([^:=]+):(\d+)=([a-z-]+)(?:,to=(.+))?$/.exec(arg);
  if (!m) throw new Error(`Cannot parse listener route '${arg}': expected HOST:PORT=MODE[,to=HOST:PORT]`);
  return { host: m[1], port: Number(m[2]), mode: m[3] as ListenerMode, to: m[4] };
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/^.*\//, '/'))) {
  startListener(process.argv.slice(2).map(parseRoute)).then(
    () => process.stdout.write('listening\n'),
    (e: Error) => {
      process.stderr.write(`tns-listener: ${e.message}\n`);
      process.exit(1);
    },
  );
}
