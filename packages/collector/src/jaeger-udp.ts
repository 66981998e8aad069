import { createSocket, type Socket } from 'node:dgram';
import { decodeJaegerAgentMessage } from '@ariadne/codec';
import type { Span } from '@ariadne/model';
import type { Counter } from './metrics.js';
import { PipelineClosedError, QueueFullError } from './pipeline.js';

/** Where received spans go: the store pipeline (collector) or a forwarder (agent). */
export interface SpanSink {
  ingest(spans: Span[], protocol: string): Promise<unknown>;
  readonly metrics: { readonly requests: Counter };
}

/**
 * The Jaeger agent's UDP receivers: `Agent.emitBatch` in Thrift compact (6831) or binary (6832),
 * one datagram per batch. UDP has no acknowledgement and no back-pressure: what cannot be decoded
 * or queued is dropped and counted in `ariadne_collector_requests_total{receiver, code}`
 * (`decode_error`, `queue_full`, `store_error`), as Jaeger's agent counts its drops.
 */

export type ThriftProtocol = 'compact' | 'binary';

export interface UdpListenOptions {
  host?: string;
  port: number;
  name: string;
  protocol: ThriftProtocol;
  /** Socket receive buffer in bytes (bursts of datagrams queue here). Default 4 MiB. */
  receiveBufferBytes?: number;
  /** Called for each dropped datagram, e.g. to log (rate-limit there). */
  onDrop?: (reason: string, err: Error) => void;
}

export interface UdpListener {
  name: string;
  socket: Socket;
  address: { host: string; port: number };
  /** Stop receiving and wait for the datagrams already handed to the pipeline. */
  close(): Promise<void>;
}

export function startJaegerUdpReceiver(pipeline: SpanSink, opts: UdpListenOptions): Promise<UdpListener> {
  const host = opts.host ?? '127.0.0.1';
  const socket = createSocket({ type: host.includes(':') ? 'udp6' : 'udp4', recvBufferSize: opts.receiveBufferBytes ?? 4 * 1024 * 1024 });
  const receiver = `jaeger-udp-${opts.protocol}`;
  const count = (code: string) => pipeline.metrics.requests.inc({ receiver, code });
  const inflight = new Set<Promise<unknown>>();

  socket.on('message', (msg) => {
    let spans;
    try {
      spans = decodeJaegerAgentMessage(msg, opts.protocol);
    } catch (err) {
      count('decode_error');
      opts.onDrop?.('decode_error', err as Error);
      return;
    }
    const p = pipeline.ingest(spans, receiver).then(
      () => count('ok'),
      (err: Error) => {
        const code = err instanceof QueueFullError ? 'queue_full' : err instanceof PipelineClosedError ? 'closed' : 'store_error';
        count(code);
        opts.onDrop?.(code, err);
      },
    );
    inflight.add(p);
    p.finally(() => inflight.delete(p));
  });

  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(new Error(`${opts.name}: cannot listen on udp ${host}:${opts.port}: ${err.message}`));
    socket.once('error', onError);
    socket.bind(opts.port, host, () => {
      socket.off('error', onError);
      socket.on('error', () => {});
      const a = socket.address();
      let closing: Promise<void> | undefined;
      resolve({
        name: opts.name,
        socket,
        address: { host: a.address, port: a.port },
        close() {
          closing ??= new Promise<void>((done) => socket.close(() => done())).then(() => Promise.allSettled([...inflight]).then(() => undefined));
          return closing;
        },
      });
    });
  });
}
