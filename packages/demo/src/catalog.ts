/**
 * image-catalog: image metadata in an embedded DuckDB file (DEMO_DATA_DIR/catalog.duckdb).
 *
 * Traced with zero code for HTTP (`node --import @ariadne/tracer/register catalog.js`); its
 * database calls are traced by patching the DuckDB driver's `runAndReadAll` with the tracer's
 * `traceMethod` helper (the seed's "calls into the DB" step, without touching the query code).
 *
 *   GET  /images?page=1&size=4[&tag=photo]   a page of image metadata
 *   GET  /images/:id                         one image's metadata
 *   GET|POST /faults                         {"slowQueryMs": 2000}
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBConnection, DuckDBInstance, type DuckDBValue } from '@duckdb/node-api';
import { SpanKind } from '@opentelemetry/api';
import { setHttpRoute, traceMethod } from '@ariadne/tracer';
import { faultsFromEnv, handleFaults, HttpError, log, sendJson, serve, sleep } from './common.js';
import { IMAGE_COUNT, imageMeta } from './images.js';

const faults = faultsFromEnv();

// Fault injection at the driver, below the tracing patch: a slow query looks exactly like a slow
// database would (the latency is inside the traced call).
const run = DuckDBConnection.prototype.runAndReadAll;
DuckDBConnection.prototype.runAndReadAll = async function (this: DuckDBConnection, ...args: Parameters<typeof run>) {
  if (faults.slowQueryMs > 0) await sleep(faults.slowQueryMs);
  return run.apply(this, args);
};

// The tracing: one span per query, named by its verb and table, with the statement.
traceMethod(DuckDBConnection.prototype, 'runAndReadAll', {
  kind: SpanKind.CLIENT,
  name: (_self, [sql]) => {
    const m = /^\s*(\w+)[\s\S]*?\b(?:FROM|INTO|TABLE)\s+(\w+)/i.exec(String(sql));
    return m ? `${m[1].toUpperCase()} ${m[2]}` : 'duckdb query';
  },
  staticTags: { 'db.system': 'duckdb', component: 'duckdb-node-api', 'db.name': 'catalog' },
  tags: (_self, [sql, params]) => ({ 'db.statement': String(sql), ...(params ? { 'db.params': JSON.stringify(params, (_k, v) => (typeof v === 'bigint' ? String(v) : v)) } : {}) }),
});

const dataDir = process.env.DEMO_DATA_DIR || '.';
mkdirSync(dataDir, { recursive: true });
const file = join(dataDir, 'catalog.duckdb');
rmSync(file, { force: true });
rmSync(`${file}.wal`, { force: true });
const db = await DuckDBInstance.create(file);
const conn = await db.connect();
await conn.run('CREATE TABLE images (id INTEGER PRIMARY KEY, title VARCHAR, owner VARCHAR, tag VARCHAR, width INTEGER, height INTEGER, file VARCHAR)');
const app = await conn.createAppender('images');
for (let i = 1; i <= IMAGE_COUNT; i++) {
  const m = imageMeta(i);
  app.appendInteger(m.id);
  app.appendVarchar(m.title);
  app.appendVarchar(m.owner);
  app.appendVarchar(m.tag);
  app.appendInteger(m.width);
  app.appendInteger(m.height);
  app.appendVarchar(m.file);
  app.endRow();
}
app.closeSync();
log('info', 'catalog loaded', { file, images: IMAGE_COUNT });

const COLUMNS = 'id, title, owner, tag, width, height, file';

function int(v: string | null, name: string, dflt: number, max: number): number {
  if (v === null || v === '') return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new HttpError(400, `${name} must be an integer between 1 and ${max}`);
  return n;
}

await serve(
  async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://catalog');
    if (url.pathname === '/faults') return handleFaults(req, res, faults, ['slowQueryMs']);
    if (req.method !== 'GET') throw new HttpError(405, 'use GET');
    if (url.pathname === '/images') {
      setHttpRoute('/images');
      const page = int(url.searchParams.get('page'), 'page', 1, 10_000);
      const size = int(url.searchParams.get('size'), 'size', 4, 100);
      const tag = url.searchParams.get('tag');
      const params: Record<string, DuckDBValue> = { size, offset: (page - 1) * size };
      if (tag) params.tag = tag;
      const r = await conn.runAndReadAll(
        `SELECT ${COLUMNS}, count(*) OVER () AS total FROM images ${tag ? 'WHERE tag = $tag ' : ''}ORDER BY id LIMIT $size OFFSET $offset`,
        params,
      );
      const rows = r.getRowObjectsJson();
      return sendJson(res, 200, { page, size, total: Number(rows[0]?.total ?? 0), images: rows.map(({ total: _t, ...img }) => img) });
    }
    const m = /^\/images\/(\d+)$/.exec(url.pathname);
    if (m) {
      setHttpRoute('/images/:id');
      const r = await conn.runAndReadAll(`SELECT ${COLUMNS} FROM images WHERE id = $id`, { id: Number(m[1]) });
      const row = r.getRowObjectsJson()[0];
      if (!row) throw new HttpError(404, `no image ${m[1]}`);
      return sendJson(res, 200, row);
    }
    throw new HttpError(404, `no route ${url.pathname}`);
  },
  async () => {
    conn.closeSync();
    db.closeSync();
  },
);
