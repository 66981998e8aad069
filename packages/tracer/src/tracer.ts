/**
 * What `initTracer` returns: the OpenTracing tracer (so `opentracing.initGlobalTracer(tracer)`
 * works) that also carries the OpenTelemetry face (`provider`, `getTracer()`), the metrics, and
 * the lifecycle (`flush`, `close`).
 */
import type { TracerOptions } from '@opentelemetry/api';
import type { TracerCore } from './core.js';
import type { TracerMetrics } from './metrics.js';
import { AriadneOpenTracer } from './opentracing.js';
import type { AriadneOtelTracer, AriadneTracerProvider } from './otel.js';
import type { Reporter } from './reporter.js';
import type { Sampler } from './sampler.js';

export class AriadneTracer extends AriadneOpenTracer {
  constructor(
    core: TracerCore,
    readonly provider: AriadneTracerProvider,
    readonly serviceName: string,
  ) {
    super(core, provider.getTracer('@ariadne/tracer/opentracing'), provider.propagator, provider.contextManager);
  }
  get metrics(): TracerMetrics {
    return this.core.metrics;
  }
  get reporter(): Reporter {
    return this.core.reporter;
  }
  get sampler(): Sampler {
    return this.core.sampler;
  }
  /** An OpenTelemetry tracer of this tracer (same as `trace.getTracer()` once registered). */
  getTracer(name = '@ariadne/tracer', version?: string, options?: TracerOptions): AriadneOtelTracer {
    return this.provider.getTracer(name, version, options);
  }
  /** Resolves once the reporter delivered everything reported so far. */
  flush(): Promise<void> {
    return this.core.reporter.flush().catch(() => {
      this.core.metrics.internalErrors++;
    });
  }
  /** Stops sampling (new spans are unsampled), stops the remote sampler, flushes and closes the reporter. */
  async close(): Promise<void> {
    try {
      await this.provider.shutdown();
    } catch {
      this.core.metrics.internalErrors++;
    }
  }
}
