import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryStore } from '../src/memory.js';
import { openStore } from '../src/open.js';
import { StoreArgumentError } from '../src/types.js';
import { runConformance, span, tid } from './conformance.js';

runConformance('memory', async () => new MemoryStore());

describe('MemoryStore', () => {
  it('is what openStore gives for backend memory', async () => {
    const s = await openStore({ backend: 'memory' });
    assert.ok(s instanceof MemoryStore);
    assert.equal(s.capabilities.name, 'memory');
    assert.equal(s.capabilities.durable, false);
    await s.close();
  });

  it('counts distinct spans', async () => {
    const s = new MemoryStore();
    const t = tid();
    const a = span({ trace: t });
    await s.writeSpans([a, a, span({ trace: t })]);
    assert.equal(s.size, 2);
    await s.close();
  });

  it('openStore rejects unknown backends and a duckdb store without a dataDir', async () => {
    await assert.rejects(openStore({ backend: 'mysql' as never }), StoreArgumentError);
    await assert.rejects(openStore({ backend: 'duckdb' }), StoreArgumentError);
  });
});
