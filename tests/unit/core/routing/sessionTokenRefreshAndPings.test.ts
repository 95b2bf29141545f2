/**
 * The frames the session exchanges with the broker on its own: it answers the broker's auth
 * challenge with a freshly read token when it injected the token (and only then), and keeps a quiet
 * connection alive with PINGs whose PONGs the client never sees.
 */
import { afterEach, expect, it, vi } from 'vitest';
import { CommandType } from '../../../fixtures/pulsarCluster/protocol.ts';
import { commandsOf, createSession, frameOf, settle } from './sessionHarness.ts';

const connect = (fields: Record<string, unknown> = {}) => frameOf({ type: CommandType.CONNECT, connect: { client_version: 'Pulsar-Java-v3', protocol_version: 19, ...fields } });
const challenge = frameOf({ type: CommandType.AUTH_CHALLENGE, authChallenge: { server_version: 'b', challenge: { auth_method_name: 'token', auth_data: Buffer.from('PulsarAuthRefresh') }, protocol_version: 19 } });
const pong = frameOf({ type: CommandType.PONG, pong: {} });

afterEach(() => {
  vi.useRealTimers();
});

it('answers the broker\'s challenge itself with the token read again, and hides the challenge from the client', async () => {
  const tokens = ['jwt-1', 'jwt-2'];
  const s = createSession({ auth: { kind: 'token', getToken: async () => tokens.shift() ?? 'jwt-last' } });
  await s.begin(connect());
  s.attach();
  expect((await s.down(challenge)).length).toBe(0);
  await settle();
  const [answer, ...rest] = commandsOf(Buffer.concat(s.toBroker));
  expect(rest).toEqual([]);
  expect(answer).toMatchObject({ type: CommandType.AUTH_RESPONSE, authResponse: { client_version: 'Pulsar-Java-v3', protocol_version: 19, response: { auth_method_name: 'token' } } });
  expect(((answer!.authResponse as Record<string, Record<string, Buffer>>).response!.auth_data!).toString()).toBe('jwt-2');
  expect(s.events.at(-1)).toEqual({ event: 'pulsar.authRefresh', id: 7 });
});

it('answers with the last token when the token source fails', async () => {
  let calls = 0;
  const s = createSession({
    auth: {
      kind: 'token',
      getToken: async () => {
        if (calls++ > 0) throw new Error('token file gone');
        return 'jwt-1';
      },
    },
  });
  await s.begin(connect());
  s.attach();
  await s.down(challenge);
  await settle();
  const answer = commandsOf(Buffer.concat(s.toBroker))[0]!;
  expect(((answer.authResponse as Record<string, Record<string, Buffer>>).response!.auth_data!).toString()).toBe('jwt-1');
});

it('leaves the challenge to a client that sent its own credential', async () => {
  const s = createSession({ auth: { kind: 'token', getToken: async () => 'jwt-1' } });
  await s.begin(connect({ auth_method_name: 'token', auth_data: Buffer.from('mine') }));
  s.attach();
  expect((await s.down(challenge)).equals(challenge)).toBe(true);
  await settle();
  expect(s.toBroker).toEqual([]);
  expect(s.events.some((event) => event.event === 'pulsar.authRefresh')).toBe(false);
});

it('sends nothing of its own once the broker connection is gone', async () => {
  const s = createSession({ auth: { kind: 'token', getToken: async () => 'jwt-1' } });
  await s.begin(connect());
  s.attach();
  s.remote.destroyed = true;
  await s.down(challenge);
  await settle();
  expect(s.toBroker).toEqual([]);
  const disposed = createSession({ auth: { kind: 'token', getToken: async () => 'jwt-1' } });
  await disposed.begin(connect());
  disposed.attach();
  disposed.session.dispose();
  await disposed.down(challenge);
  await settle();
  expect(disposed.toBroker).toEqual([]);
});

it('pings a connection quiet for the keep-alive interval, and swallows exactly the PONGs of its own pings', async () => {
  vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
  const s = createSession({ keepAliveIntervalSeconds: 2 });
  await s.begin(connect());
  s.attach();
  vi.advanceTimersByTime(1999);
  expect(s.toBroker).toEqual([]);
  vi.advanceTimersByTime(1);
  expect(commandsOf(Buffer.concat(s.toBroker)).map((c) => c.type)).toEqual([CommandType.PING]);
  // Traffic either way restarts the quiet period.
  vi.advanceTimersByTime(1500);
  s.counters.bytesUp += 10;
  s.counters.bytesDown += 10;
  vi.advanceTimersByTime(1500);
  expect(s.toBroker).toHaveLength(1);
  vi.advanceTimersByTime(2000);
  expect(s.toBroker).toHaveLength(2);
  // Two pings of ours: two PONGs dropped, the client's own third one forwarded.
  expect((await s.down(pong)).length).toBe(0);
  expect((await s.down(pong)).length).toBe(0);
  expect((await s.down(pong)).equals(pong)).toBe(true);
  s.session.dispose();
  vi.advanceTimersByTime(10_000);
  expect(s.toBroker).toHaveLength(2);
});

it('pings nothing when keep-alives are off, and forwards every PONG', async () => {
  vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
  const s = createSession({ keepAliveIntervalSeconds: 0 });
  await s.begin(connect());
  s.attach();
  vi.advanceTimersByTime(120_000);
  expect(s.toBroker).toEqual([]);
  expect((await s.down(pong)).equals(pong)).toBe(true);
});

it('checks for silence often enough to ping close to the interval', async () => {
  vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
  const s = createSession({ keepAliveIntervalSeconds: 1 });
  await s.begin(connect());
  s.attach();
  // Activity just after a check: the next PING is due one interval after it, at most a quarter late.
  vi.advanceTimersByTime(260);
  s.counters.bytesDown += 1;
  vi.advanceTimersByTime(1000);
  expect(s.toBroker).toEqual([]);
  vi.advanceTimersByTime(250);
  expect(s.toBroker).toHaveLength(1);
});
