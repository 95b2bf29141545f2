/**
 * A broker's FIN that arrives while the join holds its output back (a rewritten lookup answer
 * waiting for a new broker's local port) is passed on after that output, not before it: the client
 * gets every byte, then the close, and the connection ends without an error.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { acceptedConnection } from '../fixtures/acceptedConnection.ts';
import { once, withDeadline } from '../fixtures/deadline.ts';
import { createTestPki, type TestPki } from '../fixtures/pki.ts';
import { startTlsBackend, type TlsBackend } from '../fixtures/tlsBackend.ts';
import { createDialer } from '../../src-main/core/transport/dialer.ts';
import { joinSockets, type StreamTransform } from '../../src-main/core/transport/join.ts';

let pki: TestPki;
let backend: TlsBackend;

beforeAll(async () => {
  pki = await createTestPki({ serverHosts: ['broker.test'] });
  // Answers and closes at once, like a broker answering a request that came with the client's FIN.
  // The close waits a loop turn: a Node TLS 1.3 server that ends in its secureConnection callback
  // sends no close_notify (its session tickets are still unsent), which is not a clean close.
  backend = await startTlsBackend({
    credential: pki.servers['broker.test']!,
    behaviour: (socket) => {
      socket.write('the answer');
      setImmediate(() => socket.end());
    },
  });
});

afterAll(async () => {
  await backend?.stop();
  await pki?.cleanup();
});

/** A transform that holds everything back until `release()`, as a pending broker port does. */
function holdingTransform(): { transform: StreamTransform; release: () => void } {
  const held: Buffer[] = [];
  let emitLater: ((out: Buffer) => void) | undefined;
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const released = gate.then(() => {
    for (const out of held) emitLater?.(out);
  });
  return {
    transform: {
      push(chunk, emit) {
        emitLater = emit;
        held.push(Buffer.from(chunk));
      },
      pending: () => released,
    },
    release,
  };
}

it('passes the broker FIN on only after the output it held back', async () => {
  const { client, local } = await acceptedConnection();
  const received: Buffer[] = [];
  client.on('data', (chunk: Buffer) => received.push(chunk));
  const clientSawEnd = once(client, 'end', 5_000);

  const dialer = createDialer({ proxy: undefined, tls: { caPem: pki.ca.certPem, verifyHostname: false, allowInsecure: false }, connectionTimeoutMs: 5_000 });
  const { socket: remote, sni } = await dialer.dial({ host: '127.0.0.1', port: backend.port });
  const remoteEnded = once(remote, 'end', 5_000);
  const { transform, release } = holdingTransform();
  const joined = joinSockets({ local, remote, down: transform, counters: { bytesUp: 0, bytesDown: 0 }, closeTimeoutMs: 5_000, sni });
  local.resume();

  await remoteEnded;
  release();
  await clientSawEnd;
  expect(Buffer.concat(received).toString()).toBe('the answer');
  client.end();
  expect(await withDeadline(joined, 5_000, 'the join to finish')).toEqual({});
});
