/**
 * The haproxy and nginx configurations the Doctor generates work as written: each router is started
 * on the generated text (only the bind address narrowed to 127.0.0.1 for the test) and the Doctor
 * passes through it, and a name without a route is closed without an answer, as the fix text says.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDoctor } from '../../src-main/core/diagnostics/doctor.ts';
import { proxyConfigFor } from '../../src-main/core/diagnostics/proxyConfig.ts';
import { eventually, freePort, withDeadline } from '../fixtures/deadline.ts';
import { killGroup, registerGroup, startWatchdog, unregisterGroup } from '../fixtures/processGroups.ts';
import { ensureProgram, systemPrograms } from '../fixtures/systemPrograms.ts';
import { brokerHosts, failedStep, startDoctorWorld, statuses, type DoctorWorld } from './doctorSetup.ts';

let world: DoctorWorld;
let dir: string;

beforeAll(async () => {
  world = await startDoctorWorld();
  dir = await mkdtemp(join(tmpdir(), 'pt-doctor-routers-'));
});

afterAll(async () => {
  await world?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface Router {
  port: number;
  logs(): Promise<string>;
  stop(): Promise<void>;
}

/** Runs `command` in its own process group until it listens on 127.0.0.1:`port`. */
async function launch(command: string, args: string[], port: number, logFile: string): Promise<Router> {
  const child: ChildProcess = spawn(command, args, { detached: true, stdio: 'ignore' });
  const pid = child.pid as number;
  registerGroup(pid);
  const watchdog = startWatchdog(pid);
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exit.then(() => (exited = true));
  const logs = () => readFile(logFile, 'utf8').catch(() => '');
  const stop = async () => {
    killGroup(pid, 'SIGTERM');
    await withDeadline(exit, 3_000, `${command} to stop`).catch(() => killGroup(pid, 'SIGKILL'));
    killGroup(pid, 'SIGKILL');
    unregisterGroup(pid);
    watchdog.kill('SIGKILL');
  };
  try {
    await eventually(
      async () => {
        if (exited) throw new Error(`${command} exited: ${await logs()}`);
        return new Promise<boolean>((resolve) => {
          const socket = net.connect({ host: '127.0.0.1', port });
          socket.once('connect', () => resolve(true));
          socket.once('error', () => resolve(false));
          socket.once('connect', () => socket.destroy());
        });
      },
      { timeoutMs: 10_000, what: `${command} to listen on ${port}` },
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { port, logs, stop };
}

/** The generated config for a profile whose proxy listens on `port`, routes reaching the test cluster. */
async function generated(port: number) {
  const targets = new Map(world.cluster.sniRoutes().map((route) => [route.fqdn, route.target]));
  const config = world.config({ host: '127.0.0.1', port });
  return {
    config,
    text: proxyConfigFor(config, brokerHosts.map((host) => ({ host, port: 6651, target: targets.get(host)! })), { serviceTarget: targets.get('pulsar.test')! }),
  };
}

describe('generated router configurations', () => {
  it('haproxy runs the generated frontend and backends and the Doctor passes through it', async () => {
    const binary = await ensureProgram(systemPrograms.haproxy);
    const port = await freePort();
    const { config, text } = await generated(port);
    expect(text.haproxy).toContain(`bind :${port}`);
    const file = join(dir, 'haproxy.cfg');
    await writeFile(file, text.haproxy.replace(`bind :${port}`, `bind 127.0.0.1:${port}`));
    const logFile = join(dir, 'haproxy.log');
    const router = await launch('sh', ['-c', `exec ${binary} -db -f ${file} >${logFile} 2>&1`], port, logFile);
    try {
      const report = await runDoctor(config, { topic: world.cluster.topicOwnedBy('broker2.test', 'haproxy-generated') });
      expect(statuses(report), await router.logs()).toMatchObject({ tls: 'ok', pulsarConnect: 'ok', lookup: 'ok', brokerConnect: 'ok' });
      const unrouted = await runDoctor(world.config({ host: '127.0.0.1', port }, { serviceHost: 'unrouted.test' }));
      expect(failedStep(unrouted)).toMatchObject({ name: 'tls', code: 'PROXY_ROUTE_DEAD' });
    } finally {
      await router.stop();
    }
  });

  it('nginx runs the generated stream block and the Doctor passes through it', async () => {
    const binary = await ensureProgram(systemPrograms.nginx);
    const port = await freePort();
    const { config, text } = await generated(port);
    expect(text.nginx).toContain(`listen ${port};`);
    const errorLog = join(dir, 'nginx-error.log');
    const file = join(dir, 'nginx.conf');
    await writeFile(
      file,
      [
        `load_module ${systemPrograms.nginx.extraCheck};`,
        'daemon off;',
        'worker_processes 1;',
        `pid ${join(dir, 'nginx.pid')};`,
        `error_log ${errorLog} info;`,
        'events { worker_connections 64; }',
        text.nginx.replace(`listen ${port};`, `listen 127.0.0.1:${port};`),
      ].join('\n'),
    );
    const router = await launch(binary, ['-p', dir, '-c', file, '-e', errorLog], port, errorLog);
    try {
      const report = await runDoctor(config, { topic: world.cluster.topicOwnedBy('broker3.test', 'nginx-generated') });
      expect(statuses(report), await router.logs()).toMatchObject({ tls: 'ok', pulsarConnect: 'ok', lookup: 'ok', brokerConnect: 'ok' });
      const unrouted = await runDoctor(world.config({ host: '127.0.0.1', port }, { serviceHost: 'unrouted.test' }));
      expect(failedStep(unrouted)).toMatchObject({ name: 'tls', code: 'PROXY_ROUTE_DEAD' });
    } finally {
      await router.stop();
    }
  });
});
