/**
 * A running tunnel that the restarted engine could not bring back is "stopped" in the app's
 * status, with the engine's error as its last error, and Start starts it. It stayed "failing" with
 * its old listen address shown, though nothing listened, and Start did nothing to it (the message
 * said to stop it and start it again).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { AppService } from '../../../../src-main/core/service/appService.ts';
import { createRemoteTunnels, type RemoteTunnels } from '../../../../src-main/core/service/remoteTunnels.ts';
import { eventually } from '../../../fixtures/deadline.ts';
import { MemoryStore, sampleProfile } from './memoryStore.ts';
import { scriptedSpawner } from './scriptedEngine.ts';

let service: AppService | undefined;
let remote: RemoteTunnels | undefined;

afterEach(async () => {
  // The engine first: the scripted one never answers the service's stops.
  await remote?.dispose();
  await service?.dispose();
  service = undefined;
  remote = undefined;
});

describe('a tunnel the restarted engine cannot bring back, as the app shows it', () => {
  it('is stopped, with the reason as its last error, and Start starts it', async () => {
    const { spawn, engines } = scriptedSpawner();
    remote = createRemoteTunnels({ spawn });
    service = new AppService({ store: new MemoryStore(), startTunnel: remote.startTunnel });
    await service.saveProfile(sampleProfile('alpha'));
    engines[0]!.say({ type: 'ready' });
    const starting = service.startTunnel('alpha');
    await eventually(() => engines[0]!.starts().length === 1, { timeoutMs: 5_000, what: 'the start sent' });
    engines[0]!.started(1, 7001);
    await starting;

    engines[0]!.exit('killed by SIGKILL');
    await eventually(() => engines[1], { timeoutMs: 5_000, what: 'the engine restarted' });
    engines[1]!.say({ type: 'ready' });
    await eventually(() => engines[1]!.starts().includes(1), { timeoutMs: 5_000, what: 'the tunnel started again' });
    engines[1]!.say({ type: 'failed', id: 1, error: { code: 'TUNNEL_LISTEN_IN_USE', message: 'Local port 7001 is already in use.' } });

    const [status] = await service.tunnelStatus();
    expect(status).toMatchObject({ state: 'stopped', lastError: { code: 'TUNNEL_LISTEN_IN_USE' } });
    expect(status?.listen).toBeUndefined();
    const again = service.startTunnel('alpha');
    await eventually(() => engines[1]!.starts().length === 2, { timeoutMs: 5_000, what: 'a new start sent' });
    engines[1]!.started(engines[1]!.starts()[1]!, 7001);
    expect((await again).state).toBe('running');
  });
});
