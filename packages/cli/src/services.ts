import { existsSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ByteBudget, createJaegerHttpHandler, createOtlpHttpHandler, createZipkinHttpHandler, SpanPipeline, startHttpServer, startSamplingStages, type SamplingStages, startJaegerUdpReceiver, startOtlpGrpcReceiver, startJaegerGrpcReceiver, SamplingStrategies,
  type GrpcListener, type UdpListener,
} from '@ariadne/collector';
import { createQueryHandler, lazyArchive, type TraceArchive } from '@ariadne/query';
import { DUCKDB_FILE_NAME, openStore, type SpanStore } from '@ariadne/storage';
import type { Command, Options } from './flags.js';
import type { Logger } from './log.js';
import { reachableHost, startDemoTraffic } from './demo-traffic.js';
import { setupSecurity } from './security.js';
import { QueueWriter } from './ingester.js';
import { startRetention } from './retention.js';

export interface Services {
  close(): Promise<void>;
}

type Listener = Awaited<ReturnType<typeof startHttpServer>> | UdpListener | GrpcListener;

/** A URL list for logs, passwords replaced by ***. */
function redactUrl(urls: string): string {
  return urls.replace(/\/\/([^:/@]+):[^@/]*@/g, '//$1:***@');
}

/** The web UI build: `--ui-dir`, else `@ariadne/ui`'s dist folder in this checkout/install. */
function defaultUiDir(): string | undefined {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const candidate of [join(here, '../../ui/dist'), join(here, '../../../node_modules/@ariadne/ui/dist')]) {
    if (existsSync(join(candidate, 'index.html'))) return resolve(candidate);
  }
  return undefined;
}

/**
 * Jaeger's trace archive (`POST /api/archive/{id}`), which retention never purges: a second store
 * of the same backend, `<data-dir>/archive/` for DuckDB or a second memory store, opened on first
 * use (reads open it only when it exists on disk). Other backends: none yet (501).
 */
function traceArchive(opts: Options): TraceArchive | undefined {
  const backend = opts.storage;
  if (backend !== 'duckdb' && backend !== 'memory') return undefined;
  const dir = join(resolve(opts['data-dir'] as string), 'archive');
  return lazyArchive(async (create) => {
    if (!create && (backend !== 'duckdb' || !existsSync(join(dir, DUCKDB_FILE_NAME)))) return undefined;
    return openStore({ backend, dataDir: dir });
  });
}

/**
 * Start what `command` runs, in order store → pipeline → listeners; `close()` stops them in the
 * reverse order: listeners stop accepting, the pipeline commits everything it acknowledged or
 * still holds, then the store closes.
 */
export async function startServices(command: Exclude<Command, 'agent'>, opts: Options, log: Logger): Promise<Services> {
  const host = opts.host as string;
  // collector --queue: the pipeline publishes to the NATS JetStream stream; ingesters write storage.
  const store: SpanStore = command === 'collector' && opts.queue ? await QueueWriter.start(opts, log) : await openStore({
    backend: opts.storage as 'duckdb' | 'memory' | 'clickhouse',
    dataDir: resolve(opts['data-dir'] as string),
    clickhouseUrl: opts['clickhouse-url'] as string,
    clickhouseDatabase: opts['clickhouse-database'] as string,
    clickhouseCluster: opts['clickhouse-cluster'] as string | undefined,
  });
  log.info('store opened', {
    backend: store.capabilities.name,
    dataDir: opts.storage === 'duckdb' ? resolve(opts['data-dir'] as string) : undefined,
    ...(opts.storage === 'clickhouse' ? { clickhouseUrl: redactUrl(opts['clickhouse-url'] as string), database: opts['clickhouse-database'], cluster: opts['clickhouse-cluster'] } : {}),
  });
  let sec: ReturnType<typeof setupSecurity>;
  try {
    sec = setupSecurity(command, opts, log);
  } catch (err) {
    await store.close().catch(() => {});
    throw err;
  }

  const listeners: Listener[] = [];
  const byName = new Map<string, Listener>();
  const stoppers: Array<() => Promise<void>> = [];
  let pipeline: SpanPipeline | undefined;
  let stages: SamplingStages | undefined;
  let sampling: SamplingStrategies | undefined;
  let archive: TraceArchive | undefined;
  try {
    const announce = (name: string, l: Listener) => {
      listeners.push(l);
      byName.set(name, l);
      log.info('listening', { listener: name, transport: 'socket' in l ? 'udp' : 'grpcServer' in l ? 'grpc' : 'http', address: `${l.address.host}:${l.address.port}`, host: l.address.host, port: l.address.port });
      return l;
    };
    const listen = async (name: string, port: number, handler: (req: IncomingMessage, res: ServerResponse) => void) =>
      announce(name, await startHttpServer(handler, { host, port, name, tls: sec.tls }));

    if (command === 'all-in-one' || command === 'collector') {
      stages = await startSamplingStages(store, {
        samplingStore: opts.storage === 'clickhouse'
          ? { backend: 'clickhouse', clickhouse: { url: (opts['clickhouse-url'] as string).split(',')[0].trim(), database: opts['clickhouse-database'] as string } }
          : { backend: opts.storage as 'duckdb' | 'memory', dataDir: resolve(opts['data-dir'] as string) },
        adaptive: opts['sampling-adaptive'] ? { targetTps: opts['sampling-target-tps'] as number, minProbability: opts['sampling-min-probability'] as number, lowerBoundTps: opts['sampling-lower-bound-tps'] as number, initialProbability: opts['sampling-initial-probability'] as number, intervalMs: opts['sampling-calculation-interval'] as number, buckets: opts['sampling-calculation-buckets'] as number } : undefined,
        tail: opts['tail-sampling'] ? { policiesFile: opts['tail-sampling-policies-file'] as string | undefined, decisionWaitMs: opts['tail-sampling-decision-wait'] as number, maxSpans: opts['tail-sampling-max-spans'] as number, latencyThresholdMs: opts['tail-sampling-latency-threshold'] as number, probability: opts['tail-sampling-probability'] as number } : undefined,
        onError: (what, err) => log.warn('sampling: ' + what + ' failed', { err: err.message }),
        pipeline: { maxQueueSpans: opts['queue-max-spans'] as number, maxQueueBytes: opts['queue-max-bytes'] as number },
      });
      pipeline = stages.pipeline;
      if (stages.adaptive) log.info('adaptive sampling on', { collectorId: stages.adaptive.collectorId, targetTps: stages.adaptive.targetTps, intervalMs: stages.adaptive.intervalMs });
      if (stages.tailPolicies) log.info('tail sampling on', { policies: stages.tailPolicies, decisionWaitMs: opts['tail-sampling-decision-wait'] });
      if (store instanceof QueueWriter) store.bindMetrics(pipeline.metrics.registry);
      const maxBodyBytes = opts['max-request-bytes'] as number;
      const maxSpansPerRequest = opts['max-spans-per-request'] as number;
      // Request bodies held at once across the HTTP receivers (past it: 503 + Retry-After), so many
      // concurrent uploads cannot exhaust memory before their spans reach the bounded queue.
      const inflightBodyBytes = new ByteBudget(Math.max(4 * maxBodyBytes, 64 * 1024 * 1024));
      await listen('otlp-http', opts['otlp-http-port'] as number, sec.ingestHttp((p) => createOtlpHttpHandler(p, { maxBodyBytes, maxSpansPerRequest, maxInflightBodyBytes: inflightBodyBytes }), pipeline, 'otlp'));
      announce('otlp-grpc', await startOtlpGrpcReceiver(pipeline, { host, port: opts['otlp-grpc-port'] as number, name: 'otlp-grpc', maxMessageBytes: maxBodyBytes, maxSpansPerRequest, ...sec.grpcOptions(pipeline) }));
      announce('jaeger-grpc', await startJaegerGrpcReceiver(pipeline, { host, port: opts['jaeger-grpc-port'] as number, name: 'jaeger-grpc', maxMessageBytes: maxBodyBytes, maxSpansPerRequest, ...sec.grpcOptions(pipeline) }));
      await listen('jaeger-http', opts['jaeger-http-port'] as number, sec.ingestHttp((p) => createJaegerHttpHandler(p, { maxBodyBytes, maxSpansPerRequest, inflightBodyBytes }), pipeline, 'plain'));
      await listen('zipkin', opts['zipkin-port'] as number, sec.ingestHttp((p) => createZipkinHttpHandler(p, { maxBodyBytes, maxSpansPerRequest, inflightBodyBytes }), pipeline, 'plain'));
      sampling = new SamplingStrategies({
        file: opts['sampling-strategies-file'] as string | undefined,
        adaptive: stages?.adaptive,
        defaultStrategy: command === 'all-in-one' ? { type: 'probabilistic', param: 1 } : undefined,
        onReload: (ok, err) => (ok ? log.info('sampling strategies reloaded') : log.warn('sampling strategies file invalid: keeping the last good one', { err: err?.message })),
      });
      await listen('sampling', opts['sampling-port'] as number, sampling.handler());
      let drops = 0;
      const onDrop = (reason: string, err: Error) => {
        if (drops++ % 100 === 0) log.warn('agent dropped a datagram', { reason, err: err.message, droppedSoFar: drops });
      };
      for (const protocol of ['compact', 'binary'] as const) {
        const name = `agent-${protocol}`;
        announce(name, await startJaegerUdpReceiver(pipeline, { host, port: opts[`${name}-port`] as number, name, protocol, onDrop }));
      }
    }
    if (command === 'all-in-one' || command === 'query') {
      const uiDir = (opts['ui-dir'] as string | undefined) ?? defaultUiDir();
      if (!uiDir) log.warn('web UI build not found: serving the API only (run "npm run build")');
      // the archive belongs to the base store only: tenants' handlers get none (archiving answers 501)
      archive = traceArchive(opts);
      const arch = archive;
      await listen('query', opts['query-port'] as number, sec.queryHttp((s) => createQueryHandler({ store: s, uiDir, archive: s === store ? arch : undefined, maxTraceSpans: opts['query-max-trace-spans'] as number }), store));
    }
    const p = pipeline;
    const samplingHandler = sampling?.handler();
    await listen('admin', opts['admin-port'] as number, (req, res) => {
      const url = req.url ?? '/';
      if (url === '/health' || url === '/') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ status: 'ok', store: store.capabilities.name }));
      } else if (samplingHandler && url.startsWith('/api/sampling')) {
        samplingHandler(req, res);
      } else if (url === '/metrics') {
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
        res.end(p ? p.metrics.toPrometheus() : '');
      } else {
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('not found\n');
      }
    });

    if ((opts.retention as number | undefined) && (command === 'all-in-one' || command === 'collector')) {
      stoppers.push(startRetention(async () => [store, ...(await sec.tenantStores())], { retentionMs: opts.retention as number }, log));
    }

    if (opts.demo && command === 'all-in-one') {
      const demo = await startDemoTraffic(byName.get('otlp-http')!.address, byName.get('sampling')?.address, log, opts);
      stoppers.push(demo.stop);
      const q = byName.get('query')!.address;
      const h = reachableHost(q.host);
      log.info('demo running: open the UI', { url: `${opts['tls-cert'] ? 'https' : 'http'}://${h.includes(':') ? `[${h}]` : h}:${q.port}/`, gallery: demo.galleryUrl, faults: `curl -X POST ${demo.galleryUrl}/faults -d '{"slowQueryMs":3000,"cpuMs":200,"storeErrorRate":0.2}'` });
    }
  } catch (err) {
    for (const s of stoppers) await s().catch(() => {});
    await Promise.allSettled(listeners.map((l) => l.close()));
    await pipeline?.close().catch(() => {});
    await stages?.close().catch(() => {});
    await sec.closePipelines();
    sampling?.close();
    await sec.close();
    await archive?.close().catch(() => {});
    await store.close().catch(() => {});
    throw err;
  }

  return {
    async close() {
      for (const s of stoppers) await s();
      await Promise.allSettled(listeners.map((l) => l.close()));
      if (pipeline) await pipeline.close();
      await stages?.close();
      await sec.closePipelines();
      sampling?.close();
      await sec.close();
      await archive?.close().catch(() => {});
      await store.close();
    },
  };
}
