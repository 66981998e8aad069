import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { findAttribute } from '@ariadne/model';
import { trace, propagation, ROOT_CONTEXT, defaultTextMapSetter } from '@opentelemetry/api';
import * as ot from 'opentracing';
import {
  ConfigError,
  ConstSampler,
  initTracer,
  InMemoryReporter,
  NullReporter,
  ParentBasedSampler,
  ProbabilisticSampler,
  RateLimitingSampler,
  RemoteSampler,
  TraceIdRatioSampler,
  registerReporter,
  CompositeReporter,
  type TracerConfig,
} from '../src/index.js';

function bad(config: unknown, key: RegExp, env: Record<string, string> = {}) {
  assert.throws(
    () => initTracer(config as TracerConfig, { env, register: false }),
    (e: unknown) => e instanceof ConfigError && key.test(e.key) && key.test(e.message),
  );
}

describe('initTracer configuration', () => {
  it('the seed documents shape: serviceName, sampler {type, param}, reporter, propagation, tags', async () => {
    const reporter = new InMemoryReporter();
    const t = initTracer(
      { serviceName: 'your-app-name', sampler: { type: 'const', param: 1 }, reporter: { logSpans: false }, propagation: ['b3', 'jaeger'], tags: { version: '1.2.3', 'k8s.pod': 'p-1' } },
      { reporter, env: {} },
    );
    assert.equal(t.serviceName, 'your-app-name');
    // usable through both APIs
    t.startSpan('ot').finish();
    trace.getTracer('app').startSpan('otel').end();
    assert.deepEqual(reporter.spans.map((s) => s.name), ['ot', 'otel']);
    const r = reporter.spans[0].resource;
    assert.equal(r.serviceName, 'your-app-name');
    assert.deepEqual(findAttribute(r.attributes, 'service.name'), { type: 'string', value: 'your-app-name' });
    assert.deepEqual(findAttribute(r.attributes, 'version'), { type: 'string', value: '1.2.3' });
    assert.deepEqual(findAttribute(r.attributes, 'telemetry.sdk.language'), { type: 'string', value: 'nodejs' });
    assert.ok(findAttribute(r.attributes, 'host.name'));
    const h: Record<string, string> = {};
    t.inject(t.startSpan('x'), ot.FORMAT_HTTP_HEADERS, h);
    assert.deepEqual(Object.keys(h).sort(), ['b3', 'uber-trace-id']);
    const carrier: Record<string, string> = {};
    propagation.inject(trace.setSpan(ROOT_CONTEXT, trace.getTracer('a').startSpan('y')), carrier, defaultTextMapSetter);
    assert.deepEqual(Object.keys(carrier).sort(), ['b3', 'uber-trace-id'], 'registered as the global propagator');
    const sampler = t.sampler as ParentBasedSampler;
    assert.ok(sampler instanceof ParentBasedSampler, 'Jaeger samplers decide at the root only');
    await t.close();
    t.startSpan('after-close').finish();
    assert.equal(reporter.spans.some((s) => s.name === 'after-close'), false, 'closed tracers sample nothing');
  });

  it('every sampler type builds the matching sampler', () => {
    const mk = (sampler: unknown) => initTracer({ serviceName: 's', sampler } as TracerConfig, { env: {}, register: false, reporter: new NullReporter() });
    const root = (s: unknown) => (s as { root: unknown }).root;
    assert.ok(root(mk({ type: 'const', param: 0 }).sampler) instanceof ConstSampler);
    assert.ok(root(mk({ type: 'probabilistic', param: 0.1 }).sampler) instanceof ProbabilisticSampler);
    assert.ok(root(mk({ type: 'ratelimiting', param: 2 }).sampler) instanceof RateLimitingSampler);
    const remote = mk({ type: 'remote', hostPort: '127.0.0.1:1', refreshIntervalMs: 0 });
    assert.ok(root(remote.sampler) instanceof RemoteSampler);
    assert.equal((root(remote.sampler) as RemoteSampler).url, 'http://127.0.0.1:1/sampling?service=s');
    void remote.close();
    assert.ok(mk({ type: 'always_on' }).sampler instanceof ConstSampler);
    assert.ok(mk({ type: 'traceidratio', param: 0.3 }).sampler instanceof TraceIdRatioSampler);
    assert.ok(root(mk({ type: 'parentbased_traceidratio', param: 0.3 }).sampler) instanceof TraceIdRatioSampler);
    assert.ok(root(mk({ type: 'parentbased_always_off' }).sampler) instanceof ConstSampler);
  });

  it('OTEL_* environment variables', () => {
    const reporter = new InMemoryReporter();
    const t = initTracer(
      {},
      {
        reporter,
        register: false,
        env: {
          OTEL_SERVICE_NAME: 'from-env',
          OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=prod,team=a%20b',
          OTEL_TRACES_SAMPLER: 'traceidratio',
          OTEL_TRACES_SAMPLER_ARG: '0.5',
          OTEL_PROPAGATORS: 'b3multi,tracecontext',
          OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT: '2',
          OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT: '4',
        },
      },
    );
    assert.equal(t.serviceName, 'from-env');
    assert.ok(t.sampler instanceof TraceIdRatioSampler);
    assert.equal((t.sampler as TraceIdRatioSampler).ratio, 0.5);
    const s = t.getTracer('x');
    let span;
    do span = s.startSpan('limited', { attributes: { a: 'abcdefgh', b: 1, c: 2 } });
    while (!span.isRecording());
    span.end();
    const m = reporter.spans.at(-1)!;
    assert.equal(m.attributes.length, 2 + 0, 'count limit (sampler tags count against it too)');
    assert.ok(m.droppedAttributesCount >= 1);
    assert.deepEqual(findAttribute(m.attributes, 'a'), { type: 'string', value: 'abcd' });
    assert.deepEqual(findAttribute(m.resource.attributes, 'team'), { type: 'string', value: 'a b' });
    const h: Record<string, string> = {};
    t.inject(t.startSpan('z'), ot.FORMAT_HTTP_HEADERS, h);
    assert.ok('x-b3-traceid' in h && 'traceparent' in h);
    // explicit config wins over the environment
    const t2 = initTracer({ serviceName: 'explicit', sampler: { type: 'const', param: 1 } }, { env: { OTEL_SERVICE_NAME: 'env', OTEL_TRACES_SAMPLER: 'always_off' }, register: false });
    assert.equal(t2.serviceName, 'explicit');
    assert.ok(t2.sampler instanceof ParentBasedSampler);
    // jaeger_remote from env
    const t3 = initTracer({ serviceName: 'r' }, { env: { OTEL_TRACES_SAMPLER: 'parentbased_jaeger_remote', OTEL_TRACES_SAMPLER_ARG: 'endpoint=http://127.0.0.1:1/s,pollingIntervalMs=100000,initialSamplingRate=1' }, register: false });
    const remote = (t3.sampler as unknown as { root: RemoteSampler }).root;
    assert.ok(remote instanceof RemoteSampler);
    assert.equal(remote.url, 'http://127.0.0.1:1/s?service=r');
    void t3.close();
    // OTEL_SDK_DISABLED
    const off = initTracer({ serviceName: 'off' }, { env: { OTEL_SDK_DISABLED: 'true' }, register: false });
    assert.equal(off.startSpan('x').context().isSampled(), false);
    // JAEGER_* variables
    const j = initTracer({}, { env: { JAEGER_SERVICE_NAME: 'jsvc', JAEGER_SAMPLER_TYPE: 'probabilistic', JAEGER_SAMPLER_PARAM: '0.2', JAEGER_TAGS: 'a=1' }, register: false });
    assert.equal(j.serviceName, 'jsvc');
    assert.equal(((j.sampler as unknown as { root: ProbabilisticSampler }).root).samplingRate, 0.2);
    const d = initTracer({}, { env: {}, register: false });
    assert.equal(d.serviceName, 'unknown_service:node');
  });

  it('invalid configuration fails fast naming the bad key', () => {
    bad({ serviceName: 's', samplr: {} }, /samplr/);
    bad({ serviceName: '' }, /serviceName/);
    bad({ serviceName: 's', sampler: { type: 'sometimes' } }, /sampler\.type/);
    bad({ serviceName: 's', sampler: { param: 1 } }, /sampler\.type/);
    bad({ serviceName: 's', sampler: { type: 'const', param: 2 } }, /sampler\.param/);
    bad({ serviceName: 's', sampler: { type: 'const' } }, /sampler\.param/);
    bad({ serviceName: 's', sampler: { type: 'probabilistic', param: 1.5 } }, /sampler\.param/);
    bad({ serviceName: 's', sampler: { type: 'ratelimiting', param: -1 } }, /sampler\.param/);
    bad({ serviceName: 's', sampler: { type: 'remote', hostPort: 'nope' } }, /sampler\.hostPort/);
    bad({ serviceName: 's', sampler: { type: 'remote', endpoint: 'not a url' } }, /sampler\.endpoint/);
    bad({ serviceName: 's', sampler: { type: 'const', param: 1, prams: 1 } }, /sampler\.prams/);
    bad({ serviceName: 's', propagation: ['w3c', 'carrier-pigeon'] }, /propagation/);
    bad({ serviceName: 's', propagation: 'w3c' }, /propagation/);
    bad({ serviceName: 's', reporter: { type: 'kafka' } }, /reporter\.type/);
    bad({ serviceName: 's', reporter: { flushIntervalMss: 1 } }, /reporter\.flushIntervalMss/);
    bad({ serviceName: 's', tags: 'x' }, /tags/);
    bad({ serviceName: 's', limits: { attributeCount: -1 } }, /limits\.attributeCount/);
    bad({}, /OTEL_TRACES_SAMPLER/, { OTEL_TRACES_SAMPLER: 'nope' });
    bad({}, /OTEL_TRACES_SAMPLER_ARG/, { OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: 'half' });
    bad({}, /OTEL_PROPAGATORS/, { OTEL_PROPAGATORS: 'tracecontext,xray' });
    bad({}, /OTEL_RESOURCE_ATTRIBUTES/, { OTEL_RESOURCE_ATTRIBUTES: 'novalue' });
    bad({}, /OTEL_SPAN_EVENT_COUNT_LIMIT/, { OTEL_SPAN_EVENT_COUNT_LIMIT: 'many' });
    bad({}, /OTEL_SDK_DISABLED/, { OTEL_SDK_DISABLED: 'maybe' });
  });

  it('registered reporter types and logSpans', () => {
    const lines: string[] = [];
    const got: string[] = [];
    registerReporter('test-sink', (cfg) => ({ report: (s) => got.push(`${cfg.prefix}${s.name}`), flush: async () => {}, close: async () => {} }), ['prefix']);
    const t = initTracer({ serviceName: 's', sampler: { type: 'const', param: 1 }, reporter: { type: 'test-sink', prefix: '>', logSpans: true } }, { env: {}, register: false, logger: (l) => lines.push(l) });
    assert.ok(t.reporter instanceof CompositeReporter);
    t.startSpan('hello').finish();
    assert.deepEqual(got, ['>hello']);
    assert.match(lines[0], /^Reporting span [0-9a-f]+:[0-9a-f]{16}:0:1 hello$/);
  });
});

describe('tracer metrics and safety', () => {
  it('counts started/finished/sampled and reporter outcomes, in code and as Prometheus text', () => {
    const reporter = new InMemoryReporter({ maxSpans: 2 });
    const t = initTracer({ serviceName: 'm', sampler: { type: 'const', param: 1 } }, { reporter, env: {}, register: false });
    for (let i = 0; i < 3; i++) t.startSpan(`s${i}`).finish();
    const snap = t.metrics.snapshot();
    assert.equal(snap.tracesStartedSampled, 3);
    assert.equal(snap.spansStartedSampled, 3);
    assert.equal(snap.spansFinished, 3);
    assert.equal(snap.reporterSpansSent, 2);
    assert.equal(snap.reporterSpansDropped, 1);
    const text = t.metrics.toPrometheus();
    assert.match(text, /^# HELP ariadne_tracer_traces_total /m);
    assert.match(text, /^# TYPE ariadne_tracer_traces_total counter$/m);
    assert.match(text, /^ariadne_tracer_traces_total\{state="started",sampled="y"\} 3$/m);
    assert.match(text, /^ariadne_tracer_reporter_spans_total\{result="dropped"\} 1$/m);
    assert.match(text, /^ariadne_tracer_reporter_queue_length 0$/m);
    for (const line of text.trim().split('\n')) assert.match(line, /^(# (HELP|TYPE) \S+ .+|[a-z_]+(\{[^}]*\})? \d+)$/);
  });

  it('a throwing reporter or sampler never reaches application code', () => {
    const t = initTracer({ serviceName: 's' }, {
      env: {},
      register: false,
      reporter: { report: () => { throw new Error('disk full'); }, flush: async () => {}, close: async () => {} },
      sampler: { shouldSample: () => { throw new Error('bad sampler'); }, toString: () => 'bad' },
    });
    assert.doesNotThrow(() => t.startSpan('x').finish());
    assert.equal(t.metrics.internalErrors, 1);
    const t2 = initTracer({ serviceName: 's', sampler: { type: 'const', param: 1 } }, { env: {}, register: false, reporter: { report: () => { throw new Error('disk full'); }, flush: async () => {}, close: async () => {} } });
    assert.doesNotThrow(() => t2.startSpan('x').finish());
    assert.equal(t2.metrics.reporterSpansFailed, 1);
  });

  it('bounded memory: attribute, event and link limits drop and count', () => {
    const reporter = new InMemoryReporter();
    const t = initTracer({ serviceName: 's', sampler: { type: 'const', param: 1 }, limits: { attributeCount: 3, eventCount: 2, linkCount: 1 } }, { reporter, env: {}, register: false });
    const s = t.getTracer('x').startSpan('lim', { root: true });
    for (let i = 0; i < 10; i++) {
      s.setAttribute(`k${i}`, i);
      s.addEvent(`e${i}`);
      s.addLink({ context: s.spanContext() });
    }
    s.end();
    const m = reporter.spans[0];
    assert.equal(m.attributes.length, 3);
    assert.equal(m.droppedAttributesCount, 9, '2 sampler tags + 10 attributes - 3 kept');
    assert.equal(m.events.length, 2);
    assert.equal(m.droppedEventsCount, 8);
    assert.equal(m.links.length, 1);
    assert.equal(m.droppedLinksCount, 9);
  });
});
