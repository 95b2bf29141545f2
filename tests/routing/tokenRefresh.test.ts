/**
 * When the tunnel injected the token, the broker's token-refresh challenge is answered by the
 * tunnel (the local client knows nothing of tokens) and the connection lives on.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { resolveTokenSource } from '../../src-main/core/profiles/profileFileLoader.ts';
import { startClusterHarness, type ClusterHarness } from './clusterHarness.ts';

let harness: ClusterHarness;
let dir: string;
const token = 'refreshable-token';

beforeAll(async () => {
  harness = await startClusterHarness({ cluster: { auth: { token } } });
  dir = await mkdtemp(path.join(tmpdir(), 'pt-refresh-'));
});

afterAll(async () => {
  await harness?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

it('answers the broker\'s auth-refresh challenge with the current token and keeps the connection', async () => {
  await writeFile(path.join(dir, 'token'), token);
  const getToken = await resolveTokenSource('file://token', dir);
  const tunnel = await harness.tunnel({ auth: { kind: 'token', getToken } });
  const client = await harness.client(tunnel);
  await client.connect();
  const topic = harness.cluster.topicOwnedBy('broker1.test', 'refresh');
  await client.lookup(topic);
  // The service host answered the lookup; challenge it.
  const result = await harness.cluster.challengeAuth('pulsar.test');
  expect(result).toMatchObject({ challenged: 1, answeredCorrectly: 1, answeredWrongly: 0, unanswered: 0 });
  await tunnel.waitForEvent((event) => event.event === 'pulsar.authRefresh');
  // The client never saw the challenge, and the connection still works.
  await client.lookup(topic);
  await client.ping();
  expect(tunnel.events.filter((event) => event.event === 'connection.closed')).toHaveLength(0);
  const connect = harness.cluster.brokerStats('pulsar.test').connects.at(-1);
  expect(connect).toMatchObject({ supportsAuthRefresh: true, authMethodName: 'token' });
});

it('passes the challenge through when the local client brought its own token', async () => {
  const tunnel = await harness.tunnel({ auth: { kind: 'token', getToken: async () => 'tunnel-token-unused' } });
  const client = await harness.client(tunnel, undefined, { refreshToken: token });
  await client.connect({ authMethodName: 'token', authData: token, featureFlags: { supports_auth_refresh: true } });
  const result = await harness.cluster.challengeAuth('pulsar.test');
  expect(result.answeredCorrectly).toBeGreaterThanOrEqual(1);
  expect(result.answeredWrongly).toBe(0);
  expect(tunnel.events.some((event) => event.event === 'pulsar.authRefresh')).toBe(false);
  const connect = harness.cluster.brokerStats('pulsar.test').connects.at(-1);
  expect(connect).toMatchObject({ authData: token });
  const logged = tunnel.events.find((event) => event.event === 'pulsar.connect');
  expect(logged).toMatchObject({ authMethod: 'token', authInjected: false });
});
