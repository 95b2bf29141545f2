/**
 * The desktop app's engine wiring with `electron` mocked: utilityProcess.fork is a stand-in that
 * runs the real engine entry (src-main/electron/engineMain.ts) in a Node child with a parent port,
 * so the main-process side (utilityEngine.ts, the app service's remote tunnels) and the engine side
 * talk as they do in Electron. A tunnel carries real TLS traffic; killing the utility process is
 * reported and the tunnel comes back on the same port; so does one that stops answering (stopped
 * with SIGSTOP), which the shell's pings find and end: Electron's kill() sends SIGTERM, which a
 * stopped process never acts on, so the engine is ended with SIGKILL by its pid.
 */
import { fork as forkNode } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Keychain } from '../../src-main/core/secrets/keychain.ts';
import { createAppService, type OwnedAppService } from '../../src-main/core/service/createAppService.ts';
import { eventually, once } from '../fixtures/deadline.ts';
import { createTestPki, type TestPki } from '../fixtures/pki.ts';
import { exchange, startTlsBackend, type TlsBackend } from '../fixtures/tlsBackend.ts';
import { repoRoot } from '../fixtures/cliProcess.ts';

/** utilityProcess.fork as Electron shapes it: on('message' | 'exit'), postMessage, kill, pid. */
class FakeUtilityProcess extends EventEmitter {
  static forked: { modulePath: string; options: unknown; process: FakeUtilityProcess }[] = [];
  readonly child;
  constructor(modulePath: string, options: { execArgv?: string[] }) {
    super();
    // Node flags Electron would start the utility process with, after this process's own (tsx's loader).
    const execArgv = [...process.execArgv, ...(options.execArgv ?? [])];
    this.child = forkNode(join(repoRoot, 'tests/electron/fixtures/utilityProcessShim.mjs'), [modulePath], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv, serialization: 'advanced' });
    this.child.on('message', (message) => this.emit('message', message));
    this.child.once('exit', (code, signal) => this.emit('exit', code ?? (signal ? 1 : 0)));
  }
  get pid() {
    return this.child.pid;
  }
  postMessage(message: unknown) {
    this.child.send(message as object);
  }
  /** As Electron's: "terminates the process gracefully", with SIGTERM on POSIX. */
  kill() {
    return this.child.kill('SIGTERM');
  }
}

vi.mock('electron', () => ({
  utilityProcess: {
    fork: (modulePath: string, _args: string[], options: { execArgv?: string[] }) => {
      const process = new FakeUtilityProcess(modulePath, options);
      FakeUtilityProcess.forked.push({ modulePath, options, process });
      return process;
    },
  },
}));

const { forkUtilityEngine } = await import('../../src-main/electron/utilityEngine.ts');

const engineEntry = join(repoRoot, 'src-main/electron/engineMain.ts');
let pki: TestPki;
let backend: TlsBackend;
let dataDir: string;
let owned: OwnedAppService | undefined;

/** A keychain in memory: this test is about processes, not secrets. */
const keychain: Keychain = {
  get: async () => null,
  set: async () => undefined,
  delete: async () => false,
};

beforeAll(async () => {
  pki = await createTestPki({ serverHosts: ['localhost'] });
  backend = await startTlsBackend({ credential: pki.servers.localhost!, behaviour: 'echo' });
  dataDir = await mkdtemp(join(tmpdir(), 'pt-utility-engine-'));
});

afterAll(async () => {
  // First: a stopped engine that was never ended would hold dispose() up.
  for (const { process } of FakeUtilityProcess.forked) process.child.kill('SIGKILL');
  await owned?.dispose();
  await backend?.stop();
  await pki?.cleanup();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

async function echoThrough(port: number, text: string): Promise<string> {
  const socket = net.connect({ host: '127.0.0.1', port });
  try {
    await once(socket, 'connect', 5_000);
    return (await exchange(socket, text)).toString();
  } finally {
    socket.destroy();
  }
}

describe('the desktop engine in a utility process', () => {
  it('runs the tunnels there, reports a killed engine, and brings its tunnel back on the same port', async () => {
    owned = await createAppService({ dataDir, keychain, spawnEngine: () => forkUtilityEngine(engineEntry) });
    const { service } = owned;
    await service.saveProfile({ name: 'echo', serviceUrl: `pulsar+ssl://localhost:${backend.port}`, tlsTrustCertsPem: pki.ca.certPem, pulsarProtocol: 'raw', listen: { port: 0 } });
    const status = await service.startTunnel('echo');
    const port = Number(status.listen!.pulsar.split(':').pop());
    expect(await echoThrough(port, 'through the utility process')).toBe('through the utility process');

    expect(FakeUtilityProcess.forked).toHaveLength(1);
    const [first] = FakeUtilityProcess.forked;
    expect(first!.modulePath).toBe(engineEntry);
    // Started with V8's young generation kept small from its first allocation (gcTuning.ts).
    expect((first!.options as { execArgv?: string[] }).execArgv).toContain('--max-semi-space-size=1');
    // The data path is not in this process: nothing here listens on the tunnel's port.
    expect(first!.process.pid).not.toBe(process.pid);

    first!.process.kill();
    const crashed = await eventually(async () => (await service.tunnelStatus()).find((entry) => entry.lastError?.code === 'ENGINE_CRASHED'), { timeoutMs: 10_000, what: 'the crash in the status' });
    expect(crashed.profile).toBe('echo');
    expect(crashed.state).toBe('failing');

    const back = await eventually(() => echoThrough(port, 'back again').catch(() => undefined), { timeoutMs: 20_000, what: 'the tunnel back on its port' });
    expect(back).toBe('back again');
    expect(FakeUtilityProcess.forked).toHaveLength(2);
    await eventually(async () => (await service.tunnelStatus())[0]?.state === 'running' || undefined, { timeoutMs: 10_000, what: 'running again' });

    await owned.dispose();
    owned = undefined;
    await eventually(() => FakeUtilityProcess.forked.every(({ process }) => process.child.exitCode !== null || process.child.signalCode !== null) || undefined, { timeoutMs: 10_000, what: 'the engine to exit' });
  }, 60_000);

  it('ends an engine that stops answering, and brings its tunnel back on the same port', async () => {
    const before = FakeUtilityProcess.forked.length;
    owned = await createAppService({ dataDir, keychain, spawnEngine: () => forkUtilityEngine(engineEntry), engine: { pingIntervalMs: 200, pingTimeoutMs: 2_000 } });
    const { service } = owned;
    const status = await service.startTunnel('echo');
    const port = Number(status.listen!.pulsar.split(':').pop());
    expect(await echoThrough(port, 'before')).toBe('before');

    const stuck = FakeUtilityProcess.forked[before]!.process;
    process.kill(stuck.pid!, 'SIGSTOP');
    const told = await eventually(async () => (await service.tunnelStatus()).find((entry) => entry.lastError?.code === 'ENGINE_CRASHED'), { timeoutMs: 10_000, what: 'the stuck engine reported' });
    expect(told.lastError?.message).toMatch(/did not answer for 2 s and was ended/);
    await eventually(() => stuck.child.signalCode === 'SIGKILL' || undefined, { timeoutMs: 5_000, what: 'the stuck engine killed' });

    const back = await eventually(() => echoThrough(port, 'back again').catch(() => undefined), { timeoutMs: 20_000, what: 'the tunnel back on its port' });
    expect(back).toBe('back again');
    expect(FakeUtilityProcess.forked).toHaveLength(before + 2);
    await owned.dispose();
    owned = undefined;
  }, 60_000);
});
