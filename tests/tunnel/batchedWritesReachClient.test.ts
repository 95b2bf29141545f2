/**
 * Towards the local client the join gathers what the broker side delivers in one event-loop turn
 * into one write at the end of the turn. Whatever ends the connection in that same turn comes after
 * those bytes: a broker's close (the client gets every byte, then the FIN) and a failure of the
 * broker side (the client still gets the bytes read before it, then the close).
 */
import type net from 'node:net';
import type tls from 'node:tls';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { acceptedConnection } from '../fixtures/acceptedConnection.ts';
import { once, withDeadline } from '../fixtures/deadline.ts';
import { createTestPki, type TestPki } from '../fixtures/pki.ts';
import { deterministicBytes, startTlsBackend, type TlsBackend } from '../fixtures/tlsBackend.ts';
import { createDialer } from '../../src-main/core/transport/dialer.ts';
import { joinSockets } from '../../src-main/core/transport/join.ts';

let pki: TestPki;
let backend: TlsBackend;
const closers: (() => void)[] = [];
/** What the broker sends before it closes: many TLS records, so many reads of the TLS socket. */
const answer = deterministicBytes(300_000, 7);

beforeAll(async () => {
  pki = await createTestPki({ serverHosts: ['broker.test'] });
  // The close waits a loop turn: a Node TLS 1.3 server that ends in its secureConnection callback
  // sends no close_notify (its session tickets are still unsent), which is not a clean close.
  backend = await startTlsBackend({
    credential: pki.servers['broker.test']!,
    behaviour: (socket) => {
      socket.once('data', () => {
        socket.write(answer);
        socket.end();
      });
    },
  });
});

afterEach(() => {
  for (const close of closers.splice(0)) close();
});

afterAll(async () => {
  await backend?.stop();
  await pki?.cleanup();
});

/** A local client connected to a joined pair; the broker side is the TLS backend. */
async function joined(): Promise<{ client: net.Socket; remote: tls.TLSSocket; received: Buffer[]; result: Promise<{ error?: { code: string } }> }> {
  const { client, local } = await acceptedConnection();
  const received: Buffer[] = [];
  client.on('data', (chunk: Buffer) => received.push(chunk));
  client.on('error', () => undefined);
  const dialer = createDialer({ proxy: undefined, tls: { caPem: pki.ca.certPem, verifyHostname: false, allowInsecure: false }, connectionTimeoutMs: 5_000 });
  const { socket: remote, sni } = await dialer.dial({ host: '127.0.0.1', port: backend.port });
  const result = joinSockets({ local, remote, counters: { bytesUp: 0, bytesDown: 0 }, closeTimeoutMs: 5_000, sni });
  local.resume();
  closers.push(() => {
    client.destroy();
    remote.destroy();
  });
  return { client, remote, received, result };
}

it('passes the broker FIN on after every byte that came before it', async () => {
  const { client, received, result } = await joined();
  const ended = once(client, 'end', 10_000);
  client.write('go');
  await ended;
  expect(Buffer.concat(received).equals(answer)).toBe(true);
  client.end();
  expect(await withDeadline(result, 5_000, 'the join to finish')).toEqual({});
});

it('still delivers the bytes read in the turn the broker side failed, before closing the client', async () => {
  const { client, remote, received, result } = await joined();
  const closed = once(client, 'end', 10_000);
  // A read and then a reset of the connection, within one loop turn (as one poll phase delivers
  // them): the read's bytes wait for the end of the turn, the failure comes first.
  remote.emit('data', Buffer.from('the last words before the reset'));
  remote.destroy(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));
  await closed;
  expect(Buffer.concat(received).toString()).toBe('the last words before the reset');
  expect((await withDeadline(result, 5_000, 'the join to finish')).error?.code).toBe('PROXY_CONNECTION_LOST');
});
