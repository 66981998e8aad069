import { attributeValueToString } from '@ariadne/model';
import type { Attribute, AttributeValue, InstrumentationScope, Resource, Span } from '@ariadne/model';

/**
 * The write path's span → row text, built in one pass: the `span` column (exactly the text of
 * `serializeSpan` in serialize.ts) and the `tags` column (every span, resource and event attribute
 * and the derived tags as "\x1fkey\x1evalue\x1f…", keys and values escaped; see duckdb.ts).
 *
 * Faster than `serializeSpan` + a separate tags pass because (measured in bench/ingest.bench.ts,
 * where this was ≈60 % of the main thread's write cost):
 * - each attribute is visited once for both texts, and printable-ASCII strings (nearly all) are
 *   recognised by one regex test that answers both "needs no JSON escaping" and "needs no tag
 *   escaping";
 * - the resource's and scope's texts are cached per object: a decoded request shares one
 *   resource and scope object among all its spans (and a tracer among all of its spans);
 * - derived tags are appended without allocating attribute objects.
 * A test checks the output against `serializeSpan` and the reference tags text on varied spans.
 */

export const FS = '\x1f';
export const RS = '\x1e';
const ESC_RE = /[\\\x1e\x1f]/g;
const NEEDS_ESC = /[\\\x1e\x1f]/;
const ESC_MAP: Record<string, string> = { '\\': '\\\\', '\x1e': '\\e', '\x1f': '\\f' };
/** Injective, prefix-preserving escape that keeps the separators out of keys and values. */
export function esc(s: string): string {
  return NEEDS_ESC.test(s) ? s.replace(ESC_RE, (c) => ESC_MAP[c]) : s;
}

/** Printable ASCII without '"' and '\\': needs neither JSON nor tag escaping. */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** JSON string literal, as serialize.ts writes it. */
function str(s: string): string {
  return s.length < 200 && PLAIN.test(s) ? '"' + s + '"' : JSON.stringify(s);
}

function num(n: number): string {
  return Number.isFinite(n) ? String(n) : 'null';
}

/** Both texts of an attribute list: `json` is serialize.ts's `[[k,tag,payload],…]`, `tags` the tag entries (no leading FS). */
let outJson = '';
let outTags = '';

function attrs(list: readonly Attribute[]): void {
  let j = '[';
  let t = '';
  for (let i = 0; i < list.length; i++) {
    const a = list[i];
    const k = a.key;
    const v = a.value;
    const plainKey = k.length < 200 && PLAIN.test(k);
    j += (i > 0 ? ',["' : '["');
    j += plainKey ? k + '",' : JSON.stringify(k).slice(1) + ',';
    t += plainKey ? k : esc(k);
    t += RS;
    if (v.type === 'string') {
      const s = v.value;
      if (s.length < 200 && PLAIN.test(s)) {
        j += '"s","' + s + '"]';
        t += s;
      } else {
        j += '"s",' + JSON.stringify(s) + ']';
        t += esc(s);
      }
    } else {
      j += valueText(v) + ']';
      t += esc(attributeValueToString(v));
    }
    t += FS;
  }
  outJson = j + ']';
  outTags = t;
}

/** The tag and payload of a value, comma-separated (as serialize.ts writes it). */
function valueText(v: AttributeValue): string {
  switch (v.type) {
    case 'string':
      return '"s",' + str(v.value);
    case 'bool':
      return v.value ? '"b",true' : '"b",false';
    case 'int':
      return typeof v.value === 'bigint' ? '"I","' + v.value.toString() + '"' : '"i",' + num(v.value);
    case 'double':
      return Number.isFinite(v.value) && !Object.is(v.value, -0) ? '"d",' + String(v.value) : '"D","' + (Object.is(v.value, -0) ? '-0' : String(v.value)) + '"';
    case 'bytes':
      return '"y","' + Buffer.from(v.value.buffer, v.value.byteOffset, v.value.byteLength).toString('base64') + '"';
    case 'array': {
      let o = '"a",[';
      for (let i = 0; i < v.value.length; i++) o += (i > 0 ? ',[' : '[') + valueText(v.value[i]) + ']';
      return o + ']';
    }
    case 'kvlist': {
      attrs(v.value);
      return '"k",' + outJson;
    }
    case 'empty':
      return '"e"';
    default:
      throw new TypeError(`unknown attribute value type ${JSON.stringify((v as { type: unknown }).type)}`);
  }
}

interface ResourceText {
  attributes: readonly Attribute[];
  count: number;
  serviceName: string;
  dropped: number;
  schemaUrl: string;
  json: string;
  tags: string;
}
const resourceCache = new WeakMap<Resource, ResourceText>();

function resourceText(r: Resource): ResourceText {
  const c = resourceCache.get(r);
  // Spans are immutable once built; the checks only guard against a resource object reused with other contents.
  if (c && c.attributes === r.attributes && c.count === r.attributes.length && c.serviceName === r.serviceName && c.dropped === r.droppedAttributesCount && c.schemaUrl === r.schemaUrl) {
    return c;
  }
  attrs(r.attributes);
  const t: ResourceText = {
    attributes: r.attributes,
    count: r.attributes.length,
    serviceName: r.serviceName,
    dropped: r.droppedAttributesCount,
    schemaUrl: r.schemaUrl,
    json: ',"r":{"n":' + str(r.serviceName) + ',"a":' + outJson + ',"d":' + num(r.droppedAttributesCount) + ',"u":' + str(r.schemaUrl) + '}',
    tags: outTags,
  };
  resourceCache.set(r, t);
  return t;
}

interface ScopeText {
  attributes: readonly Attribute[];
  count: number;
  name: string;
  version: string;
  dropped: number;
  schemaUrl: string;
  json: string;
  /** The derived otel.scope.* tag entries (used when the span has no such attributes). */
  nameTag: string;
  versionTag: string;
}
const scopeCache = new WeakMap<InstrumentationScope, ScopeText>();

function scopeText(s: InstrumentationScope): ScopeText {
  const c = scopeCache.get(s);
  if (c && c.attributes === s.attributes && c.count === s.attributes.length && c.name === s.name && c.version === s.version && c.dropped === s.droppedAttributesCount && c.schemaUrl === s.schemaUrl) {
    return c;
  }
  attrs(s.attributes);
  const t: ScopeText = {
    attributes: s.attributes,
    count: s.attributes.length,
    name: s.name,
    version: s.version,
    dropped: s.droppedAttributesCount,
    schemaUrl: s.schemaUrl,
    json: ',"i":{"n":' + str(s.name) + ',"v":' + str(s.version) + ',"a":' + outJson + ',"d":' + num(s.droppedAttributesCount) + ',"u":' + str(s.schemaUrl) + '}',
    nameTag: s.name ? 'otel.scope.name' + RS + esc(s.name) + FS : '',
    versionTag: s.version ? 'otel.scope.version' + RS + esc(s.version) + FS : '',
  };
  scopeCache.set(s, t);
  return t;
}

const KIND_TAG = ['', 'span.kind\x1einternal\x1f', 'span.kind\x1eserver\x1f', 'span.kind\x1eclient\x1f', 'span.kind\x1eproducer\x1f', 'span.kind\x1econsumer\x1f'];
const STATUS_TAG = ['', 'otel.status_code\x1eOK\x1f', 'otel.status_code\x1eERROR\x1f'];

/** Which derived-tag keys a span's own attributes already carry (bit per key). */
function derivedKeysPresent(list: readonly Attribute[]): number {
  let m = 0;
  for (let i = 0; i < list.length; i++) {
    const k = list[i].key;
    // Cheap first-character filter: every derived key starts with 's', 'e' or 'o'.
    const c = k.charCodeAt(0);
    if (c !== 115 && c !== 101 && c !== 111) continue;
    if (k === 'span.kind') m |= 1;
    else if (k === 'error') m |= 2;
    else if (k === 'otel.status_code') m |= 4;
    else if (k === 'otel.status_description') m |= 8;
    else if (k === 'otel.scope.name') m |= 16;
    else if (k === 'otel.scope.version') m |= 32;
  }
  return m;
}

/** The `span` (JSON) and `tags` texts of a span's row. */
export function spanRowTexts(s: Span): { json: string; tags: string } {
  attrs(s.attributes);
  const spanAttrsJson = outJson;
  let tags = FS + outTags;

  let j = '{"t":' + str(s.traceId);
  j += ',"s":' + str(s.spanId);
  j += ',"p":' + str(s.parentSpanId);
  j += ',"n":' + str(s.name);
  j += ',"k":' + num(s.kind);
  j += ',"st":"' + s.startTimeUnixNano.toString();
  j += '","et":"' + s.endTimeUnixNano.toString();
  j += '","a":' + spanAttrsJson;
  j += ',"da":' + num(s.droppedAttributesCount);
  j += ',"e":[';
  const r = resourceText(s.resource);
  tags += r.tags;
  for (let i = 0; i < s.events.length; i++) {
    const e = s.events[i];
    attrs(e.attributes);
    tags += outTags;
    j += (i > 0 ? ',' : '') + '{"t":"' + e.timeUnixNano.toString() + '","n":' + str(e.name) + ',"a":' + outJson + ',"d":' + num(e.droppedAttributesCount) + '}';
  }
  j += '],"de":' + num(s.droppedEventsCount);
  j += ',"l":[';
  for (let i = 0; i < s.links.length; i++) {
    const l = s.links[i];
    attrs(l.attributes);
    if (i > 0) j += ',';
    j += '{"t":' + str(l.traceId) + ',"s":' + str(l.spanId) + ',"ts":' + str(l.traceState) + ',"f":' + num(l.flags);
    j += ',"a":' + outJson + ',"d":' + num(l.droppedAttributesCount);
    if (l.refType !== undefined) j += ',"r":' + str(l.refType);
    j += '}';
  }
  j += '],"dl":' + num(s.droppedLinksCount);
  j += ',"sc":' + num(s.status.code) + ',"sm":' + str(s.status.message);
  j += ',"ts":' + str(s.traceState) + ',"f":' + num(s.flags);
  j += r.json;
  const sc = scopeText(s.scope);
  j += sc.json;
  j += ',"w":[';
  for (let i = 0; i < s.warnings.length; i++) j += (i > 0 ? ',' : '') + str(s.warnings[i]);
  j += ']}';

  // Derived tags, in filters.ts `derivedTags` order, each only when the span lacks that attribute.
  const present = derivedKeysPresent(s.attributes);
  const code = s.status.code;
  if (!(present & 1) && KIND_TAG[s.kind]) tags += KIND_TAG[s.kind];
  if (code === 2 && !(present & 2)) tags += 'error\x1etrue\x1f';
  if (!(present & 4) && STATUS_TAG[code]) tags += STATUS_TAG[code];
  if (code === 2 && !(present & 8) && s.status.message) tags += 'otel.status_description' + RS + esc(s.status.message) + FS;
  if (!(present & 16)) tags += sc.nameTag;
  if (!(present & 32)) tags += sc.versionTag;
  return { json: flatten(j), tags: flatten(tags) };
}

/**
 * Make V8 flatten a string built by concatenation (a rope) — ToNumber flattens its argument, as
 * the `flatstr` package does. Measured: appending a ~650-char rope cost 8 µs, a flat string 2 µs,
 * the flattening 2.7 µs.
 */
export function flatten(s: string): string {
  // eslint-disable-next-line @typescript-eslint/no-unused-expressions
  (s as unknown as number) | 0;
  return s;
}
