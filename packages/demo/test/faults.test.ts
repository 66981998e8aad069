import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FaultError, faultsFromEnv, NO_FAULTS, parseFaults } from '../src/index.ts';

test('fault settings: partial objects, numbers as strings from the environment, clear refusals', () => {
  assert.deepEqual(parseFaults({ slowQueryMs: 2000 }), { slowQueryMs: 2000 });
  assert.deepEqual(parseFaults({ storeErrorRate: '0.25', cpuMs: 0 }), { storeErrorRate: 0.25, cpuMs: 0 });
  assert.throws(() => parseFaults({ slowQueryMS: 1 }), (e: Error) => e instanceof FaultError && /unknown fault "slowQueryMS"/.test(e.message));
  assert.throws(() => parseFaults({ storeErrorRate: 1.5 }), /between 0 and 1/);
  assert.throws(() => parseFaults({ cpuMs: -1 }), /cpuMs must be a number >= 0/);
  assert.throws(() => parseFaults({ cpuMs: 'lots' }), /cpuMs/);
  assert.throws(() => parseFaults({ slowQueryMs: 1e9 }), /at most/);
  assert.throws(() => parseFaults([1]), /JSON object/);
  assert.throws(() => parseFaults(null), /JSON object/);
});

test('faults from DEMO_FAULT_* variables; a bad value is ignored, the rest kept', () => {
  assert.deepEqual(faultsFromEnv({}), NO_FAULTS);
  const out: string[] = [];
  const write = process.stdout.write;
  process.stdout.write = ((s: string) => (out.push(s), true)) as typeof process.stdout.write;
  try {
    assert.deepEqual(faultsFromEnv({ DEMO_FAULT_SLOW_QUERY_MS: '3000', DEMO_FAULT_CPU_MS: 'x', DEMO_FAULT_STORE_ERROR_RATE: '0.1' }), { slowQueryMs: 3000, cpuMs: 0, storeErrorRate: 0.1 });
  } finally {
    process.stdout.write = write;
  }
  assert.match(out.join(''), /ignoring DEMO_FAULT_CPU_MS/);
});
