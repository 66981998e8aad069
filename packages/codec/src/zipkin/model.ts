/**
 * Zipkin v2 span ⇄ the Ariadne span model (shared by the v2 JSON, v1 JSON and proto3 codecs).
 *
 * Mapping (decode; encode is the reverse)
 * - ids: trace id left-padded to 32 hex chars (Zipkin's 16-char ids come back short on encode);
 *   span/parent ids to 16.
 * - name and service names are lower-cased, as Zipkin does on ingest (and on encode).
 * - kind CLIENT/SERVER/PRODUCER/CONSUMER; no kind → INTERNAL (encode omits INTERNAL/UNSPECIFIED).
 * - timestamp/duration µs → ns (start, end = start + duration); missing duration → end = start.
 * - annotations → events (name = value, no attributes); event attributes are dropped on encode.
 * - tags → string attributes in wire order; an `error` tag → status ERROR with its value as the
 *   message (encode adds `error` = message for ERROR when absent). `otel.status_code` = "OK"
 *   → status OK (and the encoder writes that tag for OK).
 * - localEndpoint → resource: serviceName + attributes `net.host.ip` (ipv4), `net.host.ipv6`,
 *   `net.host.port` (int). Other resource attributes are not sent to Zipkin.
 * - remoteEndpoint → span attributes `peer.service`, `net.peer.ip` (ipv4), `net.peer.ipv6`,
 *   `net.peer.port` (int), appended after the tags and only when no tag of that key exists. On
 *   encode they build the remoteEndpoint; `net.peer.*` are not repeated as tags (peer.service is).
 * - `shared: true` → bool attribute `zipkin.shared`; `debug: true` → bool attribute `zipkin.debug`
 *   A shared SERVER span (the server half of an RPC that reuses the client's span id, as Zipkin's
 *   B3 propagation does) gets its own span id — the client's id mixed with a fixed constant, so
 *   the same span always maps to the same id — and the client span as its parent, as Jaeger's
 *   span-id deduper does. Without this the two halves would be one span to every store. The wire
 *   ids are kept in `zipkin.span_id` / `zipkin.parent_id` and restored on encode.
 *   (both back to the flags on encode, not as tags). Decoded spans get flags = 1 (sampled: Zipkin
 *   only receives sampled spans). Links, trace state and scope have no Zipkin equivalent.
 */
import { EMPTY_SCOPE, SpanKind, StatusCode, attributeValueToString, makeResource, normalizeSpanId, normalizeTraceId, shortTraceId } from '@ariadne/model';
import type { Attribute, Resource, Span, SpanEvent } from '@ariadne/model';
import { CodecError } from '../errors.js';

export interface ZipkinEndpoint {
  serviceName?: string;
  ipv4?: string;
  ipv6?: string;
  port?: number;
}

export interface ZipkinAnnotation {
  timestamp: number;
  value: string;
}

export type ZipkinKind = 'CLIENT' | 'SERVER' | 'PRODUCER' | 'CONSUMER';

/** The Zipkin v2 span (api/v2 JSON shape). Timestamps and durations in microseconds. */
export interface ZipkinSpan {
  traceId: string;
  id: string;
  parentId?: string;
  name?: string;
  kind?: ZipkinKind;
  timestamp?: number;
  duration?: number;
  localEndpoint?: ZipkinEndpoint;
  remoteEndpoint?: ZipkinEndpoint;
  annotations?: ZipkinAnnotation[];
  tags?: Record<string, string>;
  debug?: boolean;
  shared?: boolean;
}

export const ZIPKIN_SHARED_ATTR = 'zipkin.shared';
export const ZIPKIN_WIRE_SPAN_ID_ATTR = 'zipkin.span_id';
export const ZIPKIN_WIRE_PARENT_ID_ATTR = 'zipkin.parent_id';

/** The span id a shared server span gets: the wire id XOR a fixed odd constant (bijective, stable). */
export function sharedServerSpanId(wireSpanId: string): string {
  const id = (BigInt('0x' + wireSpanId) ^ 0x9e3779b97f4a7c15n).toString(16).padStart(16, '0');
  return id === '0000000000000000' ? '0000000000000001' : id;
}
export const ZIPKIN_DEBUG_ATTR = 'zipkin.debug';

const KIND_TO_MODEL: Record<string, SpanKind> = {
  CLIENT: SpanKind.CLIENT,
  SERVER: SpanKind.SERVER,
  PRODUCER: SpanKind.PRODUCER,
  CONSUMER: SpanKind.CONSUMER,
};
const KIND_FROM_MODEL: Partial<Record<SpanKind, ZipkinKind>> = {
  [SpanKind.CLIENT]: 'CLIENT',
  [SpanKind.SERVER]: 'SERVER',
  [SpanKind.PRODUCER]: 'PRODUCER',
  [SpanKind.CONSUMER]: 'CONSUMER',
};

function usToNs(us: number | undefined): bigint {
  if (us === undefined) return 0n;
  return BigInt(Math.round(us)) * 1000n;
}

function str(key: string, value: string): Attribute {
  return { key, value: { type: 'string', value } };
}

/** Convert already-validated Zipkin v2 spans to model spans (resources shared per endpoint). */
export function zipkinSpansToModel(spans: readonly ZipkinSpan[]): Span[] {
  const resources = new Map<string, Resource>();
  const out: Span[] = new Array(spans.length);
  for (let i = 0; i < spans.length; i++) out[i] = zipkinSpanToModel(spans[i], resources, i);
  return out;
}

function resourceFor(ep: ZipkinEndpoint | undefined, cache: Map<string, Resource>): Resource {
  const serviceName = (ep?.serviceName ?? '').toLowerCase();
  const key = `${serviceName}\u0000${ep?.ipv4 ?? ''}\u0000${ep?.ipv6 ?? ''}\u0000${ep?.port ?? ''}`;
  let r = cache.get(key);
  if (!r) {
    const attrs: Attribute[] = [];
    if (ep?.ipv4) attrs.push(str('net.host.ip', ep.ipv4));
    if (ep?.ipv6) attrs.push(str('net.host.ipv6', ep.ipv6));
    if (ep?.port) attrs.push({ key: 'net.host.port', value: { type: 'int', value: ep.port } });
    r = makeResource(serviceName, attrs);
    cache.set(key, r);
  }
  return r;
}

function zipkinSpanToModel(z: ZipkinSpan, resources: Map<string, Resource>, index: number): Span {
  const traceId = normalizeTraceId(z.traceId);
  if (!traceId) throw new CodecError(`zipkin: span[${index}].traceId ${JSON.stringify(String(z.traceId).slice(0, 40))} is not 1-32 hex chars`);
  const spanId = normalizeSpanId(z.id);
  if (!spanId) throw new CodecError(`zipkin: span[${index}].id ${JSON.stringify(String(z.id).slice(0, 40))} is not 1-16 hex chars`);
  let parentSpanId = '';
  if (z.parentId) {
    parentSpanId = normalizeSpanId(z.parentId);
    if (!parentSpanId) throw new CodecError(`zipkin: span[${index}].parentId ${JSON.stringify(String(z.parentId).slice(0, 40))} is not 1-16 hex chars`);
    if (parentSpanId === '0000000000000000') parentSpanId = '';
  }
  const attributes: Attribute[] = [];
  let code: StatusCode = StatusCode.UNSET;
  let message = '';
  if (z.tags) {
    for (const k in z.tags) {
      const v = z.tags[k];
      attributes.push(str(k, v));
      if (k === 'error') {
        code = StatusCode.ERROR;
        message = v;
      } else if (k === 'otel.status_code' && v.toUpperCase() === 'OK' && code === StatusCode.UNSET) code = StatusCode.OK;
    }
  }
  const re = z.remoteEndpoint;
  if (re) {
    const has = (key: string) => z.tags !== undefined && Object.prototype.hasOwnProperty.call(z.tags, key);
    if (re.serviceName && !has('peer.service')) attributes.push(str('peer.service', re.serviceName.toLowerCase()));
    if (re.ipv4 && !has('net.peer.ip')) attributes.push(str('net.peer.ip', re.ipv4));
    if (re.ipv6 && !has('net.peer.ipv6')) attributes.push(str('net.peer.ipv6', re.ipv6));
    if (re.port && !has('net.peer.port')) attributes.push({ key: 'net.peer.port', value: { type: 'int', value: re.port } });
  }
  if (z.shared) attributes.push({ key: ZIPKIN_SHARED_ATTR, value: { type: 'bool', value: true } });
  if (z.debug) attributes.push({ key: ZIPKIN_DEBUG_ATTR, value: { type: 'bool', value: true } });
  const events: SpanEvent[] = [];
  if (z.annotations) {
    for (const a of z.annotations) {
      events.push({ timeUnixNano: usToNs(a.timestamp), name: a.value, attributes: [], droppedAttributesCount: 0 });
    }
  }
  const start = usToNs(z.timestamp);
  let ownSpanId = spanId;
  if (z.shared && z.kind === 'SERVER') {
    attributes.push(str(ZIPKIN_WIRE_SPAN_ID_ATTR, spanId));
    if (parentSpanId) attributes.push(str(ZIPKIN_WIRE_PARENT_ID_ATTR, parentSpanId));
    ownSpanId = sharedServerSpanId(spanId);
    parentSpanId = spanId;
  }
  return {
    traceId,
    spanId: ownSpanId,
    parentSpanId,
    name: (z.name ?? '').toLowerCase(),
    kind: z.kind ? KIND_TO_MODEL[z.kind] : SpanKind.INTERNAL,
    startTimeUnixNano: start,
    endTimeUnixNano: start + usToNs(z.duration),
    attributes,
    droppedAttributesCount: 0,
    events,
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    status: { code, message },
    traceState: '',
    flags: 1,
    resource: resourceFor(z.localEndpoint, resources),
    scope: EMPTY_SCOPE,
    warnings: [],
  };
}

function nsToUs(ns: bigint): number {
  return Number(ns / 1000n);
}

function portOf(v: Attribute['value']): number | undefined {
  const n = v.type === 'int' ? Number(v.value) : v.type === 'string' ? Number(v.value) : v.type === 'double' ? v.value : NaN;
  return Number.isInteger(n) && n > 0 && n <= 65535 ? n : undefined;
}

function isTrue(v: Attribute['value']): boolean {
  return (v.type === 'bool' && v.value) || (v.type === 'string' && v.value === 'true');
}

/** Model span → Zipkin v2 span (the JSON shape; also the input of the proto3 encoder). */
export function modelToZipkinSpan(s: Span): ZipkinSpan {
  // field order as Zipkin's own JSON writer: traceId, parentId, id, kind, name, timestamp, ...
  const z = { traceId: shortTraceId(s.traceId) } as ZipkinSpan;
  const wireId = s.attributes.find((a) => a.key === ZIPKIN_WIRE_SPAN_ID_ATTR && a.value.type === 'string');
  if (wireId) {
    // a shared server span: back to the ids it had on the wire
    const wireParent = s.attributes.find((a) => a.key === ZIPKIN_WIRE_PARENT_ID_ATTR && a.value.type === 'string');
    if (wireParent) z.parentId = (wireParent.value as { value: string }).value;
    z.id = (wireId.value as { value: string }).value;
  } else {
    if (s.parentSpanId) z.parentId = s.parentSpanId;
    z.id = s.spanId;
  }
  const kind = KIND_FROM_MODEL[s.kind];
  if (kind) z.kind = kind;
  if (s.name) z.name = s.name.toLowerCase();
  if (s.startTimeUnixNano > 0n) z.timestamp = nsToUs(s.startTimeUnixNano);
  const d = s.endTimeUnixNano - s.startTimeUnixNano;
  if (d >= 1000n) z.duration = nsToUs(d);

  const local: ZipkinEndpoint = {};
  if (s.resource.serviceName) local.serviceName = s.resource.serviceName.toLowerCase();
  for (const a of s.resource.attributes) {
    if (a.key === 'net.host.ip' && a.value.type === 'string') {
      if (a.value.value.includes(':')) local.ipv6 ??= a.value.value;
      else local.ipv4 ??= a.value.value;
    } else if (a.key === 'net.host.ipv6' && a.value.type === 'string') local.ipv6 ??= a.value.value;
    else if (a.key === 'net.host.port') local.port ??= portOf(a.value);
  }
  if (local.port === undefined) delete local.port;
  if (Object.keys(local).length > 0) z.localEndpoint = local;

  const remote: ZipkinEndpoint = {};
  // null prototype: a tag named "__proto__" must stay a plain key
  const tags = Object.create(null) as Record<string, string>;
  let hasError = false;
  let hasStatusCode = false;
  let shared = false;
  let debug = false;
  for (const a of s.attributes) {
    switch (a.key) {
      case 'peer.service':
        if (a.value.type === 'string') remote.serviceName ??= a.value.value.toLowerCase();
        break;
      case 'net.peer.ip':
        if (a.value.type === 'string') {
          if (a.value.value.includes(':')) remote.ipv6 ??= a.value.value;
          else remote.ipv4 ??= a.value.value;
          continue;
        }
        break;
      case 'net.peer.ipv6':
        if (a.value.type === 'string') {
          remote.ipv6 ??= a.value.value;
          continue;
        }
        break;
      case 'net.peer.port': {
        const p = portOf(a.value);
        if (p !== undefined) {
          remote.port ??= p;
          continue;
        }
        break;
      }
      case ZIPKIN_SHARED_ATTR:
        if (isTrue(a.value)) shared = true;
        continue;
      case ZIPKIN_WIRE_SPAN_ID_ATTR:
      case ZIPKIN_WIRE_PARENT_ID_ATTR:
        continue;
      case ZIPKIN_DEBUG_ATTR:
        if (isTrue(a.value)) debug = true;
        continue;
      case 'error':
        hasError = true;
        break;
      case 'otel.status_code':
        hasStatusCode = true;
        break;
    }
    tags[a.key] = attributeValueToString(a.value);
  }
  if (s.status.code === StatusCode.ERROR && !hasError) tags.error = s.status.message;
  else if (s.status.code === StatusCode.OK && !hasStatusCode) tags['otel.status_code'] = 'OK';
  if (Object.keys(remote).length > 0) z.remoteEndpoint = remote;
  if (s.events.length > 0) z.annotations = s.events.map((e) => ({ timestamp: nsToUs(e.timeUnixNano), value: e.name }));
  if (Object.keys(tags).length > 0) z.tags = tags;
  if (debug) z.debug = true;
  if (shared) z.shared = true;
  return z;
}
