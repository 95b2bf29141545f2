/**
 * The web listener closes a connection whose client does not send a whole request head in time
 * (a stalled program, or slowloris trickling a byte at a time), with 408 and HTTP_HEADER_TIMEOUT, so
 * such clients cannot hold its connections. The default is 20 s; this test uses 300 ms.
 */
import type net from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { freePort, withDeadline } from '../fixtures/deadline.ts';
import { connectLocal, splitAddress, startTestTunnel, testConfig, type TestTunnel } from '../tunnel/harness.ts';

const headerTimeoutMs = 300;
let tunnel: TestTunnel;
let host: string;
let port: number;

beforeAll(async () => {
  // Nothing listens where the proxy should be: a complete request is answered 502 at once.
  const nowhere = await freePort();
  tunnel = await startTestTunnel(
    testConfig({ serviceHost: 'pulsar.test', overrides: { proxy: { host: '127.0.0.1', port: nowhere }, web: { host: 'web.test', port: 8443 }, listen: { host: '127.0.0.1', port: 0, webPort: 0 } } }),
    { limits: { headerTimeoutMs } },
  );
  const [h, p] = splitAddress(tunnel.tunnel.addresses.http!);
  host = h;
  port = Number(p);
});

afterAll(async () => {
  await tunnel?.dispose();
});

/** Everything the listener sends until it closes the connection, and how long that took. */
function answerUntilClosed(client: net.Socket): Promise<{ answer: string; ms: number }> {
  const started = performance.now();
  let answer = '';
  client.setEncoding('utf8');
  client.on('data', (chunk: string) => (answer += chunk));
  client.on('error', () => undefined);
  return new Promise((resolve) => {
    const done = () => resolve({ answer, ms: performance.now() - started });
    client.once('end', done);
    client.once('close', done);
  });
}

it('answers 408 with HTTP_HEADER_TIMEOUT and closes a connection whose head never completes', async () => {
  const client = await connectLocal(host, port);
  const closed = answerUntilClosed(client);
  client.write('GET /admin/v2/clusters HTTP/1.1\r\nHost: 127.0.0.1\r\n');
  const { answer, ms } = await withDeadline(closed, 5_000, 'the stalled connection to be closed');
  expect(answer).toMatch(/^HTTP\/1\.1 408 /);
  expect(answer).toContain('HTTP_HEADER_TIMEOUT');
  expect(ms).toBeGreaterThanOrEqual(headerTimeoutMs - 50);
  client.destroy();
  const id = tunnel.events.filter((event) => event.event === 'connection.opened').at(-1) as { id: number };
  expect((await tunnel.closed(id.id)).error?.code).toBe('HTTP_HEADER_TIMEOUT');
});

it('counts from the connection, not the last byte: a head trickled a byte at a time is cut off too', async () => {
  const client = await connectLocal(host, port);
  const closed = answerUntilClosed(client);
  const head = 'GET /admin/v2/clusters HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ' + 'a'.repeat(200);
  let sent = 0;
  const trickle = setInterval(() => {
    if (!client.destroyed && sent < head.length) client.write(head[sent++]!);
  }, 20);
  try {
    const { answer } = await withDeadline(closed, 5_000, 'the trickling connection to be closed');
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
  } finally {
    clearInterval(trickle);
    client.destroy();
  }
});

it('serves a client that sends its head in time, and lets a keep-alive connection make a second request', async () => {
  const client = await connectLocal(host, port);
  client.setEncoding('utf8');
  let answer = '';
  client.on('data', (chunk: string) => (answer += chunk));
  const request = 'GET /admin/v2/clusters HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n';
  client.write(request);
  await withDeadline(new Promise<void>((resolve) => client.on('data', () => answer.includes('}') && resolve())), 5_000, 'the first answer');
  expect(answer).toMatch(/^HTTP\/1\.1 502 /);
  answer = '';
  client.write(request);
  await withDeadline(new Promise<void>((resolve) => client.on('data', () => answer.includes('}') && resolve())), 5_000, 'the second answer');
  expect(answer).toMatch(/^HTTP\/1\.1 502 /);
  client.destroy();
});
