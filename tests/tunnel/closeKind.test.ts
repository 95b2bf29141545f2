/**
 * Pins how Node's TLS layer ends a stream, through real TLS: a broker's close_notify (with its last
 * data in one read, or alone in a later read) reads as `close-notify`; a TCP FIN without
 * close_notify (a proxy that drops the connection) reads as `bare-fin`, also after session tickets
 * that carried no data. If a Node upgrade changes when TLS reports the end, these fail.
 */
import net from 'node:net';
import { Duplex } from 'node:stream';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeKindOf, closeNotifyRoom, trackCloseKind } from '../../src-main/core/transport/closeKind.ts';
import { once, withDeadline } from '../fixtures/deadline.ts';
import { createTestPki, type TestPki } from '../fixtures/pki.ts';
import { startPlainTcpServer, startTlsBackend, type PlainTcpServer, type TlsBackend } from '../fixtures/tlsBackend.ts';

let pki: TestPki;
const payload = Buffer.alloc(3000, 0x61);

/** A broker that acts on one-word commands: "data" (send the payload), "end" (TLS close), "data-end" (both at once). */
function commanded(socket: tls.TLSSocket): void {
  socket.on('data', (chunk: Buffer) => {
    const command = chunk.toString();
    if (command === 'data') socket.write(payload);
    else if (command === 'end') socket.end();
    else if (command === 'data-end') socket.end(payload);
  });
}

/**
 * A TCP relay in front of the broker. After `hold()`, it keeps the broker's bytes and writes them
 * in one piece once the broker closes (its last data and its close_notify then arrive in one read);
 * `cut()` closes every client side with a bare FIN (no close_notify) and drops the broker side.
 */
async function startRelay(backend: TlsBackend): Promise<PlainTcpServer & { hold(): void; cut(): void; cutAfter(bytes: number): void }> {
  const pairs: Array<{ client: net.Socket; upstream: net.Socket }> = [];
  let coalesce = false;
  /** Broker bytes still to pass on before cutting, once cutAfter() was called. */
  let budget: number | undefined;
  const server = await startPlainTcpServer((client) => {
    const upstream = net.connect({ host: backend.host, port: backend.port, allowHalfOpen: true });
    upstream.on('error', () => client.destroy());
    client.on('data', (chunk: Buffer) => upstream.write(chunk));
    client.once('end', () => upstream.end());
    const held: Buffer[] = [];
    upstream.on('data', (chunk: Buffer) => {
      if (coalesce) return void held.push(chunk);
      if (budget === undefined) return void client.write(chunk);
      client.write(chunk.subarray(0, budget));
      budget -= Math.min(budget, chunk.length);
      if (budget === 0) relay.cut();
    });
    upstream.once('end', () => client.end(Buffer.concat(held)));
    pairs.push({ client, upstream });
  });
  const relay = {
    ...server,
    hold: () => (coalesce = true),
    cutAfter: (bytes: number) => (budget = bytes),
    cut() {
      budget = undefined;
      for (const { client, upstream } of pairs.splice(0)) {
        upstream.removeAllListeners('data');
        upstream.destroy();
        client.end();
      }
    },
  };
  return relay;
}

/** A client as the dialer makes it: tls.connect over its own TCP socket, tracked from the start. */
async function connect(port: number, version: tls.SecureVersion): Promise<tls.TLSSocket> {
  const socket = tls.connect({ host: '127.0.0.1', port, servername: 'broker.test', ca: pki.ca.certPem, minVersion: version, maxVersion: version });
  trackCloseKind(socket);
  socket.on('error', () => undefined);
  await once(socket, 'secureConnect', 5_000);
  return socket;
}

/** Sends `command` and resolves once `bytes` bytes came back. */
async function ask(socket: tls.TLSSocket, command: string, bytes: number): Promise<void> {
  let received = 0;
  await withDeadline(
    new Promise<void>((resolve) => {
      const onData = (chunk: Buffer) => {
        received += chunk.length;
        if (received < bytes) return;
        socket.off('data', onData);
        resolve();
      };
      socket.on('data', onData);
      socket.write(command);
    }),
    5_000,
    `${bytes} bytes after "${command}"`,
  );
}

/** Resolves at the stream's end, with how it ended. */
async function ended(socket: tls.TLSSocket): Promise<string> {
  socket.resume();
  await once(socket, 'end', 5_000);
  const kind = closeKindOf(socket);
  socket.destroy();
  return kind;
}

beforeAll(async () => {
  pki = await createTestPki({ serverHosts: ['broker.test'] });
});

afterAll(async () => {
  await pki?.cleanup();
});

describe.each(['TLSv1.3', 'TLSv1.2'] as const)('%s', (version) => {
  let backend: TlsBackend;
  let relay: Awaited<ReturnType<typeof startRelay>>;

  beforeAll(async () => {
    backend = await startTlsBackend({ credential: pki.servers['broker.test']!, behaviour: commanded, tlsOptions: { minVersion: version, maxVersion: version } });
    relay = await startRelay(backend);
  });

  afterAll(async () => {
    await relay?.stop();
    await backend?.stop();
  });

  it('reads close_notify in the same read as the last data as a TLS close', async () => {
    const held = await startRelay(backend);
    try {
      const socket = await connect(held.port, version);
      held.hold();
      let received = 0;
      socket.on('data', (chunk: Buffer) => (received += chunk.length));
      socket.write('data-end');
      expect(await ended(socket)).toBe('close-notify');
      expect(received).toBe(payload.length);
    } finally {
      await held.stop();
    }
  });

  it('reads close_notify alone, in a later read than the last data, as a TLS close', async () => {
    const socket = await connect(relay.port, version);
    await ask(socket, 'data', payload.length);
    expect(closeKindOf(socket)).toBe('unknown');
    socket.write('end');
    expect(await ended(socket)).toBe('close-notify');
  });

  it('reads a FIN without close_notify after the last data as a bare FIN', async () => {
    const socket = await connect(relay.port, version);
    await ask(socket, 'data', payload.length);
    const end = ended(socket);
    relay.cut();
    expect(await end).toBe('bare-fin');
  });

  it('reads a FIN that cuts a record short, more of it than a close_notify takes, as a bare FIN', async () => {
    const socket = await connect(relay.port, version);
    await ask(socket, 'data', payload.length);
    const end = ended(socket);
    // The next record (3,000 bytes of data) arrives in part: nothing of it can be decrypted.
    relay.cutAfter(closeNotifyRoom + 1);
    socket.write('data');
    expect(await end).toBe('bare-fin');
  });

  it('reads a FIN after a fragment no longer than a close_notify as a TLS close (not known to be lost)', async () => {
    const socket = await connect(relay.port, version);
    await ask(socket, 'data', payload.length);
    const end = ended(socket);
    relay.cutAfter(closeNotifyRoom);
    socket.write('data');
    expect(await end).toBe('close-notify');
  });

  it('reads a FIN without close_notify after session tickets and no data as a bare FIN', async () => {
    const socket = await connect(relay.port, version);
    // TLS 1.3 tickets come after the handshake, as bytes that carry no data; TLS 1.2 has none here.
    if (version === 'TLSv1.3') await once(socket, 'session', 5_000);
    const end = ended(socket);
    relay.cut();
    expect(await end).toBe('bare-fin');
  });
});

it('answers unknown for TLS over a JS stream, whose reads it cannot see', async () => {
  const backend = await startTlsBackend({ credential: pki.servers['broker.test']!, behaviour: commanded });
  try {
    const raw = net.connect({ host: backend.host, port: backend.port });
    const duplex = new Duplex({
      read: () => raw.resume(),
      write: (chunk: Buffer, _encoding, callback) => raw.write(chunk, (error) => callback(error ?? null)),
    });
    raw.on('data', (chunk: Buffer) => duplex.push(chunk));
    raw.once('end', () => duplex.push(null));
    const socket = tls.connect({ socket: duplex, servername: 'broker.test', ca: pki.ca.certPem });
    trackCloseKind(socket);
    await once(socket, 'secureConnect', 5_000);
    await ask(socket, 'data', payload.length);
    socket.write('end');
    expect(await ended(socket)).toBe('unknown');
    raw.destroy();
  } finally {
    await backend.stop();
  }
});
