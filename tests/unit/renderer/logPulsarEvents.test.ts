// @vitest-environment happy-dom
// The log shows what Pulsar clients do through a connection: producers and consumers with their
// topics (searchable), and the latest lookup answer per topic (topic → broker → local port).
import { describe, expect, it } from 'vitest';
import type { LogEvent } from '../../../shared/ipc/contract.ts';
import { ConnectionLog } from '../../../src-renderer/lib/state/connectionLog.svelte.ts';
import { batch, opened } from './events.ts';

function applied(events: LogEvent[]) {
  let apply: () => void = () => undefined;
  const log = new ConnectionLog({ schedule: (run) => (apply = run), now: () => Date.parse('2026-11-27T01:00:00.000Z') });
  log.receive(batch(events));
  apply();
  return log;
}

const topic = (name: string) => `persistent://public/default/${name}`;

describe('Pulsar events in the log', () => {
  it('lists the producers and consumers of each connection and finds the connection by topic', () => {
    const log = applied([
      opened(1), opened(2),
      { event: 'pulsar.producer', id: 1, profile: 'prod', seq: 20, topic: topic('orders') },
      { event: 'pulsar.producer', id: 1, profile: 'prod', seq: 21, topic: topic('orders') },
      { event: 'pulsar.consumer', id: 2, profile: 'prod', seq: 22, topic: topic('payments'), subscription: 'billing' },
    ]);
    expect(log.rows.find((row) => row.id === 1)?.producers).toEqual([topic('orders')]);
    expect(log.rows.find((row) => row.id === 2)?.consumers).toEqual([`${topic('payments')} (billing)`]);
    log.setFilter({ text: 'payments' });
    expect(log.visible.map((row) => row.id)).toEqual([2]);
    log.setFilter({ text: 'ORDERS' });
    expect(log.visible.map((row) => row.id)).toEqual([1]);
  });

  it('keeps the latest lookup answer per topic, newest first, without changing the connection broker', () => {
    const log = applied([
      opened(1),
      { event: 'pulsar.lookup', id: 1, profile: 'prod', seq: 30, topic: topic('a'), response: 'Redirect', broker: 'broker-1.test:6651', local: '127.0.0.1:41001' },
      { event: 'pulsar.lookup', id: 1, profile: 'prod', seq: 31, topic: topic('b'), response: 'Connect', broker: 'broker-2.test:6651', local: '127.0.0.1:41002' },
      { event: 'pulsar.lookup', id: 1, profile: 'prod', seq: 32, topic: topic('a'), response: 'Connect', broker: 'broker-3.test:6651', local: '127.0.0.1:41003' },
      { event: 'pulsar.lookup', id: 1, profile: 'prod', seq: 33, topic: topic('c'), response: 'Failed', error: { code: 'PULSAR_LOOKUP_FAILED', message: 'TopicNotFound' } },
    ]);
    expect(log.lookups.map((lookup) => `${lookup.topic.split('/').pop()}→${lookup.broker ?? lookup.error}→${lookup.local ?? ''}`)).toEqual([
      'c→TopicNotFound→',
      'a→broker-3.test:6651→127.0.0.1:41003',
      'b→broker-2.test:6651→127.0.0.1:41002',
    ]);
    expect(log.rows[0]?.broker).toBeUndefined();
    expect(log.rows[0]?.error).toEqual({ code: 'PULSAR_LOOKUP_FAILED', message: 'TopicNotFound' });
    expect(log.brokers).toContain('broker-3.test:6651');
  });
});
