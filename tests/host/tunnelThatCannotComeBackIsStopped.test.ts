/**
 * A running tunnel that the restarted engine cannot bring back (a real engine process killed, its
 * port taken meanwhile by another program) is stopped: its status says so with the port's error,
 * its record among the running tunnels is gone (another app would name it as holding the port),
 * and Start starts it again once the port is free. It stayed "failing", recorded as running, and
 * Start did nothing to it.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAppService, type OwnedAppService } from '../../src-main/core/service/createAppService.ts';
import { runningTunnelsDir } from '../../src-main/core/service/runningTunnels.ts';
import { forkEngine } from '../../src-main/host/engineProcess.ts';
import { cliEntry } from '../fixtures/cliProcess.ts';
import { eventually } from '../fixtures/deadline.ts';
import { enginePids } from './fixtures/enginePids.ts';

let home: string;
let app: OwnedAppService | undefined;
let blocker: net.Server | undefined;

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'pt-cannot-come-back-'));
});

afterAll(async () => {
  blocker?.close();
  await app?.dispose();
  if (home) await rm(home, { recursive: true, force: true });
});

/** A server on 127.0.0.1:`port`, or undefined while the port is still taken. */
function listenOn(port: number): Promise<net.Server | undefined> {
  return new Promise((resolve) => {
    const server = net.createServer((socket) => socket.destroy());
    server.once('error', () => resolve(undefined));
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

const records = async () => (await readdir(runningTunnelsDir(home)).catch(() => [])).filter((name) => name.endsWith('.json'));

describe('a tunnel the restarted engine cannot bring back', () => {
  it('is stopped, no longer recorded as running, and Start starts it', async () => {
    app = await createAppService({ dataDir: home, spawnEngine: () => forkEngine(cliEntry) });
    const { service } = app;
    await service.saveProfile({ name: 'local', serviceUrl: 'pulsar+ssl://pulsar.test:6651', proxyServiceUrl: 'pulsar+ssl://127.0.0.1:9', listen: { port: 0 } });
    const started = await service.startTunnel('local');
    const port = Number(String(started.listen?.pulsar).split(':').at(-1));
    expect(await records()).toHaveLength(1);

    const [engine] = await enginePids(process.pid);
    process.kill(engine!, 'SIGKILL');
    // Taken as soon as the dead engine let it go, before the next engine is up.
    blocker = await eventually(() => listenOn(port), { timeoutMs: 10_000, what: 'the port taken by another program' });

    const stopped = await eventually(async () => (await service.tunnelStatus()).find((status) => status.state === 'stopped'), { timeoutMs: 15_000, what: 'the tunnel stopped' });
    expect(stopped.lastError?.code).toBe('TUNNEL_LISTEN_IN_USE');
    expect(stopped.listen).toBeUndefined();
    await eventually(async () => (await records()).length === 0 || undefined, { timeoutMs: 5_000, what: 'its running record removed' });

    await new Promise((resolve) => blocker!.close(resolve));
    blocker = undefined;
    const again = await service.startTunnel('local');
    expect(again.state).toBe('running');
    await app.dispose();
    app = undefined;
  }, 60_000);
});
