/**
 * The processes the benchmark and the soak run around the tunnel: the bench server (a TLS sink in a
 * process of its own, so it does not share a thread with the client being measured) and the tunnel
 * itself as the real CLI child (`pulsar-tunnel run profile.json --log-format json`), so the RSS,
 * descriptors and limits measured are that process's own. Each runs in its own process group that
 * the exit hook and a watchdog kill if this process dies first.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { startCli, type CliOptions, type CliProcess, repoRoot } from '../fixtures/cliProcess.ts';
import { once, withDeadline } from '../fixtures/deadline.ts';
import { createTestPki, type TestPki } from '../fixtures/pki.ts';
import { killGroup, registerGroup, startWatchdog, unregisterGroup } from '../fixtures/processGroups.ts';
import { startAts, type SniRouter } from '../fixtures/sniRouters.ts';
import { connectPlain, type Connect } from './paths.ts';

/** A running bench server (benchServer.ts). */
export interface BenchServer {
  port: number;
  pid: number;
  /** Kills its process group. */
  stop(): Promise<void>;
}

/**
 * Starts tests/bench/benchServer.ts with the given certificate and key files.
 * @throws Error when it does not print its port within 15 s.
 */
export async function startBenchServer(certPath: string, keyPath: string): Promise<BenchServer> {
  const child = spawn(process.execPath, [path.join(repoRoot, 'bin/run-ts.mjs'), path.join(repoRoot, 'tests/bench/benchServer.ts'), certPath, keyPath], {
    stdio: ['ignore', 'pipe', 'inherit'],
    detached: true,
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error('could not start the bench server');
  registerGroup(pid);
  const watchdog = startWatchdog(pid);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    killGroup(pid, 'SIGKILL');
    await withDeadline(exited, 5_000, 'the bench server to exit').catch(() => undefined);
    unregisterGroup(pid);
    watchdog.kill('SIGKILL');
  };
  try {
    const lines = readline.createInterface({ input: child.stdout! });
    const first = await withDeadline(once<string>(lines, 'line', 15_000), 15_000, 'the bench server');
    lines.close();
    return { port: (JSON.parse(first) as { port: number }).port, pid, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The world a benchmark measures through: a sink process behind a real ATS (see {@link startSinkWorld}). */
export interface SinkWorld {
  /** A throw-away folder for tunnel profiles and logs. */
  dir: string;
  pki: TestPki;
  server: BenchServer;
  /** Routes SNI sink.test to the sink. */
  ats: SniRouter;
}

/**
 * A throw-away folder, a PKI for sink.test, the sink process and ATS routing sink.test to it, each
 * pushed onto `cleanups` as it starts (the caller runs them in reverse).
 */
export async function startSinkWorld(prefix: string, cleanups: (() => Promise<unknown>)[]): Promise<SinkWorld> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const pki = await createTestPki({ serverHosts: ['sink.test'] });
  cleanups.push(() => pki.cleanup());
  const sink = pki.servers['sink.test']!;
  const server = await startBenchServer(sink.certPath, sink.keyPath);
  cleanups.push(() => server.stop());
  const ats = await startAts({ routes: [{ fqdn: 'sink.test', target: `127.0.0.1:${server.port}` }] });
  cleanups.push(() => ats.stop());
  return { dir, pki, server, ats };
}

/** A tunnel CLI process and its listeners. */
export interface TunnelProcess {
  cli: CliProcess;
  pid: number;
  /** The main (Pulsar) listener's port on 127.0.0.1. */
  port: number;
  /** The web listener's port, when the profile has one. */
  webPort?: number;
  /** Opens a plain connection to the main listener. */
  connect: Connect;
}

/**
 * Writes `profile` to `<dir>/<profile.name>.json` and runs it with the CLI until `ready`; `options`
 * as startCli's (e.g. Node flags for one variant through `entry`).
 * @throws Error (with the CLI's stderr) when it is not ready within 15 s.
 */
export async function startTunnelProcess(dir: string, profile: { name: string } & Record<string, unknown>, options: CliOptions = {}): Promise<TunnelProcess> {
  const file = path.join(dir, `${profile.name}.json`);
  await writeFile(file, JSON.stringify(profile));
  const cli = startCli(['run', file, '--log-format', 'json'], options);
  try {
    const ready = await cli.waitForEvent((event) => event.event === 'ready', 15_000);
    const portOf = (address: unknown) => Number(String(address).split(':').pop());
    const port = portOf(ready.listen.pulsar);
    return {
      cli,
      pid: cli.pid,
      port,
      ...(ready.listen.http === undefined ? {} : { webPort: portOf(ready.listen.http) }),
      connect: connectPlain('127.0.0.1', port),
    };
  } catch (error) {
    await cli.stop('SIGKILL').catch(() => undefined);
    throw error;
  }
}
