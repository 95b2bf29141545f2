/**
 * Node may report a child's exit before the last messages it sent over the channel are read. Once
 * the shell has handled an engine's exit (its connections closed in the log, its starts sent to
 * the next engine), what that engine still says is void: a late "connection closed" was passed on
 * renumbered as one of the next engine's connections, closed before it ever opened.
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


describe('messages of an engine read after its exit', () => {
  it('are dropped: the exit already said what became of its tunnels and connections', async () => {
    const { spawn, engines } = scriptedSpawner();
    remote = createRemoteTunnels({ spawn });
    const { events } = await runningIn(remote, engines[0]!, 'alpha', 7001);
    engines[0]!.event(openedEvent(1));

    engines[0]!.exit('killed by SIGKILL');
    const handled = events.length;
    engines[0]!.event({ event: 'connection.closed', id: 1, bytesUp: 1, bytesDown: 2, durationMs: 3 });
    engines[0]!.say({ type: 'stopped', id: 1 });

    expect(events.slice(handled)).toEqual([]);
    expect(events.filter((event) => event.event === 'connection.closed')).toEqual([expect.objectContaining({ id: 1, error: expect.objectContaining({ code: 'ENGINE_CRASHED' }) })]);
    // The tunnel is still the shell's to bring back.
    await eventually(() => engines[1], { timeoutMs: 5_000, what: 'the engine restarted' });
    engines[1]!.say({ type: 'ready' });
    await eventually(() => engines[1]!.starts().includes(1), { timeoutMs: 5_000, what: 'the tunnel started again' });
  });
});
