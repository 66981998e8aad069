import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeZipkinV2Json } from '@ariadne/codec';
import { reparentLoneSharedSpans } from '@ariadne/query';

const client = { traceId: '463ac35c9f6413ad', parentId: 'a2fb4a1d1a96d312', id: '72485a3953bb6124', kind: 'CLIENT', name: 'get', timestamp: 1472470996199000, duration: 207000, localEndpoint: { serviceName: 'frontend' } };
const server = { ...client, kind: 'SERVER', timestamp: 1472470996238000, duration: 151000, shared: true, localEndpoint: { serviceName: 'backend' } };

test('a shared server span with its client half stays under the client', () => {
  const spans = reparentLoneSharedSpans(decodeZipkinV2Json([client, server]));
  assert.equal(spans[1].parentSpanId, '72485a3953bb6124');
});

test('a lone shared server span goes back under its wire parent, not under a missing span', () => {
  const [s] = reparentLoneSharedSpans(decodeZipkinV2Json([server]));
  assert.equal(s.parentSpanId, 'a2fb4a1d1a96d312');
  const [root] = reparentLoneSharedSpans(decodeZipkinV2Json([{ ...server, parentId: undefined }]));
  assert.equal(root.parentSpanId, '', 'no wire parent: a root');
});
