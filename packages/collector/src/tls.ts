import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';

/**
 * TLS for the HTTP and gRPC listeners from PEM files (`--tls-cert`, `--tls-key`). The files are
 * read once at start; an unreadable or mismatched pair stops the start with a clear error rather
 * than silently serving plain text.
 */
export interface TlsFiles {
  cert: string;
  key: string;
}

export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
}

export function loadTls(files: TlsFiles): TlsMaterial {
  const read = (what: string, path: string) => {
    try {
      return readFileSync(path);
    } catch (err) {
      throw new Error(`cannot read TLS ${what} file ${path}: ${(err as Error).message}`);
    }
  };
  const cert = read('certificate', files.cert);
  const key = read('private key', files.key);
  if (!/-----BEGIN [A-Z ]*CERTIFICATE-----/.test(cert.toString('latin1'))) throw new Error(`TLS certificate file ${files.cert} holds no PEM certificate`);
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(key.toString('latin1'))) throw new Error(`TLS private key file ${files.key} holds no PEM private key`);
  return { cert, key };
}

/** gRPC server credentials: TLS with `tls`, plain text without. */
export function grpcServerCredentials(tls: TlsMaterial | undefined): grpc.ServerCredentials {
  return tls ? grpc.ServerCredentials.createSsl(null, [{ cert_chain: tls.cert, private_key: tls.key }], false) : grpc.ServerCredentials.createInsecure();
}
