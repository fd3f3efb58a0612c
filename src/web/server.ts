/**
 * The HTTP server of `wiresage ui` (node:http, Server-Sent Events for live updates). Every
 * request — API, SSE and static files — needs the access token; the routes are listed in
 * src/web/API.md, which is the contract with the front end (web/).
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { basename, dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pipeline } from 'node:stream';
import { allFields } from '../fields/field.js';
import { checkFilter, FilterError } from '../filter/index.js';
import { CaptureFileError } from '../file/types.js';
import { Capture } from './capture.js';
import { colorRules } from './colors.js';
import { conversations, convTypes, endpoints, expert, findings, follow, hierarchy, ioGraph, writePcapng, type ConvType } from './analyses.js';
import { compareCaptures } from './compare.js';
import { flowGraph } from './flow-graph.js';
import { AccessError, COOKIE, privateDir, requestToken, Roots, tokenEquals } from './security.js';
import { listPoints, pointCounters, startLive, type CapturePoint, type LiveCapture } from './live.js';

export const VERSION = '0.1.0';

/** How often the rates stream lists the capture points again (new containers, namespaces). */
const POINTS_RELIST_MS = 3000;
/** Shortest pause between two diagnoses of a running live capture, and the pause's least multiple of the last diagnosis' duration. */
const LIVE_FINDINGS_MS = 5000;
const FINDINGS_DUTY = 4;

export interface ServerOptions {
  token: string;
  roots: string[];
  /** Largest upload accepted, in bytes. */
  maxUpload: number;
  /** Directory of the built front end (default dist/web/app). */
  staticDir?: string;
  /** Host:port values accepted in the Host header (DNS-rebinding guard); empty: any. */
  allowedHosts?: () => string[];
}

const here = dirname(fileURLToPath(import.meta.url));
export const defaultStaticDir = join(here, 'app');

const CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; " +
  "connect-src 'self'; worker-src 'self' blob:; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.json': 'application/json; charset=utf-8', '.svg': 'image/svg+xml', '.png': 'image/png',
  '.ico': 'image/x-icon', '.woff2': 'font/woff2', '.woff': 'font/woff', '.txt': 'text/plain; charset=utf-8', '.map': 'application/json; charset=utf-8',
};

class HttpError extends Error {
  constructor(readonly status: number, message: string, readonly extra: object = {}) {
    super(message);
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function sendError(res: ServerResponse, status: number, message: string, extra: object = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, status, { error: { message, ...extra } });
}

async function readJson(req: IncomingMessage, limit = 1 << 20): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > limit) throw new HttpError(413, 'request body too large');
    chunks.push(c as Buffer);
  }
  try {
    const v = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not an object');
    return v as Record<string, unknown>;
  } catch {
    throw new HttpError(400, 'the body must be a JSON object');
  }
}

function intParam(url: URL, name: string, def: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const v = url.searchParams.get(name);
  if (v === null || v === '') return def;
  if (!/^-?\d+$/.test(v)) throw new HttpError(400, `${name} must be an integer`);
  const n = Number(v);
  if (n < min || n > max) throw new HttpError(400, `${name} must be between ${min} and ${max}`);
  return n;
}

function filterErrorJson(e: FilterError): object {
  return { message: e.message, start: e.position, end: e.position + e.length, suggestions: e.suggestions };
}

/** One open SSE stream. */
function sse(req: IncomingMessage, res: ServerResponse): { send: (event: string, data: unknown) => void; closed: Promise<void> } {
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
  res.write(': wiresage\n\n');
  const ping = setInterval(() => res.write(': ping\n\n'), 15000);
  const closed = new Promise<void>((r) => req.on('close', () => {
    clearInterval(ping);
    r();
  }));
  return { send: (event, data) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`), closed };
}

interface LiveEntry {
  capture: Capture;
  live: LiveCapture;
  state: { active: boolean };
  timer?: NodeJS.Timeout;
  lastFindings?: string;
  /** Packets indexed when the findings were last computed, and how long that took. */
  findingsAt?: number;
  findingsMs?: number;
}

export class UiServer {
  readonly captures = new Map<string, Capture>();
  readonly roots: Roots;
  readonly dir = privateDir();
  /** Recently opened files, newest first; uploads keep their original name and no path. */
  private readonly recent: Array<{ path: string; name: string; upload: boolean; captureId: string }> = [];
  private readonly lives = new Map<string, LiveEntry>();
  private points: CapturePoint[] | undefined;
  private uploadSerial = 0;
  readonly server: Server;
  private readonly staticDir: string;

  constructor(private readonly o: ServerOptions) {
    this.roots = new Roots(o.roots);
    colorRules(); // compiled once, before the first page is asked for
    this.staticDir = o.staticDir ?? defaultStaticDir;
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((e) => this.fail(res, e));
    });
  }

  listen(port: number, host: string): Promise<number> {
    return new Promise((resolvePort, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        const a = this.server.address();
        resolvePort(typeof a === 'object' && a ? a.port : port);
      });
    });
  }

  async close(): Promise<void> {
    for (const l of this.lives.values()) {
      clearTimeout(l.timer);
      await l.live.stop().catch(() => undefined);
      l.state.active = false;
    }
    for (const c of this.captures.values()) c.close();
    this.server.closeAllConnections?.();
    await new Promise<void>((r) => this.server.close(() => r()));
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  private fail(res: ServerResponse, e: unknown): void {
    if (e instanceof HttpError) return sendError(res, e.status, e.message, e.extra);
    if (e instanceof AccessError) return sendError(res, e.status, e.message);
    if (e instanceof FilterError) return sendError(res, 400, e.message, filterErrorJson(e));
    if (e instanceof CaptureFileError) return sendError(res, 422, e.message);
    sendError(res, 500, (e as Error).message ?? String(e));
  }

  /** Opens a capture file the user named (on the command line, or inside the roots). */
  openFile(path: string, name = basename(path)): Capture {
    for (const c of this.captures.values()) if (c.path === path && !c.live) return c;
    const id = randomBytes(6).toString('hex');
    let file = path;
    // gzip files are unpacked into the private directory: pages need random access.
    const head = Buffer.alloc(2);
    const fd = fs.openSync(path, 'r');
    try {
      fs.readSync(fd, head, 0, 2, 0);
    } finally {
      fs.closeSync(fd);
    }
    const c = new Capture(id, name, file, this.dir);
    if (head[0] === 0x1f && head[1] === 0x8b) {
      file = join(this.dir, `${id}.unpacked`);
      const gz = new Capture(id, name, file, this.dir);
      this.captures.set(id, gz);
      void import('node:zlib').then((zlib) => new Promise<void>((ok, bad) => {
        pipeline(fs.createReadStream(path), zlib.createGunzip(), fs.createWriteStream(file, { mode: 0o600 }), (err) => (err ? bad(err) : ok()));
      })).then(() => gz.start(), (e) => {
        gz.error = `cannot unpack ${name}: ${(e as Error).message}`;
        gz.complete = true;
      });
      this.remember(path, name, id);
      return gz;
    }
    this.captures.set(id, c);
    void c.start();
    this.remember(path, name, id);
    return c;
  }

  private remember(path: string, name: string, captureId: string): void {
    const i = this.recent.findIndex((r) => r.path === path);
    if (i >= 0) this.recent.splice(i, 1);
    this.recent.unshift({ path, name, captureId, upload: this.isPrivate(path) });
    this.recent.length = Math.min(this.recent.length, 20);
  }

  /** True for files in the server's private directory (uploads): their paths are never shown. */
  private isPrivate(path: string): boolean {
    return resolve(path).startsWith(resolve(this.dir) + sep);
  }

  private capture(id: string): Capture {
    const c = this.captures.get(id);
    if (!c) throw new HttpError(404, `no capture ${id}`);
    return c;
  }

  private authorized(req: IncomingMessage, url: URL): boolean {
    const t = requestToken(req, url);
    return t !== undefined && tokenEquals(t, this.o.token);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('referrer-policy', 'no-referrer');
    res.setHeader('x-frame-options', 'DENY');
    const url = new URL(req.url ?? '/', 'http://localhost');
    // DNS rebinding: a page elsewhere must not reach the server through a name it controls.
    const hosts = this.o.allowedHosts?.() ?? [];
    if (hosts.length && !hosts.includes((req.headers.host ?? '').toLowerCase())) return sendError(res, 403, 'unexpected Host header');
    if (!this.authorized(req, url)) {
      return sendError(res, 401, 'a valid access token is required: open the URL wiresage ui printed (it ends in ?token=…)');
    }
    const path = url.pathname;
    if (!path.startsWith('/api/')) {
      if (req.method !== 'GET' && req.method !== 'HEAD') return sendError(res, 405, 'method not allowed');
      if (url.searchParams.has('token')) {
        // Trade the token in the URL for a cookie, then drop it from the address bar.
        res.setHeader('set-cookie', `${COOKIE}=${encodeURIComponent(this.o.token)}; HttpOnly; SameSite=Strict; Path=/`);
        url.searchParams.delete('token');
        res.writeHead(302, { location: url.pathname + (url.search || '') });
        res.end();
        return;
      }
      return this.serveStatic(path, res);
    }
    return this.api(req, res, url, req.method ?? 'GET', path.slice(4).split('/').filter(Boolean).map(decodeURIComponent));
  }

  private serveStatic(path: string, res: ServerResponse): void {
    const root = resolve(this.staticDir);
    let decoded: string;
    try {
      decoded = decodeURIComponent(path);
    } catch {
      return sendError(res, 400, 'bad path');
    }
    if (decoded.split(/[\\/]/).includes('..') || decoded.includes('\0')) return sendError(res, 403, 'forbidden');
    const rel = normalize(decoded).replace(/^([/\\])+/, '');
    let file = resolve(root, rel || 'index.html');
    if (file !== root && !file.startsWith(root + sep)) return sendError(res, 403, 'forbidden');
    let st: fs.Stats | undefined;
    try {
      st = fs.statSync(file);
    } catch {
      st = undefined;
    }
    // Client-side routes (no extension) get the app; directories are never listed.
    if (!st || st.isDirectory()) {
      if (extname(rel) && !st) return sendError(res, 404, 'not found');
      file = join(root, 'index.html');
      try {
        st = fs.statSync(file);
      } catch {
        return sendError(res, 404, `the web front end is not built (no ${file}): run npm run build`);
      }
    }
    const type = contentTypes[extname(file).toLowerCase()] ?? 'application/octet-stream';
    res.writeHead(200, {
      'content-type': type, 'content-length': st.size, 'content-security-policy': CSP,
      'cache-control': extname(file) === '.html' ? 'no-store' : 'private, max-age=3600',
    });
    fs.createReadStream(file).pipe(res);
  }

  private async api(req: IncomingMessage, res: ServerResponse, url: URL, method: string, parts: string[]): Promise<void> {
    const [head, id, sub, arg] = parts;
    const get = method === 'GET';
    switch (head) {
      case 'info':
        if (!get) break;
        return sendJson(res, 200, { version: VERSION, roots: this.roots.dirs, maxUpload: this.o.maxUpload, recent: this.recentFiles() });
      case 'browse':
        if (!get) break;
        return sendJson(res, 200, this.browse(url.searchParams.get('path') ?? this.roots.dirs[0]));
      case 'filter':
        if (!get || id !== 'check') break;
        try {
          return sendJson(res, 200, { ok: true, canonical: checkFilter(url.searchParams.get('f') ?? '') });
        } catch (e) {
          if (e instanceof FilterError) return sendJson(res, 200, { ok: false, error: filterErrorJson(e) });
          throw e;
        }
      case 'fields': {
        if (!get) break;
        const prefix = (url.searchParams.get('prefix') ?? '').toLowerCase();
        const limit = intParam(url, 'limit', 50, 1, 1000);
        const out: Array<{ name: string; display: string; type: string }> = [];
        for (const f of allFields()) {
          if (!f.name.startsWith(prefix)) continue;
          out.push({ name: f.name, display: f.display, type: f.type });
          if (out.length >= limit) break;
        }
        return sendJson(res, 200, out);
      }
      case 'captures':
        return this.capturesApi(req, res, url, method, id, sub, arg);
      case 'compare': {
        if (!get) break;
        const a = this.capture(url.searchParams.get('a') ?? '');
        const b = this.capture(url.searchParams.get('b') ?? '');
        await Promise.all([a.indexed, b.indexed]);
        return sendJson(res, 200, await compareCaptures(a, b));
      }
      case 'points':
        if (get && !id) {
          this.points = await listPoints();
          return sendJson(res, 200, this.points.map(({ id: pid, kind, label, addresses, up }) => ({ id: pid, kind, label, addresses, up })));
        }
        if (get && id === 'rates') return this.rates(req, res);
        break;
      case 'live':
        if (method === 'POST' && !id) return this.startLive(req, res);
        if (method === 'DELETE' && id) return this.stopLive(res, id);
        break;
    }
    sendError(res, 404, `no such endpoint: ${method} /api/${parts.join('/')}`);
  }

  private recentFiles(): object[] {
    const out = [];
    for (const r of this.recent) {
      // An upload is listed while its capture is open (its private file goes with it).
      if (r.upload && !this.captures.has(r.captureId)) continue;
      try {
        const st = fs.statSync(r.path);
        out.push({ ...(r.upload ? { captureId: r.captureId } : { path: r.path }), name: r.upload ? r.name : basename(r.path), size: st.size, mtime: st.mtime.toISOString() });
      } catch {
        // gone since
      }
    }
    return out;
  }

  private browse(path: string): object {
    const dir = this.roots.check(path);
    if (!fs.statSync(dir).isDirectory()) throw new HttpError(400, 'not a directory');
    const entries = [];
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      if (e.name.startsWith('.')) continue;
      const full = join(dir, e.name);
      let real: string;
      let st: fs.Stats;
      try {
        real = this.roots.check(full); // symlinks out of the roots are not shown
        st = fs.statSync(real);
      } catch {
        continue;
      }
      if (!st.isDirectory() && !st.isFile()) continue;
      entries.push({ name: e.name, dir: st.isDirectory(), size: st.isFile() ? st.size : 0, mtime: st.mtime.toISOString() });
    }
    entries.sort((a, b) => Number(b.dir) - Number(a.dir) || a.name.localeCompare(b.name));
    const parent = dirname(dir);
    let parentOk: string | null = null;
    try {
      if (parent !== dir) parentOk = this.roots.check(parent);
    } catch {
      parentOk = null;
    }
    return { path: dir, parent: parentOk, entries };
  }

  private async upload(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = String(req.headers['x-filename'] ?? 'upload');
    let name: string;
    try {
      name = decodeURIComponent(raw);
    } catch {
      name = raw;
    }
    // The name is only shown; it never becomes a path.
    name = basename(name.replace(/[\\/]/g, '/')).replace(/[^\w.@+\- ()[\]]/g, '_').slice(0, 200) || 'upload';
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (Number.isFinite(declared) && declared > this.o.maxUpload) {
      req.resume();
      throw new HttpError(413, `the upload is larger than the limit (${this.o.maxUpload} bytes; wiresage ui --max-upload MB)`);
    }
    const file = join(this.dir, `upload-${++this.uploadSerial}-${randomBytes(4).toString('hex')}`);
    const out = fs.createWriteStream(file, { mode: 0o600, flags: 'wx' });
    let size = 0;
    try {
      for await (const chunk of req) {
        size += (chunk as Buffer).length;
        if (size > this.o.maxUpload) throw new HttpError(413, `the upload is larger than the limit (${this.o.maxUpload} bytes; wiresage ui --max-upload MB)`);
        if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
      }
      await new Promise<void>((ok, bad) => out.end((err?: Error | null) => (err ? bad(err) : ok())));
    } catch (e) {
      out.destroy();
      fs.rmSync(file, { force: true });
      if (e instanceof HttpError) {
        res.setHeader('connection', 'close');
        sendError(res, e.status, e.message);
        req.destroy();
        return;
      }
      throw e;
    }
    if (size === 0) {
      fs.rmSync(file, { force: true });
      throw new HttpError(400, 'the upload is empty');
    }
    const c = this.openFile(file, name);
    sendJson(res, 201, { id: c.id, name: c.name });
  }

  private async capturesApi(req: IncomingMessage, res: ServerResponse, url: URL, method: string, id?: string, sub?: string, arg?: string): Promise<void> {
    if (!id) {
      if (method === 'GET') return sendJson(res, 200, [...this.captures.values()].map((c) => ({ id: c.id, name: c.name, packets: c.index.count, complete: c.complete, live: !!c.live?.active })));
      if (method === 'POST') {
        const body = await readJson(req);
        if (typeof body.path !== 'string') throw new HttpError(400, 'path (string) is required');
        const real = this.roots.check(body.path);
        if (!fs.statSync(real).isFile()) throw new HttpError(400, 'not a file');
        const c = this.openFile(real, basename(body.path));
        return sendJson(res, 201, { id: c.id, name: c.name });
      }
      throw new HttpError(405, 'method not allowed');
    }
    if (id === 'upload') {
      if (method !== 'POST') throw new HttpError(405, 'method not allowed');
      return this.upload(req, res);
    }
    const c = this.capture(id);
    if (method === 'DELETE' && !sub) {
      if (c.live?.active) throw new HttpError(409, 'stop the live capture first');
      c.close();
      this.captures.delete(id);
      return sendJson(res, 200, { ok: true });
    }
    if (sub === 'views' && method === 'POST') {
      const body = await readJson(req);
      if (typeof body.filter !== 'string') throw new HttpError(400, 'filter (string) is required');
      const v = c.createView(body.filter);
      return sendJson(res, 201, { viewId: v.id, filter: v.filter });
    }
    if (method !== 'GET') throw new HttpError(405, 'method not allowed');
    switch (sub) {
      case undefined:
        return sendJson(res, 200, c.info());
      case 'events':
        return this.captureEvents(req, res, c);
      case 'frames': {
        if (arg !== undefined) {
          if (!/^\d+$/.test(arg)) throw new HttpError(400, 'frame number expected');
          const d = c.frameDetail(Number(arg));
          if (!d) throw new HttpError(404, `no frame ${arg}`);
          return sendJson(res, 200, { no: Number(arg), ...d });
        }
        const offset = intParam(url, 'offset', 0);
        const limit = intParam(url, 'limit', 100, 0, 5000);
        const vid = url.searchParams.get('view');
        const view = vid ? c.views.get(vid) : undefined;
        if (vid && !view) throw new HttpError(404, `no view ${vid}`);
        const { total, numbers } = c.page(offset, limit, view);
        return sendJson(res, 200, { total, complete: view ? view.complete : c.complete, rows: c.rows(numbers) });
      }
      case 'views': {
        const v = arg ? c.views.get(arg) : undefined;
        if (!v) throw new HttpError(404, `no view ${arg ?? ''}`);
        return sendJson(res, 200, c.viewInfo(v));
      }
      case 'follow': {
        const proto = url.searchParams.get('proto') ?? 'tcp';
        if (proto !== 'tcp' && proto !== 'udp') throw new HttpError(400, 'proto must be tcp or udp');
        return sendJson(res, 200, await follow(c, proto, intParam(url, 'stream', 0)));
      }
      case 'conversations':
      case 'endpoints': {
        const type = (url.searchParams.get('type') ?? 'tcp') as ConvType;
        if (!convTypes.includes(type)) throw new HttpError(400, `type must be one of ${convTypes.join(', ')}`);
        return sendJson(res, 200, sub === 'conversations' ? await conversations(c, type) : await endpoints(c, type));
      }
      case 'expert':
        return sendJson(res, 200, await expert(c));
      case 'findings':
        return sendJson(res, 200, await findings(c));
      case 'hierarchy':
        return sendJson(res, 200, await hierarchy(c));
      case 'iograph': {
        const v = Number(url.searchParams.get('interval') ?? '1');
        if (!Number.isFinite(v) || v < 0.001 || v > 86400) throw new HttpError(400, 'interval must be between 0.001 and 86400 seconds');
        return sendJson(res, 200, ioGraph(c, v));
      }
      case 'flowgraph':
        return sendJson(res, 200, flowGraph(c, this.flowFrames(c, url)));
      case 'download':
        return this.download(res, c);
    }
    throw new HttpError(404, `no such endpoint: ${sub}`);
  }

  /** The frames a flow graph shows: a stream, a view, or a list (at most 5000). */
  private flowFrames(c: Capture, url: URL): number[] {
    const idx = c.index;
    const out: number[] = [];
    const max = 5000;
    if (url.searchParams.has('stream')) {
      const s = intParam(url, 'stream', 0);
      const code = url.searchParams.get('proto') === 'udp' ? -(s + 2) : s;
      for (let i = 0; i < idx.count && out.length < max; i++) if (idx.stream[i] === code) out.push(i + 1);
    } else if (url.searchParams.has('view')) {
      const v = c.views.get(url.searchParams.get('view')!);
      if (!v) throw new HttpError(404, 'no such view');
      for (let i = 0; i < v.matched && out.length < max; i++) out.push(v.frames[i]);
    } else if (url.searchParams.has('frames')) {
      for (const t of url.searchParams.get('frames')!.split(',')) {
        if (!/^\d+$/.test(t)) throw new HttpError(400, 'frames must be a comma-separated list of numbers');
        const n = Number(t);
        if (n >= 1 && n <= idx.count) out.push(n);
        if (out.length >= max) break;
      }
      out.sort((a, b) => a - b);
    } else {
      throw new HttpError(400, 'give stream=N, view=VID or frames=1,2,3');
    }
    return [...new Set(out)];
  }

  private async download(res: ServerResponse, c: Capture): Promise<void> {
    await (c.live?.active ? Promise.resolve() : c.indexed);
    const out = join(this.dir, `${c.id}-download-${randomBytes(4).toString('hex')}.pcapng`);
    const src = c.snapshot();
    try {
      await writePcapng(src, out);
    } finally {
      if (src !== c.path) fs.rmSync(src, { force: true });
    }
    const st = fs.statSync(out);
    const name = c.name.replace(/\.(pcapng|pcap|cap|gz)+$/i, '').replace(/["\\\r\n]/g, '_') + '.pcapng';
    res.writeHead(200, {
      'content-type': 'application/vnd.tcpdump.pcap', 'content-length': st.size,
      'content-disposition': `attachment; filename="${name}"`, 'cache-control': 'no-store',
    });
    const stream = fs.createReadStream(out);
    stream.pipe(res);
    const rm = () => fs.rm(out, { force: true }, () => {});
    stream.on('close', rm);
    res.on('close', rm);
  }

  private async captureEvents(req: IncomingMessage, res: ServerResponse, c: Capture): Promise<void> {
    const s = sse(req, res);
    s.send('progress', c.progressEvent());
    const onProgress = (p: unknown) => s.send('progress', p);
    const onView = (v: unknown) => s.send('view', v);
    const onFindings = (f: unknown) => s.send('findings', f);
    c.on('progress', onProgress);
    c.on('view', onView);
    c.on('findings', onFindings);
    // While a live capture grows, progress is sent every second even between index batches.
    const t = setInterval(() => {
      if (c.live?.active) s.send('progress', c.progressEvent());
    }, 1000);
    await s.closed;
    clearInterval(t);
    c.off('progress', onProgress);
    c.off('view', onView);
    c.off('findings', onFindings);
  }

  /**
   * Packets per second of every capture point, each second. The points are listed again every
   * few seconds: a container or namespace that appears later gets its rate too (and a `points`
   * event tells the page to list it).
   */
  private async rates(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let points = this.points ?? (this.points = await listPoints());
    const s = sse(req, res);
    let prev = await pointCounters(points);
    let prevT = Date.now();
    let listedAt = prevT;
    let open = true;
    void s.closed.then(() => { open = false; });
    while (open) {
      await new Promise((r) => setTimeout(r, 1000));
      if (!open) break;
      if (Date.now() - listedAt >= POINTS_RELIST_MS) {
        listedAt = Date.now();
        const fresh = await listPoints().catch(() => points);
        const key = (ps: CapturePoint[]) => ps.map((p) => p.id).join('\n');
        if (key(fresh) !== key(points)) s.send('points', fresh.map((p) => p.id));
        points = this.points = fresh;
      }
      const now = await pointCounters(points);
      const t = Date.now();
      const rates: Record<string, number> = {};
      for (const [id, n] of now) {
        const before = prev.get(id);
        // A point first seen now has no earlier counter: its rate starts at the next round.
        rates[id] = before === undefined ? 0 : Math.max(0, Math.round(((n - before) * 1000) / Math.max(1, t - prevT)));
      }
      prev = now;
      prevT = t;
      s.send('rates', rates);
    }
  }

  private async startLive(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readJson(req);
    const ids = body.points;
    if (!Array.isArray(ids) || !ids.length || !ids.every((x) => typeof x === 'string')) throw new HttpError(400, 'points (array of point ids) is required');
    if (body.filter !== undefined && typeof body.filter !== 'string') throw new HttpError(400, 'filter must be a string (BPF)');
    const snaplen = body.snaplen === undefined ? undefined : Number(body.snaplen);
    if (snaplen !== undefined && (!Number.isInteger(snaplen) || snaplen < 0 || snaplen > 262144)) throw new HttpError(400, 'snaplen must be 0..262144');
    let ring: { fileSizeMB: number; files: number } | undefined;
    if (body.ring !== undefined) {
      const r = body.ring as { fileSizeMB?: unknown; files?: unknown };
      if (typeof r !== 'object' || !Number.isFinite(Number(r.fileSizeMB)) || !Number.isInteger(Number(r.files)) || Number(r.fileSizeMB) <= 0 || Number(r.files) < 1) {
        throw new HttpError(400, 'ring takes {fileSizeMB > 0, files >= 1}');
      }
      ring = { fileSizeMB: Number(r.fileSizeMB), files: Number(r.files) };
    }
    const all = await listPoints();
    this.points = all;
    const chosen = (ids as string[]).map((pid) => {
      const p = all.find((x) => x.id === pid);
      if (!p) throw new HttpError(404, `no capture point ${pid}`);
      return p;
    });
    const id = randomBytes(6).toString('hex');
    let live: LiveCapture;
    try {
      live = await startLive({ points: chosen, ...(body.filter ? { filter: body.filter as string } : {}), ...(snaplen ? { snaplen } : {}), ...(ring ? { ring } : {}), dir: this.dir, id });
    } catch (e) {
      throw new HttpError(400, (e as Error).message);
    }
    const state = { active: true };
    const name = `live ${chosen.map((p) => p.label).join(' + ')} ${new Date().toISOString().replace(/\..*/, '')}`;
    const capture = new Capture(id, name, live.path, this.dir, state);
    this.captures.set(id, capture);
    const entry: LiveEntry = { capture, live, state };
    this.lives.set(id, entry);
    void capture.start();
    void live.done.then(() => {
      state.active = false;
      clearTimeout(entry.timer);
      void this.pushFindings(entry);
    });
    this.scheduleFindings(entry, LIVE_FINDINGS_MS);
    sendJson(res, 201, { id, name });
  }

  /**
   * Findings are recomputed while the capture runs, when packets came in. The diagnosis reads
   * the whole capture so far, so its cost grows with it: the next round waits at least
   * LIVE_FINDINGS_MS and at least FINDINGS_DUTY times as long as the last round took (the
   * diagnosis never takes more than a fifth of the server's time, however long the capture).
   */
  private scheduleFindings(entry: LiveEntry, delay: number): void {
    entry.timer = setTimeout(() => {
      if (!entry.state.active) return;
      if (entry.capture.index.count === entry.findingsAt) return this.scheduleFindings(entry, LIVE_FINDINGS_MS);
      entry.findingsAt = entry.capture.index.count;
      const t0 = Date.now();
      void this.pushFindings(entry).then(() => {
        entry.findingsMs = Date.now() - t0;
        this.scheduleFindings(entry, Math.max(LIVE_FINDINGS_MS, FINDINGS_DUTY * entry.findingsMs));
      });
    }, delay);
  }

  private async pushFindings(entry: LiveEntry): Promise<void> {
    try {
      if (!entry.state.active) await entry.capture.indexed;
      const f = await findings(entry.capture);
      const text = JSON.stringify(f);
      if (text === entry.lastFindings) return;
      entry.lastFindings = text;
      entry.capture.emit('findings', f);
    } catch {
      // the next round tries again
    }
  }

  private async stopLive(res: ServerResponse, id: string): Promise<void> {
    const entry = this.lives.get(id);
    if (!entry) throw new HttpError(404, `no live capture ${id}`);
    clearTimeout(entry.timer);
    const summary = await entry.live.stop();
    entry.state.active = false;
    await entry.capture.indexed;
    this.lives.delete(id);
    sendJson(res, 200, { id, packets: entry.capture.index.count, reason: summary.reason, ...(summary.error ? { error: summary.error.message } : {}) });
  }
}
