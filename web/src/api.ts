// The server's JSON API (src/web/API.md). The front end holds no protocol knowledge: it renders what these return.

export interface Color { name: string; bg: string; fg: string }
export interface Row {
  no: number; time: string; rel: string; delta: string;
  src: string; dst: string; proto: string; len: number; info: string;
  color: Color | null; point?: string;
}
export interface FramesPage { total: number; complete: boolean; rows: Row[] }
export interface TreeNode {
  label: string; field?: string; value?: string; start: number; length: number;
  buffer: number; generated?: boolean; severity?: string; filter?: string; children?: TreeNode[];
}
export interface FrameDetail { no: number; tree: TreeNode[]; buffers: { name: string; base64: string }[] }
export interface CaptureInfo {
  id: string; name: string; size: number; packets: number; complete: boolean; progress: number;
  firstTime?: string; lastTime?: string; interfaces?: { name: string; linkType: string | number }[];
  error?: string; live?: boolean;
}
export interface FilterError { message: string; start?: number; end?: number; suggestions?: string[] }
export type FilterCheck = { ok: true; canonical: string; warning?: string } | { ok: false; error: FilterError };
export interface FieldInfo { name: string; display: string; type: string }
export interface Finding {
  id: string; severity: string; title: string; explanation: string; next_steps?: string[];
  evidence: {
    frames?: number[]; streams?: number[]; addresses?: string[]; first_time?: string; last_time?: string;
    counts?: Record<string, number>; [k: string]: unknown;
  };
  [k: string]: unknown;
}
export interface Findings { findings: Finding[]; files?: unknown[]; [k: string]: unknown }
export interface FollowData {
  proto: string; stream: number; client: { addr: string; port: number } | null; server: { addr: string; port: number } | null;
  chunks: ({ dir: 0 | 1; frame: number; base64: string; missing?: undefined } | { dir: 0 | 1; frame: number; missing: number; base64?: undefined })[];
  bytes: [number, number];
}
export interface ConvRow {
  a: string; portA?: number; b: string; portB?: number; stream?: number;
  framesAB: number; bytesAB: number; framesBA: number; bytesBA: number; start: number | string; duration: number | string;
  state?: string; history?: string; app?: string; filter?: string;
}
export interface EndpointRow {
  address: string; port?: number; frames: number; bytes: number; txFrames: number; txBytes: number;
  rxFrames: number; rxBytes: number; filter?: string;
}
export interface ExpertItem { severity: string; group: string; protocol: string; summary: string; field?: string; count: number; frames: number[] }
export interface RowColor { name: string; bg: string; fg: string }
export interface FlowEvent { frame: number; time: string | number; from: number | string; to: number | string; label: string; proto: string; comment?: string; color?: RowColor }
export interface FlowGraph { nodes: string[]; events: FlowEvent[] }
export interface IoGraph { start: number | string; interval: number; series: { name: string; values: number[] }[] }
export interface PhsNode { protocol: string; name: string; frames: number; bytes: number; children?: PhsNode[] }
export interface ComparePoint { id: string; name: string }
export interface CompareResult {
  pointA?: ComparePoint | string; pointB?: ComparePoint | string; matched: [number, number][]; onlyA: number[]; onlyB: number[];
  nat?: { a: string; b: string; role: string; packets: number }[] | null;
  clockOffset?: { seconds: number; oneWayDelay?: number; exact?: boolean; samples?: number } | number | null;
  findings?: Finding[] | Findings;
}
export interface Point { id: string; kind: string; label: string; addresses?: string[]; up?: boolean }
export interface Info { version: string; roots: string[]; maxUpload?: number; recent: { path?: string; captureId?: string; name: string; size: number; mtime: number | string }[] }
export interface BrowseResult { path: string; parent: string | null; entries: { name: string; dir: boolean; size: number; mtime: number | string }[] }

const TOKEN_KEY = 'wiresage.token';

/** Takes the access token off the address bar (as Jupyter does) and keeps it for this tab. */
function initToken(): string | null {
  const url = new URL(window.location.href);
  const t = url.searchParams.get('token');
  if (t) {
    sessionStorage.setItem(TOKEN_KEY, t);
    url.searchParams.delete('token');
    window.history.replaceState(null, '', url.pathname + url.search + url.hash);
  }
  return t ?? sessionStorage.getItem(TOKEN_KEY);
}
const token = initToken();

/** A URL the browser loads by itself (EventSource, download links): carries the token as a parameter. */
export function authUrl(path: string): string {
  if (!token) return path;
  return path + (path.includes('?') ? '&' : '?') + 'token=' + encodeURIComponent(token);
}

export class ApiError extends Error {
  constructor(public status: number, message: string, public body: unknown) { super(message); }
}

async function request<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
  const h: Record<string, string> = { ...headers };
  if (token) h.authorization = `Bearer ${token}`;
  let payload: BodyInit | undefined;
  if (body instanceof Blob || body instanceof ArrayBuffer) payload = body as BodyInit;
  else if (body !== undefined) { payload = JSON.stringify(body); h['content-type'] = 'application/json'; }
  const res = await fetch(path, { method, headers: h, body: payload, credentials: 'same-origin' });
  const text = await res.text();
  let json: unknown = undefined;
  try { json = text ? JSON.parse(text) : undefined; } catch { /* not JSON */ }
  if (!res.ok) {
    const msg = (json as { error?: { message?: string } } | undefined)?.error?.message ?? `${res.status} ${res.statusText}`;
    throw new ApiError(res.status, msg, json);
  }
  return json as T;
}

const q = encodeURIComponent;
const cap = (id: string) => `/api/captures/${q(id)}`;

export const api = {
  info: () => request<Info>('GET', '/api/info'),
  browse: (path?: string) => request<BrowseResult>('GET', '/api/browse' + (path ? `?path=${q(path)}` : '')),
  open: (path: string) => request<{ id: string; name: string }>('POST', '/api/captures', { path }),
  upload: (file: File) => request<{ id: string; name: string }>('POST', '/api/captures/upload', file, { 'x-filename': file.name, 'content-type': 'application/octet-stream' }),
  captures: () => request<{ id: string; name: string; packets: number; complete: boolean }[]>('GET', '/api/captures'),
  capture: (id: string) => request<CaptureInfo>('GET', cap(id)),
  frames: (id: string, offset: number, limit: number, view?: string | null) =>
    request<FramesPage>('GET', `${cap(id)}/frames?offset=${offset}&limit=${limit}${view ? `&view=${q(view)}` : ''}`),
  frame: (id: string, no: number) => request<FrameDetail>('GET', `${cap(id)}/frames/${no}`),
  createView: (id: string, filter: string) => request<{ viewId: string }>('POST', `${cap(id)}/views`, { filter }),
  view: (id: string, vid: string) => request<{ matched: number; scanned: number; total: number; complete: boolean; progress: number }>('GET', `${cap(id)}/views/${q(vid)}`),
  checkFilter: (f: string) => request<FilterCheck>('GET', `/api/filter/check?f=${q(f)}`),
  fields: (prefix: string, limit = 50) => request<FieldInfo[]>('GET', `/api/fields?prefix=${q(prefix)}&limit=${limit}`),
  follow: (id: string, proto: string, stream: number) => request<FollowData>('GET', `${cap(id)}/follow?proto=${q(proto)}&stream=${stream}`),
  conversations: (id: string, type: string) => request<{ type: string; rows: ConvRow[] }>('GET', `${cap(id)}/conversations?type=${q(type)}`),
  endpoints: (id: string, type: string) => request<{ type: string; rows: EndpointRow[] }>('GET', `${cap(id)}/endpoints?type=${q(type)}`),
  expert: (id: string) => request<{ items: ExpertItem[] }>('GET', `${cap(id)}/expert`),
  findings: (id: string) => request<Findings>('GET', `${cap(id)}/findings`),
  flowgraph: (id: string, by: { stream?: number; frames?: number[]; view?: string }) => {
    const p = by.view ? `view=${q(by.view)}` : by.frames ? `frames=${by.frames.join(',')}` : `stream=${by.stream ?? 0}`;
    return request<FlowGraph>('GET', `${cap(id)}/flowgraph?${p}`);
  },
  iograph: (id: string, interval: number) => request<IoGraph>('GET', `${cap(id)}/iograph?interval=${interval}`),
  hierarchy: (id: string) => request<{ tree: PhsNode[] }>('GET', `${cap(id)}/hierarchy`),
  compare: (a: string, b: string) => request<CompareResult>('GET', `/api/compare?a=${q(a)}&b=${q(b)}`),
  points: () => request<Point[]>('GET', '/api/points'),
  startLive: (body: { points: string[]; filter?: string; snaplen?: number; ring?: { fileSizeMB: number; files: number } }) =>
    request<{ id: string }>('POST', '/api/live', body),
  stopLive: (id: string) => request<unknown>('DELETE', `/api/live/${q(id)}`),
  downloadUrl: (id: string) => authUrl(`${cap(id)}/download`),
  eventsUrl: (id: string) => authUrl(`${cap(id)}/events`),
  ratesUrl: () => authUrl('/api/points/rates'),
};

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Bytes of a base64 string. */
export function fromBase64(b64: string): Uint8Array {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}
