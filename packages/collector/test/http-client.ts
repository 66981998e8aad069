import { request as httpRequest, Agent } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface SendOptions {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  /** Written as these chunks (no Content-Length unless a header says so: chunked encoding). */
  chunks?: Uint8Array[];
  agent?: Agent;
}

/** One HTTP/1.1 request with a real socket; resolves with the whole response. */
export function send(port: number, opts: SendOptions = {}): Promise<Reply> {
  return new Promise<Reply>((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method: opts.method ?? 'POST',
        path: opts.path ?? '/v1/traces',
        headers: opts.headers ?? {},
        agent: opts.agent,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    for (const c of opts.chunks ?? []) req.write(c);
    req.end();
  });
}

/** Split a body into n roughly equal chunks (how streaming clients send). */
export function split(buf: Uint8Array, n = 3): Uint8Array[] {
  const out: Uint8Array[] = [];
  const size = Math.ceil(buf.length / n) || 1;
  for (let i = 0; i < buf.length; i += size) out.push(buf.subarray(i, i + size));
  return out;
}

/** Minimal protobuf walk: top-level fields of a message as (field number → raw values). */
export function protoFields(buf: Uint8Array): Map<number, Array<bigint | Uint8Array>> {
  const out = new Map<number, Array<bigint | Uint8Array>>();
  let i = 0;
  const varint = (): bigint => {
    let v = 0n;
    let shift = 0n;
    for (;;) {
      if (i >= buf.length) throw new Error('truncated varint');
      const b = buf[i++];
      v |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
      shift += 7n;
    }
  };
  while (i < buf.length) {
    const tag = Number(varint());
    const field = tag >> 3;
    const wt = tag & 7;
    let value: bigint | Uint8Array;
    if (wt === 0) value = varint();
    else if (wt === 2) {
      const len = Number(varint());
      value = buf.subarray(i, i + len);
      i += len;
    } else throw new Error(`unexpected wire type ${wt}`);
    const list = out.get(field) ?? [];
    list.push(value);
    out.set(field, list);
  }
  return out;
}

/** google.rpc.Status (protobuf) → {code, message}. */
export function decodeStatusProto(buf: Uint8Array): { code: number; message: string } {
  const f = protoFields(buf);
  return {
    code: Number((f.get(1)?.[0] as bigint | undefined) ?? 0n),
    message: Buffer.from((f.get(2)?.[0] as Uint8Array | undefined) ?? new Uint8Array()).toString('utf8'),
  };
}

/** ExportTraceServiceResponse (protobuf) → partial success, or undefined when unset. */
export function decodeExportResponseProto(buf: Uint8Array): { rejectedSpans: number; errorMessage: string } | undefined {
  const ps = protoFields(buf).get(1)?.[0] as Uint8Array | undefined;
  if (!ps) return undefined;
  const f = protoFields(ps);
  return {
    rejectedSpans: Number((f.get(1)?.[0] as bigint | undefined) ?? 0n),
    errorMessage: Buffer.from((f.get(2)?.[0] as Uint8Array | undefined) ?? new Uint8Array()).toString('utf8'),
  };
}
