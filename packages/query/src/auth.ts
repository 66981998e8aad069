import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorBody, v3ErrorBody } from './handler.js';

/**
 * What the query listener needs to put auth and tenancy in front of the API: which paths carry
 * data (the API: `/api/…`, `/zipkin/api/…`) and how a refusal is answered there. The web UI's
 * static files hold no data and stay open, so a browser can load the UI and then send the token
 * (and tenant) it keeps in localStorage with each API request.
 */

/** Paths served without a token or tenant: everything but the APIs (the UI's files). */
export function isOpenQueryPath(path: string): boolean {
  return !(path === '/api' || path.startsWith('/api/') || path.startsWith('/zipkin/api/'));
}

/** Answer a refused API request in the shape of its API (Jaeger envelope, api_v3 error, Zipkin text). */
export function denyQueryRequest(req: IncomingMessage, res: ServerResponse, d: { status: number; message: string }): void {
  if (res.headersSent) return;
  const path = (req.url ?? '/').split('?')[0];
  const zipkin = path.startsWith('/zipkin/');
  const text = zipkin ? d.message + '\n' : JSON.stringify(path.startsWith('/api/v3/') ? v3ErrorBody(d.status, d.message) : errorBody(d.status, d.message));
  res.writeHead(d.status, {
    'content-type': zipkin ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
    'cache-control': 'no-store',
    ...(d.status === 401 ? { 'www-authenticate': 'Bearer' } : {}),
  });
  res.end(text);
}
