import { decodeOtlpProtobuf, encodeOtlpProtobuf } from '@ariadne/codec';
import type { Attribute, AttributeValue, Resource, Span, SpanLink } from '@ariadne/model';

/**
 * The span encoding on the ingest stream (collector `--queue` → JetStream → ingester), version 1.
 *
 * One stream message carries one batch of spans:
 * - payload: an OTLP `ExportTraceServiceRequest` (opentelemetry.proto.collector.trace.v1) in
 *   binary protobuf, uncompressed, written and read by `@ariadne/codec`;
 * - header `Ariadne-Format: otlp-proto/1` (format and version; an ingester that does not know a
 *   message's format leaves it in the stream for one that does);
 * - header `Ariadne-Span-Count: N`, the number of spans (informational).
 *
 * OTLP cannot say a few things the span model keeps, so version 1 carries them in attributes with
 * the reserved prefix `ariadne.stream.`, each the LAST attribute of its list, removed on decode:
 * - span `ariadne.stream.warnings` (array of strings): the span's `warnings`;
 * - link `ariadne.stream.ref_type` (string `CHILD_OF`/`FOLLOWS_FROM`): the link's `refType`;
 * - resource `ariadne.stream.service_name` (array `[serviceName, prepended]`), present only when
 *   the resource's `serviceName` is not its `service.name` attribute (Jaeger processes and Zipkin
 *   endpoints have no such attribute; the OTLP encoder then puts one first, `prepended`=true).
 * So a span read from the stream equals the span the collector validated (strings are UTF-8 on
 * the wire: a lone UTF-16 surrogate, which only escaped JSON input can carry, becomes U+FFFD).
 */

export const STREAM_FORMAT_HEADER = 'Ariadne-Format';
export const STREAM_FORMAT = 'otlp-proto/1';
export const SPAN_COUNT_HEADER = 'Ariadne-Span-Count';

const WARNINGS_KEY = 'ariadne.stream.warnings';
const REF_TYPE_KEY = 'ariadne.stream.ref_type';
const SERVICE_NAME_KEY = 'ariadne.stream.service_name';

/** One message's worth of spans, encoded. */
export interface EncodedBatch {
  data: Uint8Array;
  spans: number;
}

/** One span cannot be made to fit the stream's largest message (e.g. a huge shared resource). */
export class SpanTooLargeError extends Error {
  override name = 'SpanTooLargeError';
}

/**
 * Encode `spans` as one or more messages of at most `maxBytes` payload each (splitting a batch
 * that encodes too large). A single span larger than a message is cut down to fit, the way
 * validation limits cut spans, rather than failing the whole batch (which holds other clients'
 * requests): its attribute values are truncated (to 16 KiB, then 4 KiB, … 16 chars), then its
 * events, links and attributes dropped (counted in its dropped counts), each step recorded as a
 * span warning. Throws `SpanTooLargeError` only when even that does not fit.
 */
export function encodeSpanMessages(spans: readonly Span[], maxBytes: number): EncodedBatch[] {
  if (spans.length === 0) return [];
  const out: EncodedBatch[] = [];
  const encode = (part: readonly Span[]) => {
    const data = encodeOtlpProtobuf(toWire(part));
    if (data.byteLength <= maxBytes) {
      out.push({ data, spans: part.length });
      return;
    }
    if (part.length === 1) {
      out.push({ data: shrinkToFit(part[0], data.byteLength, maxBytes), spans: 1 });
      return;
    }
    // Most batches fit; an oversized one is split in proportion to how much too large it is.
    const parts = Math.max(2, Math.ceil(data.byteLength / maxBytes));
    const size = Math.ceil(part.length / parts);
    for (let i = 0; i < part.length; i += size) encode(part.slice(i, i + size));
  };
  encode(spans);
  return out;
}

/** A copy of `s` cut down until it encodes within `maxBytes`; the encoded bytes. */
function shrinkToFit(s: Span, size: number, maxBytes: number): Uint8Array {
  const why = `encoded to ${size} bytes, more than a stream message holds (${maxBytes}; the NATS server's max_payload)`;
  for (let limit = 16 * 1024; limit >= 16; limit = Math.floor(limit / 4)) {
    const copy: Span = {
      ...s,
      attributes: truncateAll(s.attributes, limit),
      events: s.events.map((e) => ({ ...e, attributes: truncateAll(e.attributes, limit) })),
      links: s.links.map((l) => ({ ...l, attributes: truncateAll(l.attributes, limit) })),
      warnings: [...s.warnings, `span ${why}: attribute values truncated to ${limit}`],
    };
    const data = encodeOtlpProtobuf(toWire([copy]));
    if (data.byteLength <= maxBytes) return data;
  }
  const bare: Span = {
    ...s,
    attributes: [],
    droppedAttributesCount: s.droppedAttributesCount + s.attributes.length,
    events: [],
    droppedEventsCount: s.droppedEventsCount + s.events.length,
    links: [],
    droppedLinksCount: s.droppedLinksCount + s.links.length,
    warnings: [...s.warnings, `span ${why}: its attributes, events and links were dropped`],
  };
  const data = encodeOtlpProtobuf(toWire([bare]));
  if (data.byteLength <= maxBytes) return data;
  throw new SpanTooLargeError(`span ${s.traceId}/${s.spanId} ${why}, even without attributes, events and links (its resource is too large)`);
}

function truncateAll(attrs: readonly Attribute[], limit: number): Attribute[] {
  return attrs.map((a) => {
    const v = truncateValue(a.value, limit);
    return v === a.value ? a : { key: a.key, value: v };
  });
}

function truncateValue(v: AttributeValue, max: number): AttributeValue {
  switch (v.type) {
    case 'string':
      return v.value.length > max ? { type: 'string', value: v.value.slice(0, max) } : v;
    case 'bytes':
      return v.value.length > max ? { type: 'bytes', value: v.value.slice(0, max) } : v;
    case 'array':
      return { type: 'array', value: v.value.map((x) => truncateValue(x, max)) };
    case 'kvlist':
      return { type: 'kvlist', value: truncateAll(v.value, max) };
    default:
      return v;
  }
}

/** Decode one message payload (format `otlp-proto/1`). Throws `CodecError` on a malformed payload. */
export function decodeSpanMessage(data: Uint8Array): Span[] {
  const spans = decodeOtlpProtobuf(data);
  const seen = new Set<Resource>();
  for (const s of spans) {
    if (!seen.has(s.resource)) {
      seen.add(s.resource);
      restoreResource(s.resource);
    }
    const last = s.attributes[s.attributes.length - 1];
    if (last && last.key === WARNINGS_KEY && last.value.type === 'array') {
      s.attributes.pop();
      for (const w of last.value.value) if (w.type === 'string') s.warnings.push(w.value);
    }
    for (const l of s.links) {
      const a = l.attributes[l.attributes.length - 1];
      if (a && a.key === REF_TYPE_KEY && a.value.type === 'string' && (a.value.value === 'CHILD_OF' || a.value.value === 'FOLLOWS_FROM')) {
        l.attributes.pop();
        l.refType = a.value.value;
      }
    }
  }
  return spans;
}

function restoreResource(r: Resource): void {
  const last = r.attributes[r.attributes.length - 1];
  if (!last || last.key !== SERVICE_NAME_KEY || last.value.type !== 'array') return;
  const [name, prepended] = last.value.value;
  if (name?.type !== 'string' || prepended?.type !== 'bool') return;
  r.attributes.pop();
  r.serviceName = name.value;
  if (prepended.value && r.attributes[0]?.key === 'service.name') r.attributes.shift();
}

/** The spans as they go on the wire: copies (shallow) only where the model says more than OTLP. */
function toWire(spans: readonly Span[]): Span[] {
  const resources = new Map<Resource, Resource>();
  const out = new Array<Span>(spans.length);
  for (let i = 0; i < spans.length; i++) {
    const s = spans[i];
    let res = resources.get(s.resource);
    if (!res) {
      res = wireResource(s.resource);
      resources.set(s.resource, res);
    }
    const hasRefs = s.links.some((l) => l.refType !== undefined);
    if (res === s.resource && s.warnings.length === 0 && !hasRefs) {
      out[i] = s;
      continue;
    }
    const copy: Span = { ...s, resource: res };
    if (s.warnings.length) {
      copy.attributes = [...s.attributes, { key: WARNINGS_KEY, value: { type: 'array', value: s.warnings.map((w) => ({ type: 'string' as const, value: w })) } }];
    }
    if (hasRefs) copy.links = s.links.map(wireLink);
    out[i] = copy;
  }
  return out;
}

function wireLink(l: SpanLink): SpanLink {
  if (l.refType === undefined) return l;
  return { ...l, attributes: [...l.attributes, { key: REF_TYPE_KEY, value: { type: 'string', value: l.refType } }] };
}

function wireResource(r: Resource): Resource {
  let named: Attribute | undefined;
  for (const a of r.attributes) {
    if (a.key === 'service.name') {
      named = a;
      break;
    }
  }
  if (named && named.value.type === 'string' && named.value.value === r.serviceName) return r;
  // The OTLP encoder puts `service.name` first when the attributes have none (and the name is set).
  const prepended = !named && r.serviceName !== '';
  return {
    ...r,
    attributes: [
      ...r.attributes,
      { key: SERVICE_NAME_KEY, value: { type: 'array', value: [{ type: 'string', value: r.serviceName }, { type: 'bool', value: prepended }] } },
    ],
  };
}
