/**
 * A real engine process (the CLI's `engine` command, forked as `pulsar-tunnel ui` forks it) whose
 * event loop stops after it said it was ready (here it is stopped with SIGSTOP) is found by the
 * shell's pings, ended, and replaced: its tunnel says why and comes back running on the same port.
 * Before, its tunnel showed running and carried nothing, for as long as the engine stayed stuck.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAppService, type OwnedAppService } from '../../src-main/core/service/createAppService.ts';
import { forkEngine } from '../../src-main/host/engineProcess.ts';
import { cliEntry } from '../fixtures/cliProcess.ts';
import { eventually } from '../fixtures/deadline.ts';
import { enginePids } from './fixtures/enginePids.ts';

let home: string;
let app: OwnedAppService | undefined;
let stopped: number | undefined;

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'pt-engine-silent-'));
});

afterAll(async () => {
  // Left stopped only if the shell never ended it: let it go.
  if (stopped !== undefined && alive(stopped)) process.kill(stopped, 'SIGKILL');
  await app?.dispose();
  if (home) await rm(home, { recursive: true, force: true });
});

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('an engine process that stops answering', () => {
  it('is ended and replaced, and its tunnel comes back on the same port', async () => {
    app = await createAppService({ dataDir: home, spawnEngine: () => forkEngine(cliEntry), engine: { pingIntervalMs: 200, pingTimeoutMs: 2_000 } });
    const { service } = app;
    await service.saveProfile({ name: 'local', serviceUrl: 'pulsar+ssl://pulsar.test:6651', proxyServiceUrl: 'pulsar+ssl://127.0.0.1:9', listen: { port: 0 } });
    const started = await service.startTunnel('local');
    const port = Number(String(started.listen?.pulsar).split(':').at(-1));
    expect(await accepts(port)).toBe(true);
    const [engine] = await enginePids(process.pid);
    expect(engine).toBeGreaterThan(0);

    process.kill(engine!, 'SIGSTOP');
    stopped = engine;
    const told = await eventually(async () => (await service.tunnelStatus()).find((status) => status.lastError?.code === 'ENGINE_CRASHED'), { timeoutMs: 15_000, what: 'the tunnel told its engine was ended' });
    expect(told.lastError?.message).toMatch(/did not answer for 2 s and was ended/);
    await eventually(() => !alive(engine!), { timeoutMs: 5_000, what: 'the stuck engine gone' });
    stopped = undefined;

    await eventually(async () => (await service.tunnelStatus())[0]?.state === 'running' || undefined, { timeoutMs: 15_000, what: 'the tunnel running again' });
    expect(await accepts(port)).toBe(true);
    const [replacement] = await enginePids(process.pid);
    expect(replacement).toBeGreaterThan(0);
    expect(replacement).not.toBe(engine);
    await app.dispose();
    app = undefined;
  }, 60_000);
});
