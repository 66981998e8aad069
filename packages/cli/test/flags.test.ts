import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { configurationMarkdown, envName, FLAGS, helpText, parseFlags } from '../src/flags.js';

test('docs/configuration.md is generated from the flag table and current', () => {
  const doc = readFileSync(new URL('../../../docs/configuration.md', import.meta.url), 'utf8');
  assert.equal(doc, configurationMarkdown(), 'run `npm run docs:config` to regenerate');
  for (const f of FLAGS) {
    assert.ok(doc.includes(`\`--${f.name}\``), f.name);
    assert.ok(doc.includes(envName(f.name)), envName(f.name));
  }
});

test('--help of each command lists each of its flags', () => {
  for (const command of ['all-in-one', 'collector', 'query'] as const) {
    const help = helpText(command);
    for (const f of FLAGS.filter((x) => x.commands.includes(command))) assert.ok(help.includes(`--${f.name}`), `${command} --${f.name}`);
  }
});

test('precedence: flag over env over default; both --x=v and --x v forms', () => {
  const env = { ARIADNE_QUERY_PORT: '1234', ARIADNE_STORAGE: 'memory' };
  const o = parseFlags('all-in-one', ['--query-port=0', '--demo', '--host', '0.0.0.0'], env);
  assert.equal(o['query-port'], 0);
  assert.equal(o.storage, 'memory');
  assert.equal(o.demo, true);
  assert.equal(o.host, '0.0.0.0');
  assert.equal(o['otlp-http-port'], 4318);
  assert.equal(parseFlags('all-in-one', [], { ARIADNE_DEMO: 'false' }).demo, false);
});

test('bad values name the flag or the env var', () => {
  assert.throws(() => parseFlags('all-in-one', ['--query-port', '70000'], {}), /--query-port: expected a port/);
  assert.throws(() => parseFlags('all-in-one', [], { ARIADNE_STORAGE: 'mongo' }), /ARIADNE_STORAGE: expected one of duckdb, memory/);
  assert.throws(() => parseFlags('all-in-one', ['--max-request-bytes', '-1'], {}), /--max-request-bytes/);
  assert.throws(() => parseFlags('query', ['--otlp-http-port', '1'], {}), /unknown flag --otlp-http-port for "query"/);
  assert.throws(() => parseFlags('all-in-one', ['--host'], {}), /--host needs a value/);
});
