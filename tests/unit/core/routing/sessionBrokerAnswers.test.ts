/**
 * What the session does with the broker's answers: every broker URL a client would follow becomes
 * that broker's local port (and a lookup tells proxy-aware clients to come back through the main
 * port), the limits the broker announces apply to both directions, and what the client opens is
 * reported. Events are compared whole; the frames are read back with the test-side schema.
 */
import type net from 'node:net';
import { expect, it } from 'vitest';
import { AppError } from '../../../../shared/errors.ts';
import { CommandType, LookupType } from '../../../fixtures/pulsarCluster/protocol.ts';
import { createSession, fakeListener, frameOf, onlyCommand, settle } from './sessionHarness.ts';

const connect = frameOf({ type: CommandType.CONNECT, connect: { client_version: 'c', protocol_version: 21 } });

async function started(options: Parameters<typeof createSession>[0] = {}) {
  const s = createSession(options);
  await s.begin(connect);
  s.events.length = 0;
  return s;
}

it('answers a lookup with the broker\'s local port, proxy_through_service_url set, and reports it', async () => {
  const s = await started();
  s.up(frameOf({ type: CommandType.LOOKUP, lookupTopic: { topic: 'persistent://t/n/a', request_id: '5' } }));
  const answer = await s.down(
    frameOf({ type: CommandType.LOOKUP_RESPONSE, lookupTopicResponse: { request_id: '5', response: LookupType.Connect, brokerServiceUrl: 'pulsar://b1.test:6650', brokerServiceUrlTls: 'pulsar+ssl://b1.test:6651', proxy_through_service_url: false, authoritative: true } }),
  );
  const local = fakeListener({ host: 'b1.test', port: 6651 }).address() as net.AddressInfo;
  const response = onlyCommand(answer).lookupTopicResponse as Record<string, unknown>;
  expect(response).toMatchObject({ request_id: '5', response: LookupType.Connect, brokerServiceUrl: `pulsar://127.0.0.1:${local.port}`, brokerServiceUrlTls: `pulsar://127.0.0.1:${local.port}`, proxy_through_service_url: true, authoritative: true });
  expect(s.events).toEqual([{ event: 'pulsar.lookup', id: 7, topic: 'persistent://t/n/a', response: 'Connect', broker: 'b1.test:6651', local: `127.0.0.1:${local.port}` }]);

  // The broker is known now: a second answer naming it is rewritten at once, a Redirect too.
  s.events.length = 0;
  const again = await s.down(frameOf({ type: CommandType.LOOKUP_RESPONSE, lookupTopicResponse: { request_id: '6', response: LookupType.Redirect, brokerServiceUrlTls: 'pulsar+ssl://b1.test:6651' } }));
  expect(onlyCommand(again).lookupTopicResponse).toMatchObject({ brokerServiceUrlTls: `pulsar://127.0.0.1:${local.port}`, proxy_through_service_url: true });
  // No LOOKUP was seen for request 6: the topic is unknown.
  expect(s.events).toEqual([{ event: 'pulsar.lookup', id: 7, topic: '?', response: 'Redirect', broker: 'b1.test:6651', local: `127.0.0.1:${local.port}` }]);
});

it('forwards a lookup answer that names no broker and reports it without a broker', async () => {
  const s = await started();
  const frame = frameOf({ type: CommandType.LOOKUP_RESPONSE, lookupTopicResponse: { request_id: '9', response: LookupType.Connect } });
  expect((await s.down(frame)).equals(frame)).toBe(true);
  expect(s.events).toEqual([{ event: 'pulsar.lookup', id: 7, topic: '?', response: 'Connect' }]);
});

it('reports a lookup whose broker port cannot be opened with the listener\'s code, and fails the connection with it', async () => {
  const s = await started({ openListener: () => Promise.reject(new AppError('TUNNEL_LISTEN_IN_USE')) });
  s.up(frameOf({ type: CommandType.LOOKUP, lookupTopic: { topic: 'persistent://t/n/a', request_id: '5' } }));
  const answer = frameOf({ type: CommandType.LOOKUP_RESPONSE, lookupTopicResponse: { request_id: '5', response: LookupType.Connect, brokerServiceUrlTls: 'pulsar+ssl://b1.test:6651' } });
  await expect(s.down(answer)).rejects.toMatchObject({ code: 'TUNNEL_LISTEN_IN_USE' });
  await settle();
  expect(s.events).toEqual([{ event: 'pulsar.lookup', id: 7, topic: 'persistent://t/n/a', response: 'Connect', error: expect.objectContaining({ code: 'TUNNEL_LISTEN_IN_USE' }) }]);

  // A failure that is not an AppError is named TUNNEL_LISTEN_FAILED, never left unexplained.
  const t = await started({ openListener: () => Promise.reject(new Error('EMFILE')) });
  await expect(t.down(answer)).rejects.toMatchObject({ code: 'TUNNEL_LISTEN_FAILED' });
  await settle();
  expect(t.events).toEqual([expect.objectContaining({ event: 'pulsar.lookup', error: expect.objectContaining({ code: 'TUNNEL_LISTEN_FAILED' }) })]);
});

it('points a closed producer or consumer\'s assigned broker, and a migrated topic, at local ports', async () => {
  const s = await started();
  const b2 = fakeListener({ host: 'b2.test', port: 6651 }).address() as net.AddressInfo;
  const localUrl = `pulsar://127.0.0.1:${b2.port}`;
  const closeProducer = await s.down(frameOf({ type: CommandType.CLOSE_PRODUCER, close_producer: { producer_id: '1', request_id: '2', assignedBrokerServiceUrl: 'pulsar://b2.test:6650', assignedBrokerServiceUrlTls: 'pulsar+ssl://b2.test:6651' } }));
  expect(onlyCommand(closeProducer).close_producer).toMatchObject({ producer_id: '1', assignedBrokerServiceUrl: localUrl, assignedBrokerServiceUrlTls: localUrl });
  const closeConsumer = await s.down(frameOf({ type: CommandType.CLOSE_CONSUMER, close_consumer: { consumer_id: '3', request_id: '4', assignedBrokerServiceUrlTls: 'pulsar+ssl://b2.test:6651' } }));
  expect(onlyCommand(closeConsumer).close_consumer).toMatchObject({ consumer_id: '3', assignedBrokerServiceUrl: localUrl, assignedBrokerServiceUrlTls: localUrl });
  const migrated = await s.down(frameOf({ type: CommandType.TOPIC_MIGRATED, topicMigrated: { resource_id: '3', resource_type: 1, brokerServiceUrl: 'pulsar://b2.test:6650', brokerServiceUrlTls: 'pulsar+ssl://b2.test:6651' } }));
  expect(onlyCommand(migrated).topicMigrated).toMatchObject({ brokerServiceUrl: localUrl, brokerServiceUrlTls: localUrl });
  await settle();
  const moved = { event: 'pulsar.moved', id: 7, broker: 'b2.test:6651', local: `127.0.0.1:${b2.port}` };
  expect(s.events).toEqual([{ ...moved, resource: 'producer' }, { ...moved, resource: 'consumer' }, { ...moved, resource: 'topic' }]);
});

it('forwards a close or migration without a broker URL untouched', async () => {
  const s = await started();
  for (const frame of [
    frameOf({ type: CommandType.CLOSE_PRODUCER, close_producer: { producer_id: '1', request_id: '2' } }),
    frameOf({ type: CommandType.CLOSE_CONSUMER, close_consumer: { consumer_id: '1', request_id: '2' } }),
    frameOf({ type: CommandType.TOPIC_MIGRATED, topicMigrated: { resource_id: '3', resource_type: 0 } }),
  ]) {
    expect((await s.down(frame)).equals(frame)).toBe(true);
  }
  await settle();
  expect(s.events).toEqual([]);
});

it('applies the broker\'s max_message_size to both directions and reports the CONNECTED', async () => {
  const s = createSession();
  await s.begin(connect);
  const connected = frameOf({ type: CommandType.CONNECTED, connected: { server_version: 'Pulsar 4', protocol_version: 21, max_message_size: 1000 } });
  expect((await s.down(connected)).equals(connected)).toBe(true);
  expect(s.events.at(-1)).toEqual({ event: 'pulsar.connected', id: 7, serverVersion: 'Pulsar 4', protocolVersion: 21, maxMessageSize: 1000 });
  // 1000 + 10,240 bytes of padding is the limit now, the default 5 MiB no more.
  const header = (totalSize: number) => Buffer.from([totalSize >>> 24, (totalSize >>> 16) & 0xff, (totalSize >>> 8) & 0xff, totalSize & 0xff, 0, 0, 0, 1]);
  expect(() => s.up(header(11_241))).toThrow(expect.objectContaining({ code: 'PULSAR_FRAME_TOO_LARGE' }));
  await expect(s.down(header(11_241))).rejects.toMatchObject({ code: 'PULSAR_FRAME_TOO_LARGE' });
  const fits = createSession();
  await fits.begin(connect);
  await fits.down(connected);
  expect(() => fits.up(header(11_240))).not.toThrow();
});

it('keeps the default limit when the broker announces none', async () => {
  for (const connected of [{ server_version: 'Pulsar 2' }, { server_version: 'Pulsar 2', max_message_size: 0 }]) {
    const s = createSession();
    await s.begin(connect);
    await s.down(frameOf({ type: CommandType.CONNECTED, connected }));
    expect(s.events.at(-1)).toStrictEqual({ event: 'pulsar.connected', id: 7, serverVersion: 'Pulsar 2', protocolVersion: 0, ...('max_message_size' in connected ? { maxMessageSize: 0 } : {}) });
    const header = Buffer.from([0, 0, 0x30, 0, 0, 0, 0, 1]);
    expect(() => s.up(header)).not.toThrow();
  }
});

it('reports the producers and consumers the client opens, and forwards them untouched', async () => {
  const s = await started();
  const producer = frameOf({ type: CommandType.PRODUCER, producer: { topic: 'persistent://t/n/p', producer_id: '1', request_id: '2' } });
  const subscribe = frameOf({ type: CommandType.SUBSCRIBE, subscribe: { topic: 'persistent://t/n/c', subscription: 'sub', subType: 0, consumer_id: '1', request_id: '3' } });
  expect(s.up(producer).equals(producer)).toBe(true);
  expect(s.up(subscribe).equals(subscribe)).toBe(true);
  expect(s.events).toEqual([
    { event: 'pulsar.producer', id: 7, topic: 'persistent://t/n/p' },
    { event: 'pulsar.consumer', id: 7, topic: 'persistent://t/n/c', subscription: 'sub' },
  ]);
});

it('remembers at most 10,000 outstanding lookups per connection', async () => {
  const s = await started();
  const lookups = Array.from({ length: 10_001 }, (_, index) => frameOf({ type: CommandType.LOOKUP, lookupTopic: { topic: `persistent://t/n/${index}`, request_id: String(index) } }));
  s.up(Buffer.concat(lookups));
  await s.down(frameOf({ type: CommandType.LOOKUP_RESPONSE, lookupTopicResponse: { request_id: '9999', response: LookupType.Connect } }));
  await s.down(frameOf({ type: CommandType.LOOKUP_RESPONSE, lookupTopicResponse: { request_id: '10000', response: LookupType.Connect } }));
  expect(s.events.map((event) => (event as { topic?: string }).topic)).toEqual(['persistent://t/n/9999', '?']);
});

it('opens no broker port for a Failed answer, even one that names a broker', async () => {
  const s = await started();
  const failed = frameOf({ type: CommandType.LOOKUP_RESPONSE, lookupTopicResponse: { request_id: '1', response: LookupType.Failed, error: 11, brokerServiceUrlTls: 'pulsar+ssl://b9.test:6651' } });
  expect((await s.down(failed)).equals(failed)).toBe(true);
  expect(s.registry.list(() => undefined)).toEqual([]);
  expect(s.events).toEqual([{ event: 'pulsar.lookup', id: 7, topic: '?', response: 'Failed', error: expect.objectContaining({ code: 'PULSAR_LOOKUP_FAILED' }) }]);
});
