import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync, statSync, unwatchFile, watchFile } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';

/**
 * Bearer-token authentication from a file of tokens (one per line; blank lines and lines starting
 * with `#` are ignored), reloaded when the file changes. Used for ingest (`--ingest-auth-tokens-file`:
 * OTLP/HTTP, Jaeger HTTP, Zipkin, OTLP/gRPC and Jaeger gRPC) and, separately, for the query API
 * (`--query-auth-tokens-file`). Tokens are compared as SHA-256 digests with `timingSafeEqual`, so
 * a comparison takes the same time whichever byte differs.
 */

export interface TokenFileOptions {
  /** Poll interval of the file watcher. Default 1000 ms. */
  pollMs?: number;
  /** Called after each reload attempt (error: the file is unreadable or has no token; the last good set is kept). */
  onReload?: (ok: boolean, err?: Error, count?: number) => void;
}

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

export function parseTokens(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    const t = line.trim();
    if (t === '' || t.startsWith('#')) continue;
    out.push(t);
  }
  return out;
}

export class TokenFile {
  private digests: Buffer[] = [];
  private mtimeMs = -1;

  /** Reads the file now; throws when it cannot be read or holds no token (a typo must not disable auth). */
  constructor(
    readonly file: string,
    private readonly opts: TokenFileOptions = {},
  ) {
    this.load();
    watchFile(file, { interval: opts.pollMs ?? 1000, persistent: false }, () => this.reload());
  }

  get size(): number {
    return this.digests.length;
  }

  private load(): void {
    const st = statSync(this.file);
    const tokens = parseTokens(readFileSync(this.file, 'utf8'));
    if (tokens.length === 0) throw new Error(`auth tokens file ${this.file} holds no token (one per line)`);
    this.digests = tokens.map(digest);
    this.mtimeMs = st.mtimeMs;
  }

  /** Re-read the file; on failure keep the tokens loaded last. */
  reload(): void {
    try {
      this.load();
      this.opts.onReload?.(true, undefined, this.digests.length);
    } catch (err) {
      this.opts.onReload?.(false, err as Error);
    }
  }

  /** Whether `token` is one of the file's tokens (constant time per token). */
  has(token: string): boolean {
    const d = digest(token);
    let found = false;
    for (const x of this.digests) if (timingSafeEqual(x, d)) found = true;
    return found;
  }

  close(): void {
    unwatchFile(this.file);
  }
}

/** Why a request is refused: HTTP status, gRPC status name, message. */
export interface Denial {
  status: 401 | 403;
  grpcCode: 'UNAUTHENTICATED' | 'PERMISSION_DENIED';
  message: string;
}

export const unauthenticated = (message: string): Denial => ({ status: 401, grpcCode: 'UNAUTHENTICATED', message });
export const forbidden = (message: string): Denial => ({ status: 403, grpcCode: 'PERMISSION_DENIED', message });

/**
 * Check an `Authorization` value (HTTP header or gRPC metadata `authorization`) against `tokens`.
 * Returns undefined when allowed, else the denial. `what` names the API in messages ('ingest', 'query').
 */
export function checkBearer(tokens: TokenFile | undefined, authorization: string | string[] | undefined, what: string): Denial | undefined {
  if (!tokens) return undefined;
  const value = Array.isArray(authorization) ? authorization[0] : authorization;
  if (!value) return unauthenticated(`${what} requires a bearer token: send "Authorization: Bearer <token>"`);
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(value);
  if (!m) return unauthenticated(`malformed Authorization header: expected "Bearer <token>"`);
  if (!tokens.has(m[1])) return unauthenticated(`invalid bearer token for ${what}`);
  return undefined;
}

/** A header value from node's IncomingHttpHeaders (lower-case name). */
export function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}
