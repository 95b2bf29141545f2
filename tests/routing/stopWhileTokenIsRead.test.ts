/**
 * Stopping a tunnel never waits for a token that does not come. A connection's session reads the
 * token to inject before it reads the client's CONNECT; from the keychain that is a call over D-Bus,
 * which can hang (a locked keyring's prompt nobody answers, a secret service that stopped
 * answering). Stopping closes every connection and waits for each to end: the session waited for
 * the token first, whatever the stop, so the tunnel never stopped.
 */
import net from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { once, withDeadline } from '../fixtures/deadline.ts';
import { startTestTunnel, testConfig } from '../tunnel/harness.ts';

const cleanups: (() => unknown)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

it('stops while a connection is still waiting for the token to inject', async () => {
  let tokenAsked: () => void = () => undefined;
  const asked = new Promise<void>((resolve) => (tokenAsked = resolve));
  // The token comes only once the test is over.
  let giveToken: (token: string) => void = () => undefined;
  const token = new Promise<string>((resolve) => (giveToken = resolve));
  cleanups.push(() => giveToken('too-late'));
  const tunnel = await startTestTunnel(
    testConfig({
      serviceHost: 'broker.test',
      servicePort: 9, // never dialed: no CONNECT is read
      overrides: {
        pulsarProtocol: 'inspect',
        connectionTimeoutMs: 60_000,
        auth: {
          kind: 'token',
          getToken: () => {
            tokenAsked();
            return token;
          },
        },
      },
    }),
  );
  const client = net.connect(tunnel.port, tunnel.host);
  client.on('error', () => undefined);
  cleanups.push(() => client.destroy());
  await once(client, 'connect', 5_000);
  await withDeadline(asked, 5_000, 'the session to ask for the token');

  await withDeadline(tunnel.dispose(), 5_000, 'the tunnel to stop');
  const closed = await tunnel.waitForEvent((event) => event.event === 'connection.closed', 1_000);
  expect(closed).toMatchObject({ error: { code: 'PULSAR_NO_CONNECT', message: expect.stringMatching(/ended before the client sent a Pulsar CONNECT/) } });
});
