// Hostile HTML/script in stored spans is inert in the UI, and the UI works with query auth and
// multi-tenancy on. A real all-in-one process (query token file, tenants) receives spans over OTLP
// whose service names, operation names, attribute keys/values, event names and status messages
// are HTML and script payloads; Debian's chromium (playwright-core) then uses the UI as a person
// would: it is asked for the token and the tenant once (kept in localStorage), searches, opens the
// trace, every span's details, the statistics/graph/JSON tabs and the dependencies page. Every
// payload must show up as text; no payload script runs (no dialog, no global set) and no element
// of a payload appears in the page.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { encodeOtlpProtobuf } from '@ariadne/codec';
import { attr, makeResource, makeSpan, SpanKind, StatusCode, type Span } from '@ariadne/model';
import { startAriadne, tempDir, type Running } from './helpers.js';
import { req } from './security-helpers.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const uiDir = join(root, 'packages/ui/dist');
const artifacts = join(root, 'test-artifacts');
const CHROMIUM = process.env.ARIADNE_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const TOKEN = 'ui-query-token';
const TENANT = 'acme';

// Each payload, if it ever became markup or script, would set window.__pwned, open a dialog or add
// an element with the data-pwned attribute (or a <script>, <img>, <svg>, <iframe> we never render).
const P = {
  img: '<img src=x data-pwned=1 onerror="window.__pwned=1;alert(1)">',
  script: '<script>window.__pwned=2;alert(2)</script>',
  svg: '"><svg data-pwned=1 onload="window.__pwned=3">',
  iframe: "'><iframe data-pwned=1 src=\"javascript:window.parent.__pwned=4\"></iframe>",
  tag: '</td></tr></table><b data-pwned=1>bold</b>',
  tmpl: '{{constructor.constructor("window.__pwned=5")()}}${window.__pwned=6}',
  href: 'javascript:window.__pwned=7',
};
const SERVICE = `svc ${P.img}`;
const BACKEND = `backend ${P.svg}`;
const TRACE_ID = '5ec0de5ec0de5ec0de5ec0de5ec0de00';
const t0 = BigInt(Date.now() - 60_000) * 1_000_000n;
const ms = (n: number) => t0 + BigInt(n) * 1_000_000n;

const SPANS: Span[] = [
  makeSpan({
    traceId: TRACE_ID, spanId: '0000000000000001', name: `GET ${P.script}`, kind: SpanKind.SERVER, startTimeUnixNano: ms(0), endTimeUnixNano: ms(100),
    resource: makeResource(SERVICE, [attr(`host ${P.tag}`, P.iframe)]),
    attributes: [attr(P.img, P.script), attr('note', P.tag), attr('tmpl', P.tmpl), attr('http.url', P.href), attr('__proto__', 'x'), attr('constructor', P.svg)],
    events: [{ timeUnixNano: ms(5), name: P.svg, attributes: [attr('message', P.iframe)], droppedAttributesCount: 0 }],
    status: { code: StatusCode.ERROR, message: P.img },
  }),
  makeSpan({
    traceId: TRACE_ID, spanId: '0000000000000002', parentSpanId: '0000000000000001', name: P.iframe, kind: SpanKind.SERVER, startTimeUnixNano: ms(10), endTimeUnixNano: ms(60),
    resource: makeResource(BACKEND), attributes: [attr('sql', P.tag)],
  }),
];

let app: Running | undefined;
let browser: Browser | undefined;
const dir = tempDir('ariadne-ui-xss-');

before(async () => {
  if (!existsSync(join(uiDir, 'index.html'))) {
    const r = spawnSync('npm', ['run', 'build', '-w', '@ariadne/ui', '--silent'], { cwd: root, stdio: 'inherit' });
    assert.equal(r.status, 0, 'building the UI failed');
  }
  mkdirSync(artifacts, { recursive: true });
  writeFileSync(join(dir.path, 'query-tokens'), TOKEN + '\n');
  app = await startAriadne({ args: ['--storage', 'memory', '--query-auth-tokens-file', join(dir.path, 'query-tokens'), '--multi-tenancy-enabled', '--ui-dir', uiDir] });
  const r = await req(app.url('otlp-http', '/v1/traces'), { body: encodeOtlpProtobuf(SPANS), headers: { 'content-type': 'application/x-protobuf', 'x-tenant': TENANT } });
  assert.equal(r.status, 200, r.text);
  if (!existsSync(CHROMIUM)) {
    if (process.env.CI) throw new Error(`chromium not found at ${CHROMIUM} (required when CI is set)`);
    return;
  }
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 60_000 });
});

after(async () => {
  await browser?.close().catch(() => {});
  await app?.stop();
  dir.remove();
});

test('the API refuses the UI\'s data without the token and the tenant', async () => {
  assert.equal((await req(app!.url('query', '/api/services'))).status, 401);
  assert.equal((await req(app!.url('query', '/api/services'), { headers: { authorization: `Bearer ${TOKEN}` } })).status, 401);
  const ok = await req(app!.url('query', '/api/services'), { headers: { authorization: `Bearer ${TOKEN}`, 'x-tenant': TENANT } });
  assert.deepEqual(JSON.parse(ok.text).data, [BACKEND, SERVICE].sort());
  assert.equal((await req(app!.url('query', '/'))).status, 200, 'the UI itself is served without credentials');
});

test('UI: asks for token and tenant once, then every view shows the payloads as inert text', async (t) => {
  if (!browser) return t.skip(`chromium not found at ${CHROMIUM}`);
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.setDefaultTimeout(15_000);
  const prompts: string[] = [];
  const alerts: string[] = [];
  const pageErrors: string[] = [];
  page.on('dialog', (d) => {
    if (d.type() === 'prompt') {
      prompts.push(d.message());
      void d.accept(/tenant/i.test(d.message()) ? TENANT : TOKEN);
    } else {
      alerts.push(`${d.type()}: ${d.message()}`);
      void d.dismiss();
    }
  });
  page.on('pageerror', (e) => pageErrors.push(e.message));
  const pwned = async (where: string) => {
    assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned ?? 0), 0, `${where}: a payload script ran`);
    assert.deepEqual(alerts, [], `${where}: a payload opened a dialog`);
    assert.equal(await page.locator('[data-pwned], script:not([src]), iframe, img[src="x"], svg[onload]').count(), 0, `${where}: a payload element was injected`);
  };
  const bodyText = async () => (await page.locator('body').innerText()).replace(/\s+/g, ' ');
  try {
    await page.goto(app!.url('query', '/'));
    const services = page.getByTestId('service-select');
    const deadline = Date.now() + 15_000;
    while ((await services.locator('option').count()) < 2 && Date.now() < deadline) await page.waitForTimeout(100);
    assert.equal(prompts.length, 2, `asked once for the token and once for the tenant: ${JSON.stringify(prompts)}`);
    assert.match(prompts[0], /bearer token/);
    assert.match(prompts[1], /tenant/);
    assert.deepEqual(await services.locator('option').allTextContents(), [BACKEND, SERVICE].sort(), 'service names are option text');
    assert.deepEqual(await page.evaluate(() => [localStorage.getItem('ariadne.token'), localStorage.getItem('ariadne.tenant')]), [TOKEN, TENANT]);
    await pwned('search form');

    await services.selectOption(SERVICE);
    await page.getByTestId('search-submit').click();
    const result = page.getByTestId('trace-result');
    await result.waitFor();
    assert.equal(await page.getByTestId('result-name').textContent(), `${SERVICE}: GET ${P.script}`);
    await pwned('search results');

    await result.click();
    await page.waitForURL(`**/trace/${TRACE_ID}`);
    await page.getByTestId('timeline').waitFor();
    assert.equal(await page.getByTestId('trace-title').textContent(), `${SERVICE}: GET ${P.script}`);
    const rows = page.getByTestId('span-row');
    assert.deepEqual(await rows.getByTestId('span-operation').allTextContents(), [`GET ${P.script}`, P.iframe]);
    assert.deepEqual(await rows.getByTestId('span-service').allTextContents(), [SERVICE, BACKEND]);
    await pwned('timeline');

    for (let i = 0; i < 2; i++) {
      await rows.nth(i).click();
      const detail = page.locator(`[data-testid=span-detail][data-span-id="000000000000000${i + 1}"]`);
      await detail.waitFor();
      for (const s of await detail.locator('details:not([open]) > summary').all()) await s.click();
      const text = (await detail.innerText()).replace(/\s+/g, ' ');
      if (i === 0) {
        for (const p of [P.img, P.script, P.tag, P.tmpl, P.href, P.svg, P.iframe]) assert.ok(text.includes(p.replace(/\s+/g, ' ')), `details show ${p} as text`);
        assert.ok(text.includes('__proto__') && text.includes('constructor'), 'prototype-named keys are shown as ordinary tags');
      } else assert.ok(text.includes(P.tag), 'child details show its tag as text');
      await pwned(`span ${i + 1} details`);
    }
    await page.screenshot({ path: join(artifacts, 'ui-xss-detail.png'), fullPage: true });

    for (const tab of ['stats', 'graph', 'json']) {
      const button = page.getByTestId(`tab-${tab}`);
      if ((await button.count()) === 0) continue;
      await button.click();
      await page.waitForTimeout(300);
      const text = await bodyText();
      assert.ok(text.includes(SERVICE) || text.includes(JSON.stringify(SERVICE).slice(1, -1)), `${tab} tab shows the service name as text`);
      await pwned(`${tab} tab`);
    }

    await page.goto(app!.url('query', '/dependencies'));
    await page.getByTestId('dependencies-page').waitFor();
    await page.waitForTimeout(500);
    const deps = await bodyText();
    assert.ok(deps.includes(SERVICE) && deps.includes(BACKEND), 'dependencies show both hostile service names as text');
    await pwned('dependencies');
    assert.equal(prompts.length, 2, 'credentials were kept: no further prompts');
    assert.deepEqual(pageErrors, []);
  } finally {
    await page.close();
  }
});
