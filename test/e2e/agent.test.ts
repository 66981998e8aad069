/**
 * `ariadne agent` beside an app: jaeger-client sends Thrift over UDP to the agent, the agent
 * forwards to a running all-in-one over OTLP/HTTP, and the trace reads back from the query API;
 * the agent's /sampling proxies the collector's strategies.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, test } from 'node:test';
import { getJson, startAriadne, type Running } from './helpers.js';

const require = createRequire(import.meta.url);
let collector: Running;
let agent: Running;

before(async () => {
  collector = await startAriadne({ args: ['--storage', 'memory'] });
  agent = await startAriadne({
    command: 'agent',
    args: ['--collector-url', collector.url('otlp-http', '/v1/traces'), '--collector-sampling-url', collector.url('admin', '/api/sampling')],
  });
});
after(async () => {
  await agent?.stop();
  await collector?.stop();
});

test('jaeger-client → agent (UDP, binary) → collector → query', async () => {
  const { initTracer } = require('jaeger-client');
  const tracer = initTracer(
    { serviceName: 'via-agent', sampler: { type: 'const', param: 1 }, reporter: { agentHost: '127.0.0.1', agentPort: agent.addresses.get('agent-binary')!.port, flushIntervalMs: 20 } },
    { logger: { info() {}, error() {} } },
  );
  const root = tracer.startSpan('agent-root');
  tracer.startSpan('agent-child', { childOf: root }).finish();
  root.finish();
  const traceId = root.context().toTraceId();
  await new Promise<void>((r) => tracer.close(() => r()));
  const deadline = Date.now() + 15000;
  for (;;) {
    const r = await getJson(collector.url('query', `/api/traces/${traceId}`));
    if (r.status === 200 && r.body.data[0].spans.length === 2) {
      const t = r.body.data[0];
      assert.equal(t.processes[t.spans[0].processID].serviceName, 'via-agent');
      break;
    }
    assert.ok(Date.now() < deadline, 'forwarded trace arrives');
    await new Promise((res) => setTimeout(res, 100));
  }
});

test('agent /sampling proxies the collector; bad requests get 400', async () => {
  const r = await getJson(agent.url('sampling', '/sampling?service=x'));
  assert.equal(r.status, 200);
  assert.deepEqual(r.body, { strategyType: 'PROBABILISTIC', probabilisticSampling: { samplingRate: 1 } });
  assert.equal((await getJson(agent.url('sampling', '/sampling'))).status, 400);
});
