/**
 * A broker that sends without pause to a local client that does not read (a stalled consumer):
 * the join holds at most one batch of the loop turn's pieces (DEFAULT_FLUSH_AT) in the client
 * socket's buffer, then stops reading the broker side until the client drains it, and the bytes
 * flow again, intact, once the client reads. Real sockets and a real TLS server.
 */
import type tls from 'node:tls';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { acceptedConnection } from '../fixtures/acceptedConnection.ts';
import { eventually, once, withDeadline } from '../fixtures/deadline.ts';
import { createTestPki, type TestPki } from '../fixtures/pki.ts';
import { createStreamDigest, deterministicChunks, startTlsBackend, type TlsBackend } from '../fixtures/tlsBackend.ts';
import { createDialer } from '../../src-main/core/transport/dialer.ts';
import { joinSockets } from '../../src-main/core/transport/join.ts';
import { DEFAULT_FLUSH_AT } from '../../src-main/core/transport/writeBatch.ts';

/** Far more than the kernel's socket buffers on both sides of loopback hold. */
const flood = 64 * 1024 * 1024;
let pki: TestPki;
let backend: TlsBackend;
const closers: (() => void)[] = [];

beforeAll(async () => {
  pki = await createTestPki({ serverHosts: ['broker.test'] });
  backend = await startTlsBackend({
    credential: pki.servers['broker.test']!,
    behaviour: (socket) => {
      socket.on('error', () => undefined);
      socket.once('data', () => {
        const chunks = deterministicChunks(flood, 11);
        const pump = () => {
          for (let next = chunks.next(); !next.done; next = chunks.next()) if (!socket.write(next.value)) return;
          socket.end();
        };
        socket.on('drain', pump);
        pump();
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

it('holds a bounded number of bytes for a client that does not read, and delivers every byte once it reads', async () => {
  const { client, local } = await acceptedConnection();
  client.pause();
  client.on('error', () => undefined);
  const dialer = createDialer({ proxy: undefined, tls: { caPem: pki.ca.certPem, verifyHostname: false, allowInsecure: false }, connectionTimeoutMs: 5_000 });
  const { socket: remote, sni }: { socket: tls.TLSSocket; sni: string | undefined } = await dialer.dial({ host: '127.0.0.1', port: backend.port });
  const counters = { bytesUp: 0, bytesDown: 0 };
  const result = joinSockets({ local, remote, counters, closeTimeoutMs: 10_000, sni });
  local.resume();
  closers.push(() => {
    client.destroy();
    remote.destroy();
  });
  client.write('go');

  // The kernel's buffers fill up, then the join stops reading the broker side.
  const bound = DEFAULT_FLUSH_AT + 64 * 1024;
  let most = 0;
  await eventually(
    () => {
      most = Math.max(most, local.writableLength + remote.readableLength);
      return remote.isPaused() && local.writableLength > 0;
    },
    { timeoutMs: 20_000, intervalMs: 5, what: 'the broker side to be paused while the client does not read' },
  );
  const heldWhenPaused = counters.bytesDown;
  expect(heldWhenPaused).toBeLessThan(flood);
  // Paused it stays, with no more taken from the broker, for as long as the client does not read.
  for (let check = 0; check < 20; check += 1) {
    await new Promise((resolve) => setImmediate(resolve));
    most = Math.max(most, local.writableLength + remote.readableLength);
    expect(remote.isPaused()).toBe(true);
  }
  expect(counters.bytesDown).toBe(heldWhenPaused);
  expect(most).toBeLessThanOrEqual(bound);

  // The client reads: everything arrives, in order, and the broker's FIN after it.
  const digest = createStreamDigest();
  const expected = createStreamDigest();
  for (const chunk of deterministicChunks(flood, 11)) expected.update(chunk);
  client.on('data', (chunk: Buffer) => digest.update(chunk));
  const ended = once(client, 'end', 60_000);
  client.resume();
  await ended;
  expect({ bytes: digest.bytes, sha256: digest.hex() }).toEqual({ bytes: expected.bytes, sha256: expected.hex() });
  client.end();
  expect(await withDeadline(result, 10_000, 'the join to finish')).toEqual({});
});
