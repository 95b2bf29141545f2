/**
 * The client's first frame: which broker a connection is for, which credential the CONNECT carries
 * on to the broker, and what a client that is not speaking Pulsar (or never sends a CONNECT) is told.
 */
import { expect, it } from 'vitest';
import { AppError } from '../../../../shared/errors.ts';
import { withDeadline } from '../../../fixtures/deadline.ts';
import { CommandType, ServerError } from '../../../fixtures/pulsarCluster/protocol.ts';
import { commandsOf, createSession, frameOf, onlyCommand } from './sessionHarness.ts';

const token = { kind: 'token' as const, getToken: async () => 'jwt-1' };
const connect = (fields: Record<string, unknown> = {}) => frameOf({ type: CommandType.CONNECT, connect: { client_version: 'Pulsar-Java-v3', protocol_version: 21, ...fields } });

it('gives a CONNECT without a credential the profile\'s token and asks for refresh challenges', async () => {
  const s = createSession({ auth: token });
  const { target, preamble } = await s.begin(connect());
  expect(target).toEqual({ host: 'svc.test', port: 6651 });
  const sent = onlyCommand(preamble).connect as Record<string, unknown>;
  expect(sent.auth_method_name).toBe('token');
  expect((sent.auth_data as Buffer).toString()).toBe('jwt-1');
  expect((sent.feature_flags as Record<string, unknown>).supports_auth_refresh).toBe(true);
  expect(s.events).toEqual([{ event: 'pulsar.connect', id: 7, clientVersion: 'Pulsar-Java-v3', protocolVersion: 21, authMethod: 'token', authInjected: true, broker: 'svc.test:6651' }]);
});

it('leaves a client\'s own credential alone, whatever the profile holds', async () => {
  for (const own of [{ auth_method_name: 'token', auth_data: Buffer.from('mine') }, { auth_data: Buffer.from('mine') }, { auth_method_name: 'athenz' }]) {
    const s = createSession({ auth: token });
    const { preamble } = await s.begin(connect(own));
    expect(preamble.equals(connect(own))).toBe(true);
    expect(s.events[0]).toMatchObject({ event: 'pulsar.connect', authInjected: false, authMethod: own.auth_method_name ?? 'none' });
  }
});

it('treats an auth method "none" or "" as no credential', async () => {
  for (const name of ['none', '']) {
    const s = createSession({ auth: token });
    const { preamble } = await s.begin(connect({ auth_method_name: name }));
    expect((onlyCommand(preamble).connect as Record<string, unknown>).auth_method_name).toBe('token');
  }
});

it('names the TLS method for a client-certificate profile, without asking for refresh challenges', async () => {
  const s = createSession({ auth: { kind: 'tls' } });
  const { preamble } = await s.begin(connect());
  const sent = onlyCommand(preamble).connect as Record<string, unknown>;
  expect(sent.auth_method_name).toBe('tls');
  expect(sent.feature_flags).toBeUndefined();
  expect(s.events[0]).toMatchObject({ authMethod: 'tls', authInjected: true });
});

it('forwards a CONNECT untouched for a profile without credentials', async () => {
  const s = createSession();
  const { preamble } = await s.begin(connect());
  expect(preamble.equals(connect())).toBe(true);
  expect(s.events[0]).toMatchObject({ authMethod: 'none', authInjected: false });
});

it('sends a broker port\'s connections to its broker, and the main port\'s to the service', async () => {
  const bound = createSession({ boundTo: { host: 'b2.test', port: 6651 } });
  expect((await bound.begin(connect())).target).toEqual({ host: 'b2.test', port: 6651 });
  expect(bound.events[0]).toMatchObject({ broker: 'b2.test:6651' });
});

it('dials the broker a proxy-aware client names and strips proxy_to_broker_url', async () => {
  const s = createSession();
  const entry = await s.registry.ensure('pulsar://b1.test:6650', 'pulsar+ssl://b1.test:6651');
  const { target, preamble } = await s.begin(connect({ proxy_to_broker_url: `127.0.0.1:${entry!.localPort}` }));
  expect(target).toEqual({ host: 'b1.test', port: 6651 });
  expect((onlyCommand(preamble).connect as Record<string, unknown>).proxy_to_broker_url).toBeUndefined();
});

it('refuses a proxy_to_broker_url no lookup named', async () => {
  const s = createSession();
  await expect(s.begin(connect({ proxy_to_broker_url: 'elsewhere.test:6651' }))).rejects.toMatchObject({ code: 'PULSAR_UNKNOWN_BROKER' });
});

it('waits for a CONNECT that arrives in pieces, judging only the first piece as a possible other protocol', async () => {
  const s = createSession({ auth: token });
  // A client version that starts a later piece with what would look like HTTP or TLS in a first one.
  const bytes = connect({ client_version: 'GET \u0016\u0003x' });
  const at = bytes.indexOf('GET ');
  const tlsAt = bytes.indexOf(0x16, at);
  const { preamble } = await s.begin(bytes.subarray(0, 3), bytes.subarray(3, at), bytes.subarray(at, tlsAt), bytes.subarray(tlsAt));
  expect((onlyCommand(preamble).connect as Record<string, unknown>).auth_method_name).toBe('token');
  expect(s.counters.bytesUp).toBe(bytes.length);
});

it('stops reading the local socket once the CONNECT is in, leaving the rest to the join', async () => {
  const s = createSession();
  await s.begin(connect());
  expect(s.local.isPaused()).toBe(true);
  expect(s.local.listenerCount('data')).toBe(0);
  expect(s.local.listenerCount('end')).toBe(0);
});

it('forwards a stream that does not start with a CONNECT to the bound broker, and has no ERROR to tell its client', async () => {
  const s = createSession({ boundTo: { host: 'b2.test', port: 6651 } });
  const ping = frameOf({ type: CommandType.PING, ping: {} });
  const { target, preamble } = await s.begin(ping);
  expect(target).toEqual({ host: 'b2.test', port: 6651 });
  expect(preamble.equals(ping)).toBe(true);
  expect(s.events).toEqual([]);
  expect(s.session.connectFailure(new AppError('PROXY_UNREACHABLE'))).toBeUndefined();
  const main = createSession();
  expect((await main.begin(ping)).target).toEqual({ host: 'svc.test', port: 6651 });
});

it('tells a client whose CONNECT cannot be served why, as an ERROR it retries unless its certificate was refused', async () => {
  const s = createSession();
  await s.begin(connect());
  const retry = onlyCommand(s.session.connectFailure(new AppError('PROXY_UNREACHABLE'))!);
  expect(retry.type).toBe(CommandType.ERROR);
  expect(retry.error).toMatchObject({ request_id: '18446744073709551615', error: ServerError.ServiceNotReady });
  expect(String((retry.error as Record<string, unknown>).message)).toContain('PROXY_UNREACHABLE');
  const refused = commandsOf(s.session.connectFailure(new AppError('TUNNEL_TLS_CLIENT_CERT_REJECTED'))!);
  expect(refused[0]!.error).toMatchObject({ error: ServerError.AuthenticationError });
});

it('explains a TLS ClientHello or an HTTP request on the Pulsar port', async () => {
  await expect(createSession().begin(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01]))).rejects.toMatchObject({ code: 'PULSAR_LOCAL_TLS' });
  for (const method of ['GET', 'POST', 'PUT', 'HEAD', 'DELETE', 'OPTIONS', 'PATCH']) {
    await expect(createSession().begin(Buffer.from(`${method} /admin/v2 HTTP/1.1\r\n\r\n`))).rejects.toMatchObject({ code: 'PULSAR_NOT_PULSAR' });
  }
  // Only the first bytes decide: a 0x16 that is not followed by 0x03 is a frame length no Pulsar client sends.
  await expect(createSession().begin(Buffer.from([0x16, 0x04, 0, 0, 0, 1, 0, 0]))).rejects.toMatchObject({ code: 'PULSAR_NOT_PULSAR' });
});

it('gives up on a client that closes, is aborted or stays silent before its CONNECT', async () => {
  const { PassThrough } = await import('node:stream');
  // A long connection timeout: closing and aborting must end the wait themselves, at once.
  const closing = new PassThrough();
  closing.end(connect().subarray(0, 5));
  const closed = createSession({ connectionTimeoutMs: 600_000 }).session.begin(closing as never, new AbortController().signal);
  await expect(withDeadline(closed, 5000, 'begin after the client closed')).rejects.toMatchObject({ code: 'PULSAR_NO_CONNECT' });
  const aborted = new AbortController();
  const pending = createSession({ connectionTimeoutMs: 600_000 }).session.begin(new PassThrough() as never, aborted.signal);
  aborted.abort();
  await expect(withDeadline(pending, 5000, 'begin after the abort')).rejects.toMatchObject({ code: 'PULSAR_NO_CONNECT' });
  await expect(createSession({ connectionTimeoutMs: 50 }).session.begin(new PassThrough() as never, new AbortController().signal)).rejects.toMatchObject({ code: 'PULSAR_NO_CONNECT' });
});

it('closes on a malformed first frame with the reader\'s code', async () => {
  const bad = Buffer.alloc(8);
  bad.writeUInt32BE(4, 0);
  await expect(createSession().begin(bad)).rejects.toMatchObject({ code: 'PULSAR_FRAME_INVALID' });
});
