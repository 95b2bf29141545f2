/**
 * The shell pings its engine while it runs. An engine that stops answering after it said it was
 * ready (its event loop hung) is ended and replaced as after a crash, its tunnels told the truth
 * and brought back; before, its tunnels showed running and carried nothing, unnoticed. An engine
 * that answers stays, and so does one whose answers the shell could not read for a while because
 * its own event loop was busy.
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

const timings = { pingIntervalMs: 50, pingTimeoutMs: 300 };

async function runningTunnel(answersPings: boolean) {
  const { spawn, engines } = scriptedSpawner();
  remote = createRemoteTunnels({ spawn, ...timings });
  engines[0]!.answersPings = answersPings;
  engines[0]!.say({ type: 'ready' });
  const events: TunnelEvent[] = [];
  const starting = remote.startTunnel(sampleConfig('alpha'), { onEvent: (event) => events.push(event) });
  const [id] = await eventually(() => engines[0]!.starts().length > 0 && engines[0]!.starts(), { timeoutMs: 5_000, what: 'the start sent' });
  engines[0]!.started(id!, 7001);
  await starting;
  return { engines, events, id: id! };
}

describe('an engine that stops answering', () => {
  it('is ended, its tunnel told why and brought back in the next engine', async () => {
    const { engines, events, id } = await runningTunnel(false);
    await eventually(() => engines[0]!.exited, { timeoutMs: 5_000, what: 'the silent engine ended' });
    expect(events).toContainEqual(
      expect.objectContaining({ event: 'listener.error', error: { code: 'ENGINE_CRASHED', message: expect.stringMatching(/^The tunnel engine did not answer for 0\.3 s and was ended; it is being restarted/) } }),
    );
    const next = await eventually(() => engines[1], { timeoutMs: 5_000, what: 'a new engine' });
    next.say({ type: 'ready' });
    await eventually(() => next.starts().includes(id), { timeoutMs: 5_000, what: 'the tunnel started again' });
  });

  it('is not ended while it answers', async () => {
    const { engines } = await runningTunnel(true);
    // Ten pings span more than the time it may stay silent.
    await eventually(() => engines[0]!.pings() >= 10, { timeoutMs: 5_000, what: 'ten pings' });
    expect(engines[0]!.exited).toBeUndefined();
    expect(engines).toHaveLength(1);
  });

  it('is not ended for answers the shell could not read while its own event loop was busy', async () => {
    const { engines } = await runningTunnel(true);
    await eventually(() => engines[0]!.pings() >= 2, { timeoutMs: 5_000, what: 'two pings' });
    // The shell's event loop busy for twice the allowance: no timer runs, no answer is read.
    const busyUntil = Date.now() + 2 * timings.pingTimeoutMs;
    while (Date.now() < busyUntil);
    const seen = engines[0]!.pings();
    await eventually(() => engines[0]!.pings() >= seen + 3, { timeoutMs: 5_000, what: 'three more pings' });
    expect(engines[0]!.exited).toBeUndefined();
  });
});
