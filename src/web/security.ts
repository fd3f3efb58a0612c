/**
 * The web UI's guards: the access token (compared in constant time), the allowed folders
 * (every path is resolved with realpath and must lie inside one of them, so `..` and symlinks
 * leading out are refused), and the private directory for uploads, live captures and
 * snapshots (mode 0700, removed at exit).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import * as fs from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve, sep } from 'node:path';

export function newToken(): string {
  return randomBytes(32).toString('hex');
}

/** Constant-time comparison of two tokens (hashed first so lengths never leak). */
export function tokenEquals(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b) && given.length === expected.length;
}

export const COOKIE = 'wiresage_token';

/** The token a request carries: bearer header, `?token=`, or the cookie. */
export function requestToken(req: IncomingMessage, url: URL): string | undefined {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return auth.slice(7).trim();
  const q = url.searchParams.get('token');
  if (q) return q;
  const cookie = req.headers.cookie;
  if (cookie) {
    for (const part of cookie.split(';')) {
      const [k, ...v] = part.trim().split('=');
      if (k === COOKIE) return decodeURIComponent(v.join('='));
    }
  }
  return undefined;
}

export class AccessError extends Error {
  constructor(message: string, readonly status = 403) {
    super(message);
  }
}

/** The folders the UI may read captures from (their real paths). */
export class Roots {
  readonly dirs: string[];

  constructor(dirs: string[]) {
    this.dirs = [];
    for (const d of dirs) {
      let real: string;
      try {
        real = fs.realpathSync(d);
      } catch (e) {
        throw new Error(`--root ${d}: ${(e as Error).message}`);
      }
      if (!fs.statSync(real).isDirectory()) throw new Error(`--root ${d}: not a directory`);
      if (!this.dirs.includes(real)) this.dirs.push(real);
    }
  }

  private inside(real: string): boolean {
    return this.dirs.some((d) => real === d || real.startsWith(d.endsWith(sep) ? d : d + sep));
  }

  /**
   * The real path of `path` when it lies inside an allowed folder; throws AccessError (403)
   * for `..` segments, NUL bytes, relative paths, paths outside the roots (after following
   * symlinks), and 404 for paths that do not exist.
   */
  check(path: string): string {
    if (typeof path !== 'string' || !path || path.includes('\0')) throw new AccessError('invalid path');
    if (!isAbsolute(path)) throw new AccessError('the path must be absolute');
    if (path.split(/[\\/]/).includes('..')) throw new AccessError("paths with '..' are refused");
    let real: string;
    try {
      real = fs.realpathSync(resolve(path));
    } catch {
      // Do not tell what exists outside the roots.
      if (!this.inside(resolve(path))) throw new AccessError('the path is outside the allowed folders');
      throw new AccessError('no such file or directory', 404);
    }
    if (!this.inside(real)) throw new AccessError('the path is outside the allowed folders');
    return real;
  }
}

/** A private directory (0700) removed when the process exits. */
export function privateDir(): string {
  const dir = fs.mkdtempSync(join(tmpdir(), 'wiresage-ui-'));
  fs.chmodSync(dir, 0o700);
  const clean = () => {
    try {
      fs.rmSync(dir, { recursive: true, force: true });
    } catch {
      // best effort at exit
    }
  };
  process.once('exit', clean);
  return dir;
}
