#!/usr/bin/env node
// The whole test suite: build what the tests run against (types, the UI bundle), then every
// *.test.ts under packages/*/test and test/ on node's built-in test runner, TypeScript loaded
// from source through tsx (the "source" export condition).
//
//   npm test                       everything
//   npm test -- packages/model     only test files under these paths
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
const skipBuild = process.env.ARIADNE_TEST_NO_BUILD === '1';

function run(cmd, cmdArgs) {
  const r = spawnSync(cmd, cmdArgs, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`\n${cmd} ${cmdArgs.join(' ')} failed (exit ${r.status ?? r.signal})`);
    process.exit(r.status || 1);
  }
}

function findTests(dir, out) {
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const e of entries) {
    if (e === 'node_modules' || e === 'dist') continue;
    const p = join(dir, e);
    if (statSync(p).isDirectory()) findTests(p, out);
    else if (e.endsWith('.test.ts')) out.push(relative(root, p));
  }
  return out;
}

if (!skipBuild) {
  run('npx', ['tsc', '-b', 'packages/cli', 'packages/tracer']);
  run('npm', ['run', 'typecheck', '-w', '@ariadne/ui', '--silent']);
  run('npm', ['run', 'build', '-w', '@ariadne/ui', '--silent']);
}

const roots = args.length ? args : ['packages', 'test'];
const files = roots.flatMap((r) => (r.endsWith('.test.ts') ? [r] : findTests(join(root, r), []))).sort();
if (files.length === 0) {
  console.error('no test files found under', roots.join(' '));
  process.exit(1);
}
const concurrency = process.env.ARIADNE_TEST_CONCURRENCY ?? '2';
const r = spawnSync(
  process.execPath,
  ['--conditions=source', '--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, ...files],
  { cwd: root, stdio: 'inherit' },
);
process.exit(r.status ?? 1);
