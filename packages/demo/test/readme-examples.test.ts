/**
 * The README's "Instrument your own app" TypeScript examples type-check against the real packages
 * (strict, the repository's compiler options), so the docs cannot drift from the tracer's API.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

test('README instrumentation examples type-check', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('## Instrument your own app');
  assert.ok(start >= 0, 'README has the section');
  const end = readme.indexOf('\n## ', start + 1);
  const blocks = [...readme.slice(start, end < 0 ? undefined : end).matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
  assert.ok(blocks.length >= 3, `found ${blocks.length} ts blocks`);
  // inside the workspace, so that @ariadne/tracer, opentracing, @duckdb/node-api resolve as for an app
  const dir = mkdtempSync(join(ROOT, 'packages/demo/.readme-check-'));
  try {
    blocks.forEach((b, i) => writeFileSync(join(dir, `example${i}.ts`), `${b}\nexport {};\n`));
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({ extends: '../../../tsconfig.base.json', compilerOptions: { noEmit: true, composite: false, declaration: false, declarationMap: false, incremental: false, module: 'NodeNext', target: 'ES2022' }, include: ['*.ts'] }),
    );
    const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', dir], { encoding: 'utf8' });
    assert.equal(tsc.status, 0, `tsc:\n${tsc.stdout}${tsc.stderr}\n${blocks.map((b, i) => `--- example${i}.ts\n${b}`).join('\n')}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
