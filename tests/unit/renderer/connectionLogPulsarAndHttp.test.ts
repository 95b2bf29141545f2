// @vitest-environment happy-dom
import { expect, it } from 'vitest';
import type { LogEvent } from '../../../shared/ipc/contract.ts';
import { ConnectionLog } from '../../../src-renderer/lib/state/connectionLog.svelte.ts';
import { batch, opened } from './events.ts';

function applied(events: LogEvent[]) {
  let apply: () => void = () => undefined;
  const log = new ConnectionLog({ schedule: (run) => (apply = run), now: () => 0 });
  log.receive(batch(events));
  apply();
  return log.visible;
}

it('shows the broker a connection is bound to, not the brokers its lookups named', () => {
  const [row] = applied([
    opened(1),
    { event: 'pulsar.connect', id: 1, profile: 'prod', seq: 10, clientVersion: 'Pulsar-Java-v3', protocolVersion: 21, authMethod: 'token', authInjected: true, broker: 'svc.test:6651' },
    { event: 'pulsar.lookup', id: 1, profile: 'prod', seq: 11, topic: 't', response: 'Connect', broker: 'broker-2.test:6651', local: '127.0.0.1:41000' },
  ]);
  expect(row).toMatchObject({ broker: 'svc.test:6651', client: 'Pulsar-Java-v3', authMethod: 'token' });
  expect(row!.error).toBeUndefined();
});

it('shows the latest HTTP request of a web-listener connection and its error', () => {
  const [row] = applied([
    opened(2),
    {
      event: 'http.request', id: 2, profile: 'prod', seq: 12, method: 'GET', path: '/admin/v2/clusters', status: 502, broker: 'web.test:8443', durationMs: 4, redirectsFollowed: 0,
      error: { code: 'PROXY_NO_ROUTE', message: 'no route' },
    },
  ]);
  expect(row).toMatchObject({ client: 'GET /admin/v2/clusters → 502', broker: 'web.test:8443', error: { code: 'PROXY_NO_ROUTE' } });
});
