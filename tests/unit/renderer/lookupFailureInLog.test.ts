// @vitest-environment happy-dom
/**
 * A lookup the broker answered with Failed shows in the log view as an error with its code and the
 * broker's reason. The event is the one the engine emits (tests/unit/core/routing/lookupFailure.test.ts
 * holds the engine to the same builder).
 */
import { expect, it } from 'vitest';
import type { LogEvent } from '../../../shared/ipc/contract.ts';
import { ConnectionLog } from '../../../src-renderer/lib/state/connectionLog.svelte.ts';
import { batch, failedLookup, opened } from './events.ts';

function applied(events: LogEvent[]) {
  let apply: () => void = () => undefined;
  const log = new ConnectionLog({ schedule: (run) => (apply = run), now: () => 0 });
  log.receive(batch(events));
  apply();
  return log.visible;
}

it('shows a failed lookup as an error with a code and the broker\'s reason', () => {
  const [row] = applied([opened(1), failedLookup(1, 'persistent://t/n/bad topic', 'Invalid topic name: bad topic')]);
  expect(row?.error).toEqual({ code: 'PULSAR_LOOKUP_FAILED', message: 'The broker could not look up persistent://t/n/bad topic: Invalid topic name: bad topic.' });
});

it('keeps the failed lookup\'s error when the connection then closes without one', () => {
  const [row] = applied([opened(1), failedLookup(1, 'persistent://t/n/x', 'ServerError 11'), { event: 'connection.closed', id: 1, profile: 'prod', seq: 999, bytesUp: 10, bytesDown: 20, durationMs: 5 }]);
  expect(row?.error?.code).toBe('PULSAR_LOOKUP_FAILED');
});
