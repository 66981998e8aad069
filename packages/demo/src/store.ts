/**
 * image-store: serves image bytes from files on disk (generated at start in DEMO_DATA_DIR).
 *
 * Traced with zero code: run it as `node --import @ariadne/tracer/register store.js`; the HTTP
 * server spans and context propagation come from the register entry. The only tracing calls here
 * are naming the span by route and copying the client's `customer.id` baggage onto it.
 *
 *   GET  /files/:name   the image (image/svg+xml); fails with 500 at `storeErrorRate`
 *   GET|POST /faults    {"storeErrorRate": 0.2}
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { context, propagation, trace } from '@opentelemetry/api';
import { setHttpRoute } from '@ariadne/tracer';
import { faultsFromEnv, handleFaults, HttpError, InjectedFault, log, serve } from './common.js';
import { IMAGE_COUNT, imageFile, renderSvg } from './images.js';

const dir = join(process.env.DEMO_DATA_DIR || '.', 'images');
mkdirSync(dir, { recursive: true });
for (let i = 1; i <= IMAGE_COUNT; i++) writeFileSync(join(dir, imageFile(i)), renderSvg(i));
const files = new Set(readdirSync(dir));
log('info', 'images written', { dir, count: files.size });

const faults = faultsFromEnv();

await serve(async (req, res) => {
  const path = (req.url ?? '/').split('?')[0];
  if (path === '/faults') return handleFaults(req, res, faults, ['storeErrorRate']);
  const m = /^\/files\/([^/]+)$/.exec(path);
  if (!m || req.method !== 'GET') throw new HttpError(404, `no route ${req.method} ${path}`);
  setHttpRoute('/files/:name');
  const customer = propagation.getBaggage(context.active())?.getEntry('customer.id')?.value;
  if (customer) trace.getActiveSpan()?.setAttribute('customer.id', customer);
  const name = decodeURIComponent(m[1]);
  if (!files.has(name)) throw new HttpError(404, `no image ${name}`);
  if (Math.random() < faults.storeErrorRate) throw new InjectedFault(500, `reading ${name} failed: EIO (injected fault)`);
  const bytes = await readFile(join(dir, name));
  res.writeHead(200, { 'content-type': 'image/svg+xml', 'content-length': bytes.length });
  res.end(bytes);
});
