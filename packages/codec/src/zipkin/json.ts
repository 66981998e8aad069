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

const CORE = new Set(['cs', 'cr', 'sr', 'ss', 'ms', 'mr']);

/**
 * Convert one v1 span to v2 spans the way Zipkin's V1SpanConverter does:
 * - cs/cr → a CLIENT span (local endpoint = cs/cr endpoint), sr/ss → a SERVER span; a v1 span with
 *   both is split in two, the server half marked `shared` (it shares the client's span id);
 *   ms → PRODUCER, mr → CONSUMER; none of these → a local span (endpoint of the `lc` binary
 *   annotation or of the first annotation).
 * - The client half takes the v1 span's timestamp/duration (else cs, cr−cs); a lone server half
 *   the v1 timestamp/duration (else sr, ss−sr); a shared server half sr and ss−sr.
 * - Other annotations become annotations of the half whose service matches their endpoint.
 * - Binary annotations `ca`/`sa`/`ma` (address, BOOL) become the remote endpoint of the server /
 *   client / messaging half; all others become string tags (non-string values as their text:
 *   numbers and booleans, BYTES as the base64 text sent).
 */
function v1ToV2(v: unknown, i: number): ZipkinSpan[] {
  const where = `zipkin v1: span[${i}]`;
  if (!isObj(v)) throw new CodecError(`${where}: expected an object, got ${typeName(v)}`);
  const traceId = optId(v, 'traceId', where);
  if (!traceId) throw new CodecError(`${where}.traceId: missing`);
  const id = optId(v, 'id', where);
  if (!id) throw new CodecError(`${where}.id: missing`);
  const parentId = optId(v, 'parentId', where);
  const name = optString(v, 'name', where) ?? '';
  const timestamp = optNumber(v, 'timestamp', where);
  const duration = optNumber(v, 'duration', where);
  const debug = optBool(v, 'debug', where);

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

  const core = new Map<string, V1Annotation>();
  for (const a of annotations) if (CORE.has(a.value) && !core.has(a.value)) core.set(a.value, a);
  const cs = core.get('cs');
  const cr = core.get('cr');
  const sr = core.get('sr');
  const ss = core.get('ss');
  const ms = core.get('ms');
  const mr = core.get('mr');

  const base = (): ZipkinSpan => {
    const z: ZipkinSpan = { traceId, id, name };
    if (parentId) z.parentId = parentId;
    return z;
  };
  const out: ZipkinSpan[] = [];
  let client: ZipkinSpan | undefined;
  let server: ZipkinSpan | undefined;
  let messaging: ZipkinSpan | undefined;
  if (cs || cr) {
    client = base();
    client.kind = 'CLIENT';
    client.localEndpoint = (cs ?? cr)!.endpoint;
    client.timestamp = timestamp ?? cs?.timestamp;
    client.duration = duration ?? (cs && cr ? Math.max(0, cr.timestamp - cs.timestamp) : undefined);
    out.push(client);
  }
  if (sr || ss) {
    server = base();
    server.kind = 'SERVER';
    server.localEndpoint = (sr ?? ss)!.endpoint;
    if (client) {
      server.shared = true;
      server.timestamp = sr?.timestamp;
      server.duration = sr && ss ? Math.max(0, ss.timestamp - sr.timestamp) : undefined;
    } else {
      server.timestamp = timestamp ?? sr?.timestamp;
      server.duration = duration ?? (sr && ss ? Math.max(0, ss.timestamp - sr.timestamp) : undefined);
    }
    out.push(server);
  }
  if (!client && !server && (ms || mr)) {
    messaging = base();
    messaging.kind = ms ? 'PRODUCER' : 'CONSUMER';
    messaging.localEndpoint = (ms ?? mr)!.endpoint;
    messaging.timestamp = timestamp ?? (ms ?? mr)!.timestamp;
    if (duration !== undefined) messaging.duration = duration;
    out.push(messaging);
  }
  if (out.length === 0) {
    const local = base();
    local.localEndpoint = binary.find((b) => b.key === 'lc')?.endpoint ?? annotations.find((a) => a.endpoint)?.endpoint ?? binary.find((b) => b.endpoint && !b.isAddress)?.endpoint;
    local.timestamp = timestamp;
    local.duration = duration;
    out.push(local);
  }
  for (const z of out) {
    if (z.timestamp === undefined) delete z.timestamp;
    if (z.duration === undefined) delete z.duration;
    if (!z.localEndpoint) delete z.localEndpoint;
  }
  if (debug) out[0].debug = true;

  const owner = (ep: ZipkinEndpoint | undefined): ZipkinSpan => {
    if (ep?.serviceName && out.length > 1) {
      const name = ep.serviceName.toLowerCase();
      const m = out.find((z) => z.localEndpoint?.serviceName?.toLowerCase() === name);
      if (m) return m;
    }
    return out[0];
  };
  for (const a of annotations) {
    if (core.get(a.value) === a) continue;
    const z = owner(a.endpoint);
    (z.annotations ??= []).push({ timestamp: a.timestamp, value: a.value });
  }
  for (const b of binary) {
    if (b.isAddress) {
      const target = b.key === 'ca' ? server : b.key === 'sa' ? client : messaging;
      const z = target ?? out[0];
      if (b.endpoint && !z.remoteEndpoint) z.remoteEndpoint = b.endpoint;
      continue;
    }
    const z = owner(b.endpoint);
    (z.tags ??= Object.create(null) as Record<string, string>)[b.key] = b.value;
  }
  return out;
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
