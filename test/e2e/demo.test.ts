/**
 * The image-gallery demo against a real all-in-one (`ariadne all-in-one --demo`, embedded DuckDB
 * store): four real Node processes over real HTTP, checked only through the query API —
 * traces cross all services with the right parents, the client's baggage reaches the store, each
 * fault switched on through `POST /faults` shows up (slow catalog query span, self time of the CPU
 * step, error tags on the store), and SIGINT leaves no process behind.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import { startDemo, type RunningDemo } from '@ariadne/demo';
import { startClickHouse, type ClickHouseCluster } from '../helpers/clickhouse.ts';
import { getJson, ROOT, startAriadne, tempDir, type Running } from './helpers.ts';

const CHROMIUM = process.env.ARIADNE_CHROMIUM ?? '/usr/bin/chromium';
const ARTIFACTS = join(ROOT, 'test-artifacts');

interface JSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  references: { refType: string; spanID: string; traceID: string }[];
  startTime: number;
  duration: number;
  tags: { key: string; type: string; value: unknown }[];
  processID: string;
}
interface JTrace {
  traceID: string;
  spans: JSpan[];
  processes: Record<string, { serviceName: string }>;
}

const SERVICES = ['gallery-client', 'gallery-api', 'image-catalog', 'image-store'];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const tag = (s: JSpan, key: string) => s.tags.find((t) => t.key === key)?.value;
const isError = (s: JSpan) => tag(s, 'error') === true || tag(s, 'otel.status_code') === 'ERROR';
const parentOf = (s: JSpan) => s.references.find((r) => r.refType === 'CHILD_OF')?.spanID;

/** A trace with its spans indexed, service names resolved. */
function view(t: JTrace) {
  const svc = (s: JSpan) => t.processes[s.processID].serviceName;
  const byId = new Map(t.spans.map((s) => [s.spanID, s]));
  const find = (service: string, op: string | RegExp) => t.spans.filter((s) => svc(s) === service && (typeof op === 'string' ? s.operationName === op : op.test(s.operationName)));
  const parent = (s: JSpan) => byId.get(parentOf(s) ?? '');
  return { t, svc, byId, find, parent };
}

/** Polls `/api/traces?service=gallery-client` until `pick` finds a trace (or the deadline passes). */
async function waitForTrace(r: Pick<Running, 'url'>, since: number, pick: (t: JTrace) => boolean, what: string, timeoutMs = 60_000): Promise<JTrace> {
  const deadline = Date.now() + timeoutMs;
  let seen = 0;
  while (Date.now() < deadline) {
    const { status, body } = await getJson(r.url('query', `/api/traces?service=gallery-client&operation=${encodeURIComponent('visit gallery')}&start=${since * 1000}&limit=200`));
    assert.equal(status, 200);
    const traces = body.data as JTrace[];
    seen = traces.length;
    // complete traces only: every span's parent present
    const found = traces.find((t) => t.spans.every((s) => !parentOf(s) || t.spans.some((p) => p.spanID === parentOf(s))) && pick(t));
    if (found) return found;
    await sleep(1000);
  }
  throw new Error(`no trace with ${what} within ${timeoutMs} ms (${seen} traces seen since ${new Date(since).toISOString()})`);
}

/** Pids of `pid` and all its descendants (from /proc). */
function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      (children.get(ppid) ?? children.set(ppid, []).get(ppid)!).push(Number(e));
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    out.push(p);
    for (const c of children.get(p) ?? []) walk(c);
  };
  walk(pid);
  return out;
}

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

describe('image-gallery demo on all-in-one', { timeout: 240_000 }, () => {
  const dir = tempDir('ariadne-demo-test-');
  let r: Running;
  let gallery: string;

  before(async () => {
    r = await startAriadne({ args: ['--data-dir', dir.path, '--demo'], env: { DEMO_RATE: '4' }, timeoutMs: 60_000 });
    const deadline = Date.now() + 90_000;
    while (!r.logs.some((l) => l.msg === 'demo running: open the UI')) {
      if (Date.now() > deadline || r.proc.exitCode !== null) throw new Error(`demo did not start: ${JSON.stringify(r.logs.slice(-10))}`);
      await sleep(200);
    }
    gallery = r.logs.find((l) => l.msg === 'demo running: open the UI')!.gallery as string;
  });

  after(async () => {
    await r?.stop('SIGKILL').catch(() => {});
    dir.remove();
  });

  test('a visit is one trace across all four services with correct parents, and the baggage reaches the store', async () => {
    const since = Date.now() - 60_000;
    const t = await waitForTrace(r, since, (t) => {
      const v = view(t);
      // complete: every call the gallery made has its server span, every catalog request its query
      return (
        SERVICES.every((s) => t.spans.some((sp) => v.svc(sp) === s)) &&
        v.find('gallery-api', 'HTTP GET /images/:id').length === 1 &&
        v.find('gallery-api', 'render thumbnails').length === 1 &&
        v.find('image-store', 'GET /files/:name').length === v.find('gallery-api', 'HTTP GET image-store').length &&
        v.find('image-catalog', /^GET /).length === 2 &&
        v.find('image-catalog', 'SELECT images').length === 2
      );
    }, 'all four services');
    const v = view(t);
    for (const s of t.spans) assert.equal(s.traceID, t.traceID);

    const [root] = v.find('gallery-client', 'visit gallery');
    assert.ok(root, 'client root span');
    assert.equal(parentOf(root), undefined, 'the visit is the root');
    const customer = tag(root, 'customer.id');
    assert.match(String(customer), /^cust-\d{3}$/);

    const [getPage] = v.find('gallery-client', 'GET /gallery');
    assert.equal(parentOf(getPage), root.spanID);
    assert.equal(tag(getPage, 'span.kind'), 'client');

    // gallery-api (OpenTracing) server span under the client's span, from the extracted headers
    const [server] = v.find('gallery-api', 'HTTP GET /gallery');
    assert.ok(server, `gallery server span; ops: ${t.spans.map((s) => `${v.svc(s)}:${s.operationName}`).join(', ')}`);
    assert.equal(parentOf(server), getPage.spanID);
    assert.equal(tag(server, 'span.kind'), 'server');
    assert.equal(tag(server, 'customer.id'), customer, 'OpenTracing sees the baggage item');

    // catalog (zero-code) under the gallery's client span; its DuckDB query (traceMethod) under that
    const [toCatalog] = v.find('gallery-api', 'HTTP GET image-catalog');
    assert.equal(parentOf(toCatalog), server.spanID);
    const catalogServer = v.find('image-catalog', 'GET /images').find((s) => parentOf(s) === toCatalog.spanID);
    assert.ok(catalogServer, 'catalog server span parented on the gallery client span');
    const [query] = v.find('image-catalog', 'SELECT images');
    assert.ok(query, 'DuckDB query span');
    assert.equal(parentOf(query), catalogServer.spanID);
    assert.equal(tag(query, 'db.system'), 'duckdb');
    assert.match(String(tag(query, 'db.statement')), /FROM images/);

    const [render] = v.find('gallery-api', 'render thumbnails');
    assert.equal(parentOf(render), server.spanID);

    // the image request: client → gallery → catalog lookup + store read
    const [getImage] = v.find('gallery-client', 'GET /images/:id');
    assert.equal(parentOf(getImage), root.spanID);
    const [imageServer] = v.find('gallery-api', 'HTTP GET /images/:id');
    assert.equal(parentOf(imageServer), getImage.spanID);
    const lookup = v.find('image-catalog', 'GET /images/:id')[0];
    assert.ok(lookup, 'catalog lookup span');
    assert.equal(v.parent(lookup)!.operationName, 'HTTP GET image-catalog');
    assert.equal(parentOf(v.parent(lookup)!), imageServer.spanID);

    // store (zero-code) under the gallery's client spans, with the client's baggage as an attribute
    const storeServers = v.find('image-store', 'GET /files/:name');
    assert.ok(storeServers.length >= 2, 'thumbnails and the image');
    for (const s of storeServers) {
      const p = v.parent(s)!;
      assert.equal(p.operationName, 'HTTP GET image-store');
      assert.equal(v.svc(p), 'gallery-api');
      assert.ok([server.spanID, imageServer.spanID].includes(parentOf(p)!));
      assert.equal(tag(s, 'span.kind'), 'server');
      assert.equal(tag(s, 'customer.id'), customer, 'baggage arrived at the store');
    }
    assert.ok(storeServers.some((s) => parentOf(v.parent(s)!) === imageServer.spanID), 'the image read');

    // the dependency graph the UI draws comes out of these links
    const deps = await getJson(r.url('query', `/api/dependencies?endTs=${Date.now()}&lookback=3600000`));
    const edges = new Set((deps.body.data as { parent: string; child: string }[]).map((d) => `${d.parent}->${d.child}`));
    for (const e of ['gallery-client->gallery-api', 'gallery-api->image-catalog', 'gallery-api->image-store']) assert.ok(edges.has(e), `${e} in ${[...edges].join(', ')}`);
  });

  test('the fault switches: bad input is refused, and each fault shows up in the traces', async () => {
    for (const bad of ['{"bogus":1}', '{"storeErrorRate":2}', '{"slowQueryMs":-1}', 'not json']) {
      const res = await fetch(`${gallery}/faults`, { method: 'POST', body: bad });
      assert.equal(res.status, 400, bad);
      assert.match(((await res.json()) as { error: string }).error, /./);
    }
    const before = (await (await fetch(`${gallery}/faults`)).json()) as Record<string, number>;
    assert.deepEqual(before, { slowQueryMs: 0, cpuMs: 0, storeErrorRate: 0 });

    const since = Date.now();
    const set = await fetch(`${gallery}/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ slowQueryMs: 1200, cpuMs: 300, storeErrorRate: 0.5 }) });
    assert.equal(set.status, 200);
    assert.deepEqual(await set.json(), { slowQueryMs: 1200, cpuMs: 300, storeErrorRate: 0.5 });

    try {
      // slow catalog query: the DuckDB span itself is slow, its HTTP parents inherit it
      const slow = await waitForTrace(r, since, (t) => view(t).find('image-catalog', 'SELECT images').some((s) => s.startTime >= since * 1000 && s.duration >= 1_200_000), 'a slow catalog query');
      const sv = view(slow);
      const q = sv.find('image-catalog', 'SELECT images').find((s) => s.duration >= 1_200_000)!;
      assert.equal(sv.svc(sv.parent(q)!), 'image-catalog');
      assert.ok(sv.parent(q)!.duration >= q.duration);

      // CPU step: the render span's time is its own (self time from the query API's analytics)
      const cpu = await waitForTrace(r, since, (t) => view(t).find('gallery-api', 'render thumbnails').some((s) => s.startTime >= since * 1000 && s.duration >= 300_000), 'a CPU-heavy render span');
      const render = view(cpu).find('gallery-api', 'render thumbnails').find((s) => s.duration >= 300_000)!;
      assert.equal(tag(render, 'fault.cpu_ms'), 300);
      const self = await getJson(r.url('query', `/api/analytics/traces/${cpu.traceID}/self-time`));
      assert.equal(self.status, 200);
      const row = (self.body.data as { spanID: string; selfTime: number; duration: number }[]).find((x) => x.spanID === render.spanID)!;
      assert.ok(row.selfTime >= 300_000, `self time ${row.selfTime} µs`);
      assert.equal(row.selfTime, row.duration);

      // store errors: the zero-code server span is ERROR with status 500, the caller's span is tagged error
      const failed = await waitForTrace(r, since, (t) => view(t).find('image-store', 'GET /files/:name').some((s) => s.startTime >= since * 1000 && isError(s)), 'a failed store read');
      const fv = view(failed);
      const bad = fv.find('image-store', 'GET /files/:name').find(isError)!;
      assert.equal(tag(bad, 'http.response.status_code'), 500);
      const caller = fv.parent(bad)!;
      assert.equal(tag(caller, 'error'), true);
      assert.equal(tag(caller, 'http.status_code'), 500);

      // the dependency graph counts the failed calls on the gallery → store edge
      const deps = await getJson(r.url('query', `/api/dependencies?endTs=${Date.now()}&lookback=600000`));
      const edge = (deps.body.data as { parent: string; child: string; callCount: number; errorCount: number }[]).find((d) => d.parent === 'gallery-api' && d.child === 'image-store')!;
      assert.ok(edge && edge.errorCount >= 1 && edge.errorCount < edge.callCount, JSON.stringify(edge));

      // and the error is searchable the Jaeger way
      const search = await getJson(r.url('query', `/api/traces?service=image-store&tags=${encodeURIComponent('{"error":"true"}')}&start=${since * 1000}&limit=5`));
      assert.ok((search.body.data as JTrace[]).length >= 1, 'error=true search finds store failures');
    } finally {
      await fetch(`${gallery}/faults`, { method: 'POST', body: JSON.stringify({ slowQueryMs: 0, cpuMs: 0, storeErrorRate: 0 }) });
    }
  });

  test('in the web UI: the slow query, the self time and the store errors of one trace', async (t) => {
    if (!existsSync(CHROMIUM)) {
      if (process.env.CI === 'true') assert.fail(`chromium not found at ${CHROMIUM}`);
      t.skip(`chromium not found at ${CHROMIUM}`);
      return;
    }
    const since = Date.now();
    const set = await fetch(`${gallery}/faults`, { method: 'POST', body: JSON.stringify({ slowQueryMs: 1500, cpuMs: 250, storeErrorRate: 0.5 }) });
    assert.equal(set.status, 200);
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'], timeout: 60_000 });
    try {
      const tr = await waitForTrace(r, since, (t) => {
        const v = view(t);
        return (
          t.spans.every((s) => s.startTime >= since * 1000) &&
          v.find('image-catalog', 'SELECT images').some((s) => s.duration >= 1_500_000) &&
          v.find('gallery-api', 'render thumbnails').some((s) => s.duration >= 250_000) &&
          v.find('image-store', 'GET /files/:name').some(isError)
        );
      }, 'all three faults');
      const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      page.setDefaultTimeout(20_000);
      await page.goto(r.url('query', `/trace/${tr.traceID}`));
      await page.getByTestId('timeline').waitFor();
      const rows = page.getByTestId('span-row');
      await rows.first().waitFor();
      assert.equal(Number(await page.getByTestId('trace-span-count').textContent()), tr.spans.length);
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, 'demo-trace.png'), fullPage: true });

      const row = (service: string, op: string) => rows.filter({ has: page.getByTestId('span-service').getByText(service, { exact: true }) }).filter({ has: page.getByTestId('span-operation').getByText(op, { exact: true }) });
      const barWidth = async (loc: ReturnType<typeof row>) => parseFloat(/width:\s*([\d.]+)%/.exec((await loc.getByTestId('span-bar').getAttribute('style')) ?? '')?.[1] ?? 'NaN');

      // where is the slowdown? the catalog's query bar takes most of its request's time
      const queries = row('image-catalog', 'SELECT images');
      assert.equal(await queries.count(), 2);
      const q = queries.first();
      assert.ok((await barWidth(q)) > 15, `query bar ${await barWidth(q)}% of the trace`);
      await q.click();
      const detail = page.getByTestId('span-detail');
      await detail.waitFor();
      const tags = (await detail.getByTestId('kv-row').allInnerTexts()).map((x) => x.replace(/\s+/g, ' ').trim());
      assert.ok(tags.includes('db.system duckdb'), JSON.stringify(tags));
      assert.ok(tags.some((x) => /^db\.statement SELECT id, title/.test(x)), JSON.stringify(tags));
      await q.click();

      // the CPU step: its time is self time
      const render = row('gallery-api', 'render thumbnails');
      await render.click();
      const self = (await page.getByTestId('span-detail').getByTestId('detail-self-time').textContent()) ?? '';
      const ms = /([\d.]+)(ms|s)$/.exec(self);
      assert.ok(ms && Number(ms[1]) * (ms[2] === 's' ? 1000 : 1) >= 250, `self time ${self}`);
      await render.click();

      // store failures are marked as errors; every store span carries the visitor's customer id
      const store = row('image-store', 'GET /files/:name');
      const errs = await store.filter({ has: page.getByTestId('span-error') }).count();
      assert.ok(errs >= 1, 'an image-store row with the error marker');
      assert.ok(Number(await page.getByTestId('trace-error-count').textContent()) >= errs);
      await store.filter({ has: page.getByTestId('span-error') }).first().click();
      const storeTags = (await page.getByTestId('span-detail').getByTestId('kv-row').allInnerTexts()).map((x) => x.replace(/\s+/g, ' ').trim());
      assert.ok(storeTags.includes('http.response.status_code 500'), JSON.stringify(storeTags));
      assert.ok(storeTags.some((x) => /^customer\.id cust-\d{3}$/.test(x)), JSON.stringify(storeTags));
      await page.screenshot({ path: join(ARTIFACTS, 'demo-store-error.png'), fullPage: true });
    } finally {
      await browser.close();
      await fetch(`${gallery}/faults`, { method: 'POST', body: JSON.stringify({ slowQueryMs: 0, cpuMs: 0, storeErrorRate: 0 }) });
    }
  });

  test('SIGINT stops all-in-one and every demo process (no orphans)', async () => {
    const tree = processTree(r.proc.pid!);
    const demoPids = r.logs.filter((l) => l.msg === 'demo service started').map((l) => l.pid as number);
    assert.equal(demoPids.length, 4);
    for (const p of demoPids) assert.ok(tree.includes(p), `demo service ${p} is a child of all-in-one`);
    const code = await r.stop('SIGINT');
    assert.equal(code, 0);
    assert.ok(r.logs.some((l) => l.msg === 'demo stopped'));
    const deadline = Date.now() + 5000;
    while (tree.some(alive) && Date.now() < deadline) await sleep(100);
    assert.deepEqual(tree.filter(alive), [], 'processes left behind');
  });
});

describe('demo services when all-in-one dies without stopping them', { timeout: 120_000 }, () => {
  let r: Running | undefined;
  after(async () => {
    await r?.stop('SIGKILL').catch(() => {});
  });

  test('kill -9 of all-in-one: the demo services notice and exit', async () => {
    r = await startAriadne({ args: ['--storage', 'memory', '--demo'], env: { DEMO_RATE: '1' }, timeoutMs: 60_000 });
    const deadline = Date.now() + 90_000;
    while (r.logs.filter((l) => l.msg === 'demo service started').length < 4) {
      if (Date.now() > deadline || r.proc.exitCode !== null) throw new Error(`demo did not start: ${JSON.stringify(r.logs.slice(-10))}`);
      await sleep(200);
    }
    const demoPids = r.logs.filter((l) => l.msg === 'demo service started').map((l) => l.pid as number);
    const trees = demoPids.flatMap(processTree);
    assert.ok(trees.every(alive));
    await r.stop('SIGKILL');
    const until = Date.now() + 10_000;
    while (trees.some(alive) && Date.now() < until) await sleep(100);
    assert.deepEqual(trees.filter(alive), [], 'demo processes outlived their parent');
  });
});

describe("README's parts on ClickHouse: collector + query processes, the demo exporting to the collector", { timeout: 180_000 }, () => {
  let ch: ClickHouseCluster | undefined;
  let collector: Running | undefined;
  let query: Running | undefined;
  let demo: RunningDemo | undefined;
  after(async () => {
    await demo?.stop().catch(() => {});
    await collector?.stop().catch(() => {});
    await query?.stop().catch(() => {});
    await ch?.stop();
  });

  test('ariadne collector/query --storage clickhouse --clickhouse-url … serve the demo traces', async () => {
    ch = await startClickHouse();
    const flags = ['--storage', 'clickhouse', '--clickhouse-url', ch.url];
    collector = await startAriadne({ command: 'collector', args: flags, timeoutMs: 60_000 });
    query = await startAriadne({ command: 'query', args: flags, timeoutMs: 60_000 });
    demo = await startDemo({ otlpEndpoint: collector.url('otlp-http'), env: { DEMO_RATE: '3' } });
    assert.deepEqual(demo.services.map((s) => s.name).sort(), ['gallery-api', 'gallery-client', 'image-catalog', 'image-store']);
    const t = await waitForTrace(query, Date.now() - 60_000, (t) => {
      const v = view(t);
      return SERVICES.every((s) => t.spans.some((sp) => v.svc(sp) === s)) && v.find('image-store', 'GET /files/:name').some((s) => tag(s, 'customer.id') !== undefined);
    }, 'all four services, via ClickHouse');
    const v = view(t);
    const [root] = v.find('gallery-client', 'visit gallery');
    const store = v.find('image-store', 'GET /files/:name').find((s) => tag(s, 'customer.id') !== undefined)!;
    assert.equal(tag(store, 'customer.id'), tag(root, 'customer.id'));
    assert.equal(v.parent(v.parent(store)!)!.operationName.startsWith('HTTP GET /'), true);
    const services = await getJson(query.url('query', '/api/services'));
    for (const s of SERVICES) assert.ok((services.body.data as string[]).includes(s), s);
  });
});
