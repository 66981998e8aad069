/**
 * Demo traffic for `all-in-one --demo`: a few synthetic traces per second of a small shop
 * (frontend → checkout → payment/inventory → database), sent as OTLP/HTTP protobuf over a real
 * socket to this process's own receiver, so the UI has something to show from the first second.
 * Some requests are slow and some fail, so search, durations and error markers have content.
 */
import { encodeOtlpProtobuf } from '@ariadne/codec';
import { attr, makeResource, makeSpan, randomSpanId, randomTraceId, SpanKind, StatusCode, type Resource, type Span } from '@ariadne/model';
import type { Logger } from './log.js';

const resources: Record<string, Resource> = {};
function resource(service: string): Resource {
  return (resources[service] ??= makeResource(service, [attr('service.name', service), attr('host.name', 'demo-host'), attr('telemetry.sdk.name', 'ariadne-demo')]));
}

/** One trace; `nowNs` is its start. Exported for tests. */
export function demoTrace(nowNs: bigint, rnd: () => number = Math.random): Span[] {
  const traceId = randomTraceId();
  const spans: Span[] = [];
  const ms = (x: number) => BigInt(Math.round(x * 1e6));
  const slow = rnd() < 0.1;
  const fail = rnd() < 0.08;
  const customer = String(100 + Math.floor(rnd() * 20));
  const add = (parent: Span | undefined, service: string, name: string, kind: Span['kind'], startMs: number, durMs: number, attrs: ReturnType<typeof attr>[] = [], error?: string) => {
    const s = makeSpan({
      traceId,
      spanId: randomSpanId(),
      parentSpanId: parent?.spanId ?? '',
      name,
      kind,
      startTimeUnixNano: nowNs + ms(startMs),
      endTimeUnixNano: nowNs + ms(startMs + durMs),
      attributes: attrs,
      resource: resource(service),
      flags: 1,
      status: error ? { code: StatusCode.ERROR, message: error } : { code: StatusCode.UNSET, message: '' },
      events: error ? [{ timeUnixNano: nowNs + ms(startMs + durMs * 0.9), name: 'exception', attributes: [attr('exception.type', 'PaymentDeclined'), attr('exception.message', error)], droppedAttributesCount: 0 }] : [],
    });
    spans.push(s);
    return s;
  };
  const dbMs = slow ? 400 + rnd() * 600 : 2 + rnd() * 8;
  const total = 30 + dbMs + rnd() * 20;
  const root = add(undefined, 'frontend', 'POST /checkout', SpanKind.SERVER, 0, total, [attr('http.request.method', 'POST'), attr('url.path', '/checkout'), attr('http.response.status_code', fail ? 502 : 200), attr('customer.id', customer)], fail ? 'payment failed' : undefined);
  const call = add(root, 'frontend', 'POST checkout-service', SpanKind.CLIENT, 2, total - 4, [attr('server.address', 'checkout'), attr('peer.service', 'checkout')]);
  const co = add(call, 'checkout', 'POST /orders', SpanKind.SERVER, 3, total - 6, [attr('http.request.method', 'POST'), attr('http.route', '/orders')]);
  const inv = add(co, 'inventory', 'SELECT stock', SpanKind.CLIENT, 5, dbMs, [attr('db.system', 'duckdb'), attr('db.statement', 'SELECT qty FROM stock WHERE sku = ?')]);
  void inv;
  add(co, 'payment', 'charge card', SpanKind.CLIENT, 8 + dbMs, 15, [attr('payment.provider', 'demo-pay'), attr('customer.id', customer)], fail ? 'card declined' : undefined);
  add(co, 'checkout', 'render receipt', SpanKind.INTERNAL, 24 + dbMs, 3 + rnd() * 3);
  return spans;
}

/** Start sending; returns a function that stops and waits for the last request. */
export function startDemoTraffic(url: string, log: Logger, perSecond = 4): () => Promise<void> {
  let inflight: Promise<unknown> = Promise.resolve();
  let failures = 0;
  const timer = setInterval(() => {
    const now = BigInt(Date.now()) * 1_000_000n;
    const spans: Span[] = [];
    for (let i = 0; i < perSecond; i++) spans.push(...demoTrace(now + BigInt(i) * 137_000_000n));
    inflight = fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: encodeOtlpProtobuf(spans) })
      .then(async (r) => {
        await r.arrayBuffer();
        if (!r.ok) throw new Error(`HTTP ${r.status}`);
      })
      .catch((err: unknown) => {
        if (failures++ % 30 === 0) log.warn('demo traffic: send failed', { err: (err as Error).message });
      });
  }, 1000);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await inflight;
  };
}
