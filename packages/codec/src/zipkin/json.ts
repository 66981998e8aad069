/**
 * Zipkin JSON: api/v2 (`POST /api/v2/spans`) and the legacy api/v1 (`POST /api/v1/spans`, what
 * zipkin-js's HttpLogger sends by default). See model.ts for the model mapping.
 */
import type { Span } from '@ariadne/model';
import { CodecError } from '../errors.js';
import { modelToZipkinSpan, zipkinSpansToModel } from './model.js';
import type { ZipkinAnnotation, ZipkinEndpoint, ZipkinKind, ZipkinSpan } from './model.js';

type Obj = Record<string, unknown>;

function parseBody(body: string | unknown, what: string): unknown {
  if (typeof body === 'string' || body instanceof Uint8Array) {
    const text = typeof body === 'string' ? body : new TextDecoder().decode(body);
    try {
      return JSON.parse(text);
    } catch (e) {
      throw new CodecError(`${what}: invalid JSON: ${(e as Error).message}`);
    }
  }
  return body;
}

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function optString(o: Obj, k: string, where: string): string | undefined {
  const v = o[k];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new CodecError(`${where}.${k}: expected a string, got ${typeName(v)}`);
  return v;
}

function optId(o: Obj, k: string, where: string): string | undefined {
  return optString(o, k, where);
}

function optNumber(o: Obj, k: string, where: string): number | undefined {
  const v = o[k];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
    throw new CodecError(`${where}.${k}: expected a non-negative number (microseconds), got ${typeName(v)} ${short(v)}`);
  }
  return v;
}

function optBool(o: Obj, k: string, where: string): boolean | undefined {
  const v = o[k];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw new CodecError(`${where}.${k}: expected a boolean, got ${typeName(v)}`);
  return v;
}

function typeName(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

function short(v: unknown): string {
  try {
    return String(JSON.stringify(v)).slice(0, 40);
  } catch {
    return '';
  }
}

function endpoint(v: unknown, where: string): ZipkinEndpoint | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObj(v)) throw new CodecError(`${where}: expected an object, got ${typeName(v)}`);
  const ep: ZipkinEndpoint = {};
  const serviceName = optString(v, 'serviceName', where);
  if (serviceName) ep.serviceName = serviceName;
  const ipv4 = optString(v, 'ipv4', where);
  if (ipv4) ep.ipv4 = ipv4;
  const ipv6 = optString(v, 'ipv6', where);
  if (ipv6) ep.ipv6 = ipv6;
  const port = v.port;
  if (port !== undefined && port !== null) {
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535) {
      throw new CodecError(`${where}.port: expected an integer 0-65535, got ${short(port)}`);
    }
    if (port > 0) ep.port = port;
  }
  return ep;
}

function tagValue(v: unknown, where: string): string {
  if (typeof v === 'string') return v;
  // Zipkin requires strings; accept the scalar types some clients send, as their text
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw new CodecError(`${where}: tag values must be strings, got ${typeName(v)}`);
}

const KINDS = new Set(['CLIENT', 'SERVER', 'PRODUCER', 'CONSUMER']);

/** Validate one v2 JSON span object into a ZipkinSpan. */
function v2Span(v: unknown, i: number): ZipkinSpan {
  const where = `zipkin v2: span[${i}]`;
  if (!isObj(v)) throw new CodecError(`${where}: expected an object, got ${typeName(v)}`);
  const traceId = optId(v, 'traceId', where);
  if (!traceId) throw new CodecError(`${where}.traceId: missing`);
  const id = optId(v, 'id', where);
  if (!id) throw new CodecError(`${where}.id: missing`);
  const z: ZipkinSpan = { traceId, id };
  const parentId = optId(v, 'parentId', where);
  if (parentId) z.parentId = parentId;
  const name = optString(v, 'name', where);
  if (name !== undefined) z.name = name;
  const kind = optString(v, 'kind', where);
  if (kind !== undefined) {
    if (!KINDS.has(kind)) throw new CodecError(`${where}.kind: unknown kind ${short(kind)} (CLIENT, SERVER, PRODUCER or CONSUMER)`);
    z.kind = kind as ZipkinKind;
  }
  const timestamp = optNumber(v, 'timestamp', where);
  if (timestamp !== undefined) z.timestamp = timestamp;
  const duration = optNumber(v, 'duration', where);
  if (duration !== undefined) z.duration = duration;
  const le = endpoint(v.localEndpoint, `${where}.localEndpoint`);
  if (le) z.localEndpoint = le;
  const re = endpoint(v.remoteEndpoint, `${where}.remoteEndpoint`);
  if (re) z.remoteEndpoint = re;
  if (v.annotations !== undefined && v.annotations !== null) {
    if (!Array.isArray(v.annotations)) throw new CodecError(`${where}.annotations: expected an array, got ${typeName(v.annotations)}`);
    z.annotations = v.annotations.map((a, j): ZipkinAnnotation => {
      const w = `${where}.annotations[${j}]`;
      if (!isObj(a)) throw new CodecError(`${w}: expected an object, got ${typeName(a)}`);
      const ts = optNumber(a, 'timestamp', w);
      const value = optString(a, 'value', w);
      if (ts === undefined) throw new CodecError(`${w}.timestamp: missing`);
      if (value === undefined) throw new CodecError(`${w}.value: missing`);
      return { timestamp: ts, value };
    });
  }
  if (v.tags !== undefined && v.tags !== null) {
    if (!isObj(v.tags)) throw new CodecError(`${where}.tags: expected an object, got ${typeName(v.tags)}`);
    const tags = Object.create(null) as Record<string, string>;
    for (const k of Object.keys(v.tags)) tags[k] = tagValue(v.tags[k], `${where}.tags.${k}`);
    z.tags = tags;
  }
  const debug = optBool(v, 'debug', where);
  if (debug) z.debug = true;
  const shared = optBool(v, 'shared', where);
  if (shared) z.shared = true;
  return z;
}

/** Validate a parsed v2 JSON body (an array of spans) into ZipkinSpans. */
export function parseZipkinV2Json(body: string | unknown): ZipkinSpan[] {
  const doc = parseBody(body, 'zipkin v2');
  if (!Array.isArray(doc)) throw new CodecError(`zipkin v2: body must be a JSON array of spans, got ${typeName(doc)}`);
  return doc.map(v2Span);
}

/** Decode a Zipkin v2 JSON body (text, bytes, or already-parsed value) into model spans. */
export function decodeZipkinV2Json(body: string | unknown): Span[] {
  return zipkinSpansToModel(parseZipkinV2Json(body));
}

/** Encode model spans as Zipkin v2 JSON span objects (JSON.stringify the result to send it). */
export function encodeZipkinV2Json(spans: readonly Span[]): object[] {
  return spans.map(modelToZipkinSpan);
}

// ------------------------------------------------------------------------------------- v1

interface V1Annotation {
  timestamp: number;
  value: string;
  endpoint?: ZipkinEndpoint;
}
interface V1BinaryAnnotation {
  key: string;
  value: string;
  endpoint?: ZipkinEndpoint;
  /** true for the BOOL address annotations ca/sa/ma. */
  isAddress: boolean;
}

const sameService = (a: ZipkinEndpoint | undefined, b: ZipkinEndpoint | undefined): boolean =>
  (a?.serviceName?.toLowerCase() ?? '') === (b?.serviceName?.toLowerCase() ?? '');

/** Validate one v1 span's fields. */
function readV1(v: unknown, i: number) {
  const where = `zipkin v1: span[${i}]`;
  if (!isObj(v)) throw new CodecError(`${where}: expected an object, got ${typeName(v)}`);
  const traceId = optId(v, 'traceId', where);
  if (!traceId) throw new CodecError(`${where}.traceId: missing`);
  const id = optId(v, 'id', where);
  if (!id) throw new CodecError(`${where}.id: missing`);
  const annotations: V1Annotation[] = [];
  if (v.annotations !== undefined && v.annotations !== null) {
    if (!Array.isArray(v.annotations)) throw new CodecError(`${where}.annotations: expected an array, got ${typeName(v.annotations)}`);
    v.annotations.forEach((a, j) => {
      const w = `${where}.annotations[${j}]`;
      if (!isObj(a)) throw new CodecError(`${w}: expected an object, got ${typeName(a)}`);
      const ts = optNumber(a, 'timestamp', w);
      const value = optString(a, 'value', w);
      if (ts === undefined) throw new CodecError(`${w}.timestamp: missing`);
      if (value === undefined) throw new CodecError(`${w}.value: missing`);
      annotations.push({ timestamp: ts, value, endpoint: endpoint(a.endpoint, `${w}.endpoint`) });
    });
  }
  const binary: V1BinaryAnnotation[] = [];
  if (v.binaryAnnotations !== undefined && v.binaryAnnotations !== null) {
    if (!Array.isArray(v.binaryAnnotations)) {
      throw new CodecError(`${where}.binaryAnnotations: expected an array, got ${typeName(v.binaryAnnotations)}`);
    }
    v.binaryAnnotations.forEach((b, j) => {
      const w = `${where}.binaryAnnotations[${j}]`;
      if (!isObj(b)) throw new CodecError(`${w}: expected an object, got ${typeName(b)}`);
      const key = optString(b, 'key', w);
      if (key === undefined) throw new CodecError(`${w}.key: missing`);
      const type = optString(b, 'type', w);
      const isAddress = (key === 'ca' || key === 'sa' || key === 'ma') && (type === 'BOOL' || typeof b.value === 'boolean');
      const value = b.value === undefined || b.value === null ? '' : tagValue(b.value, `${w}.value`);
      binary.push({ key, value, endpoint: endpoint(b.endpoint, `${w}.endpoint`), isAddress });
    });
  }
  return {
    traceId,
    id,
    parentId: optId(v, 'parentId', where),
    name: optString(v, 'name', where),
    // Zipkin treats 0 as "not set" for v1 timestamp/duration
    timestamp: optNumber(v, 'timestamp', where) ?? 0,
    duration: optNumber(v, 'duration', where) ?? 0,
    debug: optBool(v, 'debug', where) ?? false,
    annotations,
    binary,
  };
}

/**
 * Convert one v1 span to v2 spans with the semantics of Zipkin's V1SpanConverter:
 * - Annotations and binary annotations are grouped by the service name of their endpoint: each
 *   service gets its own v2 span (the first one also takes items without an endpoint).
 * - Core annotations (with an endpoint) set the kind of their service's span: cs/cr CLIENT, sr/ss
 *   SERVER, ms PRODUCER, mr CONSUMER; other annotations stay annotations.
 * - A span with both cs and sr is split: the client side takes the v1 timestamp/duration (or cs,
 *   cr−cs), the server side is `shared` with sr, ss−sr (a loopback — same service on both sides —
 *   is forked into two spans). cs+cr or sr+ss alone take the v1 timestamp/duration (or the
 *   annotation times). Incomplete RPCs start at cs/sr and keep cr/ss as annotations. A server
 *   side seen without the v1 timestamp is marked shared, as Zipkin does.
 * - Messaging: ms(+ws) → PRODUCER, (wr+)mr → CONSUMER, both in one span → split, consumer shared.
 * - Binary annotations: string values → tags (numbers and booleans are kept as their text, where
 *   Zipkin drops them; an empty `lc` marker is dropped); `ca`/`sa`/`ma` (BOOL) are the remote
 *   endpoints of the server / client / messaging spans.
 */
function v1ToV2(v: unknown, i: number): ZipkinSpan[] {
  const src = readV1(v, i);
  const ts = src.timestamp;
  const dur = src.duration;
  const newSpan = (ep?: ZipkinEndpoint): ZipkinSpan => {
    const z: ZipkinSpan = { traceId: src.traceId, id: src.id };
    if (src.parentId) z.parentId = src.parentId;
    if (src.name !== undefined) z.name = src.name;
    if (src.debug) z.debug = true;
    if (ep) z.localEndpoint = ep;
    return z;
  };
  const first = newSpan();
  const others: ZipkinSpan[] = [];
  const forEndpoint = (ep: ZipkinEndpoint | undefined): ZipkinSpan => {
    if (!ep) return first;
    for (const z of [first, ...others]) {
      if (!z.localEndpoint) {
        z.localEndpoint = ep;
        return z;
      }
      if (sameService(z.localEndpoint, ep)) return z;
    }
    const z = newSpan(ep);
    others.push(z);
    return z;
  };
  const annotate = (z: ZipkinSpan, a: V1Annotation) => (z.annotations ??= []).push({ timestamp: a.timestamp, value: a.value });

  let cs: V1Annotation | undefined;
  let sr: V1Annotation | undefined;
  let ss: V1Annotation | undefined;
  let cr: V1Annotation | undefined;
  let ms: V1Annotation | undefined;
  let mr: V1Annotation | undefined;
  let ws: V1Annotation | undefined;
  let wr: V1Annotation | undefined;
  for (const a of src.annotations) {
    const z = forEndpoint(a.endpoint);
    if (a.value.length !== 2 || !a.endpoint) {
      annotate(z, a);
      continue;
    }
    switch (a.value) {
      case 'cs':
        z.kind = 'CLIENT';
        cs = a;
        break;
      case 'cr':
        z.kind = 'CLIENT';
        cr = a;
        break;
      case 'sr':
        z.kind = 'SERVER';
        sr = a;
        break;
      case 'ss':
        z.kind = 'SERVER';
        ss = a;
        break;
      case 'ms':
        z.kind = 'PRODUCER';
        ms = a;
        break;
      case 'mr':
        z.kind = 'CONSUMER';
        mr = a;
        break;
      case 'ws':
        ws = a;
        break;
      case 'wr':
        wr = a;
        break;
      default:
        annotate(z, a);
    }
  }

  // an end annotation exactly at timestamp + duration implies the missing start
  const reflectsDuration = (end: V1Annotation | undefined) => end !== undefined && ts !== 0 && dur !== 0 && ts + dur === end.timestamp;
  if (!cs && reflectsDuration(cr)) cs = { timestamp: ts, value: 'cs', endpoint: cr!.endpoint };
  if (!sr && reflectsDuration(ss)) sr = { timestamp: ts, value: 'sr', endpoint: ss!.endpoint };

  const timeFrom = (begin: V1Annotation, end: V1Annotation | undefined) => {
    const z = forEndpoint(begin.endpoint);
    if (ts !== 0 && dur !== 0) {
      z.timestamp = ts;
      z.duration = dur;
    } else {
      z.timestamp = begin.timestamp;
      if (end) z.duration = end.timestamp - begin.timestamp;
    }
  };

  if (cs && sr) {
    timeFrom(cs, cr);
    const client = forEndpoint(cs.endpoint);
    let server: ZipkinSpan;
    if (sameService(cs.endpoint, sr.endpoint)) {
      client.kind = 'CLIENT';
      server = newSpan(sr.endpoint);
      server.kind = 'SERVER';
      others.push(server);
    } else server = forEndpoint(sr.endpoint);
    server.shared = true;
    server.timestamp = sr.timestamp;
    if (ss) server.duration = ss.timestamp - sr.timestamp;
    if (!cr && dur === 0) delete client.duration;
  } else if (cs && cr) timeFrom(cs, cr);
  else if (sr && ss) timeFrom(sr, ss);
  else {
    for (const z of [first, ...others]) {
      if (z.kind === 'CLIENT') {
        if (cs) z.timestamp = cs.timestamp;
        if (cr) annotate(z, cr);
      } else if (z.kind === 'SERVER') {
        if (sr) z.timestamp = sr.timestamp;
        if (ss) annotate(z, ss);
      }
    }
    if (ts !== 0) {
      first.timestamp = ts;
      if (dur !== 0) first.duration = dur;
      else delete first.duration;
    }
  }
  if (!cs && sr && (ts === 0 || (ss && dur === 0))) forEndpoint(sr.endpoint).shared = true;

  if (ms && mr) {
    const producer = forEndpoint(ms.endpoint);
    let consumer: ZipkinSpan;
    if (sameService(ms.endpoint, mr.endpoint)) {
      producer.kind = 'PRODUCER';
      consumer = newSpan(mr.endpoint);
      consumer.kind = 'CONSUMER';
      others.push(consumer);
    } else consumer = forEndpoint(mr.endpoint);
    consumer.shared = true;
    if (wr) {
      consumer.timestamp = wr.timestamp;
      consumer.duration = mr.timestamp - wr.timestamp;
    } else consumer.timestamp = mr.timestamp;
    producer.timestamp = ms.timestamp;
    if (ws) producer.duration = ws.timestamp - ms.timestamp;
    else delete producer.duration;
  } else if (ms) timeFrom(ms, ws);
  else if (mr) {
    if (wr) timeFrom(wr, mr);
    else timeFrom(mr, undefined);
  } else {
    if (ws) annotate(forEndpoint(ws.endpoint), ws);
    if (wr) annotate(forEndpoint(wr.endpoint), wr);
  }

  let ca: ZipkinEndpoint | undefined;
  let sa: ZipkinEndpoint | undefined;
  let ma: ZipkinEndpoint | undefined;
  for (const b of src.binary) {
    if (b.isAddress) {
      if (b.key === 'ca') ca = b.endpoint;
      else if (b.key === 'sa') sa = b.endpoint;
      else ma = b.endpoint;
      continue;
    }
    const z = forEndpoint(b.endpoint); // even an empty "lc" marker places its endpoint
    if (b.key === 'lc' && b.value === '') continue;
    (z.tags ??= Object.create(null) as Record<string, string>)[b.key] = b.value;
  }
  if (!cs && !cr && !ss && !sr && (ca || sa)) {
    if (ca && sa) forEndpoint(ca).remoteEndpoint = sa;
    else if (sa) first.remoteEndpoint = sa;
    else {
      first.kind = 'SERVER';
      first.remoteEndpoint = ca;
    }
  } else {
    const server = sr ?? ss;
    if (ca && server && !sameEndpoint(ca, server.endpoint)) {
      // a "ca" with the server's own service name is the client socket: drop the name (no loopback)
      const remote = sameService(ca, server.endpoint) ? { ...ca, serviceName: undefined } : ca;
      if (remote.serviceName === undefined) delete remote.serviceName;
      forEndpoint(server.endpoint).remoteEndpoint = remote;
    }
    if (sa) {
      if (cs) forEndpoint(cs.endpoint).remoteEndpoint = sa;
      else if (cr) forEndpoint(cr.endpoint).remoteEndpoint = sa;
    }
    if (ma) {
      if (ms) forEndpoint(ms.endpoint).remoteEndpoint = ma;
      if (mr) forEndpoint(mr.endpoint).remoteEndpoint = ma;
    }
  }
  const out = [first, ...others];
  for (const z of out) {
    if (z.timestamp === undefined || z.timestamp === 0) delete z.timestamp;
    if (z.duration === undefined || z.duration <= 0) delete z.duration;
  }
  return out;
}

function sameEndpoint(a: ZipkinEndpoint, b: ZipkinEndpoint | undefined): boolean {
  return !!b && sameService(a, b) && (a.ipv4 ?? '') === (b.ipv4 ?? '') && (a.ipv6 ?? '') === (b.ipv6 ?? '') && (a.port ?? 0) === (b.port ?? 0);
}

/** Validate a v1 JSON body and convert it to v2 spans. */
export function parseZipkinV1Json(body: string | unknown): ZipkinSpan[] {
  const doc = parseBody(body, 'zipkin v1');
  if (!Array.isArray(doc)) throw new CodecError(`zipkin v1: body must be a JSON array of spans, got ${typeName(doc)}`);
  return doc.flatMap(v1ToV2);
}

/** Decode a Zipkin v1 JSON body into model spans (via the v1 → v2 conversion Zipkin uses). */
export function decodeZipkinV1Json(body: string | unknown): Span[] {
  return zipkinSpansToModel(parseZipkinV1Json(body));
}
