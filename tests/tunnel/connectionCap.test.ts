/**
 * Every listener of a tunnel caps its open connections: at the cap the oldest connection that has
 * not shown it is a real client (no CONNECT, no request yet) is closed to serve the newcomer, and
 * the tunnel says so (`listener.full`, and the closed connection's own `connection.closed`, both
 * TUNNEL_CONNECTION_LIMIT). connectionCapKeepsRealClients
 * covers a listener whose connections are all in use. Small caps here; the defaults are 1024 per Pulsar
 * listener and 128 on the web listener.
 */
import type net from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ConnectionOpenedEvent, ListenerFullEvent, TunnelEvent } from '../../shared/model/events.ts';
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
] as const)('at its cap of %2$i the %1$s listener closes the oldest idle connection to serve a newcomer, and says so', async (listener, cap, address) => {
  const before = tunnel.tunnel.status().openConnections;
  const held: net.Socket[] = [];
  for (let index = 0; index < cap; index++) held.push(await open(address()));
  await eventually(() => tunnel.tunnel.status().openConnections === before + cap, { timeoutMs: 5_000, what: `${cap} connections held` });

  // The held clients have sent nothing (no CONNECT, no request): the oldest makes room.
  const newcomer = await open(address());
  await withDeadline(endedByTunnel(held[0]!), 5_000, 'the oldest idle connection to be closed');
  const full = await tunnel.waitForEvent(isFull(listener), 5_000);
  expect(full).toMatchObject({ listener, address: address(), limit: cap, refused: 0, evicted: 1, error: { code: 'TUNNEL_CONNECTION_LIMIT' } });
  expect(full.error.message).toMatch(/closed to make room/);
  // The evicted connection's own close says why, with the same code.
  const opened = await tunnel.waitForEvent((event): event is ConnectionOpenedEvent => event.event === 'connection.opened' && event.local === `127.0.0.1:${held[0]!.localPort}`, 5_000);
  expect(await tunnel.closed(opened.id, 5_000)).toMatchObject({ error: { code: 'TUNNEL_CONNECTION_LIMIT', message: expect.stringContaining('to make room') } });
  await eventually(() => tunnel.tunnel.status().openConnections === before + cap, { timeoutMs: 5_000, what: 'the cap to hold' });
  expect(newcomer.destroyed || newcomer.readableEnded).toBe(false);
  for (const client of held.slice(1)) expect(client.readableEnded).toBe(false);

  for (const client of [...held, newcomer]) client.destroy();
  await eventually(() => tunnel.tunnel.status().openConnections === before, { timeoutMs: 5_000, what: 'all connections to close' });
});
