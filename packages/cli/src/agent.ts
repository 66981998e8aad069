import type { IncomingMessage, ServerResponse } from 'node:http';
import { OtlpForwarder, PROMETHEUS_CONTENT_TYPE, startHttpServer, startJaegerUdpReceiver, type HttpListener, type UdpListener } from '@ariadne/collector';
import type { Options } from './flags.js';
import type { Logger } from './log.js';
import type { Services } from './services.js';

/**
 * `ariadne agent`: the Jaeger agent's job. Thrift `emitBatch` over UDP (compact 6831, binary
 * 6832) is decoded, batched and forwarded to a collector over OTLP/HTTP with retries; the
 * sampling endpoint (5778) proxies the collector's strategies. Runs beside an app (a sidecar).
 */
export async function startAgent(opts: Options, log: Logger): Promise<Services> {
  const host = opts.host as string;
  const samplingUrl = opts['collector-sampling-url'] as string;
  let drops = 0;
  const forwarder = new OtlpForwarder({
    url: opts['collector-url'] as string,
    headers: parseHeaderList(opts['collector-headers'] as string | undefined),
    onDrop: (n, reason) => {
      if (drops++ % 100 === 0) log.warn('agent dropped spans', { spans: n, reason, dropsSoFar: drops });
    },
  });
  const listeners: Array<HttpListener | UdpListener> = [];
  const announce = (name: string, l: HttpListener | UdpListener) => {
    listeners.push(l);
    log.info('listening', { listener: name, transport: 'socket' in l ? 'udp' : 'http', address: `${l.address.host}:${l.address.port}`, host: l.address.host, port: l.address.port });
  };
  try {
    for (const protocol of ['compact', 'binary'] as const) {
      const name = `agent-${protocol}`;
      announce(name, await startJaegerUdpReceiver(forwarder, { host, port: opts[`${name}-port`] as number, name, protocol }));
    }
    announce('sampling', await startHttpServer(samplingProxy(samplingUrl), { host, port: opts['sampling-port'] as number, name: 'sampling' }));
    announce(
      'admin',
      await startHttpServer(
        (req, res) => {
          if (req.url === '/metrics') {
            res.writeHead(200, { 'content-type': PROMETHEUS_CONTENT_TYPE });
            res.end(forwarder.metrics.toPrometheus());
          } else if (req.url === '/health' || req.url === '/') {
            res.writeHead(200, { 'content-type': 'application/json' });
            res.end(JSON.stringify({ status: 'ok', queued: forwarder.queued, delivered: forwarder.delivered, dropped: forwarder.dropped }));
          } else {
            res.writeHead(404).end();
          }
        },
        { host, port: opts['admin-port'] as number, name: 'admin' },
      ),
    );
  } catch (err) {
    await Promise.allSettled(listeners.map((l) => l.close()));
    throw err;
  }
  log.info('forwarding', { collector: opts['collector-url'], sampling: samplingUrl });
  return {
    async close() {
      await Promise.allSettled(listeners.map((l) => l.close()));
      await forwarder.close();
    },
  };
}

/** GET /sampling?service= (and /?service=) relayed to the collector; 502 when it cannot be reached. */
function samplingProxy(target: string) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const reply = (status: number, body: string) => {
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) });
      res.end(body);
    };
    if (url.pathname !== '/sampling' && url.pathname !== '/') return reply(404, JSON.stringify({ error: `not found: ${url.pathname}` }));
    const service = url.searchParams.get('service');
    if (!service) return reply(400, JSON.stringify({ error: "'service' parameter must be provided" }));
    fetch(`${target}?service=${encodeURIComponent(service)}`, { signal: AbortSignal.timeout(5000) })
      .then(async (r) => reply(r.status, await r.text()))
      .catch((err: Error) => reply(502, JSON.stringify({ error: `collector sampling endpoint unreachable: ${err.message}` })));
  };
}

/** `key=value,key2=value2` (values URL-decoded), as OTEL_EXPORTER_OTLP_HEADERS. */
export function parseHeaderList(text: string | undefined): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  for (const part of (text ?? '').split(',')) {
    if (!part.trim()) continue;
    const i = part.indexOf('=');
    if (i <= 0) throw new Error(`--collector-headers: expected key=value pairs separated by commas, got ${JSON.stringify(part.trim().slice(0, 40))}`);
    out[part.slice(0, i).trim().toLowerCase()] = decodeURIComponent(part.slice(i + 1).trim());
  }
  return { ...out };
}
