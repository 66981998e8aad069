import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, sep } from 'node:path';
import { createGzip } from 'node:zlib';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.otf': 'font/otf',
  '.wasm': 'application/wasm',
  '.webmanifest': 'application/manifest+json',
  '.xml': 'application/xml',
};

/** The content type served for a file name. */
export function contentTypeOf(file: string): string {
  return TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
}

const COMPRESSIBLE = /^(text\/|application\/(json|javascript|xml|manifest\+json)|image\/svg)/;

export class StaticPathError extends Error {
  constructor(
    readonly status: 400 | 404,
    message: string,
  ) {
    super(message);
  }
}

/**
 * A raw request path → its decoded segments, refusing anything that could leave the root:
 * `..`/`.` segments (also percent-encoded), encoded slashes, backslashes, NUL and other control
 * characters, malformed percent-encoding.
 */
export function safeSegments(rawPath: string): string[] {
  if (/%(2f|5c|00)/i.test(rawPath)) throw new StaticPathError(400, 'encoded slash, backslash or NUL in path');
  if (rawPath.includes('\\')) throw new StaticPathError(400, 'backslash in path');
  const segments: string[] = [];
  for (const raw of rawPath.split('/')) {
    if (raw === '') continue;
    let seg: string;
    try {
      seg = decodeURIComponent(raw);
    } catch {
      throw new StaticPathError(400, 'malformed percent-encoding in path');
    }
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u001f\\/]/.test(seg)) throw new StaticPathError(400, 'control character or separator in path');
    if (seg === '.' || seg === '..') throw new StaticPathError(400, 'dot segment in path');
    segments.push(seg);
  }
  return segments;
}

export interface StaticOptions {
  /** Directory of the built UI (holds index.html). */
  root: string;
}

/**
 * Serves the single-page UI from a directory: files as they are (hashed `assets/` cached for a
 * year, everything else revalidated), `index.html` for extension-less paths that are not files
 * (client-side routes such as `/search`, `/trace/<id>`), 404 for other missing files. Never serves
 * a file outside `root` (symlinks are resolved and checked too).
 */
export function createStaticHandler(opts: StaticOptions) {
  let rootReal: string | undefined;
  async function root(): Promise<string> {
    rootReal ??= await realpath(opts.root);
    return rootReal;
  }

  async function resolveFile(segments: string[]): Promise<string | undefined> {
    const base = await root();
    const candidate = join(base, ...segments);
    let real: string;
    try {
      real = await realpath(candidate);
    } catch {
      return undefined;
    }
    if (real !== base && !real.startsWith(base + sep)) return undefined;
    const st = await stat(real);
    if (st.isFile()) return real;
    if (st.isDirectory()) {
      const index = await resolveFile([...segments, 'index.html']).catch(() => undefined);
      return index;
    }
    return undefined;
  }

  return async function serveStatic(req: IncomingMessage, res: ServerResponse, rawPath: string): Promise<void> {
    let segments: string[];
    try {
      segments = safeSegments(rawPath);
    } catch (e) {
      if (e instanceof StaticPathError) return sendText(res, e.status, e.message);
      throw e;
    }
    let base: string;
    try {
      base = await root();
    } catch {
      return sendText(res, 404, `UI not available: ${opts.root} does not exist (build it with npm run build -w @ariadne/ui)`);
    }
    let file = await resolveFile(segments);
    let spa = false;
    if (!file) {
      const last = segments[segments.length - 1] ?? '';
      if (segments[0] === 'assets' || extname(last) !== '') return sendText(res, 404, 'not found');
      file = await resolveFile(['index.html']);
      spa = true;
      if (!file) return sendText(res, 404, `UI not available: no index.html in ${base}`);
    }
    const st = await stat(file);
    const etag = `W/"${st.size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}"`;
    const type = contentTypeOf(file);
    const immutable = !spa && segments[0] === 'assets';
    res.setHeader('Content-Type', type);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Cache-Control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
    res.setHeader('ETag', etag);
    res.setHeader('Last-Modified', st.mtime.toUTCString());
    if (req.headers['if-none-match'] === etag) {
      res.statusCode = 304;
      res.end();
      return;
    }
    res.statusCode = 200;
    const gzip = COMPRESSIBLE.test(type) && st.size > 1024 && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
    res.setHeader('Vary', 'Accept-Encoding');
    if (req.method === 'HEAD') {
      if (!gzip) res.setHeader('Content-Length', st.size);
      res.end();
      return;
    }
    const stream = createReadStream(file);
    stream.on('error', (err) => res.destroy(err));
    if (gzip) {
      res.setHeader('Content-Encoding', 'gzip');
      stream.pipe(createGzip()).pipe(res);
    } else {
      res.setHeader('Content-Length', st.size);
      stream.pipe(res);
    }
  };
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.end(text + '\n');
}
