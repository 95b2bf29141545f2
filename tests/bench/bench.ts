/**
 * `npm run bench`: the tunnel against a plain Node pipe (Node's floor for this path), stunnel4 and
 * an in-process Node TLS client, through the same real ATS to the same TLS sink, on loopback, in
 * one run. Prints a table (MB/s and CPU s/GiB per path and direction, round trips) and one JSON
 * summary line with the ratios the targets are stated in. Not a test: numbers vary with the
 * machine's load; CPU seconds per GiB vary less than MB/s.
 *
 * Environment: BENCH_BYTES (default 1 GiB), BENCH_REPEATS (3), BENCH_ROUNDS (5000 ping-pongs),
 * BENCH_IDLE (1000 idle connections), BENCH_LOOKUPS (10000), BENCH_LOG_SECONDS (10; 0 skips the
 * log-view section, which measures frame times of the UI's live log in Debian Chromium at 1,000
 * events/s with 10,000 rows), BENCH_STARTUP_RUNS (20; the CLI start-up section, startup.ts; 0
 * skips it), BENCH_WARMUP_BYTES (64 MiB each way per path, unrecorded), BENCH_ONLY (`data`: the
 * data paths, idle memory and ratios only; `ui`: the UI section only), BENCH_UI_SETUPS (the UI
 * section's setups, comma-separated, all by default: `engine` (the engine process at its default
 * priority), `engine-nice0`, `in-process`), BENCH_UI_CPU_PROF (a folder: V8 CPU profiles of each UI
 * process and its engine, written when they stop).
 *
 * On a shared machine: the paths run interleaved (a rotated order each round, after a warm-up), the
 * table gives medians with the min–max spread below, and the load average is printed at the start
 * and the end. Compare ratios within one run, not figures across runs.
 */
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import net from 'node:net';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { repoRoot } from '../fixtures/cliProcess.ts';
import { eventually, freePort, once, withDeadline } from '../fixtures/deadline.ts';
import { ensureOneOf, stunnelSpec } from '../fixtures/systemPrograms.ts';
import { runFileCountBench } from './fileCount.ts';
import { runLogViewBench } from './logView.ts';
import { startSinkWorld, startTunnelProcess, type TunnelProcess } from './processes.ts';
import { runStartupBench } from './startup.ts';
import { measureDataPaths, mid, range, type DataPath } from './dataPath.ts';
import { connectPlain, connectTlsDirect, download, lookupStorm } from './paths.ts';
import { idleMemory, perConnectionKiB, type IdleMemory } from './idleMemory.ts';
import { treeRssMb } from './processTree.ts';
import { runUiBench, type UiFigures } from './uiUnderLoad.ts';

const bytes = Number(process.env.BENCH_BYTES ?? 1024 ** 3);
const repeats = Number(process.env.BENCH_REPEATS ?? 3);
const rounds = Number(process.env.BENCH_ROUNDS ?? 5000);
const idleCount = Number(process.env.BENCH_IDLE ?? 1000);
const lookups = Number(process.env.BENCH_LOOKUPS ?? 10_000);

const warmupBytes = Number(process.env.BENCH_WARMUP_BYTES ?? Math.min(bytes, 64 * 1024 ** 2));
const startupRuns = Number(process.env.BENCH_STARTUP_RUNS ?? 20);
const only = process.env.BENCH_ONLY;

const cleanups: (() => Promise<unknown>)[] = [];
const log = (line: string) => process.stderr.write(`${line}\n`);
/** The 1, 5 and 15 minute load averages, as `uptime` prints them. */
const load = () => loadavg().map((value) => value.toFixed(2)).join(', ');

/** The CLI the tunnel processes run is the built one (as installed), not the tsx fallback. */
async function buildCli(): Promise<void> {
  const child = spawn(process.execPath, [path.join(repoRoot, 'scripts/buildCli.mjs')], { stdio: ['ignore', 'ignore', 'inherit'] });
  const code = await withDeadline(once<number>(child, 'exit', 60_000), 60_000, 'npm run build:cli');
  if (code !== 0) throw new Error(`npm run build:cli exited with ${code}`);
}

async function waitForPort(port: number): Promise<void> {
  await eventually(
    () =>
      new Promise<boolean | undefined>((resolve) => {
        const socket = net.connect({ host: '127.0.0.1', port }, () => {
          socket.destroy();
          resolve(true);
        });
        socket.once('error', () => resolve(undefined));
      }),
    { timeoutMs: 10_000, what: `port ${port} to accept` },
  );
}

async function startStunnel(dir: string, atsAddress: string, caPath: string): Promise<{ port: number; pid: number }> {
  const binary = await ensureOneOf(['stunnel4', 'stunnel'], stunnelSpec);
  const port = await freePort();
  const config = path.join(dir, 'stunnel.conf');
  await writeFile(
    config,
    ['foreground = yes', 'pid =', 'debug = 3', '[bench]', 'client = yes', `accept = 127.0.0.1:${port}`, `connect = ${atsAddress}`, 'sni = sink.test', `CAfile = ${caPath}`, 'verifyChain = yes', 'checkHost = sink.test', ''].join('\n'),
  );
  const child = spawn(binary, [config], { stdio: ['ignore', 'ignore', 'ignore'] });
  cleanups.push(async () => child.kill('SIGKILL'));
  await waitForPort(port);
  return { port, pid: child.pid! };
}

/** tests/bench/nodePipe.mjs, run by plain Node in its own process. */
async function startNodePipe(atsHost: string, atsPort: number, caPath: string): Promise<{ port: number; pid: number }> {
  const child = spawn(process.execPath, [path.join(repoRoot, 'tests/bench/nodePipe.mjs'), atsHost, String(atsPort), 'sink.test', caPath], { stdio: ['ignore', 'pipe', 'inherit'] });
  cleanups.push(async () => child.kill('SIGKILL'));
  const lines = readline.createInterface({ input: child.stdout! });
  const first = await withDeadline(once<string>(lines, 'line', 15_000), 15_000, 'the Node pipe');
  return { port: (JSON.parse(String(first)) as { port: number }).port, pid: child.pid! };
}

async function startTunnel(dir: string, name: string, atsAddress: string, caPath: string, protocol: 'raw' | 'inspect'): Promise<TunnelProcess> {
  const tunnel = await startTunnelProcess(dir, { name, serviceUrl: 'pulsar+ssl://sink.test:6651', proxyServiceUrl: `pulsar+ssl://${atsAddress}`, tlsTrustCertsFilePath: caPath, pulsarProtocol: protocol, listen: { port: 0 } });
  cleanups.push(() => tunnel.cli.stop('SIGKILL').catch(() => undefined));
  return tunnel;
}

function row(cells: (string | number)[]): string {
  return cells.map((cell, index) => (typeof cell === 'number' ? cell.toFixed(cell < 10 ? 2 : 0) : cell).toString().padStart(index === 0 ? 28 : 12)).join(' ');
}

/** The UI's API and live log while one of its tunnels moves `bytes` each way. */
async function uiSection(atsAddress: string, caPem: string): Promise<Record<string, UiFigures>> {
  const results: Record<string, UiFigures> = {};
  // The engine process at its default priority (nice +5 below the UI), at the UI's own (nice 0),
  // and the tunnels in the UI's process.
  const allSetups = [
    { key: 'engine', name: 'engine process', inProcess: false },
    { key: 'engine-nice0', name: 'engine process, nice 0', inProcess: false, engineNice: 0 },
    { key: 'in-process', name: 'in-process', inProcess: true },
  ];
  const chosen = process.env.BENCH_UI_SETUPS?.split(',').map((key) => key.trim());
  const setups = chosen === undefined ? allSetups : allSetups.filter((setup) => chosen.includes(setup.key));
  if (setups.length === 0) throw new Error(`BENCH_UI_SETUPS names none of ${allSetups.map((setup) => setup.key).join(', ')}`);
  for (const direction of ['down', 'up'] as const) {
    for (const setup of setups) {
      const key = `${setup.name}, ${direction}`;
      results[key] = await runUiBench({ atsAddress, caPem, bytes, direction, inProcess: setup.inProcess, ...(setup.engineNice === undefined ? {} : { engineNice: setup.engineNice }) });
      log(`bench: UI (${key}) done`);
    }
  }
  console.log(row(['UI (pulsar-tunnel ui)', 'load MB/s', 'API p50 ms', 'API p99 ms', 'API max ms', 'idle p50 ms', 'idle p99 ms', 'log p50 ms', 'log max ms', 'CPU s', 'shell µs/call', 'shell ms/s']));
  for (const [direction, figures] of Object.entries(results)) {
    console.log(row([`  ${direction}`, figures.mbps, figures.api.p50Ms, figures.api.p99Ms, figures.api.maxMs, figures.idleApi.p50Ms, figures.idleApi.p99Ms, figures.log.p50Ms, figures.log.maxMs, figures.cpuSeconds, figures.shell.idleUsPerCall, figures.shell.loadMsPerSecond]));
  }
  console.log(row(['  targets', '', '', '<= 20', '', '', '', '', '<= 250', '', '', '']));
  return results;
}

async function main(): Promise<void> {
  const loadAtStart = load();
  log(`bench: load average at start ${loadAtStart} (${cpus().length} CPUs)`);
  await buildCli();
  const { dir, pki, ats } = await startSinkWorld('pt-bench-', cleanups);
  // The CLI's start-up first, while nothing else of the bench runs.
  const startup = only === undefined && startupRuns > 0 ? await runStartupBench() : undefined;
  if (startup) log(`bench: start-up done (--help ${startup.helpVsNode}x node -e 0, ready in ${startup.readyMs} ms)`);
  const tunnel = await startTunnel(dir, 'bench', ats.address, pki.ca.certPath, 'raw');
  const inspect = await startTunnel(dir, 'bench-inspect', ats.address, pki.ca.certPath, 'inspect');
  const stunnel = await startStunnel(dir, ats.address, pki.ca.certPath);
  const pipe = await startNodePipe(ats.host, ats.port, pki.ca.certPath);
  const ours = 'pulsar-tunnel';
  const raw = 'pulsar-tunnel, raw';
  const floor = 'Node pipe';
  const direct = 'in-process Node TLS client';
  const paths: Record<string, DataPath> = {
    [ours]: { connect: inspect.connect, pid: inspect.cli.pid, rawBytes: false },
    [raw]: { connect: tunnel.connect, pid: tunnel.cli.pid, rawBytes: true },
    [floor]: { connect: connectPlain('127.0.0.1', pipe.port), pid: pipe.pid, rawBytes: true },
    stunnel4: { connect: connectPlain('127.0.0.1', stunnel.port), pid: stunnel.pid, rawBytes: true },
    [direct]: { connect: connectTlsDirect(ats.host, ats.port, 'sink.test', pki.ca.certPem), rawBytes: true },
  };
  log(`bench: ${(bytes / 1024 ** 2).toFixed(0)} MiB per transfer, ${repeats} repeats, ${rounds} ping-pongs, through ATS on ${ats.address}`);
  if (only === 'ui') {
    await uiSection(ats.address, pki.ca.certPem);
    return;
  }
  const figures = await measureDataPaths(paths, { bytes, repeats, rounds, warmupBytes, log });

  // Memory: 1,000 idle tunnelled connections (inspection on), each proven end to end by its CONNECTED:
  // in a fresh tunnel process (what the connections themselves cost), and in the one that just moved
  // the transfers above (what a tunnel that has been busy holds; memory freed after a burst is not
  // all handed back to the system at once). The Node pipe, fresh and after the same transfers, is
  // the floor: a plain socket and a TLS socket per connection, nothing else.
  /** Every connection.opened of the tunnel has its connection.closed. */
  const tunnelClosed = (tunnelProcess: TunnelProcess) => () => {
    const { events } = tunnelProcess.cli;
    return events.filter((event) => event.event === 'connection.closed').length >= events.filter((event) => event.event === 'connection.opened').length;
  };
  const fresh = await startTunnel(dir, 'bench-fresh', ats.address, pki.ca.certPath, 'inspect');
  const idleFresh = await idleMemory(fresh.pid, fresh.connect, idleCount, tunnelClosed(fresh));
  await fresh.cli.stop();
  const idleAfter = await idleMemory(inspect.pid, inspect.connect, idleCount, tunnelClosed(inspect));
  const { before: idleBefore, rss: idleRss } = idleAfter;
  const freshPipe = await startNodePipe(ats.host, ats.port, pki.ca.certPath);
  const pipeIdleFresh = await idleMemory(freshPipe.pid, connectPlain('127.0.0.1', freshPipe.port), idleCount);
  process.kill(freshPipe.pid, 'SIGKILL');
  const pipeIdle = await idleMemory(pipe.pid, connectPlain('127.0.0.1', pipe.port), idleCount);
  log('bench: idle connections done');

  // Memory: a slow reader must not make the tunnel buffer what the broker sends.
  const slowBefore = await treeRssMb(tunnel.cli.pid);
  let slowPeak = slowBefore;
  const sampler = setInterval(() => void treeRssMb(tunnel.cli.pid).then((mb) => (slowPeak = Math.max(slowPeak, mb))), 25);
  const slowRate = await download(tunnel.connect, bytes, { pauseMsPerMiB: 2 });
  clearInterval(sampler);
  slowPeak = Math.max(slowPeak, await treeRssMb(tunnel.cli.pid));
  log('bench: slow reader done');

  const storm: Record<string, { meanUs: number; p50Us: number }> = {};
  for (const [mode, connect] of [['inspect', inspect.connect], ['raw', tunnel.connect]] as const) storm[mode] = await lookupStorm(connect, lookups);
  log('bench: lookup storm done');

  const names = Object.keys(paths);
  const up = (name: string) => mid(figures[name]!.up.mbps);
  const down = (name: string) => mid(figures[name]!.down.mbps);
  const cpuUp = (name: string) => mid(figures[name]!.up.cpuPerGiB);
  const cpuDown = (name: string) => mid(figures[name]!.down.cpuPerGiB);
  console.log(row(['path (Pulsar frames)', 'up MB/s', 'down MB/s', 'up CPU s/GiB', 'dn CPU s/GiB', 'PING p50 µs', 'PING p99 µs', 'PING CPU µs', 'echo p50 µs', 'echo p99 µs']));
  for (const name of names) {
    const entry = figures[name]!;
    console.log(row([name, up(name), down(name), cpuUp(name), cpuDown(name), entry.ping.p50, entry.ping.p99, entry.ping.cpuUs ?? '—', entry.echo?.p50 ?? '—', entry.echo?.p99 ?? '—']));
    console.log(row(['  range', range(entry.up.mbps, 0), range(entry.down.mbps, 0), range(entry.up.cpuPerGiB), range(entry.down.cpuPerGiB), '', '', '', '', '']));
  }
  if (startup) {
    console.log(row(['CLI --help vs node -e 0', startup.helpVsNode, 'x', `${startup.helpMs} ms`, `${startup.nodeMs} ms`]));
    console.log(row(['CLI run to ready', startup.readyMs, 'ms', `${startup.tunnelProcesses} process`, `${startup.tunnelRssMb} MB`]));
  }
  const perConnection = (figures: IdleMemory) => perConnectionKiB(figures, idleCount);
  console.log(row(['tunnel RSS', 'no conns MB', `${idleCount} idle MB`, 'KiB per conn', '']));
  console.log(row(['  fresh process', idleFresh.before, idleFresh.rss, perConnection(idleFresh), '']));
  console.log(row(['  after the transfers', idleBefore, idleRss, perConnection(idleAfter), '']));
  console.log(row(['Node pipe (the floor)', '', '', '', '']));
  console.log(row(['  fresh process', pipeIdleFresh.before, pipeIdleFresh.rss, perConnection(pipeIdleFresh), '']));
  console.log(row(['  after the transfers', pipeIdle.before, pipeIdle.rss, perConnection(pipeIdle), '']));
  console.log(row(['slow reader RSS growth', slowPeak - slowBefore, 'MB', `${slowRate.toFixed(0)} MB/s`, '']));
  const fileCount = runFileCountBench();
  log('bench: descriptor count done');
  console.log(row([`descriptor count, ${fileCount.openFiles} open`, fileCount.countMs, 'ms', `share ${fileCount.countingShare}`, '<= 0.3']));
  console.log(row(['lookup storm', 'inspect µs', 'raw µs', '', '']));
  console.log(row(['', storm.inspect!.meanUs, storm.raw!.meanUs, '', '']));
  const ratio = (value: number) => +value.toFixed(3);
  const ratios = {
    cpuVsPipeUp: ratio(cpuUp(ours) / cpuUp(floor)),
    cpuVsPipeDown: ratio(cpuDown(ours) / cpuDown(floor)),
    throughputVsPipeUp: ratio(up(ours) / up(floor)),
    throughputVsPipeDown: ratio(down(ours) / down(floor)),
    throughputVsStunnelUp: ratio(up(ours) / up('stunnel4')),
    throughputVsStunnelDown: ratio(down(ours) / down('stunnel4')),
    throughputVsInProcessUp: ratio(up(ours) / up(direct)),
    throughputVsInProcessDown: ratio(down(ours) / down(direct)),
    pingP50VsStunnel: ratio(figures[ours]!.ping.p50 / figures.stunnel4!.ping.p50),
    // Reported beside the target: the same hop through Node's floor, and what each hop costs in CPU.
    pingP50VsPipe: ratio(figures[ours]!.ping.p50 / figures[floor]!.ping.p50),
    pingCpuVsPipe: ratio((figures[ours]!.ping.cpuUs ?? NaN) / (figures[floor]!.ping.cpuUs ?? NaN)),
    pingCpuVsStunnel: ratio((figures[ours]!.ping.cpuUs ?? NaN) / (figures.stunnel4!.ping.cpuUs ?? NaN)),
    inspectVsRawUp: ratio(up(ours) / up(raw)),
    inspectVsRawDown: ratio(down(ours) / down(raw)),
    idleRssMB: +idleRss.toFixed(1),
    idleRssFreshMB: +idleFresh.rss.toFixed(1),
  };
  const targets = {
    cpuVsPipeUp: '<= 1.1',
    cpuVsPipeDown: '<= 1.1',
    throughputVsPipeUp: '>= 1',
    throughputVsPipeDown: '>= 1',
    pingP50VsStunnel: '<= 1',
    inspectVsRawUp: '>= 0.95',
    inspectVsRawDown: '>= 0.95',
    idleRssMB: '<= 120',
    idleRssFreshMB: '<= 120',
  };
  // The CPU ratio of each round on its own (the two paths ran minutes apart at most): its spread.
  const perRound = (name: string, direction: 'up' | 'down') => figures[name]![direction].cpuPerGiB.map((value, i) => value / figures[floor]![direction].cpuPerGiB[i]!);
  const spread = { cpuVsPipeUp: range(perRound(ours, 'up'), 3), cpuVsPipeDown: range(perRound(ours, 'down'), 3) };
  console.log(row(['ratio (pulsar-tunnel, inspect)', 'measured', 'target', 'per round', '']));
  for (const [key, value] of Object.entries(ratios)) console.log(row([key, value, targets[key as keyof typeof targets] ?? '', spread[key as keyof typeof spread] ?? '', '']));
  const summary = {
    bench: 'pulsar-tunnel',
    bytes,
    repeats,
    paths: figures,
    ratios,
    ratioSpread: spread,
    targets,
    lookupStorm: { lookups, ...storm },
    ...(startup ? { startup: { ...startup, targets: { helpVsNode: 2, tunnelProcesses: 1 } } } : {}),
    fileCount: { ...fileCount, targets: { countingShare: 0.3 } },
    memoryMB: {
      idleConnections: idleCount,
      idleRss: +idleRss.toFixed(1),
      idleRssFresh: +idleFresh.rss.toFixed(1),
      idleFreshBefore: +idleFresh.before.toFixed(1),
      idleBefore: +idleBefore.toFixed(1),
      perConnectionKiB: +perConnection(idleAfter).toFixed(1),
      perConnectionFreshKiB: +perConnection(idleFresh).toFixed(1),
      nodePipe: {
        idleRss: +pipeIdle.rss.toFixed(1),
        idleRssFresh: +pipeIdleFresh.rss.toFixed(1),
        idleFreshBefore: +pipeIdleFresh.before.toFixed(1),
        idleBefore: +pipeIdle.before.toFixed(1),
        perConnectionKiB: +perConnection(pipeIdle).toFixed(1),
        perConnectionFreshKiB: +perConnection(pipeIdleFresh).toFixed(1),
      },
      slowReaderGrowth: +(slowPeak - slowBefore).toFixed(1),
    },
  };
  if (only === 'data') {
    printLoad(summary, loadAtStart);
    return;
  }
  if (process.env.BENCH_UI !== '0') Object.assign(summary, { ui: await uiSection(ats.address, pki.ca.certPem) });
  const logSeconds = Number(process.env.BENCH_LOG_SECONDS ?? 10);
  if (logSeconds > 0) {
    // After the tunnel figures, so Chromium's load does not disturb them.
    await tunnel.cli.stop();
    await inspect.cli.stop();
    const logView = await runLogViewBench({ seconds: logSeconds, rate: 1000 });
    log('bench: log view done');
    console.log(
      row(['UI log view', `${logView.eventsPerSecond.toFixed(0)} ev/s`, `${logView.rows} rows`, `p95 ${logView.frameMs.p95.toFixed(1)} ms`, `max ${logView.frameMs.max.toFixed(1)} ms`]),
    );
    Object.assign(summary, { logView: { ...logView, targets: { eventsPerSecond: 1000, rows: 10_000, frameP95Ms: 17 } } });
  }
  printLoad(summary, loadAtStart);
}

/** The load average at the start and now, in the table and in the JSON summary (printed last). */
function printLoad(summary: Record<string, unknown>, loadAtStart: string): void {
  const loadAtEnd = load();
  console.log(row(['load average (1, 5, 15 min)', `start ${loadAtStart}`, '', `end ${loadAtEnd}`]));
  console.log(JSON.stringify({ ...summary, loadAverage: { start: loadAtStart, end: loadAtEnd } }));
}

try {
  await main();
} finally {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
}
process.exit(0);
