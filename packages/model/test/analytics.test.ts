import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compareTraces, criticalPath, deepDependencies, makeResource, makeSpan, selfTimes, StatusCode, traceStatistics } from '@ariadne/model';
import type { Span } from '@ariadne/model';

const T = '4bf92f3577b34da6a3ce929d0e0e4736';
const id = (s: string) => s.padStart(16, '0');
const sp = (sid: string, parent: string, start: number, end: number, service = 'svc', name = `op-${sid}`, extra: Partial<Span> = {}) =>
  makeSpan({
    traceId: T,
    spanId: id(sid),
    parentSpanId: parent ? id(parent) : '',
    name,
    startTimeUnixNano: BigInt(start),
    endTimeUnixNano: BigInt(end),
    resource: makeResource(service),
    ...extra,
  });

/**
 * R [0,100]
 *  ├ A [10,40]
 *  ├ B [20,70]      (overlaps A)
 *  │  └ B1 [30,60]
 *  └ C [80,80]      (zero length)
 * O [5,15]: orphan (parent 'f' missing)
 */
const tree = () => [sp('1', '', 0, 100), sp('a', '1', 10, 40), sp('b', '1', 20, 70), sp('b1', 'b', 30, 60), sp('c', '1', 80, 80), sp('0', 'f', 5, 15)];
const seg = (s: { spanId: string; startTimeUnixNano: bigint; endTimeUnixNano: bigint }) => [s.spanId.replace(/^0+/, ''), Number(s.startTimeUnixNano), Number(s.endTimeUnixNano)];

describe('criticalPath', () => {
  test('walks back from the last-finishing child through concurrent children', () => {
    const path = criticalPath(tree()).map(seg);
    // R's tail after C (80..100) and after B (70..80) merge; A overlaps B's start and is skipped
    assert.deepEqual(path, [
      ['1', 0, 20],
      ['b', 20, 30],
      ['b1', 30, 60],
      ['b', 60, 70],
      ['1', 70, 100],
    ]);
    const total = criticalPath(tree()).reduce((n, s) => n + (s.endTimeUnixNano - s.startTimeUnixNano), 0n);
    assert.equal(total, 100n, 'the path covers the root end to end');
  });

  test('a sequential child that finished before the blocking child started is on the path', () => {
    // R [0,100]: X [10,30], Y [40,90]
    const p = criticalPath([sp('1', '', 0, 100), sp('x', '1', 10, 30), sp('y', '1', 40, 90)]).map(seg);
    assert.deepEqual(p, [
      ['1', 0, 10],
      ['x', 10, 30],
      ['1', 30, 40],
      ['y', 40, 90],
      ['1', 90, 100],
    ]);
  });

  test('children are clipped to the parent; FOLLOWS_FROM children and late starters are ignored', () => {
    const ff = sp('f', '1', 50, 500, 'svc', 'async', { links: [{ traceId: T, spanId: id('1'), traceState: '', flags: 0, attributes: [], droppedAttributesCount: 0, refType: 'FOLLOWS_FROM' }] });
    const p = criticalPath([sp('1', '', 0, 100), sp('x', '1', 60, 150), sp('late', '1', 120, 130), ff]).map(seg);
    assert.deepEqual(p, [
      ['1', 0, 60],
      ['x', 60, 100],
    ]);
  });

  test('a child entirely before its parent is dropped; one starting before is clipped', () => {
    const p = criticalPath([sp('1', '', 100, 200), sp('early', '1', 0, 50), sp('x', '1', 90, 150)]).map(seg);
    assert.deepEqual(p, [
      ['x', 100, 150],
      ['1', 150, 200],
    ]);
  });

  test('a single span, an empty trace, a zero-length root', () => {
    assert.deepEqual(criticalPath([sp('1', '', 5, 9)]).map(seg), [['1', 5, 9]]);
    assert.deepEqual(criticalPath([]), []);
    assert.deepEqual(criticalPath([sp('1', '', 5, 5)]), []);
  });

  test('an orphan-only trace uses the earliest orphan as root', () => {
    assert.deepEqual(criticalPath([sp('2', '9', 10, 20), sp('3', '2', 12, 15)]).map(seg), [
      ['2', 10, 12],
      ['3', 12, 15],
      ['2', 15, 20],
    ]);
  });
});

describe('selfTimes', () => {
  test('duration minus the merged cover of direct children', () => {
    const st = selfTimes(tree());
    assert.equal(st.get(id('1')), 40n); // 100 - |[10,70]|
    assert.equal(st.get(id('a')), 30n);
    assert.equal(st.get(id('b')), 20n);
    assert.equal(st.get(id('b1')), 30n);
    assert.equal(st.get(id('c')), 0n);
    assert.equal(st.get(id('0')), 10n, 'orphans have self time too');
  });
  test('children sticking out of the parent only count inside it; negative durations are 0', () => {
    const st = selfTimes([sp('1', '', 0, 10), sp('2', '1', 5, 50), sp('3', '', 20, 10)]);
    assert.equal(st.get(id('1')), 5n);
    assert.equal(st.get(id('3')), 0n);
  });
});

describe('traceStatistics', () => {
  test('count, errors, total, self, min/avg/max per service + operation', () => {
    const t1 = [sp('1', '', 0, 100, 'fe', 'GET'), sp('2', '1', 10, 30, 'be', 'q'), sp('3', '1', 20, 60, 'be', 'q', { status: { code: StatusCode.ERROR, message: '' } })];
    const t2 = [sp('1', '', 0, 50, 'fe', 'GET'), sp('2', '1', 0, 5, 'be', 'q')];
    const stats = traceStatistics([t1, t2]);
    assert.deepEqual(
      stats.map((s) => [s.service, s.operation, s.count, s.errorCount, s.totalNano, s.selfTotalNano, s.minNano, s.avgNano, s.maxNano]),
      [
        ['be', 'q', 3, 1, 65n, 65n, 5n, 21n, 40n],
        ['fe', 'GET', 2, 0, 150n, 50n + 45n, 50n, 75n, 100n],
      ],
    );
  });
});

describe('compareTraces', () => {
  const a = [sp('1', '', 0, 100, 'fe', 'GET'), sp('2', '1', 0, 10, 'be', 'q'), sp('3', '1', 10, 30, 'be', 'q'), sp('4', '3', 12, 14, 'db', 'sel')];
  const b = [sp('1', '', 0, 80, 'fe', 'GET'), sp('2', '1', 0, 40, 'be', 'q'), sp('5', '1', 50, 55, 'cache', 'get')];
  test('two traces aligned by service/operation path', () => {
    const c = compareTraces([a], [b]);
    assert.equal(c.both, 2);
    assert.equal(c.onlyA, 1);
    assert.equal(c.onlyB, 1);
    const rows = c.nodes.map((n) => [n.path.map((p) => `${p.service}:${p.operation}`).join('>'), n.presence, n.a.count, n.b.count, n.countDelta, n.durationDeltaNano]);
    assert.deepEqual(rows, [
      ['fe:GET', 'both', 1, 1, 0, -20n],
      ['fe:GET>be:q', 'both', 2, 1, -1, 10n],
      ['fe:GET>be:q>db:sel', 'a', 1, 0, -1, -2n],
      ['fe:GET>cache:get', 'b', 0, 1, 1, 5n],
    ]);
  });
  test('groups compare per trace', () => {
    const c = compareTraces([a, a], [b]);
    assert.equal(c.tracesA, 2);
    const q = c.nodes.find((n) => n.path.length === 2 && n.path[1].service === 'be')!;
    assert.equal(q.a.count, 4);
    assert.equal(q.a.countPerTrace, 2);
    assert.equal(q.a.durationPerTraceNano, 30n);
    assert.equal(q.countDelta, -1);
  });
});

describe('deepDependencies', () => {
  const t1 = [sp('1', '', 0, 100, 'fe', 'GET'), sp('2', '1', 0, 10, 'be', 'q'), sp('3', '2', 1, 2, 'db', 'sel'), sp('4', '1', 20, 30, 'cache', 'get')];
  const t2 = [sp('1', '', 0, 100, 'gw', 'in'), sp('2', '1', 0, 10, 'be', 'q'), sp('3', '2', 1, 2, 'db', 'sel'), sp('5', '2', 3, 4, 'db', 'ins')];
  test('root-to-leaf paths through the focal service, nodes and edges by distance', () => {
    const g = deepDependencies([t1, t2, t1], { service: 'be' });
    assert.deepEqual(
      g.paths.map((p) => [p.path.map((x) => x.service + ':' + x.operation).join('>'), p.focalIndex, p.count]),
      [
        ['fe:GET>be:q>db:sel', 1, 2],
        ['gw:in>be:q>db:ins', 1, 1],
        ['gw:in>be:q>db:sel', 1, 1],
      ],
    );
    assert.deepEqual(
      g.nodes.map((n) => [n.distance, `${n.service}:${n.operation}`, n.count]),
      [
        [-1, 'fe:GET', 2],
        [-1, 'gw:in', 2],
        [0, 'be:q', 4],
        [1, 'db:ins', 1],
        [1, 'db:sel', 3],
      ],
    );
    assert.deepEqual(
      g.edges.map((e) => [e.distance, `${e.from.service}>${e.to.service}:${e.to.operation}`, e.count]),
      [
        [0, 'fe>be:q', 2],
        [0, 'gw>be:q', 2],
        [1, 'be>db:ins', 1],
        [1, 'be>db:sel', 3],
      ],
    );
  });
  test('an operation narrows the focal node; no match gives empty', () => {
    assert.equal(deepDependencies([t1], { service: 'be', operation: 'nope' }).paths.length, 0);
    const g = deepDependencies([t1], { service: 'db', operation: 'sel' });
    assert.deepEqual(g.focal, { service: 'db', operation: 'sel' });
    assert.deepEqual(g.paths.map((p) => p.focalIndex), [2]);
  });
});

describe('criticalPath on random trees (seeded)', () => {
  test('segments tile the root exactly, each inside its own span', () => {
    let seed = 42;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    for (let t = 0; t < 200; t++) {
      const spans = [sp('1', '', 0, 1000)];
      const n = 1 + rnd(60);
      for (let i = 2; i <= n; i++) {
        const parent = spans[rnd(spans.length)];
        // children may stick out of, or lie outside, their parent
        const start = Number(parent.startTimeUnixNano) - 50 + rnd(Number(parent.endTimeUnixNano - parent.startTimeUnixNano) + 100);
        spans.push(sp(i.toString(16), parent.spanId, start, start + rnd(400)));
      }
      const path = criticalPath(spans);
      assert.ok(path.length > 0);
      assert.equal(path[0].startTimeUnixNano, 0n, `tree ${t}`);
      assert.equal(path.at(-1)!.endTimeUnixNano, 1000n, `tree ${t}`);
      const byId = new Map(spans.map((s) => [s.spanId, s]));
      for (let i = 0; i < path.length; i++) {
        const seg = path[i];
        assert.ok(seg.startTimeUnixNano < seg.endTimeUnixNano);
        if (i > 0) assert.equal(seg.startTimeUnixNano, path[i - 1].endTimeUnixNano, `tree ${t}: contiguous`);
        const s = byId.get(seg.spanId)!;
        assert.ok(seg.startTimeUnixNano >= s.startTimeUnixNano && seg.endTimeUnixNano <= s.endTimeUnixNano, `tree ${t}: inside ${seg.spanId}`);
      }
      const self = selfTimes(spans);
      for (const s of spans) {
        const v = self.get(s.spanId)!;
        assert.ok(v >= 0n && v <= (s.endTimeUnixNano > s.startTimeUnixNano ? s.endTimeUnixNano - s.startTimeUnixNano : 0n));
      }
    }
  });
});
