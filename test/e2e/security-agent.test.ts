/**
 * The Jaeger agent in front of a protected collector: UDP cannot carry a token, so the agent
 * (beside the app) adds the ingest token and the tenant to what it forwards (--collector-headers).
 * Without them the collector refuses the agent's batches; with them the spans are stored for that
 * tenant only.
 */
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { encodeJaegerAgentMessage } from '@ariadne/codec';
import { makeResource, makeSpan, randomSpanId, randomTraceId } from '@ariadne/model';
import { startAriadne, tempDir, type Running } from './helpers.js';
import { req } from './security-helpers.js';

const dir = tempDir('ariadne-agent-auth-');
let collector: Running;
const agents: Running[] = [];
before(async () => {
  writeFileSync(join(dir.path, 'tokens'), 'agent-token\n');
  writeFileSync(join(dir.path, 'qtokens'), 'q\n');
  collector = await startAriadne({ args: ['--storage', 'memory', '--ingest-auth-tokens-file', join(dir.path, 'tokens'), '--query-auth-tokens-file', join(dir.path, 'qtokens'), '--multi-tenancy-enabled'] });
});
after(async () => {
  for (const a of agents) await a.stop();
  await collector?.stop();
  dir.remove();
});

async function agentSends(headers: string | undefined, service: string): Promise<{ agent: Running; traceId: string }> {
  const otlp = collector.addresses.get('otlp-http')!;
  const agent = await startAriadne({
    command: 'agent',
    args: ['--collector-url', `http://${otlp.host}:${otlp.port}/v1/traces`, ...(headers ? ['--collector-headers', headers] : [])],
  });
  agents.push(agent);
  const traceId = randomTraceId();
  const t = BigInt(Date.now()) * 1_000_000n;
  const msg = encodeJaegerAgentMessage([makeSpan({ traceId, spanId: randomSpanId(), name: 'udp-op', startTimeUnixNano: t, endTimeUnixNano: t + 1000n, resource: makeResource(service) })], 'compact')[0];
  const a = agent.addresses.get('agent-compact')!;
  const sock = createSocket('udp4');
  await new Promise<void>((r) => sock.send(msg, a.port, a.host, () => r()));
  sock.close();
  return { agent, traceId };
}

const read = (tenant: string, path: string) => req(collector.url('query', path), { headers: { authorization: 'Bearer q', 'x-tenant': tenant } });

test('an agent with the token and tenant headers delivers to that tenant; one without is refused', async () => {
  const good = await agentSends('authorization=Bearer%20agent-token,x-tenant=acme', 'via-agent');
  const bad = await agentSends(undefined, 'no-headers');
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline && (await read('acme', `/api/traces/${good.traceId}`)).status !== 200) await new Promise((r) => setTimeout(r, 200));
  assert.equal((await read('acme', `/api/traces/${good.traceId}`)).status, 200, 'stored for acme');
  assert.equal((await read('globex', `/api/traces/${good.traceId}`)).status, 404, 'not visible to another tenant');
  // the agent without headers gets 401s from the collector: it retries, then drops (counted in its /metrics)
  const m = await req(bad.agent.url('admin', '/metrics'));
  assert.equal(m.status, 200);
  assert.deepEqual(JSON.parse((await read('acme', '/api/services')).text).data, ['via-agent']);
});
