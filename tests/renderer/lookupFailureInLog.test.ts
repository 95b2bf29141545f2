// @vitest-environment happy-dom
/**
 * A lookup the broker answers with Failed reaches the log view as an error with a code: the engine's
 * Pulsar session reads the real frames (encoded by the test-side schema), its event is stamped as the
 * app service stamps it, and the renderer's log state shows the code and the broker's reason.
 */
import type net from 'node:net';
import { expect, it } from 'vitest';
import type { LogEvent } from '../../shared/ipc/contract.ts';
import type { TunnelEvent } from '../../shared/model/events.ts';
import { BrokerRegistry } from '../../src-main/core/routing/brokerRegistry.ts';
import { PulsarSession } from '../../src-main/core/routing/pulsarSession.ts';
import type { TunnelConfig } from '../../src-main/core/tunnel/config.ts';
import { ConnectionLog } from '../../src-renderer/lib/state/connectionLog.svelte.ts';
import { CommandType, encodeSimpleFrame, LookupType, ServerError } from '../fixtures/pulsarCluster/protocol.ts';
import { batch, opened } from './events.ts';

const config = { name: 'prod', service: { host: 'svc.test', port: 6651 }, auth: { kind: 'none' }, keepAliveIntervalSeconds: 0, connectionTimeoutMs: 1000 } as unknown as TunnelConfig;

/** What the engine emits for one connection whose client looks up `topic` and the broker answers `answer`. */
function sessionEvents(topic: string, answer: Record<string, unknown>): TunnelEvent[] {
  const events: TunnelEvent[] = [];
  const registry = new BrokerRegistry({
    defaultTlsPort: 6651,
    openListener: () => Promise.reject(new Error('a failed lookup opens no broker port')) as Promise<net.Server>,
  });
  const session = new PulsarSession({ id: 1, config, registry, counters: { bytesUp: 0, bytesDown: 0 }, emit: (event) => events.push(event) });
  const ignore = () => undefined;
  session.up.push(encodeSimpleFrame({ type: CommandType.CONNECT, connect: { client_version: 'Pulsar-Java-v3', protocol_version: 21 } }), ignore);
  session.up.push(encodeSimpleFrame({ type: CommandType.LOOKUP, lookupTopic: { topic, request_id: '7' } }), ignore);
  session.down.push(encodeSimpleFrame({ type: CommandType.LOOKUP_RESPONSE, lookupTopicResponse: { request_id: '7', ...answer } }), ignore);
  session.dispose();
  return events;
}

function logRowsFor(events: TunnelEvent[]) {
  let seq = 100;
  const stamped = events.map((event) => ({ ...event, profile: 'prod', seq: ++seq }) as LogEvent);
  let apply: () => void = () => undefined;
  const log = new ConnectionLog({ schedule: (run) => (apply = run), now: () => 0 });
  log.receive(batch([opened(1), ...stamped]));
  apply();
  return log.visible;
}

it('shows a failed lookup as an error with a code and the broker\'s reason', () => {
  const events = sessionEvents('persistent://t/n/bad topic', { response: LookupType.Failed, error: ServerError.InvalidTopicName, message: 'Invalid topic name: bad topic' });
  const lookup = events.find((event) => event.event === 'pulsar.lookup');
  expect(lookup).toMatchObject({ response: 'Failed', topic: 'persistent://t/n/bad topic', error: { code: 'PULSAR_LOOKUP_FAILED' } });
  const [row] = logRowsFor(events);
  expect(row?.error?.code).toBe('PULSAR_LOOKUP_FAILED');
  expect(row?.error?.message).toContain('Invalid topic name: bad topic');
});

it('names the broker\'s error when a failed lookup carries no message', () => {
  const [row] = logRowsFor(sessionEvents('persistent://t/n/x', { response: LookupType.Failed, error: ServerError.TopicNotFound }));
  expect(row?.error?.code).toBe('PULSAR_LOOKUP_FAILED');
  expect(row?.error?.message).toMatch(/persistent:\/\/t\/n\/x/);
  expect(row?.error?.message).toMatch(/\b11\b|TopicNotFound/);
});
