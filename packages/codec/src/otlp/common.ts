/** Pieces shared by the OTLP protobuf and JSON codecs. */
import type { Attribute, AttributeValue, InstrumentationScope, Resource, Span } from '@ariadne/model';
import { EMPTY_SCOPE, attributeValueToString } from '@ariadne/model';

/** Maximum nesting of AnyValue arrays / kvlists accepted (deeper input is rejected). */
export const MAX_VALUE_DEPTH = 32;

/** `service.name` from resource attributes ('' when there is none). */
export function serviceNameOf(attributes: readonly Attribute[]): string {
  for (let i = 0; i < attributes.length; i++) {
    const a = attributes[i];
    if (a.key === 'service.name') return a.value.type === 'string' ? a.value.value : attributeValueToString(a.value);
  }
  return '';
}

export function emptyResource(schemaUrl = ''): Resource {
  return { serviceName: '', attributes: [], droppedAttributesCount: 0, schemaUrl };
}

export function scopeWithSchema(scope: InstrumentationScope | undefined, schemaUrl: string): InstrumentationScope {
  if (!scope) {
    if (!schemaUrl) return EMPTY_SCOPE;
    return { name: '', version: '', attributes: [], droppedAttributesCount: 0, schemaUrl };
  }
  scope.schemaUrl = schemaUrl;
  return scope;
}

/**
 * Resource attributes as they go on the wire: a resource whose service name is not among its
 * attributes (Jaeger process, Zipkin endpoint) gets `service.name` first, so it survives.
 */
export function resourceWireAttributes(r: Resource): Attribute[] {
  if (!r.serviceName) return r.attributes;
  for (const a of r.attributes) if (a.key === 'service.name') return r.attributes;
  return [{ key: 'service.name', value: { type: 'string', value: r.serviceName } }, ...r.attributes];
}

export interface ScopeGroup {
  scope: InstrumentationScope;
  spans: Span[];
}
export interface ResourceGroup {
  resource: Resource;
  scopes: ScopeGroup[];
}

/**
 * Groups spans by resource, then by scope: first by object identity (cheap), then by equal content,
 * so spans from different batches with the same resource still share one ResourceSpans.
 * Order: groups in order of first appearance, spans in input order.
 */
export function groupSpans(spans: readonly Span[]): ResourceGroup[] {
  const groups: ResourceGroup[] = [];
  const byResource = new Map<Resource, { g: ResourceGroup; byScope: Map<InstrumentationScope, ScopeGroup>; byScopeKey: Map<string, ScopeGroup> }>();
  const byResourceKey = new Map<string, { g: ResourceGroup; byScope: Map<InstrumentationScope, ScopeGroup>; byScopeKey: Map<string, ScopeGroup> }>();
  for (const span of spans) {
    let entry = byResource.get(span.resource);
    if (!entry) {
      const key = resourceKey(span.resource);
      entry = byResourceKey.get(key);
      if (!entry) {
        entry = { g: { resource: span.resource, scopes: [] }, byScope: new Map(), byScopeKey: new Map() };
        groups.push(entry.g);
        byResourceKey.set(key, entry);
      }
      byResource.set(span.resource, entry);
    }
    let sg = entry.byScope.get(span.scope);
    if (!sg) {
      const key = scopeKey(span.scope);
      sg = entry.byScopeKey.get(key);
      if (!sg) {
        sg = { scope: span.scope, spans: [] };
        entry.g.scopes.push(sg);
        entry.byScopeKey.set(key, sg);
      }
      entry.byScope.set(span.scope, sg);
    }
    sg.spans.push(span);
  }
  return groups;
}

function resourceKey(r: Resource): string {
  return `${r.serviceName.length}:${r.serviceName}|${r.droppedAttributesCount}|${r.schemaUrl.length}:${r.schemaUrl}|${attrsKey(r.attributes)}`;
}

function scopeKey(s: InstrumentationScope): string {
  return `${s.name.length}:${s.name}|${s.version.length}:${s.version}|${s.droppedAttributesCount}|${s.schemaUrl.length}:${s.schemaUrl}|${attrsKey(s.attributes)}`;
}

function attrsKey(attrs: readonly Attribute[]): string {
  let s = '{';
  for (const a of attrs) s += `${a.key.length}:${a.key}=${valueKey(a.value)};`;
  return s + '}';
}

function valueKey(v: AttributeValue): string {
  switch (v.type) {
    case 'string':
      return `s${v.value.length}:${v.value}`;
    case 'bool':
      return v.value ? 'T' : 'F';
    case 'int':
      return `i${v.value}`;
    case 'double':
      return `d${Object.is(v.value, -0) ? '-0' : v.value}`;
    case 'bytes': {
      let s = `b${v.value.length}:`;
      for (const x of v.value) s += x.toString(16).padStart(2, '0');
      return s;
    }
    case 'array':
      return `[${v.value.map(valueKey).join(',')}]`;
    case 'kvlist':
      return `k${attrsKey(v.value)}`;
    case 'empty':
      return 'e';
  }
}

/** Span kind / status code range checks (unknown values become 0 with a warning). */
export function isSpanKind(n: number): boolean {
  return n >= 0 && n <= 5 && Number.isInteger(n);
}
export function isStatusCode(n: number): boolean {
  return n >= 0 && n <= 2 && Number.isInteger(n);
}
