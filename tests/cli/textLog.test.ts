import { expect, it } from 'vitest';
import { formatEventText } from '../../src-main/cli/output.ts';
import type { TunnelEvent } from '../../shared/model/events.ts';

it('prints one readable line per event in text mode, and nothing for progress ticks', () => {
  const events: TunnelEvent[] = [
    { event: 'ready', listen: { pulsar: '127.0.0.1:6650', http: '127.0.0.1:8080' } },
    { event: 'connection.opened', id: 1, time: '', profile: 'p', listener: 'pulsar', local: '127.0.0.1:5000', sni: 'b1.test', proxy: 'ats:443' },
    { event: 'pulsar.lookup', id: 1, topic: 'persistent://t/n/x', response: 'Connect', broker: 'b1.test:6651', local: '127.0.0.1:41000' },
    { event: 'connection.closed', id: 1, bytesUp: 2048, bytesDown: 10, durationMs: 5, error: { code: 'PROXY_NO_ROUTE', message: 'no route' } },
  ];
  const lines = events.map(formatEventText);
  expect(lines[0]).toMatch(/ready: pulsar:\/\/127\.0\.0\.1:6650, http:\/\/127\.0\.0\.1:8080$/);
  expect(lines[1]).toMatch(/#1 opened from 127\.0\.0\.1:5000 to b1\.test via ats:443$/);
  expect(lines[2]).toMatch(/lookup persistent:\/\/t\/n\/x: Connect b1\.test:6651, served locally on 127\.0\.0\.1:41000$/);
  expect(lines[3]).toMatch(/#1 failed after 5 ms: PROXY_NO_ROUTE: no route$/);
  expect(formatEventText({ event: 'connection.progress', id: 1, bytesUp: 1, bytesDown: 1 })).toBeUndefined();
});
