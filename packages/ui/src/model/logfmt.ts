// The search form's tag filter syntax: logfmt, `key=value key2="value 2"`, as in Jaeger UI.
// Parsed into the JSON object the query API takes as `tags`.

export interface LogfmtResult {
  tags: Record<string, string>;
  error?: string;
}

export function parseLogfmt(input: string): LogfmtResult {
  const tags: Record<string, string> = Object.create(null) as Record<string, string>;
  let i = 0;
  const n = input.length;
  const isSpace = (c: string) => c === ' ' || c === '\t' || c === '\n' || c === '\r';
  while (i < n) {
    while (i < n && isSpace(input[i])) i++;
    if (i >= n) break;
    // key: up to '=' or whitespace
    let key = '';
    if (input[i] === '"') {
      const q = readQuoted(input, i);
      if (q.error) return { tags: {}, error: q.error };
      key = q.value;
      i = q.end;
    } else {
      const start = i;
      while (i < n && input[i] !== '=' && !isSpace(input[i])) i++;
      key = input.slice(start, i);
    }
    if (key === '') return { tags: {}, error: `expected a key at position ${i + 1}` };
    if (input[i] !== '=') return { tags: {}, error: `tag "${key}" has no value (write ${key}=value)` };
    i++; // '='
    let value = '';
    if (input[i] === '"') {
      const q = readQuoted(input, i);
      if (q.error) return { tags: {}, error: q.error };
      value = q.value;
      i = q.end;
      if (i < n && !isSpace(input[i])) return { tags: {}, error: `expected a space after the value of "${key}"` };
    } else {
      const start = i;
      while (i < n && !isSpace(input[i])) i++;
      value = input.slice(start, i);
    }
    tags[key] = value;
  }
  return { tags: { ...tags } };
}

function readQuoted(s: string, at: number): { value: string; end: number; error?: string } {
  let i = at + 1;
  let out = '';
  while (i < s.length) {
    const c = s[i];
    if (c === '\\' && i + 1 < s.length) {
      const e = s[i + 1];
      out += e === 'n' ? '\n' : e === 't' ? '\t' : e;
      i += 2;
      continue;
    }
    if (c === '"') return { value: out, end: i + 1 };
    out += c;
    i++;
  }
  return { value: '', end: i, error: 'unterminated quote' };
}

/** The inverse, for putting a tags object back into the form. */
export function formatLogfmt(tags: Record<string, string>): string {
  return Object.entries(tags)
    .map(([k, v]) => `${quoteIfNeeded(k)}=${quoteIfNeeded(v)}`)
    .join(' ');
}

function quoteIfNeeded(s: string): string {
  if (s !== '' && !/[\s"=\\]/.test(s)) return s;
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\t/g, '\\t')}"`;
}
