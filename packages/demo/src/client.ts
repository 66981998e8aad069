/**
 * gallery-client: the load generator, instrumented through the **OpenTelemetry API**. Each visit
 * is one trace: a root span for the visit with the customer's id as W3C baggage, a client span
 * for the gallery page and one for a full image, their context injected into the requests.
 *
 * Env: GALLERY_URL, DEMO_RATE (visits per second, default 2), DEMO_CONCURRENCY (default 4),
 * DEMO_VISITS (stop after this many; default: run until stopped), plus the tracer's OTEL_* variables.
 */
import { context, propagation, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { initTracer, reporterConfigFromEnv } from '@ariadne/tracer';
import { log, onShutdown } from './common.js';

const GALLERY_URL = process.env.GALLERY_URL || 'http://127.0.0.1:8080';
const RATE = Math.max(0.1, Number(process.env.DEMO_RATE || 2));
const CONCURRENCY = Math.max(1, Number(process.env.DEMO_CONCURRENCY || 4));
const VISITS = Number(process.env.DEMO_VISITS || 0);

const sdk = initTracer({
  serviceName: process.env.OTEL_SERVICE_NAME || 'gallery-client',
  ...(reporterConfigFromEnv(process.env) ? {} : { reporter: { type: 'remote' } }),
});
const tracer = trace.getTracer('gallery-client', '0.1.0');

/** A GET in a CLIENT span whose context (and the baggage) goes out in the request headers. */
async function get(path: string): Promise<number> {
  return tracer.startActiveSpan(`GET ${path.replace(/\/\d+$/, '/:id').split('?')[0]}`, { kind: SpanKind.CLIENT }, async (span: Span) => {
    const url = `${GALLERY_URL}${path}`;
    span.setAttributes({ 'http.request.method': 'GET', 'url.full': url, 'peer.service': 'gallery-api' });
    const headers: Record<string, string> = {};
    propagation.inject(context.active(), headers);
    try {
      const res = await fetch(url, { headers, signal: AbortSignal.timeout(60_000) });
      await res.arrayBuffer();
      span.setAttribute('http.response.status_code', res.status);
      if (res.status >= 400) span.setStatus({ code: SpanStatusCode.ERROR, message: `HTTP ${res.status}` });
      return res.status;
    } catch (e) {
      span.recordException(e as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (e as Error).message });
      return 0;
    } finally {
      span.end();
    }
  });
}

let visits = 0;
let inflight = 0;
let stopped = false;

/** One visit: browse a gallery page, then open one of its images. */
async function visit(n: number): Promise<void> {
  const customer = `cust-${String(1 + (n % 7)).padStart(3, '0')}`;
  const bag = propagation.createBaggage({ 'customer.id': { value: customer } });
  await context.with(propagation.setBaggage(context.active(), bag), () =>
    tracer.startActiveSpan('visit gallery', { kind: SpanKind.INTERNAL, attributes: { 'customer.id': customer } }, async (root) => {
      const page = 1 + (n % 6);
      const status = await get(`/gallery?page=${page}`);
      const image = await get(`/images/${(page - 1) * 4 + 1 + (n % 4)}`);
      if (status !== 200 || image !== 200) root.setStatus({ code: SpanStatusCode.ERROR, message: `gallery ${status}, image ${image}` });
      root.end();
    }),
  );
}

const timer = setInterval(() => {
  if (stopped || inflight >= CONCURRENCY) return;
  if (VISITS && visits >= VISITS) {
    if (inflight === 0) void shutdown();
    return;
  }
  const n = visits++;
  inflight++;
  visit(n)
    .catch((e: unknown) => log('warn', 'visit failed', { err: (e as Error).message }))
    .finally(() => inflight--);
}, 1000 / RATE);
log('info', 'generating load', { gallery: GALLERY_URL, perSecond: RATE, concurrency: CONCURRENCY, pid: process.pid });

async function shutdown(): Promise<void> {
  stopped = true;
  clearInterval(timer);
  const deadline = Date.now() + 3000;
  while (inflight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  await sdk.close();
  log('info', 'stopped', { visits });
}
onShutdown(shutdown);
