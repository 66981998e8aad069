/**
 * Longer fuzzing of every decoder than the test suite runs: random bytes, mutated real-client
 * payloads (bit flips, truncation, splices) and random JSON. Every decoder must either return
 * spans or throw CodecError — any other exception, or a hang, is a finding.
 *
 *   node --conditions=source --import tsx bench/fuzz.bench.ts [--seconds 60]
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  CodecError, decodeJaegerAgentMessage, decodeJaegerProtoPostSpans, decodeJaegerThriftBatch, decodeOtlpJson, decodeOtlpProtobuf,
  decodeZipkinProto3, decodeZipkinV1Json, decodeZipkinV2Json, encodeJaegerProtoPostSpans, encodeJaegerThriftBatch, encodeZipkinProto3,
} from '@ariadne/codec';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '60' } } });
const FIX = process.env.ARIADNE_FIXTURES_DIR || join(new URL('..', import.meta.url).pathname, '../shared/fixtures');
const fx = (f: string) => new Uint8Array(readFileSync(join(FIX, f)));

const jaegerSpans = decodeJaegerAgentMessage(fx('jaeger-udp-compact-frontend.bin'), 'compact');
const seeds: Record<string, { decode: (b: Uint8Array) => unknown; seed: Uint8Array }> = {
  'otlp-protobuf': { decode: decodeOtlpProtobuf, seed: fx('otlp-http-protobuf.bin') },
  'otlp-json': { decode: (b) => decodeOtlpJson(new TextDecoder().decode(b)), seed: fx('otlp-http.json') },
  'jaeger-compact-agent': { decode: (b) => decodeJaegerAgentMessage(b, 'compact'), seed: fx('jaeger-udp-compact-frontend.bin') },
  'jaeger-binary-batch': { decode: (b) => decodeJaegerThriftBatch(b, 'binary'), seed: encodeJaegerThriftBatch(jaegerSpans, 'binary')[0] },
  'jaeger-proto': { decode: (b) => decodeJaegerProtoPostSpans(b), seed: encodeJaegerProtoPostSpans(jaegerSpans) },
  'zipkin-v2-json': { decode: (b) => decodeZipkinV2Json(new TextDecoder().decode(b)), seed: fx('zipkin-v2.json') },
  'zipkin-v1-json': { decode: (b) => decodeZipkinV1Json(new TextDecoder().decode(b)), seed: fx('zipkin-v2.json') },
  'zipkin-proto3': { decode: decodeZipkinProto3, seed: encodeZipkinProto3(jaegerSpans) },
};

function mutate(seed: Uint8Array): Uint8Array {
  const b = new Uint8Array(seed);
  switch (Math.floor(Math.random() * 4)) {
    case 0: // bit flips
      for (let i = 0; i < 1 + Math.random() * 8; i++) b[Math.floor(Math.random() * b.length)] ^= 1 << Math.floor(Math.random() * 8);
      return b;
    case 1: // truncation
      return b.subarray(0, Math.floor(Math.random() * b.length));
    case 2: { // splice a random range elsewhere
      const a = Math.floor(Math.random() * b.length);
      const len = Math.floor(Math.random() * 64);
      const at = Math.floor(Math.random() * b.length);
      const out = new Uint8Array(b.length + len);
      out.set(b.subarray(0, at));
      out.set(b.subarray(a, a + len), at);
      out.set(b.subarray(at), at + Math.min(len, b.length - a));
      return out;
    }
    default: // random bytes
      return crypto.getRandomValues(new Uint8Array(Math.floor(Math.random() * 4096)));
  }
}

const perDecoderMs = (Number(values.seconds) * 1000) / Object.keys(seeds).length;
let findings = 0;
for (const [name, { decode, seed }] of Object.entries(seeds)) {
  let runs = 0;
  let ok = 0;
  let rejected = 0;
  const end = performance.now() + perDecoderMs;
  while (performance.now() < end) {
    const input = mutate(seed);
    runs++;
    try {
      decode(input);
      ok++;
    } catch (err) {
      if (err instanceof CodecError) rejected++;
      else {
        findings++;
        console.log(`FINDING ${name}: ${(err as Error).stack?.split('\n').slice(0, 3).join(' | ')} input(hex)=${Buffer.from(input).toString('hex').slice(0, 200)}`);
      }
    }
  }
  console.log(`${name.padEnd(22)} ${runs.toLocaleString('en').padStart(9)} inputs: ${ok} decoded, ${rejected} CodecError`);
}
console.log(findings ? `${findings} findings` : 'no findings: every input decoded or was refused with CodecError');
process.exitCode = findings ? 1 : 0;
