import * as grpc from '@grpc/grpc-js';
import { CodecError, decodeJaegerProtoPostSpans, decodeOtlpProtobuf, encodeExportTraceServiceResponse, ProtoWriter } from '@ariadne/codec';
import type { Span } from '@ariadne/model';
import { DEFAULT_MAX_SPANS_PER_REQUEST, rejectionMessage, tooManySpansMessage } from './otlp-http.js';
import { PipelineClosedError, QueueFullError, SpanPipeline } from './pipeline.js';

/**
 * gRPC trace receivers. OTLP/gRPC: `opentelemetry.proto.collector.trace.v1.TraceService/Export`, with the
 * status codes of the OTLP spec: INVALID_ARGUMENT for undecodable requests (not retryable),
 * UNAVAILABLE with a `google.rpc.RetryInfo` detail when the queue is full (retryable, with the
 * delay), INTERNAL when the store write failed. Partial success is reported in the response.
 * Request bytes go straight to our own protobuf decoder (no generated code, no protobufjs); gzip
 * and deflate request compression are handled by grpc-js.
 */

export const OTLP_TRACE_EXPORT_PATH = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';
/** Jaeger's collector gRPC API (api_v2 `PostSpansRequest` → empty `PostSpansResponse`). */
export const JAEGER_POST_SPANS_PATH = '/jaeger.api_v2.CollectorService/PostSpans';

/** One unary ingest method: how to decode a request and what to answer. */
export interface GrpcIngestMethod {
  path: string;
  /** Metrics label, e.g. 'otlp-grpc'. */
  protocol: string;
  /** What the request is, for error messages. */
  requestName: string;
  decode(buf: Buffer): Span[];
  /** The response message for an ingest result. */
  respond(rejected: number, message: string): Uint8Array;
}

export const OTLP_GRPC_METHOD: GrpcIngestMethod = {
  path: OTLP_TRACE_EXPORT_PATH,
  protocol: 'otlp-grpc',
  requestName: 'ExportTraceServiceRequest',
  decode: (buf) => decodeOtlpProtobuf(buf),
  respond: (rejected, message) => encodeExportTraceServiceResponse(rejected, message, 'protobuf') as Uint8Array,
};

export const JAEGER_GRPC_METHOD: GrpcIngestMethod = {
  path: JAEGER_POST_SPANS_PATH,
  protocol: 'jaeger-grpc',
  requestName: 'PostSpansRequest',
  decode: (buf) => decodeJaegerProtoPostSpans(buf),
  // PostSpansResponse has no fields: Jaeger has no partial success; rejections are counted in /metrics.
  respond: () => new Uint8Array(0),
};

export interface OtlpGrpcOptions {
  host?: string;
  port: number;
  name: string;
  /** Largest request message accepted (decompressed). Default 16 MiB. */
  maxMessageBytes?: number;
  /** Most spans in one request (larger: INVALID_ARGUMENT, nothing stored). Default `DEFAULT_MAX_SPANS_PER_REQUEST`. */
  maxSpansPerRequest?: number;
  /** Server credentials (TLS: `grpcServerCredentials` in tls.ts). Default plain text. */
  credentials?: grpc.ServerCredentials;
  /**
   * Per call, from its metadata: the pipeline to ingest into (auth and tenant checked), or why the
   * call is refused (answered UNAUTHENTICATED / PERMISSION_DENIED). Default: always `pipeline`.
   */
  route?: (metadata: grpc.Metadata) => SpanPipeline | { grpcCode: 'UNAUTHENTICATED' | 'PERMISSION_DENIED'; message: string };
}

export interface GrpcListener {
  name: string;
  grpcServer: grpc.Server;
  address: { host: string; port: number };
  close(): Promise<void>;
}

const identity = (b: Buffer) => b;

const serviceFor = (path: string): grpc.ServiceDefinition => ({
  Call: {
    path,
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength),
    responseDeserialize: identity,
  },
});

/** grpc-status-details-bin: a google.rpc.Status carrying a google.rpc.RetryInfo. */
export function retryInfoStatusDetails(code: number, message: string, retryAfterSeconds: number): Buffer {
  const w = new ProtoWriter(128);
  w.uint32Field(1, code);
  w.stringField(2, message);
  const any = w.beginMessage(3);
  w.stringField(1, 'type.googleapis.com/google.rpc.RetryInfo');
  const value = w.beginMessage(2);
  const delay = w.beginMessage(1);
  w.uint32Field(1, retryAfterSeconds);
  w.endMessage(delay);
  w.endMessage(value);
  w.endMessage(any);
  return Buffer.from(w.finish());
}

export function startOtlpGrpcReceiver(pipeline: SpanPipeline, opts: OtlpGrpcOptions): Promise<GrpcListener> {
  return startGrpcReceiver(pipeline, OTLP_GRPC_METHOD, opts);
}

export function startJaegerGrpcReceiver(pipeline: SpanPipeline, opts: OtlpGrpcOptions): Promise<GrpcListener> {
  return startGrpcReceiver(pipeline, JAEGER_GRPC_METHOD, opts);
}

/** A gRPC server for one ingest method; resolves once listening. */
export function startGrpcReceiver(pipeline: SpanPipeline, method: GrpcIngestMethod, opts: OtlpGrpcOptions): Promise<GrpcListener> {
  const maxBytes = opts.maxMessageBytes ?? 16 * 1024 * 1024;
  const maxSpans = opts.maxSpansPerRequest ?? DEFAULT_MAX_SPANS_PER_REQUEST;
  const server = new grpc.Server({
    'grpc.max_receive_message_length': maxBytes,
    'grpc.max_send_message_length': 4 * 1024 * 1024,
  });
  const requests = pipeline.metrics.requests;
  const fail = (callback: grpc.sendUnaryData<Uint8Array>, code: grpc.status, details: string, metadata?: grpc.Metadata) => {
    requests.inc({ receiver: method.protocol, code: grpc.status[code] });
    callback({ code, details, metadata });
  };

  server.addService(serviceFor(method.path), {
    Call: (call: grpc.ServerUnaryCall<Buffer, Uint8Array>, callback: grpc.sendUnaryData<Uint8Array>) => {
      let target = pipeline;
      if (opts.route) {
        const r = opts.route(call.metadata);
        if (!(r instanceof SpanPipeline)) return fail(callback, grpc.status[r.grpcCode], r.message);
        target = r;
      }
      let spans;
      try {
        spans = method.decode(call.request);
      } catch (err) {
        const msg = err instanceof CodecError ? `cannot decode ${method.requestName}: ${err.message}` : `internal error: ${(err as Error).message}`;
        return fail(callback, err instanceof CodecError ? grpc.status.INVALID_ARGUMENT : grpc.status.INTERNAL, msg);
      }
      if (spans.length > maxSpans) return fail(callback, grpc.status.INVALID_ARGUMENT, tooManySpansMessage(spans.length, maxSpans));
      target.ingest(spans, method.protocol).then(
        (result) => {
          requests.inc({ receiver: method.protocol, code: 'OK' });
          callback(null, method.respond(result.rejected.length, rejectionMessage(result.rejected)));
        },
        (err: Error) => {
          if (err instanceof QueueFullError || err instanceof PipelineClosedError) {
            const retry = err instanceof QueueFullError ? err.retryAfterSeconds : 1;
            const md = new grpc.Metadata();
            md.set('grpc-status-details-bin', retryInfoStatusDetails(grpc.status.UNAVAILABLE, err.message, retry));
            return fail(callback, grpc.status.UNAVAILABLE, err.message, md);
          }
          fail(callback, grpc.status.INTERNAL, err.message);
        },
      );
    },
  });

  const host = opts.host ?? '127.0.0.1';
  const bindHost = host.includes(':') ? `[${host}]` : host;
  return new Promise((resolve, reject) => {
    server.bindAsync(`${bindHost}:${opts.port}`, opts.credentials ?? grpc.ServerCredentials.createInsecure(), (err, port) => {
      if (err) return reject(new Error(`${opts.name}: cannot listen on ${host}:${opts.port}: ${err.message}`));
      let closing: Promise<void> | undefined;
      resolve({
        name: opts.name,
        grpcServer: server,
        address: { host, port },
        close() {
          closing ??= new Promise<void>((done) => {
            const force = setTimeout(() => server.forceShutdown(), 5000);
            force.unref();
            server.tryShutdown(() => {
              clearTimeout(force);
              done();
            });
          });
          return closing;
        },
      });
    });
  });
}
