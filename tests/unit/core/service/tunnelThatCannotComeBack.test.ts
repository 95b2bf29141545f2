/**
 * A running tunnel that the restarted engine cannot bring back (its port was taken meanwhile, say)
 * says so: its error keeps the engine's code and words, and says that the tunnel is stopped since
 * the engine restarted, so the user knows to start it again rather than wait; its owner is told it
 * ended (the app then shows it stopped, see tunnelThatCannotComeBackIsStopped.test.ts).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { TunnelEvent } from '../../../../shared/model/events.ts';
import { createRemoteTunnels, type RemoteTunnels } from '../../../../src-main/core/service/remoteTunnels.ts';
import { eventually } from '../../../fixtures/deadline.ts';
import { sampleConfig, scriptedSpawner } from './scriptedEngine.ts';

let remote: RemoteTunnels | undefined;

afterEach(async () => {
  await remote?.dispose();
  remote = undefined;
});

describe('a tunnel the restarted engine cannot bring back', () => {
  it('says it is stopped since the restart, with the engine’s own error', async () => {
    const { spawn, engines } = scriptedSpawner();
    remote = createRemoteTunnels({ spawn });
    engines[0]!.say({ type: 'ready' });
    const events: TunnelEvent[] = [];
    const ends: unknown[] = [];
    const starting = remote.startTunnel(sampleConfig('alpha'), { onEvent: (event) => events.push(event), onEnded: (error) => ends.push(error) });
    await eventually(() => engines[0]!.starts().length === 1, { timeoutMs: 5_000, what: 'the start sent' });
    engines[0]!.started(1, 7001);
    await starting;

    engines[0]!.exit('killed by SIGKILL');
    await eventually(() => engines[1], { timeoutMs: 5_000, what: 'the engine restarted' });
    engines[1]!.say({ type: 'ready' });
    await eventually(() => engines[1]!.starts().includes(1), { timeoutMs: 5_000, what: 'the tunnel started again' });
    engines[1]!.say({ type: 'failed', id: 1, error: { code: 'TUNNEL_LISTEN_IN_USE', message: 'Local port 7001 is already in use.' } });

    const errors = events.flatMap((event) => (event.event === 'listener.error' ? [event.error] : []));
    expect(errors.map((error) => error.code)).toEqual(['ENGINE_CRASHED', 'TUNNEL_LISTEN_IN_USE']);
    expect(errors[1]!.message).toMatch(/could not come back after the engine restarted and is stopped: start it again/i);
    expect(errors[1]!.message).toContain('Local port 7001 is already in use.');
    expect(ends).toEqual([errors[1]]);
  });
});
