// @vitest-environment happy-dom
// A reloaded page gets the engine's recent history replayed. Rows must come back in time order even
// when the history no longer holds the opened event of the oldest connections, and rows the user
// cleared must stay cleared.
import { describe, expect, it } from 'vitest';
import type { LogEvent } from '../../../shared/ipc/contract.ts';
import { ConnectionLog } from '../../../src-renderer/lib/state/connectionLog.svelte.ts';
import { batch, opened, secured } from './events.ts';
import { memoryStorage } from './renderApp.ts';

const progress = (id: number, seq: number): LogEvent => ({ event: 'connection.progress', id, profile: 'prod', seq, bytesUp: 10 * id, bytesDown: 100 * id });

/** A log that applies batches at once, as a page would. */
function pageLog(storage = memoryStorage(), now = Date.parse('2026-11-27T01:00:00.000Z')) {
  let apply: () => void = () => undefined;
  const log = new ConnectionLog({ schedule: (run) => (apply = run), now: () => now, storage });
  return { log, storage, replay: (events: LogEvent[]) => (log.receive(batch(events)), apply()) };
}

describe('the log after a reload', () => {
  it('keeps time order when the history starts after the oldest connections opened', () => {
    const { log, replay } = pageLog();
    // History as the engine replays it: connections 1 and 2 opened before its first event.
    replay([progress(1, 500), opened(3, 'prod', 'broker-1.test', '2026-11-27T00:59:00.000Z'), secured(3), progress(2, 503), opened(4, 'prod', 'broker-1.test', '2026-11-27T00:59:30.000Z')]);
    expect(log.visible.map((row) => row.id)).toEqual([4, 3, 2, 1]);
    // Their start is unknown rather than "now", which would have put them on top.
    expect(log.visible.slice(2).map((row) => row.time)).toEqual(['', '']);
    expect(log.visible.find((row) => row.id === 1)).toMatchObject({ bytesUp: 10, bytesDown: 100 });
  });

  it('does not bring back rows the user cleared, and shows what happened after the clear', () => {
    const storage = memoryStorage();
    const first = pageLog(storage);
    const history: LogEvent[] = [{ ...opened(1), seq: 10 }, { ...secured(1), seq: 11 }, { ...opened(2), seq: 12 }];
    first.replay(history);
    expect(first.log.rows).toHaveLength(2);
    first.log.clear();
    // Reload: a new page, the same session storage, the same history plus one new event.
    const second = pageLog(storage);
    second.replay([...history, { ...opened(3), seq: 13 }]);
    expect(second.log.rows.map((row) => row.id)).toEqual([3]);
  });

  it('forgets the clear mark when the engine restarted and counts events from 1 again', () => {
    const storage = memoryStorage();
    const before = pageLog(storage, Date.parse('2026-11-27T01:00:00.000Z'));
    before.replay([{ ...opened(1), seq: 900 }]);
    before.log.clear();
    const after = pageLog(storage, Date.parse('2026-11-27T02:00:00.000Z'));
    after.replay([{ ...opened(1, 'prod', 'broker-1.test', '2026-11-27T01:30:00.000Z'), seq: 1 }, { ...secured(1), seq: 2 }]);
    expect(after.log.rows.map((row) => `${row.id}:${row.state}`)).toEqual(['1:open']);
  });
});
