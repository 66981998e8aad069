import type { IncomingMessage, ServerResponse } from 'node:http';
import { isValidTenant, TENANT_NAME_RULE } from '@ariadne/storage';
import { checkBearer, forbidden, headerValue, unauthenticated, type Denial, type TokenFile } from './auth.js';
import { discardBody, type RequestHandler } from './http.js';

/**
 * Multi-tenancy (as Jaeger's `--multi-tenancy.*`): every ingest and query request names its tenant
 * in a header (`x-tenant` by default; gRPC: the metadata key of the same name). Missing → 401,
 * not a valid tenant name or not in the allowed list → 403. Each tenant's spans live in a store of
 * their own (see `TenantStores` in @ariadne/storage), so no read of one tenant can reach another's.
 */
export interface TenancyOptions {
  enabled: boolean;
  /** Header (HTTP) / metadata key (gRPC) carrying the tenant. Default 'x-tenant'. */
  header?: string;
  /** When given, only these tenants are accepted. */
  allowed?: readonly string[];
}

export const DEFAULT_TENANT_HEADER = 'x-tenant';

export class Tenancy {
  readonly header: string;
  private readonly allowed: Set<string> | undefined;
  constructor(readonly opts: TenancyOptions) {
    this.header = (opts.header ?? DEFAULT_TENANT_HEADER).toLowerCase();
    if (!/^[a-z0-9][a-z0-9-]*$/.test(this.header)) throw new Error(`tenant header ${JSON.stringify(opts.header)} is not a valid header name`);
    if (opts.allowed) {
      for (const t of opts.allowed) if (!isValidTenant(t)) throw new Error(`allowed tenant ${JSON.stringify(t)} is not a valid tenant name (${TENANT_NAME_RULE})`);
    }
    this.allowed = opts.allowed && opts.allowed.length ? new Set(opts.allowed) : undefined;
  }

  get enabled(): boolean {
    return this.opts.enabled;
  }

  /** The tenant of a request from its header value, or why it is refused. Tenancy off → `{ tenant: undefined }`. */
  resolve(value: string | string[] | undefined): { tenant: string | undefined } | Denial {
    if (!this.opts.enabled) return { tenant: undefined };
    const v = Array.isArray(value) ? value[0] : value;
    if (v === undefined || v === '') return unauthenticated(`missing tenant: send the "${this.header}" header`);
    if (!isValidTenant(v)) return forbidden(`invalid tenant ${JSON.stringify((v as string).slice(0, 80))}: ${TENANT_NAME_RULE}`);
    if (this.allowed && !this.allowed.has(v)) return forbidden(`unknown tenant ${JSON.stringify(v)}`);
    return { tenant: v };
  }
}

export function isDenial(x: unknown): x is Denial {
  return typeof x === 'object' && x !== null && 'status' in x && 'grpcCode' in x;
}

/** Auth then tenancy for one request's headers (HTTP headers or gRPC metadata flattened to strings). */
export interface RequestGate {
  /** undefined: no token needed. */
  tokens?: TokenFile;
  tenancy?: Tenancy;
  /** Names the API in messages: 'ingest' / 'query'. */
  what: string;
}

export function admit(gate: RequestGate, get: (name: string) => string | undefined): { tenant: string | undefined } | Denial {
  const denied = checkBearer(gate.tokens, get('authorization'), gate.what);
  if (denied) return denied;
  return gate.tenancy ? gate.tenancy.resolve(get(gate.tenancy.header)) : { tenant: undefined };
}

/** How a refused request is answered in the listener's protocol. */
export type DenySender = (req: IncomingMessage, res: ServerResponse, d: Denial) => void;

/** Plain text (Jaeger HTTP, Zipkin). */
export const denyPlainText: DenySender = (_req, res, d) => {
  if (res.headersSent) return;
  const body = d.message + '\n';
  res.writeHead(d.status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': String(Buffer.byteLength(body)),
    ...(d.status === 401 ? { 'www-authenticate': 'Bearer' } : {}),
  });
  res.end(body);
};

/** OTLP/HTTP: a google.rpc.Status as JSON (code 16 UNAUTHENTICATED / 7 PERMISSION_DENIED). */
export const denyOtlp: DenySender = (_req, res, d) => {
  if (res.headersSent) return;
  const body = JSON.stringify({ code: d.status === 401 ? 16 : 7, message: d.message });
  res.writeHead(d.status, {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(body)),
    ...(d.status === 401 ? { 'www-authenticate': 'Bearer' } : {}),
  });
  res.end(body);
};

/**
 * Put `gate` in front of HTTP handlers: a refused request is answered by `deny` (its body read and
 * discarded), an admitted one goes to `handlerFor(tenant)` (created once per tenant and cached).
 * `open(path)`: paths served without a token or tenant (e.g. the UI's static files, /health).
 */
export function guardHttp(
  gate: RequestGate,
  handlerFor: (tenant: string | undefined) => RequestHandler,
  deny: DenySender,
  open?: (path: string, req: IncomingMessage) => boolean,
): RequestHandler {
  const handlers = new Map<string | undefined, RequestHandler>();
  const handler = (tenant: string | undefined) => {
    let h = handlers.get(tenant);
    if (!h) handlers.set(tenant, (h = handlerFor(tenant)));
    return h;
  };
  return (req, res) => {
    if (open) {
      const path = (req.url ?? '/').split('?')[0];
      if (open(path, req)) return handler(undefined)(req, res);
    }
    const r = admit(gate, (name) => headerValue(req.headers, name));
    if (isDenial(r)) {
      discardBody(req, 1024 * 1024);
      res.on('error', () => {});
      return deny(req, res, r);
    }
    return handler(r.tenant)(req, res);
  };
}
