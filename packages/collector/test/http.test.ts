import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Agent } from 'node:http';
import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import { BadBodyError, BodyTooLargeError, mediaType, parseContentEncoding, readBody, startHttpServer } from '../src/http.js';
import type { ContentCoding } from '../src/http.js';
import { send } from './http-client.js';

describe('startHttpServer', () => {
  it('serves on a free port, reuses keep-alive connections, and close() ends idle sockets at once', async () => {
    const l = await startHttpServer((_req, res) => res.end('ok'), { port: 0, name: 'test' });
    assert.equal(l.name, 'test');
    assert.equal(l.address.host, '127.0.0.1');
    assert.ok(l.address.port > 0);
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    let connections = 0;
    l.server.on('connection', () => connections++);
    for (let i = 0; i < 3; i++) {
      const r = await send(l.address.port, { method: 'GET', path: '/', agent });
      assert.equal(r.body.toString(), 'ok');
    }
    assert.equal(connections, 1, 'keep-alive connection not reused');
    // An idle keep-alive socket is open now; close() must not wait for it (keepAliveTimeout is 65 s).
    const t0 = Date.now();
    await l.close();
    assert.ok(Date.now() - t0 < 2000, `close took ${Date.now() - t0} ms`);
    agent.destroy();
    await l.close(); // idempotent
  });

  it('lets a request in flight finish on close()', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const l = await startHttpServer(
      (_req, res) => {
        void gate.then(() => res.end('late'));
      },
      { port: 0, name: 'slow' },
    );
    const reply = send(l.address.port, { method: 'GET', path: '/' });
    await new Promise((r) => setTimeout(r, 30));
    const closed = l.close();
    release();
    assert.equal((await reply).body.toString(), 'late');
    await closed;
  });

  it('rejects with a clear error when the port is taken', async () => {
    const a = await startHttpServer((_req, res) => res.end(), { port: 0, name: 'first' });
    try {
      await assert.rejects(startHttpServer((_req, res) => res.end(), { port: a.address.port, name: 'second' }), /second: cannot listen on 127\.0\.0\.1:\d+: .*EADDRINUSE/);
    } finally {
      await a.close();
    }
  });
});

describe('readBody', () => {
  async function withServer(coding: ContentCoding, limit: number, fn: (port: number, results: Array<Buffer | Error>) => Promise<void>) {
    const results: Array<Buffer | Error> = [];
    const l = await startHttpServer(
      (req, res) => {
        readBody(req, coding, limit).then(
          (b) => {
            results.push(b);
            res.end(`len=${b.length}`);
          },
          (e: Error) => {
            results.push(e);
            if (!res.destroyed) res.writeHead(e instanceof BodyTooLargeError ? 413 : 400).end(e.message);
          },
        );
      },
      { port: 0, name: 'body' },
    );
    try {
      await fn(l.address.port, results);
    } finally {
      await l.close();
    }
  }

  it('reads chunked bodies exactly up to the limit, refuses one byte more', async () => {
    await withServer('identity', 1000, async (port, results) => {
      const ok = await send(port, { chunks: [Buffer.alloc(600, 1), Buffer.alloc(400, 2)] });
      assert.equal(ok.body.toString(), 'len=1000');
      const big = await send(port, { chunks: [Buffer.alloc(600, 1), Buffer.alloc(401, 2)] });
      assert.equal(big.status, 413);
      assert.ok(results[1] instanceof BodyTooLargeError);
    });
  });

  it('decompresses gzip, bounding the decompressed size', async () => {
    await withServer('gzip', 100_000, async (port) => {
      const ok = await send(port, { chunks: [gzipSync(Buffer.alloc(100_000, 7))] });
      assert.equal(ok.body.toString(), 'len=100000');
      const bomb = await send(port, { chunks: [gzipSync(Buffer.alloc(100_001, 7))] });
      assert.equal(bomb.status, 413);
      assert.match(bomb.body.toString(), /decompressed request body exceeds the limit of 100000 bytes/);
      const bad = await send(port, { chunks: [Buffer.from('definitely not gzip')] });
      assert.equal(bad.status, 400);
      assert.match(bad.body.toString(), /invalid gzip body/);
    });
  });

  it('reports a client abort without answering', async () => {
    await withServer('identity', 1 << 20, async (port, results) => {
      await new Promise<void>((resolve) => {
        const s = connect(port, '127.0.0.1', () => {
          s.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\nabc');
          setTimeout(() => {
            s.destroy();
            resolve();
          }, 30);
        });
      });
      const deadline = Date.now() + 2000;
      while (results.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      assert.equal(results.length, 1);
      assert.match(String(results[0]), /client aborted/);
      assert.ok(!(results[0] instanceof BadBodyError));
    });
  });
});

describe('header parsing', () => {
  it('parses media types and content codings', () => {
    assert.equal(mediaType('Application/JSON; charset=UTF-8'), 'application/json');
    assert.equal(mediaType(undefined), '');
    assert.equal(parseContentEncoding(undefined), 'identity');
    assert.equal(parseContentEncoding(' GZIP '), 'gzip');
    assert.equal(parseContentEncoding('x-gzip'), 'gzip');
    assert.equal(parseContentEncoding('deflate'), 'deflate');
    assert.equal(parseContentEncoding('br'), undefined);
    assert.equal(parseContentEncoding('gzip, gzip'), undefined);
  });
});
