/**
 * A Pulsar broker's web service takes X-Original-Principal (and, when configured to, X-Forwarded-For
 * and its kin) as the real caller from a connection authenticated as one of its proxy roles. The web
 * listener adds the profile's credential, so a local client's copies of these headers must not reach
 * the cluster beside it: with a profile whose token is a proxy role, any local process could act as
 * any role.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { AdminCluster } from '../fixtures/adminServer.ts';
import type { TestTunnel } from '../tunnel/harness.ts';
import { startAdminWebWorld, type AdminWebWorld } from './adminWebWorld.ts';

const token = 'proxy-role-token';
let world: AdminWebWorld;
let admin: AdminCluster;
let tunnel: TestTunnel;

beforeAll(async () => {
  world = await startAdminWebWorld(token);
  ({ admin, tunnel } = world);
});

afterAll(async () => {
  await world?.stop();
});

it('drops X-Original-Principal and the forwarding headers a client sends, and adds the token', async () => {
  const response = await fetch(`http://${tunnel.tunnel.addresses.http!}/admin/v2/clusters`, {
    headers: { 'x-original-principal': 'superuser', 'x-forwarded-for': '10.0.0.1', 'x-forwarded-proto': 'https', forwarded: 'for=10.0.0.1', 'x-real-ip': '10.0.0.1', 'x-kept': 'yes' },
  });
  expect(response.status).toBe(200);
  expect(admin.requests.at(-1)).toMatchObject({ url: '/admin/v2/clusters', authorization: `Bearer ${token}`, proxyTrustHeaders: [] });
});
