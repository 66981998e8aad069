#!/usr/bin/env node
/**
 * Run the image-gallery demo against any collector (what `ariadne all-in-one --demo` does for its own):
 *
 *   ariadne-demo [--otlp http://127.0.0.1:4318] [--sampling http://127.0.0.1:5778/sampling] [--rate 2]
 *
 * Faults from DEMO_FAULT_SLOW_QUERY_MS, DEMO_FAULT_CPU_MS, DEMO_FAULT_STORE_ERROR_RATE, or
 * `POST <gallery>/faults` while it runs. Ctrl-C stops every service.
 */
import { parseArgs } from 'node:util';
import { startDemo } from './launch.js';

const { values } = parseArgs({
  options: {
    otlp: { type: 'string', default: process.env.OTEL_EXPORTER_OTLP_ENDPOINT || 'http://127.0.0.1:4318' },
    sampling: { type: 'string' },
    rate: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  process.stdout.write('usage: ariadne-demo [--otlp URL] [--sampling URL] [--rate VISITS_PER_SECOND]\n');
  process.exit(0);
}
const line = (level: string) => (msg: string, fields: Record<string, unknown> = {}) => process.stdout.write(JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields }) + '\n');
const demo = await startDemo({
  otlpEndpoint: values.otlp!,
  samplingEndpoint: values.sampling,
  rate: values.rate ? Number(values.rate) : undefined,
  log: { info: line('info'), warn: line('warn') },
});
line('info')('demo running', { gallery: demo.galleryUrl, faults: `curl -X POST ${demo.galleryUrl}/faults -d '{"slowQueryMs":2000}'` });
let stopping = false;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    if (stopping) return;
    stopping = true;
    demo.stop().then(() => process.exit(0), () => process.exit(1));
  });
}
