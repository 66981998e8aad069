/**
 * Crash safety, end to end: sustained ingest from a separate load-generator process (OTLP/HTTP,
 * OTLP/gRPC and Zipkin) into a real all-in-one on DuckDB, `kill -9` of the server in the middle of
 * the stream, a restart on the same data directory — twice — and then: the store opens cleanly,
 * every span whose request was acknowledged before a kill is there, and ingest works again.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { getJson, startAriadne, tempDir, type Running } from './helpers.js';
import { SPANS_PER_TRACE, startLoad, type RunningLoad } from './ingest-load.js';

const dir = tempDir('ariadne-crash-');
let app: Running | undefined;
let load: RunningLoad | undefined;

after(async () => {
  load?.proc.kill('SIGKILL');
  await app?.stop('SIGKILL');
  dir.remove();
});

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function start(): Promise<Running> {
  await app?.stop('SIGKILL'); // a previous step that failed may have left one running on this data dir
  return startAriadne({ args: ['--data-dir', dir.path], waitFor: ['otlp-http', 'otlp-grpc', 'zipkin', 'query', 'admin'], timeoutMs: 60_000 });
}

/** Spans stored per trace id (raw, 50 ids per request). */
async function storedCounts(a: Running, ids: string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (let i = 0; i < ids.length; i += 50) {
    const q = ids
      .slice(i, i + 50)
      .map((id) => `traceID=${id}`)
      .join('&');
    const r = await getJson(a.url('query', `/api/traces?${q}&raw=true`));
    assert.equal(r.status, 200, JSON.stringify(r.body).slice(0, 300));
    for (const t of r.body.data) out.set(t.traceID.padStart(32, '0'), t.spans.length);
  }
  return out;
}

/** Ingest into `a` from a separate process until `minAcked` more traces were acknowledged, then kill -9 the server mid-stream. */
async function ingestAndKill(a: Running, minAcked: number): Promise<{ acked: string[]; sigkilled: boolean }> {
  const grpcAddr = a.addresses.get('otlp-grpc')!;
  load = startLoad({
    otlpUrl: a.url('otlp-http', '/v1/traces'),
    zipkinUrl: a.url('zipkin', '/api/v2/spans'),
    grpcAddress: `${grpcAddr.host}:${grpcAddr.port}`,
    seconds: 120,
    otlpWorkers: 8,
    zipkinWorkers: 2,
    grpcWorkers: 2,
    retryMs: 20,
  });
  const until = Date.now() + 90_000;
  while (load.acked.length < minAcked && Date.now() < until) await pause(50);
  assert.ok(load.acked.length >= minAcked, `only ${load.acked.length} traces acknowledged in 90 s`);
  // Mid-stream: requests are being decoded, queued and committed right now.
  a.proc.kill('SIGKILL');
  const code = await new Promise<NodeJS.Signals | null>((r) => a.proc.once('exit', (_c, sig) => r(sig)));
  // Give the generator time to print the acknowledgements it received before the kill, then stop it.
  await pause(500);
  const acked = [...load.acked];
  load.proc.kill('SIGKILL');
  await load.done.catch(() => {});
  load = undefined;
  return { acked, sigkilled: code === 'SIGKILL' };
}

describe('kill -9 during sustained ingest (all-in-one, DuckDB)', () => {
  const acked: string[] = [];

  test('first run: ingest, kill -9 mid-stream', async () => {
    app = await start();
    const r = await ingestAndKill(app, 300);
    assert.ok(r.sigkilled, 'the server died of SIGKILL');
    acked.push(...r.acked);
  });

  test('restart on the same data dir: opens cleanly, every acknowledged span is there; then ingest and kill -9 again', async () => {
    app = await start();
    const stored = await storedCounts(app, acked);
    const missing = acked.filter((id) => stored.get(id) !== SPANS_PER_TRACE);
    assert.deepEqual(missing.slice(0, 5), [], `${missing.length} of ${acked.length} acknowledged traces not stored whole after kill -9`);
    const r = await ingestAndKill(app, 300);
    assert.ok(r.sigkilled);
    acked.push(...r.acked);
  });

  test('second restart: every span acknowledged in either run is stored, services listed, ingest works', async (t) => {
    app = await start();
    const stored = await storedCounts(app, acked);
    const missing = acked.filter((id) => stored.get(id) !== SPANS_PER_TRACE);
    assert.equal(new Set(acked).size, acked.length);
    assert.deepEqual(missing.slice(0, 5), [], `${missing.length} of ${acked.length} acknowledged traces not stored whole after two kill -9`);
    t.diagnostic(`${acked.length} traces (${acked.length * SPANS_PER_TRACE} spans) acknowledged across two kill -9; missing after restart: ${missing.length}`);
    const services = await getJson(app.url('query', '/api/services'));
    assert.equal(services.status, 200);
    for (const s of ['load-otlp-http', 'load-zipkin', 'load-grpc']) assert.ok(services.body.data.includes(s), `service ${s} listed: ${JSON.stringify(services.body.data)}`);
    // The store takes writes again after the crashes.
    load = startLoad({ otlpUrl: app.url('otlp-http', '/v1/traces'), seconds: 1, otlpWorkers: 2 });
    await load.done;
    const more = [...load.acked];
    load = undefined;
    assert.ok(more.length > 0, 'nothing acknowledged after the restart');
    const after = await storedCounts(app, more);
    assert.ok(
      more.every((id) => after.get(id) === SPANS_PER_TRACE),
      'spans written after the restart are stored',
    );
    assert.equal(await app.stop(), 0, 'a clean shutdown after the crashes');
    app = undefined;
  });
});
