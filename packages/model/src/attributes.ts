import type { Attribute, AttributeValue } from './span.js';

/** Build an attribute from a plain JS value (string, boolean, number, bigint, bytes, array). */
export function toAttributeValue(v: unknown): AttributeValue {
  switch (typeof v) {
    case 'string':
      return { type: 'string', value: v };
    case 'boolean':
      return { type: 'bool', value: v };
    case 'number':
      return Number.isInteger(v) ? { type: 'int', value: v } : { type: 'double', value: v };
    case 'bigint':
      return { type: 'int', value: v };
    default:
      if (v instanceof Uint8Array) return { type: 'bytes', value: v };
      if (Array.isArray(v)) return { type: 'array', value: v.map(toAttributeValue) };
      if (v === null || v === undefined) return { type: 'empty' };
      return { type: 'string', value: safeStringify(v) };
  }
}

function safeStringify(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

export function attr(key: string, value: unknown): Attribute {
  return { key, value: toAttributeValue(value) };
}

/** First attribute with this key, or undefined. */
export function findAttribute(attrs: readonly Attribute[], key: string): AttributeValue | undefined {
  for (let i = 0; i < attrs.length; i++) if (attrs[i].key === key) return attrs[i].value;
  return undefined;
}

/** The value as a plain JS value (int → number, or bigint when unsafe; bytes stay bytes). */
export function plainValue(v: AttributeValue): unknown {
  switch (v.type) {
    case 'empty':
      return null;
    case 'array':
      return v.value.map(plainValue);
    case 'kvlist':
      return Object.fromEntries(v.value.map((a) => [a.key, plainValue(a.value)]));
    default:
      return v.value;
  }
}

/**
 * The value as text, the way Jaeger shows and matches tags: strings as they are, numbers and
 * booleans in their JS spelling, bytes as base64, arrays and maps as JSON.
 */
export function attributeValueToString(v: AttributeValue): string {
  switch (v.type) {
    case 'string':
      return v.value;
    case 'bool':
    case 'double':
    case 'int':
      return String(v.value);
    case 'bytes':
      return Buffer.from(v.value.buffer, v.value.byteOffset, v.value.byteLength).toString('base64');
    case 'empty':
      return '';
    case 'array':
    case 'kvlist':
      return JSON.stringify(jsonSafe(plainValue(v)));
  }
}

/** Replace bigints and byte arrays so a value can be JSON-stringified. */
export function jsonSafe(v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
  if (Array.isArray(v)) return v.map(jsonSafe);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = Object.create(null);
    for (const [k, x] of Object.entries(v)) out[k] = jsonSafe(x);
    return out;
  }
  return v;
}

/** Deep equality of two attribute values (ints compare by numeric value, number vs bigint too). */
export function attributeValuesEqual(a: AttributeValue, b: AttributeValue): boolean {
  if (a.type !== b.type) return false;
  switch (a.type) {
    case 'empty':
      return true;
    case 'int':
      return BigInt(a.value) === BigInt((b as typeof a).value);
    case 'bytes': {
      const bv = (b as typeof a).value;
      return a.value.length === bv.length && a.value.every((x, i) => x === bv[i]);
    }
    case 'array': {
      const bv = (b as typeof a).value;
      return a.value.length === bv.length && a.value.every((x, i) => attributeValuesEqual(x, bv[i]));
    }
    case 'kvlist': {
      const bv = (b as typeof a).value;
      return (
        a.value.length === bv.length &&
        a.value.every((x, i) => x.key === bv[i].key && attributeValuesEqual(x.value, bv[i].value))
      );
    }
    case 'double':
      return Object.is(a.value, (b as typeof a).value) || a.value === (b as typeof a).value;
    default:
      return a.value === (b as typeof a).value;
  }
}
