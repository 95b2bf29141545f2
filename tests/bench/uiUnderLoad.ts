/**
 * The UI's side of the benchmark: `pulsar-tunnel ui` (the real CLI, as users run it) serving its
 * HTTP/WebSocket API while one of its tunnels moves `bytes` at full speed, driven from another
 * process. Measures the API round trip (listProfiles and tunnelStatus, one after the other) and how
 * late each live-log batch arrives after its events' time stamps (a short connection every 100 ms
 * keeps events coming). Targets: API p99 <= 20 ms, no batch later than 250 ms.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import readline from 'node:readline';
import { WebSocket } from 'ws';
import { cliEntry, repoRoot, startCli } from '../fixtures/cliProcess.ts';
import { eventually, once, withDeadline } from '../fixtures/deadline.ts';
import { logSocketProtocols } from '../../shared/ipc/webSession.ts';
import { sessionFromHandOff } from '../fixtures/webUiSession.ts';
import { connectPlain } from './paths.ts';
import { connectFrame } from './pulsarFrames.ts';
import { processCpuNs, treeCpuSeconds } from './processTree.ts';

export interface UiFigures {
  /** Transfer through the UI's tunnel meanwhile, MB/s. */
  mbps: number;
  api: { calls: number; p50Ms: number; p99Ms: number; maxMs: number };
  /** Idle baseline of the same calls, no transfer. */
  idleApi: { calls: number; p50Ms: number; p99Ms: number; maxMs: number };
  log: { batches: number; events: number; p50Ms: number; maxMs: number };
  /** CPU seconds of the UI process tree during the transfer. */
  cpuSeconds: number;
  /**
   * CPU of the UI process alone (the shell: its API, log fan-out, engine messages; not the engine):
   * microseconds per API call while idle, and milliseconds per second during the transfer.
   */
  shell: { idleUsPerCall: number; loadMsPerSecond: number };
}

function percentiles(samples: number[]): { calls: number; p50Ms: number; p99Ms: number; maxMs: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => +(sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] ?? Number.NaN).toFixed(2);
  return { calls: sorted.length, p50Ms: at(0.5), p99Ms: at(0.99), maxMs: at(1) };
}

/**
 * @param options.engineNice PULSAR_TUNNEL_ENGINE_NICE for the engine process (unset: the default)
 */
export async function runUiBench(options: { atsAddress: string; caPem: string; bytes: number; direction: 'up' | 'down'; inProcess: boolean; engineNice?: number }): Promise<UiFigures> {
  const home = await mkdtemp(path.join(tmpdir(), 'pt-bench-ui-'));
  const nice: Record<string, string> = options.engineNice === undefined ? {} : { PULSAR_TUNNEL_ENGINE_NICE: String(options.engineNice) };
  // BENCH_UI_CPU_PROF=DIR: V8 CPU profiles of the UI process (and of its engine, which inherits the flags) into DIR.
  const profileDir = process.env.BENCH_UI_CPU_PROF;
  const entry = profileDir === undefined ? {} : { entry: ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, cliEntry] };
  const ui = startCli(['ui', '--no-open', ...(options.inProcess ? ['--in-process'] : [])], { env: { PULSAR_TUNNEL_HOME: home, DISPLAY: '', WAYLAND_DISPLAY: '', ...nice }, ...entry });
  try {
    // The printed link is one-time: its first use answers the page that hands over the session token.
    const link = await eventually(() => /http:\/\/127\.0\.0\.1:\d+\/\?code=[\w-]+/.exec(ui.stdout())?.[0], { timeoutMs: 60_000, what: 'the UI URL' });
    const url = new URL(link);
    const token = sessionFromHandOff(await (await fetch(link)).text());
    const call = async (method: string, args: unknown[] = []) => {
      const response = await fetch(`${url.origin}/api/${method}`, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ args }) });
      const body = (await response.json()) as { ok: boolean; value?: unknown; error?: { code: string; message: string } };
      if (!body.ok) throw new Error(`${method}: ${body.error?.code} ${body.error?.message}`);
      return body.value;
    };
    await call('saveProfile', [{ name: 'bench-ui', serviceUrl: 'pulsar+ssl://sink.test:6651', proxyServiceUrl: `pulsar+ssl://${options.atsAddress}`, tlsTrustCertsPem: options.caPem, listen: { port: 0 } }]);
    const status = (await call('startTunnel', ['bench-ui'])) as { listen?: { pulsar: string } };
    const port = Number(status.listen!.pulsar.split(':').pop());

    const ws = new WebSocket(`ws://${url.host}/api/log`, logSocketProtocols(token));
    await once(ws, 'open', 10_000);
    const delays: number[] = [];
    let events = 0;
    ws.on('message', (data: Buffer) => {
      const batch = JSON.parse(data.toString()) as { events: { time?: string }[] };
      const now = Date.now();
      let oldest: number | undefined;
      for (const event of batch.events) if (event.time) oldest = Math.max(oldest ?? 0, now - Date.parse(event.time));
      events += batch.events.length;
      if (oldest !== undefined) delays.push(oldest);
    });

    const sampleApi = async (until: () => boolean, minCalls: number) => {
      const samples: number[] = [];
      while (samples.length < minCalls || !until()) {
        for (const method of ['listProfiles', 'tunnelStatus']) {
          const started = performance.now();
          await call(method);
          samples.push(performance.now() - started);
        }
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      return samples;
    };
    const idleCpuBefore = await processCpuNs(ui.pid);
    const idleSamples = await sampleApi(() => true, 200);
    const idleUsPerCall = ((await processCpuNs(ui.pid)) - idleCpuBefore) / 1000 / idleSamples.length;
    const idleApi = percentiles(idleSamples);
    delays.length = 0;

    // Short connections keep events (opened, closed) coming while the transfer runs.
    const connect = connectPlain('127.0.0.1', port);
    let loading = true;
    const churn = (async () => {
      while (loading) {
        const socket = await connect();
        socket.write(connectFrame);
        await withDeadline(once(socket, 'data', 10_000), 10_000, 'CONNECTED');
        socket.destroy();
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    const cpuBefore = await treeCpuSeconds(ui.pid);
    const shellBefore = await processCpuNs(ui.pid);
    const loadStarted = performance.now();
    const load = spawn(process.execPath, [path.join(repoRoot, 'bin/run-ts.mjs'), path.join(repoRoot, 'tests/bench/loadClient.ts'), String(port), String(options.bytes), options.direction], { stdio: ['ignore', 'pipe', 'inherit'] });
    const loadLines = readline.createInterface({ input: load.stdout! });
    let mbps = Number.NaN;
    const loadDone = withDeadline(once<string>(loadLines, 'line', 600_000), 600_000, 'the load client').then((line) => {
      mbps = (JSON.parse(String(line)) as { mbps: number }).mbps;
    });
    let finished = false;
    void loadDone.finally(() => (finished = true));
    const api = percentiles(await sampleApi(() => finished, 20));
    await loadDone;
    const cpuSeconds = (await treeCpuSeconds(ui.pid)) - cpuBefore;
    const loadMsPerSecond = ((await processCpuNs(ui.pid)) - shellBefore) / 1e6 / ((performance.now() - loadStarted) / 1000);
    loading = false;
    await churn;
    ws.close();
    const logDelays = [...delays].sort((a, b) => a - b);
    return { mbps, api, idleApi, log: { batches: logDelays.length, events, p50Ms: logDelays[Math.floor(logDelays.length / 2)] ?? Number.NaN, maxMs: logDelays.at(-1) ?? Number.NaN }, cpuSeconds, shell: { idleUsPerCall, loadMsPerSecond } };
  } finally {
    // A profile is written on a clean exit only.
    await ui.stop(profileDir === undefined ? 'SIGKILL' : 'SIGINT').catch(() => undefined);
    await rm(home, { recursive: true, force: true });
  }
}
