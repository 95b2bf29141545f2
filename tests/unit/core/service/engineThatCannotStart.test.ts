/**
 * An engine process that dies before it is ready, again and again (a missing or broken build):
 * after three in a row no more are started on their own, and a start fails with ENGINE_CRASHED
 * saying the engine could not start and what to do, instead of waiting for ever.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createRemoteTunnels, type RemoteTunnels } from '../../../../src-main/core/service/remoteTunnels.ts';
import { eventually, withDeadline } from '../../../fixtures/deadline.ts';
import { type ScriptedEngine, scriptedSpawner, startFailure } from './scriptedEngine.ts';

let remote: RemoteTunnels | undefined;

afterEach(async () => {
  await remote?.dispose();
  remote = undefined;
});

/** A spawn whose engines all exit with code 1 as soon as they are made. */
function failingSpawner() {
  const scripted = scriptedSpawner();
  return {
    engines: scripted.engines,
    spawn: () => {
      const engine = scripted.spawn() as ScriptedEngine;
      queueMicrotask(() => engine.exit('exit code 1'));
      return engine;
    },
  };
}

describe('an engine that cannot start', () => {
  it('fails a start after three engines in a row died before they were ready, saying why', async () => {
    const { spawn, engines } = failingSpawner();
    remote = createRemoteTunnels({ spawn, buildCommand: 'npm run build:cli' });
    const error = await startFailure(remote, 'alpha');
    expect(error?.code).toBe('ENGINE_CRASHED');
    expect(error?.message).toMatch(/could not start: it stopped \(exit code 1\) before it was ready, 3 times in a row/);
    expect(error?.message).toContain('build it again (npm run build:cli)');
    // The engine started with the app, and three more for this start.
    expect(engines.length).toBeGreaterThanOrEqual(3);
    expect(engines.length).toBeLessThanOrEqual(6);
  });

  it('starts no more engines on its own once it gave up, and tries again when asked', async () => {
    const { spawn, engines } = failingSpawner();
    remote = createRemoteTunnels({ spawn });
    await eventually(() => engines.length === 3 || undefined, { timeoutMs: 5_000, what: 'three engines to die' });
    const settled = await withDeadline(remote.whenReady().then(() => 'ready', () => 'failed'), 10_000, 'whenReady to settle');
    expect(settled).toBe('failed');
    expect(engines.length).toBe(6);
  });

  it('counts only engines in a row: one that became ready starts the count over', async () => {
    const { spawn, engines } = scriptedSpawner();
    remote = createRemoteTunnels({ spawn });
    engines[0]!.exit('exit code 1');
    await eventually(() => engines[1], { timeoutMs: 5_000, what: 'a second engine' });
    engines[1]!.exit('exit code 1');
    await eventually(() => engines[2], { timeoutMs: 5_000, what: 'a third engine' });
    engines[2]!.say({ type: 'ready' });
    engines[2]!.exit('killed by SIGKILL');
    await eventually(() => engines[3], { timeoutMs: 5_000, what: 'a fourth engine' });
    engines[3]!.exit('exit code 1');
    await eventually(() => engines[4], { timeoutMs: 5_000, what: 'a fifth engine, not a give-up' });
    engines[4]!.say({ type: 'ready' });
    await withDeadline(remote.whenReady(), 5_000, 'the engine to be ready');
  });
});
