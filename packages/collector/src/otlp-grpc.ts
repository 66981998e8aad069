import * as grpc from '@grpc/grpc-js';
import { CodecError, decodeOtlpProtobuf, encodeExportTraceServiceResponse, ProtoWriter } from '@ariadne/codec';
import { rejectionMessage } from './otlp-http.js';
import { PipelineClosedError, QueueFullError, type SpanPipeline } from './pipeline.js';

/**
 * OTLP/gRPC trace receiver: `opentelemetry.proto.collector.trace.v1.TraceService/Export`, with the
 * status codes of the OTLP spec: INVALID_ARGUMENT for undecodable requests (not retryable),
 * UNAVAILABLE with a `google.rpc.RetryInfo` detail when the queue is full (retryable, with the
 * delay), INTERNAL when the store write failed. Partial success is reported in the response.
 * Request bytes go straight to our own protobuf decoder (no generated code, no protobufjs); gzip
 * and deflate request compression are handled by grpc-js.
 */

export const OTLP_TRACE_EXPORT_PATH = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';

export interface OtlpGrpcOptions {
  host?: string;
  port: number;
  name: string;
  /** Largest request message accepted (decompressed). Default 16 MiB. */
  maxMessageBytes?: number;
}

export interface GrpcListener {
  name: string;
  grpcServer: grpc.Server;
  address: { host: string; port: number };
  close(): Promise<void>;
}

const identity = (b: Buffer) => b;

const traceService: grpc.ServiceDefinition = {
  Export: {
    path: OTLP_TRACE_EXPORT_PATH,
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength),
    responseDeserialize: identity,
  },
};

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
  const maxBytes = opts.maxMessageBytes ?? 16 * 1024 * 1024;
  const server = new grpc.Server({
    'grpc.max_receive_message_length': maxBytes,
    'grpc.max_send_message_length': 4 * 1024 * 1024,
  });
  const requests = pipeline.metrics.requests;
  const fail = (callback: grpc.sendUnaryData<Uint8Array>, code: grpc.status, details: string, metadata?: grpc.Metadata) => {
    requests.inc({ receiver: 'otlp-grpc', code: grpc.status[code] });
    callback({ code, details, metadata });
  };

  server.addService(traceService, {
    Export: (call: grpc.ServerUnaryCall<Buffer, Uint8Array>, callback: grpc.sendUnaryData<Uint8Array>) => {
      let spans;
      try {
        spans = decodeOtlpProtobuf(call.request);
      } catch (err) {
        const msg = err instanceof CodecError ? `cannot decode ExportTraceServiceRequest: ${err.message}` : `internal error: ${(err as Error).message}`;
        return fail(callback, err instanceof CodecError ? grpc.status.INVALID_ARGUMENT : grpc.status.INTERNAL, msg);
      }
      pipeline.ingest(spans, 'otlp-grpc').then(
        (result) => {
          requests.inc({ receiver: 'otlp-grpc', code: 'OK' });
          callback(null, encodeExportTraceServiceResponse(result.rejected.length, rejectionMessage(result.rejected), 'protobuf') as Uint8Array);
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
    server.bindAsync(`${bindHost}:${opts.port}`, grpc.ServerCredentials.createInsecure(), (err, port) => {
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
