/**
 * A stream that is not Pulsar closes only its own connection, with a code and a sentence that says
 * what is going on.
 */
import tls from 'node:tls';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { withDeadline } from '../fixtures/deadline.ts';
import { encodeSimpleFrame } from '../fixtures/pulsarCluster/protocol.ts';
import { startTlsBackend, exchange, type TlsBackend } from '../fixtures/tlsBackend.ts';
import { connectLocal } from '../tunnel/harness.ts';
import { startClusterHarness, type ClusterHarness } from './clusterHarness.ts';

let harness: ClusterHarness;
let httpBroker: TlsBackend;
let hugeBroker: TlsBackend;

beforeAll(async () => {
  harness = await startClusterHarness();
  // Behind the route of a "broker": an HTTPS server, and a broker sending an absurd frame.
  httpBroker = await startTlsBackend({
    credential: await harness.pki.serverFor('http.test'),
    behaviour: (socket) => socket.once('data', () => socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n')),
  });
  hugeBroker = await startTlsBackend({
    credential: await harness.pki.serverFor('huge.test'),
    behaviour: (socket) =>
      socket.once('data', () => {
        const header = Buffer.alloc(8);
        header.writeUInt32BE(64 * 1024 * 1024, 0);
        header.writeUInt32BE(4, 4);
        socket.write(header);
      }),
  });
});

afterAll(async () => {
  await harness?.stop();
  await Promise.all([httpBroker?.stop(), hugeBroker?.stop()]);
});

function connectCommand(): Buffer {
  return encodeSimpleFrame({ type: 2, connect: { client_version: 'frame-error-test', protocol_version: 21 } });
}

it('explains an HTTP answer where a Pulsar frame was expected', async () => {
  const tunnel = await harness.tunnel({ service: { host: '127.0.0.1', port: httpBroker.port }, proxy: undefined, tls: { caPem: harness.pki.ca.certPem, verifyHostname: false, allowInsecure: false } });
  const client = await connectLocal(tunnel.host, tunnel.port);
  await exchange(client, connectCommand());
  const closed = await tunnel.waitForEvent((event) => event.event === 'connection.closed');
  expect(closed).toMatchObject({ error: { code: 'PULSAR_HTTP_RESPONSE' } });
});

it('closes a connection whose broker sends a frame over the maximum, and only that one', async () => {
  const tunnel = await harness.tunnel({ service: { host: '127.0.0.1', port: hugeBroker.port }, proxy: undefined, tls: { caPem: harness.pki.ca.certPem, verifyHostname: false, allowInsecure: false } });
  const client = await connectLocal(tunnel.host, tunnel.port);
  await exchange(client, connectCommand());
  const closed = await tunnel.waitForEvent((event) => event.event === 'connection.closed');
  expect(closed).toMatchObject({ error: { code: 'PULSAR_FRAME_TOO_LARGE' } });
  // Another tunnel to the real cluster is unaffected by it.
  const good = await harness.tunnel();
  const pulsar = await harness.client(good);
  await pulsar.connect();
});

it('tells a local client that speaks TLS to use pulsar:// instead', async () => {
  const tunnel = await harness.tunnel();
  const socket = tls.connect({ host: tunnel.host, port: tunnel.port, servername: 'pulsar.test', rejectUnauthorized: false });
  socket.on('error', () => undefined);
  const closed = await tunnel.waitForEvent((event) => event.event === 'connection.closed');
  expect(closed).toMatchObject({ error: { code: 'PULSAR_LOCAL_TLS', message: expect.stringContaining('pulsar://') } });
  await withDeadline(new Promise((resolve) => socket.once('close', resolve)), 5_000, 'the TLS client to be closed');
});

it('explains a client that never sends CONNECT', async () => {
  const tunnel = await harness.tunnel({ connectionTimeoutMs: 300 });
  const client = await connectLocal(tunnel.host, tunnel.port);
  const closed = await tunnel.waitForEvent((event) => event.event === 'connection.closed');
  expect(closed).toMatchObject({ error: { code: 'PULSAR_NO_CONNECT' } });
  client.destroy();
});

it('tells a local client that is not Pulsar (text, or HTTP) what it sent and where HTTP goes', async () => {
  const tunnel = await harness.tunnel();
  for (const [sent, quoted] of [
    ['hello\n', '"hello."'],
    ['GET /admin/v2/clusters HTTP/1.1\r\nHost: x\r\n\r\n', '"GET /admin/v2/clusters H…"'],
  ] as const) {
    const client = await connectLocal(tunnel.host, tunnel.port);
    client.on('error', () => undefined);
    const clientClosed = new Promise((resolve) => {
      client.once('end', resolve);
      client.once('close', resolve);
    });
    client.write(sent);
    const closed = await tunnel.waitForEvent((event) => event.event === 'connection.closed' && event.error?.message.includes(quoted) === true);
    if (closed.event !== 'connection.closed') throw new Error('unreachable');
    expect(closed.error?.code).toBe('PULSAR_NOT_PULSAR');
    expect(closed.error?.message).toMatch(/^This does not look like a Pulsar client \(it sent .*\); point a Pulsar client at this port, and HTTP \(the admin API\) at the web port/);
    await withDeadline(clientClosed, 5_000, 'the foreign client to be closed');
    client.destroy();
  }
});
