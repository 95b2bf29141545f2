/**
 * Every listener of a tunnel caps its open connections: past the cap a new connection is closed as
 * it is accepted and the tunnel says so (`listener.full`, TUNNEL_CONNECTION_LIMIT), and once a
 * connection closes the listener serves again. Small caps here; the defaults are 1024 per Pulsar
 * listener and 128 on the web listener.
 */
import type net from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ListenerFullEvent, TunnelEvent } from '../../shared/model/events.ts';
import { eventually, freePort, withDeadline } from '../fixtures/deadline.ts';
import { connectLocal, splitAddress, startTestTunnel, testConfig, type TestTunnel } from './harness.ts';

let tunnel: TestTunnel;
const clients: net.Socket[] = [];

beforeAll(async () => {
  // Nothing is dialed in these tests: Pulsar connections wait for their CONNECT, web ones for a request.
  const nowhere = await freePort();
  tunnel = await startTestTunnel(
    testConfig({
      serviceHost: 'pulsar.test',
      overrides: { pulsarProtocol: 'inspect', proxy: { host: '127.0.0.1', port: nowhere }, web: { host: 'web.test', port: 8443 }, listen: { host: '127.0.0.1', port: 0, webPort: 0 } },
    }),
    { limits: { maxPulsarConnections: 2, maxHttpConnections: 3 } },
  );
});

afterAll(async () => {
  for (const client of clients) client.destroy();
  await tunnel?.dispose();
});

async function open(address: string): Promise<net.Socket> {
  const [host, port] = splitAddress(address);
  const client = await connectLocal(host, Number(port));
  client.on('error', () => undefined);
  clients.push(client);
  return client;
}

/** Resolves when the tunnel ends or resets the connection (the client allows half-open). */
function endedByTunnel(client: net.Socket): Promise<void> {
  return new Promise((resolve) => {
    if (client.readableEnded || client.destroyed) resolve();
    client.once('end', () => resolve());
    client.once('close', () => resolve());
    client.resume();
  });
}

function isFull(listener: string): (event: TunnelEvent) => event is ListenerFullEvent {
  return (event): event is ListenerFullEvent => event.event === 'listener.full' && event.listener === listener;
}

it.each([
  ['pulsar', 2, () => tunnel.tunnel.addresses.pulsar],
  ['http', 3, () => tunnel.tunnel.addresses.http!],
] as const)('the %s listener closes connections past its cap of %i, says so, and serves again once one closes', async (listener, cap, address) => {
  const before = tunnel.tunnel.status().openConnections;
  const held = [];
  for (let index = 0; index < cap; index++) held.push(await open(address()));
  await eventually(() => tunnel.tunnel.status().openConnections === before + cap, { timeoutMs: 5_000, what: `${cap} connections held` });

  const extra = await open(address());
  await withDeadline(endedByTunnel(extra), 5_000, 'the connection past the cap to be closed');
  const full = await tunnel.waitForEvent(isFull(listener), 5_000);
  expect(full).toMatchObject({ listener, address: address(), limit: cap, refused: 1, error: { code: 'TUNNEL_CONNECTION_LIMIT' } });
  expect(tunnel.tunnel.status().openConnections).toBe(before + cap);

  held[0]!.destroy();
  await eventually(() => tunnel.tunnel.status().openConnections === before + cap - 1, { timeoutMs: 5_000, what: 'the freed connection to close' });
  const again = await open(address());
  await eventually(() => tunnel.tunnel.status().openConnections === before + cap, { timeoutMs: 5_000, what: 'a new connection to be served' });
  expect(again.destroyed).toBe(false);
  for (const client of [...held, again]) client.destroy();
  await eventually(() => tunnel.tunnel.status().openConnections === before, { timeoutMs: 5_000, what: 'all connections to close' });
});
