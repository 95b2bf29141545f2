/**
 * Once the engine could not start (three in a row died before they were ready), each start the
 * user makes tries three more engines, and is answered as quickly as the first time: the back-off
 * starts over at 0.2 s for each such round instead of going on doubling up to 10 s between
 * engines. Starts made together share one round: five profiles started at once (autoStart) try
 * three engines, not fifteen one round after another.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createRemoteTunnels, type RemoteTunnels } from '../../../../src-main/core/service/remoteTunnels.ts';
import { eventually, withDeadline } from '../../../fixtures/deadline.ts';
import { sampleConfig, scriptedSpawner, type ScriptedEngine } from './scriptedEngine.ts';

let remote: RemoteTunnels | undefined;

afterEach(async () => {
  await remote?.dispose();
  remote = undefined;
});

/** A spawn whose engines all exit with code 1 as soon as they are made, from the `firstFailing`-th on. */
function failingSpawner(firstFailing = 0) {
  const scripted = scriptedSpawner();
  return {
    engines: scripted.engines,
    spawn: () => {
      const engine = scripted.spawn() as ScriptedEngine;
      if (scripted.engines.length > firstFailing) queueMicrotask(() => engine.exit('exit code 1'));
      return engine;
    },
  };
}

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error as { code?: string },
  );

describe('starts after the engine could not start', () => {
  it('each fail as quickly as the first: the back-off starts over for each round', async () => {
    // An engine that ran, then died, and whose replacements all die before they are ready (its build broke meanwhile).
    const { spawn, engines } = failingSpawner(1);
    remote = createRemoteTunnels({ spawn });
    engines[0]!.say({ type: 'ready' });
    engines[0]!.exit('killed by SIGKILL');
    // Restarted after 0.2, 0.4 and 0.8 s.
    await eventually(() => engines.length === 4 || undefined, { timeoutMs: 5_000, what: 'three replacements to die' });
    // Each start's round: with the back-off going on doubling, the first would wait 1.6 + 3.2 s, the next 6.4 + 10 s.
    for (const round of [1, 2]) {
      const error = await withDeadline(failure(remote.startTunnel(sampleConfig('alpha'), { onEvent: () => undefined })), 3_000, `start ${round} to fail`);
      expect(error?.code).toBe('ENGINE_CRASHED');
    }
    expect(engines).toHaveLength(10);
  });

  it('share one round when they are made together', async () => {
    const { spawn, engines } = failingSpawner();
    remote = createRemoteTunnels({ spawn });
    await eventually(() => engines.length === 3 || undefined, { timeoutMs: 5_000, what: 'the first three engines to die' });
    const starts = ['a', 'b', 'c', 'd', 'e'].map((name) => failure(remote!.startTunnel(sampleConfig(name), { onEvent: () => undefined })));
    const errors = await withDeadline(Promise.all(starts), 5_000, 'the five starts to fail');
    expect(errors.map((error) => error?.code)).toEqual(Array(5).fill('ENGINE_CRASHED'));
    expect(engines).toHaveLength(6);
  });
});
