/**
 * Reusable comparator between decoded model spans and a fixture's `*.expect.json` `spans` array
 * (see fixtures/README.md for the format). Works for the OTLP, Jaeger and Zipkin expectations.
 *
 * ```ts
 * const exp = readExpect('otlp-http-protobuf');
 * assertSpansMatchExpect(decodeOtlpProtobuf(readFixture('otlp-http-protobuf.bin')), exp.spans);
 * // Zipkin: decide what to do with the format-only fields
 * assertSpansMatchExpect(spans, zexp.spans, {
 *   fields: { wireTraceId: 'skip', localEndpoint: 'skip', remoteEndpoint: (s, e, where) => {...},
 *             shared: 'skip', debug: 'skip' },
 * });
 * ```
 *
 * Every field of an expected span is checked. Fields the model has a place for are checked by
 * default; format-only fields without a model counterpart (Zipkin `localEndpoint`, `remoteEndpoint`,
 * `shared`, `debug`, `wireTraceId`) must be given a checker or `'skip'` in `options.fields`, or the
 * comparison fails (so nothing is silently unchecked). `options.fields` also overrides any built-in
 * check. Spans are matched by span id (or by position with `matchBy: 'order'`).
 */
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import type { Attribute, AttributeValue, Span, SpanEvent, SpanLink } from '@ariadne/model';
import { SpanKind, StatusCode, parseSpanKind } from '@ariadne/model';

/** One expected attribute value: `{type, value}`; arrays hold nested values, bytes are base64. */
export interface ExpectValue {
  type: string;
  value?: unknown;
}
export type ExpectAttributes = Record<string, ExpectValue>;
export type ExpectSpan = Record<string, unknown>;
export interface ExpectFile {
  name: string;
  spans: ExpectSpan[];
  requests: Array<Record<string, unknown>>;
  traceIds: string[];
  spanCount: number;
  baseTimeUnixMicro: number;
  [k: string]: unknown;
}

/** A custom field check, or 'skip' to ignore the field. */
export type FieldCheck = 'skip' | ((span: Span, expected: ExpectSpan, where: string) => void);

export interface ExpectOptions {
  /** Per-field override: a checker or 'skip'. Keys are expected-span field names. */
  fields?: Record<string, FieldCheck>;
  /** Allow attributes on the model span (not resource/event/link) beyond the expected ones. */
  allowExtraAttributes?: boolean;
  /** 'spanId' (default): match by span id; 'order': expected[i] ↔ actual[i]. */
  matchBy?: 'spanId' | 'order';
}

// ---------------------------------------------------------------- fixture files

const here = dirname(fileURLToPath(import.meta.url));

/**
 * The shared real-client fixtures: $ARIADNE_FIXTURES_DIR, else `shared/fixtures` beside the repo
 * (where CI and every checkout keep them). Missing fixtures fail loudly: they are never skipped.
 */
export function fixturesDir(): string {
  const env = process.env.ARIADNE_FIXTURES_DIR;
  const dir = env || join(here, '../../../../../shared/fixtures');
  if (!existsSync(join(dir, 'index.json'))) throw new Error(`fixtures not found at ${dir} (set ARIADNE_FIXTURES_DIR)`);
  return dir;
}

/** Raw bytes of a fixture file (e.g. 'otlp-http-protobuf.bin'). */
export function readFixture(file: string): Buffer {
  return readFileSync(join(fixturesDir(), file));
}

/** Parsed `<name>.expect.json`. */
export function readExpect(name: string): ExpectFile {
  return JSON.parse(readFileSync(join(fixturesDir(), `${name}.expect.json`), 'utf8')) as ExpectFile;
}

// ---------------------------------------------------------------- comparisons

const str = (v: unknown): string => (v === null || v === undefined ? '' : String(v));

function b64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** Asserts one model attribute value equals an expected `{type, value}`. */
export function assertValueMatches(actual: AttributeValue, expected: ExpectValue, where: string): void {
  assert.equal(actual.type, expected.type, `${where}: type`);
  switch (expected.type) {
    case 'string':
    case 'bool':
      assert.equal((actual as { value: unknown }).value, expected.value, `${where}: value`);
      return;
    case 'int': {
      const a = (actual as { value: number | bigint }).value;
      assert.ok(typeof a === 'number' ? Number.isSafeInteger(a) : typeof a === 'bigint', `${where}: int stored as ${typeof a}`);
      if (typeof a === 'bigint') assert.ok(a > BigInt(Number.MAX_SAFE_INTEGER) || a < BigInt(Number.MIN_SAFE_INTEGER), `${where}: safe int stored as bigint`);
      assert.equal(BigInt(a), BigInt(expected.value as number | string), `${where}: value`);
      return;
    }
    case 'double':
      assert.equal(typeof (actual as { value: unknown }).value, 'number', `${where}: double type`);
      assert.equal((actual as { value: number }).value, Number(expected.value), `${where}: value`);
      return;
    case 'bytes': {
      const v = (actual as { value: Uint8Array }).value;
      assert.ok(v instanceof Uint8Array, `${where}: bytes not a Uint8Array`);
      assert.equal(b64(v), expected.value, `${where}: value (base64)`);
      return;
    }
    case 'array': {
      const av = (actual as { value: AttributeValue[] }).value;
      const ev = expected.value as ExpectValue[];
      assert.equal(av.length, ev.length, `${where}: array length`);
      for (let i = 0; i < ev.length; i++) assertValueMatches(av[i], ev[i], `${where}[${i}]`);
      return;
    }
    case 'kvlist':
      assertAttributesMatch((actual as { value: Attribute[] }).value, expected.value as ExpectAttributes, where);
      return;
    case 'empty':
      return;
    default:
      assert.fail(`${where}: unknown expected type ${expected.type}`);
  }
}

/** Asserts model attributes equal the expected key → value map (exactly, unless `allowExtra`). */
export function assertAttributesMatch(
  actual: readonly Attribute[],
  expected: ExpectAttributes | null | undefined,
  where: string,
  allowExtra = false,
): void {
  const exp = expected ?? {};
  const keys = Object.keys(exp);
  const seen = new Map<string, Attribute>();
  for (const a of actual) {
    assert.ok(!seen.has(a.key), `${where}: duplicate attribute ${a.key}`);
    seen.set(a.key, a);
  }
  for (const k of keys) {
    const a = seen.get(k);
    assert.ok(a, `${where}: missing attribute ${JSON.stringify(k)} (have ${[...seen.keys()].join(', ')})`);
    assertValueMatches(a.value, exp[k], `${where}.${k}`);
  }
  if (!allowExtra) {
    const extra = [...seen.keys()].filter((k) => !(k in exp));
    assert.deepEqual(extra, [], `${where}: unexpected attributes`);
  }
}

function kindOf(name: unknown): SpanKind {
  if (name === null || name === undefined) return SpanKind.UNSPECIFIED;
  const k = parseSpanKind(String(name));
  assert.ok(k !== undefined, `unknown expected kind ${String(name)}`);
  return k;
}

function statusCodeOf(name: unknown): StatusCode {
  const n = String(name ?? 'UNSET').toUpperCase().replace(/^STATUS_CODE_/, '');
  const c = (StatusCode as Record<string, StatusCode>)[n];
  assert.ok(c !== undefined, `unknown expected status code ${String(name)}`);
  return c;
}

function assertEventMatches(a: SpanEvent, e: Record<string, unknown>, where: string): void {
  for (const k of Object.keys(e)) {
    switch (k) {
      case 'timeUnixNano':
        assert.equal(a.timeUnixNano, BigInt(e[k] as string), `${where}.timeUnixNano`);
        break;
      case 'timeUnixMicro':
        if ('timeUnixNano' in e) assert.equal(a.timeUnixNano / 1000n, BigInt(e[k] as number), `${where}.timeUnixMicro`);
        else assert.equal(a.timeUnixNano, BigInt(e[k] as number) * 1000n, `${where}.timeUnixMicro`);
        break;
      case 'name':
        assert.equal(a.name, str(e[k]), `${where}.name`);
        break;
      case 'attributes':
        assertAttributesMatch(a.attributes, e[k] as ExpectAttributes, `${where}.attributes`);
        break;
      case 'droppedAttributesCount':
        assert.equal(a.droppedAttributesCount, e[k], `${where}.droppedAttributesCount`);
        break;
      default:
        assert.fail(`${where}: unknown expected event field ${k}`);
    }
  }
}

function assertLinkMatches(a: SpanLink, e: Record<string, unknown>, where: string): void {
  for (const k of Object.keys(e)) {
    switch (k) {
      case 'traceId':
      case 'spanId':
      case 'traceState':
        assert.equal(a[k], str(e[k]), `${where}.${k}`);
        break;
      case 'flags':
      case 'droppedAttributesCount':
        assert.equal(a[k], e[k] ?? 0, `${where}.${k}`);
        break;
      case 'attributes':
        assertAttributesMatch(a.attributes, e[k] as ExpectAttributes, `${where}.attributes`);
        break;
      case 'refType':
        assert.equal(a.refType, e[k] ?? undefined, `${where}.refType`);
        break;
      default:
        assert.fail(`${where}: unknown expected link field ${k}`);
    }
  }
}

/** Fields with no place in the model: the caller must pass a checker or 'skip'. */
const FORMAT_ONLY = new Set(['wireTraceId', 'localEndpoint', 'remoteEndpoint', 'shared', 'debug']);

type Builtin = (s: Span, e: ExpectSpan, where: string, opts: ExpectOptions) => void;

const BUILTIN: Record<string, Builtin> = {
  traceId: (s, e, w) => assert.equal(s.traceId, str(e.traceId), `${w}.traceId`),
  spanId: (s, e, w) => assert.equal(s.spanId, str(e.spanId), `${w}.spanId`),
  parentSpanId: (s, e, w) => assert.equal(s.parentSpanId, str(e.parentSpanId), `${w}.parentSpanId`),
  traceState: (s, e, w) => assert.equal(s.traceState, str(e.traceState), `${w}.traceState`),
  flags: (s, e, w) => assert.equal(s.flags, e.flags ?? 0, `${w}.flags`),
  serviceName: (s, e, w) => assert.equal(s.resource.serviceName, str(e.serviceName), `${w}.serviceName`),
  name: (s, e, w) => assert.equal(s.name, str(e.name), `${w}.name`),
  kind: (s, e, w) => assert.equal(s.kind, kindOf(e.kind), `${w}.kind`),
  startTimeUnixNano: (s, e, w) => assert.equal(s.startTimeUnixNano, BigInt(e.startTimeUnixNano as string), `${w}.startTimeUnixNano`),
  endTimeUnixNano: (s, e, w) => assert.equal(s.endTimeUnixNano, BigInt(e.endTimeUnixNano as string), `${w}.endTimeUnixNano`),
  startTimeUnixMicro: (s, e, w) => {
    const us = BigInt(e.startTimeUnixMicro as number);
    if ('startTimeUnixNano' in e) assert.equal(s.startTimeUnixNano / 1000n, us, `${w}.startTimeUnixMicro`);
    else assert.equal(s.startTimeUnixNano, us * 1000n, `${w}.startTimeUnixMicro`);
  },
  durationMicro: (s, e, w) => {
    const us = BigInt(e.durationMicro as number);
    const d = s.endTimeUnixNano - s.startTimeUnixNano;
    if ('endTimeUnixNano' in e) assert.equal(d / 1000n, us, `${w}.durationMicro`);
    else assert.equal(d, us * 1000n, `${w}.durationMicro`);
  },
  attributes: (s, e, w, o) => assertAttributesMatch(s.attributes, e.attributes as ExpectAttributes, `${w}.attributes`, o.allowExtraAttributes),
  droppedAttributesCount: (s, e, w) => assert.equal(s.droppedAttributesCount, e.droppedAttributesCount, `${w}.droppedAttributesCount`),
  droppedEventsCount: (s, e, w) => assert.equal(s.droppedEventsCount, e.droppedEventsCount, `${w}.droppedEventsCount`),
  droppedLinksCount: (s, e, w) => assert.equal(s.droppedLinksCount, e.droppedLinksCount, `${w}.droppedLinksCount`),
  events: (s, e, w) => {
    const ev = e.events as Array<Record<string, unknown>>;
    assert.equal(s.events.length, ev.length, `${w}.events.length`);
    ev.forEach((x, i) => assertEventMatches(s.events[i], x, `${w}.events[${i}]`));
  },
  links: (s, e, w) => {
    const ls = e.links as Array<Record<string, unknown>>;
    assert.equal(s.links.length, ls.length, `${w}.links.length`);
    ls.forEach((x, i) => assertLinkMatches(s.links[i], x, `${w}.links[${i}]`));
  },
  status: (s, e, w) => {
    const st = e.status as { code: unknown; message: unknown };
    assert.equal(s.status.code, statusCodeOf(st.code), `${w}.status.code`);
    assert.equal(s.status.message, str(st.message), `${w}.status.message`);
  },
  resource: (s, e, w) => {
    const r = e.resource as Record<string, unknown>;
    for (const k of Object.keys(r)) {
      if (k === 'attributes') assertAttributesMatch(s.resource.attributes, r.attributes as ExpectAttributes, `${w}.resource.attributes`);
      else if (k === 'droppedAttributesCount') assert.equal(s.resource.droppedAttributesCount, r[k] ?? 0, `${w}.resource.${k}`);
      else if (k === 'schemaUrl') assert.equal(s.resource.schemaUrl, str(r[k]), `${w}.resource.schemaUrl`);
      else if (k === 'serviceName') assert.equal(s.resource.serviceName, str(r[k]), `${w}.resource.serviceName`);
      else assert.fail(`${w}: unknown expected resource field ${k}`);
    }
  },
  scope: (s, e, w) => {
    const r = e.scope as Record<string, unknown>;
    for (const k of Object.keys(r)) {
      if (k === 'attributes') assertAttributesMatch(s.scope.attributes, r.attributes as ExpectAttributes, `${w}.scope.attributes`);
      else if (k === 'droppedAttributesCount') assert.equal(s.scope.droppedAttributesCount, r[k] ?? 0, `${w}.scope.${k}`);
      else if (k === 'name' || k === 'version' || k === 'schemaUrl') assert.equal(s.scope[k], str(r[k]), `${w}.scope.${k}`);
      else assert.fail(`${w}: unknown expected scope field ${k}`);
    }
  },
  /** Jaeger process → resource (service name separate; tags = resource attributes, no service.name added). */
  process: (s, e, w) => {
    const p = e.process as { serviceName: unknown; tags: ExpectAttributes };
    assert.equal(s.resource.serviceName, str(p.serviceName), `${w}.process.serviceName`);
    assertAttributesMatch(s.resource.attributes, p.tags, `${w}.process.tags`);
  },
  /**
   * Jaeger references: a CHILD_OF reference to the parent is folded into parentSpanId; every other
   * reference must be a link with the same refType, traceId and spanId (and no other links exist).
   */
  references: (s, e, w) => {
    const refs = e.references as Array<{ refType: string; traceId: string; spanId: string }>;
    const parent = str(e.parentSpanId);
    const rest = refs.filter((r) => !(r.refType === 'CHILD_OF' && r.spanId === parent));
    if (refs.length !== rest.length) assert.equal(s.parentSpanId, parent, `${w}.references: CHILD_OF parent not folded`);
    assert.equal(s.links.length, rest.length, `${w}.references: links count`);
    rest.forEach((r, i) => {
      const l = s.links[i];
      assert.equal(l.refType, r.refType, `${w}.references[${i}].refType`);
      assert.equal(l.traceId, r.traceId, `${w}.references[${i}].traceId`);
      assert.equal(l.spanId, r.spanId, `${w}.references[${i}].spanId`);
    });
  },
};

/** Asserts one model span matches one expected span, field by field. */
export function assertSpanMatchesExpect(span: Span, expected: ExpectSpan, options: ExpectOptions = {}): void {
  const where = `span ${str(expected.spanId)} (${str(expected.name)})`;
  for (const field of Object.keys(expected)) {
    const override = options.fields?.[field];
    if (override === 'skip') continue;
    if (override) {
      override(span, expected, where);
      continue;
    }
    const builtin = BUILTIN[field];
    if (builtin) builtin(span, expected, where, options);
    else if (FORMAT_ONLY.has(field)) {
      assert.fail(`${where}: field ${field} has no model counterpart: pass options.fields.${field} ('skip' or a checker)`);
    } else assert.fail(`${where}: unknown expected field ${field}`);
  }
}

/** Asserts the decoded spans are exactly the expected ones (same count, each matching field by field). */
export function assertSpansMatchExpect(actual: readonly Span[], expected: readonly ExpectSpan[], options: ExpectOptions = {}): void {
  assert.equal(actual.length, expected.length, `span count: got ${actual.length}, expected ${expected.length}`);
  if (options.matchBy === 'order') {
    expected.forEach((e, i) => assertSpanMatchesExpect(actual[i], e, options));
    return;
  }
  const byId = new Map<string, Span>();
  for (const s of actual) {
    assert.ok(!byId.has(s.spanId), `duplicate span id ${s.spanId} in decoded spans`);
    byId.set(s.spanId, s);
  }
  for (const e of expected) {
    const s = byId.get(str(e.spanId));
    assert.ok(s, `expected span ${str(e.spanId)} (${str(e.name)}) not decoded; have ${[...byId.keys()].join(', ')}`);
    assertSpanMatchesExpect(s, e, options);
  }
}
