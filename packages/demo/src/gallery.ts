/**
 * gallery-api: the front door of the image gallery, instrumented through the **OpenTracing API**
 * the way the seed talk does it: a middleware that extracts the caller's context and starts an
 * active span per request, and a "round tripper" that starts a client span and injects it into
 * every outgoing request. A CPU-heavy step ("render thumbnails") runs in its own span.
 *
 *   GET  /gallery?page=1[&tag=photo]   a page: catalog query + every thumbnail from the store
 *   GET  /images/:id                   one image: catalog lookup + bytes from the store
 *   GET  /                             the same page as HTML (look at it in a browser)
 *   GET|POST /faults                   all faults of the demo: {"slowQueryMs","cpuMs","storeErrorRate"}
 *
 * Env: CATALOG_URL, STORE_URL, plus the tracer's OTEL_* variables.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import * as opentracing from 'opentracing';
import { initTracer, reporterConfigFromEnv, type AriadneOTSpan } from '@ariadne/tracer';
import { burnCpu, faultsFromEnv, handleFaults, HttpError, parseFaults, readJson, sendJson, serve, type Faults } from './common.js';

const { Tags, FORMAT_HTTP_HEADERS } = opentracing;
const CATALOG_URL = process.env.CATALOG_URL || 'http://127.0.0.1:8081';
const STORE_URL = process.env.STORE_URL || 'http://127.0.0.1:8082';

const tracer = initTracer({
  serviceName: process.env.OTEL_SERVICE_NAME || 'gallery-api',
  ...(reporterConfigFromEnv(process.env) ? {} : { reporter: { type: 'remote' } }),
});
opentracing.initGlobalTracer(tracer);

const faults = faultsFromEnv();

/** The seed's Middleware: one active span per request, parented on the caller's context. */
function middleware(route: (req: IncomingMessage) => string, next: (req: IncomingMessage, res: ServerResponse, span: AriadneOTSpan) => Promise<void>) {
  return (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const parent = tracer.extract(FORMAT_HTTP_HEADERS, req.headers);
    const options = {
      childOf: parent ?? undefined,
      tags: { [Tags.SPAN_KIND]: Tags.SPAN_KIND_RPC_SERVER, [Tags.HTTP_METHOD]: req.method, [Tags.HTTP_URL]: req.url, [Tags.COMPONENT]: 'gallery-api' },
    };
    return tracer.startActiveSpan(`HTTP ${req.method} ${route(req)}`, options, async (span) => {
      const customer = span.getBaggageItem('customer.id');
      if (customer) span.setTag('customer.id', customer);
      try {
        await next(req, res, span);
      } catch (e) {
        const status = e instanceof HttpError ? e.status : 500;
        if (!res.headersSent) sendJson(res, status, { error: (e as Error).message });
        if (status >= 500) span.log({ event: 'error', 'error.object': e, message: (e as Error).message });
      }
      span.setTag(Tags.HTTP_STATUS_CODE, res.statusCode);
      if (res.statusCode >= 500) span.setTag(Tags.ERROR, true);
    });
  };
}

interface Fetched {
  status: number;
  ok: boolean;
  contentType: string | null;
  body: Buffer;
}

/** The seed's tracingTransport.RoundTrip: a client span per outgoing request (until its body is read), its context injected. */
async function tracedFetch(peer: string, url: string): Promise<Fetched> {
  const span = tracer.startSpan(`HTTP GET ${peer}`, {
    childOf: tracer.activeSpan() ?? undefined,
    tags: { [Tags.SPAN_KIND]: Tags.SPAN_KIND_RPC_CLIENT, [Tags.HTTP_METHOD]: 'GET', [Tags.HTTP_URL]: url, [Tags.PEER_SERVICE]: peer },
  });
  const headers: Record<string, string> = {};
  tracer.inject(span, FORMAT_HTTP_HEADERS, headers);
  try {
    const res = await fetch(url, { headers, signal: AbortSignal.timeout(30_000) });
    const body = Buffer.from(await res.arrayBuffer());
    span.setTag(Tags.HTTP_STATUS_CODE, res.status);
    if (res.status >= 400) span.setTag(Tags.ERROR, true);
    return { status: res.status, ok: res.ok, contentType: res.headers.get('content-type'), body };
  } catch (e) {
    span.setTag(Tags.ERROR, true);
    span.log({ event: 'error', 'error.object': e, message: (e as Error).message });
    throw new HttpError(502, `${peer}: ${(e as Error).message}`);
  } finally {
    span.finish();
  }
}

async function json<T>(peer: string, url: string): Promise<T> {
  const res = await tracedFetch(peer, url);
  const body = res.body.toString('utf8');
  if (!res.ok) throw new HttpError(res.status === 404 ? 404 : 502, `${peer} answered ${res.status}: ${body.slice(0, 200)}`);
  return JSON.parse(body) as T;
}

interface Image {
  id: number;
  title: string;
  owner: string;
  tag: string;
  width: number;
  height: number;
  file: string;
}

/** The CPU-heavy step: digest every image (and, with the cpuMs fault, spin) in its own span. */
function renderThumbnails(images: { image: Image; bytes: Buffer | null }[]): { id: number; title: string; thumbnail: string | null }[] {
  const span = tracer.startSpan('render thumbnails', { tags: { 'thumbnails.count': images.length, 'fault.cpu_ms': faults.cpuMs } });
  try {
    const out = images.map(({ image, bytes }) => ({ id: image.id, title: image.title, thumbnail: bytes ? createHash('sha256').update(bytes).digest('hex').slice(0, 16) : null }));
    if (faults.cpuMs > 0) burnCpu(faults.cpuMs, images.length);
    return out;
  } finally {
    span.finish();
  }
}

async function page(req: IncomingMessage): Promise<{ page: number; total: number; images: { id: number; title: string; thumbnail: string | null }[]; missing: number[] }> {
  const url = new URL(req.url ?? '/', 'http://gallery');
  const q = new URLSearchParams({ page: url.searchParams.get('page') || '1', size: '4' });
  const tag = url.searchParams.get('tag');
  if (tag) q.set('tag', tag);
  const list = await json<{ page: number; total: number; images: Image[] }>('image-catalog', `${CATALOG_URL}/images?${q}`);
  const fetched = await Promise.all(
    list.images.map(async (image) => {
      const res = await tracedFetch('image-store', `${STORE_URL}/files/${encodeURIComponent(image.file)}`).catch(() => null);
      return { image, bytes: res?.ok ? res.body : null };
    }),
  );
  const missing = fetched.filter((f) => !f.bytes).map((f) => f.image.id);
  if (missing.length) tracer.activeSpan()?.log({ event: 'thumbnails missing', ids: missing.join(',') });
  return { page: list.page, total: list.total, images: renderThumbnails(fetched), missing };
}

async function faultsEndpoint(req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method === 'POST') {
    let patch: Partial<Faults>;
    try {
      patch = parseFaults(await readJson(req));
    } catch (e) {
      return sendJson(res, e instanceof HttpError ? e.status : 400, { error: (e as Error).message });
    }
    if (patch.cpuMs !== undefined) faults.cpuMs = patch.cpuMs;
    const post = (url: string, body: Partial<Faults>) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then((r) => r.json());
    if (patch.slowQueryMs !== undefined) await post(`${CATALOG_URL}/faults`, { slowQueryMs: patch.slowQueryMs });
    if (patch.storeErrorRate !== undefined) await post(`${STORE_URL}/faults`, { storeErrorRate: patch.storeErrorRate });
  } else if (req.method !== 'GET') {
    return handleFaults(req, res, faults, ['cpuMs']);
  }
  const [c, s] = await Promise.all([fetch(`${CATALOG_URL}/faults`).then((r) => r.json()), fetch(`${STORE_URL}/faults`).then((r) => r.json())]);
  sendJson(res, 200, { ...(c as object), cpuMs: faults.cpuMs, ...(s as object) });
}

const routeOf = (req: IncomingMessage) => {
  const p = (req.url ?? '/').split('?')[0];
  return /^\/images\/[^/]+$/.test(p) ? '/images/:id' : p;
};

const traced = middleware(routeOf, async (req, res) => {
  const path = (req.url ?? '/').split('?')[0];
  if (req.method !== 'GET') throw new HttpError(405, 'use GET');
  if (path === '/gallery') return sendJson(res, 200, await page(req));
  const m = /^\/images\/(\d+)$/.exec(path);
  if (m) {
    const image = await json<Image>('image-catalog', `${CATALOG_URL}/images/${m[1]}`);
    const r = await tracedFetch('image-store', `${STORE_URL}/files/${encodeURIComponent(image.file)}`);
    if (!r.ok) throw new HttpError(502, `image-store answered ${r.status} for ${image.file}`);
    res.writeHead(200, { 'content-type': r.contentType ?? 'application/octet-stream', 'content-length': r.body.length });
    res.end(r.body);
    return;
  }
  if (path === '/') {
    const p = await page(req);
    const esc = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
    const html = `<!doctype html><meta charset="utf-8"><title>Image gallery</title><h1>Image gallery</h1><p>${p.total} images</p>${p.images
      .map((i) => `<figure style="display:inline-block"><img src="/images/${i.id}" width="160"><figcaption>${esc(i.title)}</figcaption></figure>`)
      .join('')}`;
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(html);
    return;
  }
  throw new HttpError(404, `no route ${path}`);
});

await serve(
  (req, res) => {
    if ((req.url ?? '').split('?')[0] === '/faults') return faultsEndpoint(req, res);
    return traced(req, res);
  },
  () => tracer.close(),
);
