/**
 * A tunnel the user stops while its engine process is down (dead, waiting to be restarted, or a
 * new one not ready yet) is stopped: the stop returns at once (there is nothing running to stop),
 * and the next engine does not start it again behind the user's back, on a port the user believes
 * free. A stop that meets the restarted engine's failed attempt to bring the tunnel back returns at
 * once too, instead of waiting out the stop timeout.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createRemoteTunnels, type RemoteTunnels } from '../../../../src-main/core/service/remoteTunnels.ts';
import { eventually, withDeadline } from '../../../fixtures/deadline.ts';
import { sampleConfig, scriptedSpawner } from './scriptedEngine.ts';

let remote: RemoteTunnels | undefined;

afterEach(async () => {
  await remote?.dispose();
  remote = undefined;
});

const noEvents = { onEvent: () => undefined };
/** Well under the 10 s stop timeout: a stop that waits for it fails the deadline. */
const promptly = 3_000;

async function runningTunnel() {
  const { spawn, engines } = scriptedSpawner();
  const created = createRemoteTunnels({ spawn });
  remote = created;
  engines[0]!.say({ type: 'ready' });
  const starting = created.startTunnel(sampleConfig('alpha'), noEvents);
  const [id] = await eventually(() => engines[0]!.starts().length > 0 && engines[0]!.starts(), { timeoutMs: 5_000, what: 'the start sent' });
  engines[0]!.started(id!, 7001);
  return { remote: created, engines, id: id!, tunnel: await starting };
}

describe('a tunnel stopped while its engine is down', () => {
  it('stops at once', async () => {
    const { engines, tunnel } = await runningTunnel();
    engines[0]!.exit('killed by SIGKILL');
    await withDeadline(tunnel.dispose(), promptly, 'the stop while the engine is down');
  });

  it('is not started again by the restarted engine', async () => {
    const { remote: tunnels, engines, id, tunnel } = await runningTunnel();
    engines[0]!.exit('killed by SIGKILL');
    // Not awaited here: this test is about what the next engine is sent, not how long the stop takes.
    const stopping = tunnel.dispose();

    await eventually(() => engines[1], { timeoutMs: 5_000, what: 'the engine restarted' });
    engines[1]!.say({ type: 'ready' });
    // A start after the restart is sent after whatever the restart sent (its tunnels' starts).
    const other = tunnels.startTunnel(sampleConfig('beta'), noEvents);
    const [otherId] = await eventually(() => engines[1]!.starts().length > 0 && engines[1]!.starts().filter((sent) => sent !== id), { timeoutMs: 5_000, what: 'the second start sent' });
    engines[1]!.started(otherId!, 7002);
    await other;
    expect(engines[1]!.starts()).toEqual([otherId]);
    await withDeadline(stopping, 15_000, 'the stop');
  });

  it('stops at once when the stop reaches a restarted engine that is not ready yet', async () => {
    const { remote: tunnels, engines, id, tunnel } = await runningTunnel();
    engines[0]!.exit('killed by SIGKILL');
    await eventually(() => engines[1], { timeoutMs: 5_000, what: 'the engine restarted' });

    await withDeadline(tunnel.dispose(), promptly, 'the stop while the new engine starts');

    engines[1]!.say({ type: 'ready' });
    const other = tunnels.startTunnel(sampleConfig('beta'), noEvents);
    await eventually(() => engines[1]!.starts().some((sent) => sent !== id), { timeoutMs: 5_000, what: 'the second start sent' });
    expect(engines[1]!.starts()).not.toContain(id);
    engines[1]!.started(engines[1]!.starts().at(-1)!, 7002);
    await other;
  });

  it('stops at once when the restarted engine could not bring the tunnel back', async () => {
    const { engines, id, tunnel } = await runningTunnel();
    engines[0]!.exit('killed by SIGKILL');
    await eventually(() => engines[1], { timeoutMs: 5_000, what: 'the engine restarted' });
    engines[1]!.say({ type: 'ready' });
    await eventually(() => engines[1]!.starts().includes(id), { timeoutMs: 5_000, what: 'the tunnel started again' });

    const stopping = tunnel.dispose();
    await eventually(() => engines[1]!.sent.some((message) => message.type === 'stop' && message.id === id), { timeoutMs: 5_000, what: 'the stop sent' });
    // What the engine answers when the stop waited on a start that failed (tunnelHost.ts).
    engines[1]!.say({ type: 'failed', id, error: { code: 'TUNNEL_LISTEN_IN_USE', message: 'Local port 7001 is in use.' } });
    engines[1]!.say({ type: 'stopped', id });
    await withDeadline(stopping, promptly, 'the stop');
  });
});
