/**
 * The live log through an engine restart. The connections open when the engine died are gone with
 * it: each is closed in the log, with ENGINE_CRASHED, instead of staying "open" for ever (the dead
 * engine never said they closed). The restarted engine numbers its connections from 1 again: they
 * are numbered on from the tunnel's earlier ones, so a new connection is not taken for an old one.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createRemoteTunnels, type RemoteTunnels } from '../../../../src-main/core/service/remoteTunnels.ts';
import { eventually } from '../../../fixtures/deadline.ts';
import { openedEvent, runningIn, scriptedSpawner } from './scriptedEngine.ts';

let remote: RemoteTunnels | undefined;

afterEach(async () => {
  await remote?.dispose();
  remote = undefined;
});


describe('connections through an engine restart', () => {
  it('are closed with ENGINE_CRASHED when the engine dies, and the next engine’s are numbered on', async () => {
    const { spawn, engines } = scriptedSpawner();
    remote = createRemoteTunnels({ spawn });
    const { events } = await runningIn(remote, engines[0]!, 'alpha', 7001);

    engines[0]!.event(openedEvent(1));
    engines[0]!.event(openedEvent(2));
    engines[0]!.event({ event: 'connection.progress', id: 1, bytesUp: 300, bytesDown: 4000 });
    engines[0]!.event({ event: 'connection.closed', id: 2, bytesUp: 1, bytesDown: 2, durationMs: 3 });
    engines[0]!.exit('killed by SIGKILL');

    const closedAtCrash = events.filter((event) => event.event === 'connection.closed' && event.id === 1);
    expect(closedAtCrash).toEqual([expect.objectContaining({ bytesUp: 300, bytesDown: 4000, error: expect.objectContaining({ code: 'ENGINE_CRASHED' }) })]);
    expect(events.filter((event) => event.event === 'connection.closed' && event.id === 2)).toHaveLength(1);

    await eventually(() => engines[1], { timeoutMs: 5_000, what: 'the engine restarted' });
    engines[1]!.say({ type: 'ready' });
    await eventually(() => engines[1]!.starts().includes(1), { timeoutMs: 5_000, what: 'the tunnel started again' });
    engines[1]!.started(1, 7001);
    engines[1]!.event(openedEvent(1));
    engines[1]!.event({ event: 'connection.closed', id: 1, bytesUp: 5, bytesDown: 6, durationMs: 7 });
    const afterRestart = events.slice(events.findIndex((event) => event.event === 'listener.error') + 1).filter((event) => 'id' in event);
    expect(afterRestart.map((event) => `${event.event}:${(event as { id: number }).id}`)).toEqual(['connection.opened:3', 'connection.closed:3']);
  });
});
