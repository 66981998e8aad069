/**
 * Zero-code start: `node --import @ariadne/tracer/register app.js` (ESM) or
 * `node --require @ariadne/tracer/register app.js` (CJS). Configured by the environment only
 * (OTEL_SERVICE_NAME, OTEL_EXPORTER_OTLP_*, OTEL_TRACES_EXPORTER, OTEL_TRACES_SAMPLER(_ARG),
 * OTEL_PROPAGATORS, OTEL_RESOURCE_ATTRIBUTES, JAEGER_*…); exports to OTLP/HTTP protobuf at
 * http://localhost:4318 unless told otherwise. Instruments node:http/https and fetch/undici.
 * Spans are flushed on SIGTERM and beforeExit. A configuration error is printed, never thrown.
 */
import { initTracer } from './config.js';
import { reporterConfigFromEnv } from './exporter-config.js';
import { instrumentHttp } from './instrument/http.js';
import { instrumentUndici } from './instrument/undici.js';
import type { AriadneTracer } from './tracer.js';

const KEY = Symbol.for('ariadne.tracer.registered');
type G = { [KEY]?: AriadneTracer | null };

function start(): AriadneTracer | null {
  const g = globalThis as G;
  if (g[KEY] !== undefined) return g[KEY];
  let tracer: AriadneTracer | null = null;
  try {
    tracer = initTracer(reporterConfigFromEnv(process.env) ? {} : { reporter: { type: 'remote' } });
    instrumentHttp();
    instrumentUndici();
  } catch (e) {
    process.stderr.write(`@ariadne/tracer/register: tracing disabled: ${(e as Error).message}\n`);
  }
  g[KEY] = tracer;
  return tracer;
}

/** The tracer the register entry started (null if its configuration was invalid). */
export const tracer = start();
