/**
 * A lookup the broker answers with Failed is reported as `pulsar.lookup` with an error object
 * (code PULSAR_LOOKUP_FAILED and the broker's reason), like every other event's error, so the UI's
 * log shows it (tests/unit/renderer/lookupFailureInLog.test.ts feeds the same event to the log view).
 * The frames come from the test-side encoder, not the engine's.
 */
import type net from 'node:net';
import { expect, it } from 'vitest';
import type { TunnelEvent } from '../../../../shared/model/events.ts';
import { BrokerRegistry } from '../../../../src-main/core/routing/brokerRegistry.ts';
import { PulsarSession } from '../../../../src-main/core/routing/pulsarSession.ts';
import type { TunnelConfig } from '../../../../src-main/core/config/tunnelConfig.ts';
import { CommandType, encodeSimpleFrame, LookupType, ServerError } from '../../../fixtures/pulsarCluster/protocol.ts';
import { failedLookup } from '../../renderer/events.ts';

const config = { name: 'prod', service: { host: 'svc.test', port: 6651 }, auth: { kind: 'none' }, keepAliveIntervalSeconds: 0, connectionTimeoutMs: 1000 } as unknown as TunnelConfig;

/** The `pulsar.lookup` event of a connection whose client looks up `topic` and the broker answers `answer`. */
function lookupEvent(topic: string, answer: Record<string, unknown>): TunnelEvent | undefined {
  const events: TunnelEvent[] = [];
  const registry = new BrokerRegistry({
    openListener: () => Promise.reject(new Error('a failed lookup opens no broker port')) as Promise<net.Server>,
  });
  const session = new PulsarSession({ id: 1, config, registry, counters: { bytesUp: 0, bytesDown: 0 }, emit: (event) => events.push(event) });
  const ignore = () => undefined;
  session.up.push(encodeSimpleFrame({ type: CommandType.CONNECT, connect: { client_version: 'Pulsar-Java-v3', protocol_version: 21 } }), ignore);
  session.up.push(encodeSimpleFrame({ type: CommandType.LOOKUP, lookupTopic: { topic, request_id: '7' } }), ignore);
  session.down.push(encodeSimpleFrame({ type: CommandType.LOOKUP_RESPONSE, lookupTopicResponse: { request_id: '7', ...answer } }), ignore);
  session.dispose();
  return events.find((event) => event.event === 'pulsar.lookup');
}

/** The builder the renderer test uses, without the stamp the app service adds. */
function engineForm(event: ReturnType<typeof failedLookup>): unknown {
  const { profile: _profile, seq: _seq, ...rest } = event;
  return rest;
}

it('reports a Failed lookup with PULSAR_LOOKUP_FAILED and the broker\'s message', () => {
  const topic = 'persistent://t/n/bad topic';
  const event = lookupEvent(topic, { response: LookupType.Failed, error: ServerError.InvalidTopicName, message: 'Invalid topic name: bad topic' });
  expect(event).toEqual(engineForm(failedLookup(1, topic, 'Invalid topic name: bad topic')));
});

it('names the broker\'s ServerError when a Failed lookup carries no message', () => {
  const topic = 'persistent://t/n/x';
  const event = lookupEvent(topic, { response: LookupType.Failed, error: ServerError.TopicNotFound });
  expect(event).toEqual(engineForm(failedLookup(1, topic, `ServerError ${ServerError.TopicNotFound}`)));
});

it('reports a lookup that names a broker with its local port and no error', async () => {
  const events: TunnelEvent[] = [];
  const registry = new BrokerRegistry({
    openListener: async () => ({ address: () => ({ address: '127.0.0.1', family: 'IPv4', port: 41000 }) }) as unknown as net.Server,
  });
  const session = new PulsarSession({ id: 1, config, registry, counters: { bytesUp: 0, bytesDown: 0 }, emit: (event) => events.push(event) });
  const ignore = () => undefined;
  session.up.push(encodeSimpleFrame({ type: CommandType.CONNECT, connect: { client_version: 'Pulsar-Java-v3', protocol_version: 21 } }), ignore);
  session.up.push(encodeSimpleFrame({ type: CommandType.LOOKUP, lookupTopic: { topic: 'persistent://t/n/ok', request_id: '8' } }), ignore);
  const answer = { request_id: '8', response: LookupType.Connect, brokerServiceUrl: 'pulsar://b1.test:6650', brokerServiceUrlTls: 'pulsar+ssl://b1.test:6651' };
  session.down.push(encodeSimpleFrame({ type: CommandType.LOOKUP_RESPONSE, lookupTopicResponse: answer }), ignore);
  await session.down.pending?.();
  session.dispose();
  expect(events.find((event) => event.event === 'pulsar.lookup')).toEqual({ event: 'pulsar.lookup', id: 1, topic: 'persistent://t/n/ok', response: 'Connect', broker: 'b1.test:6651', local: '127.0.0.1:41000' });
});
