/**
 * `npm run bench`: the tunnel against stunnel4 and an in-process Node TLS client, through the same
 * real ATS to the same TLS sink, on loopback, in one run. Prints a table and one JSON summary line
 * with the ratios the targets are stated in. Not a test: numbers vary with the machine's load.
 *
 * Environment: BENCH_BYTES (default 1 GiB), BENCH_REPEATS (3), BENCH_ROUNDS (5000 ping-pongs),
 * BENCH_IDLE (1000 idle connections), BENCH_LOOKUPS (10000), BENCH_LOG_SECONDS (10; 0 skips the
 * log-view section, which measures frame times of the UI's live log in Debian Chromium at 1,000
 * events/s with 10,000 rows), BENCH_STARTUP_RUNS (20; the CLI start-up section, startup.ts).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eventually, freePort, once, withDeadline } from '../fixtures/deadline.ts';
import { createTestPki } from '../fixtures/pki.ts';
import { startAts } from '../fixtures/sniRouters.ts';
import { ensureOneOf, stunnelSpec } from '../fixtures/systemPrograms.ts';
import { runLogViewBench } from './logView.ts';
import { startBenchServer, startTunnelProcess, type TunnelProcess } from './processes.ts';
import { runStartupBench } from './startup.ts';
import { connectPlain, connectTlsDirect, download, lookupStorm, median, pingPong, pulsarDownload, pulsarPingPong, pulsarUpload, rssMb, upload, type Connect } from './paths.ts';

const bytes = Number(process.env.BENCH_BYTES ?? 1024 ** 3);
const repeats = Number(process.env.BENCH_REPEATS ?? 3);
const rounds = Number(process.env.BENCH_ROUNDS ?? 5000);
const idleCount = Number(process.env.BENCH_IDLE ?? 1000);
const lookups = Number(process.env.BENCH_LOOKUPS ?? 10_000);

const cleanups: (() => Promise<unknown>)[] = [];
const log = (line: string) => process.stderr.write(`${line}\n`);

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

async function startStunnel(dir: string, atsAddress: string, caPath: string): Promise<number> {
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
  return port;
}

async function startTunnel(dir: string, name: string, atsAddress: string, caPath: string, protocol: 'raw' | 'inspect'): Promise<TunnelProcess> {
  const tunnel = await startTunnelProcess(dir, { name, serviceUrl: 'pulsar+ssl://sink.test:6651', proxyServiceUrl: `pulsar+ssl://${atsAddress}`, tlsTrustCertsFilePath: caPath, pulsarProtocol: protocol, listen: { port: 0 } });
  cleanups.push(() => tunnel.cli.stop('SIGKILL').catch(() => undefined));
  return tunnel;
}

function row(cells: (string | number)[]): string {
  return cells.map((cell, index) => (typeof cell === 'number' ? cell.toFixed(cell < 10 ? 2 : 0) : cell).toString().padStart(index === 0 ? 28 : 12)).join(' ');
}

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'pt-bench-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const pki = await createTestPki({ serverHosts: ['sink.test'] });
  cleanups.push(() => pki.cleanup());
  const sink = pki.servers['sink.test']!;
  const server = await startBenchServer(sink.certPath, sink.keyPath);
  cleanups.push(() => server.stop());
  const ats = await startAts({ routes: [{ fqdn: 'sink.test', target: `127.0.0.1:${server.port}` }] });
  cleanups.push(() => ats.stop());
  // The CLI's start-up first, while nothing else of the bench runs.
  const startup = await runStartupBench();
  log(`bench: start-up done (--help ${startup.helpVsNode}x node -e 0, ready in ${startup.readyMs} ms)`);
  const tunnel = await startTunnel(dir, 'bench', ats.address, pki.ca.certPath, 'raw');
  const stunnelPort = await startStunnel(dir, ats.address, pki.ca.certPath);
  const paths: Record<string, Connect> = {
    'in-process Node TLS client': connectTlsDirect(ats.host, ats.port, 'sink.test', pki.ca.certPem),
    'pulsar-tunnel': tunnel.connect,
    stunnel4: connectPlain('127.0.0.1', stunnelPort),
  };
  const names = Object.keys(paths);
  log(`bench: ${(bytes / 1024 ** 2).toFixed(0)} MiB per transfer, ${repeats} repeats, ${rounds} ping-pongs, through ATS on ${ats.address}`);

  // Throughput, interleaving the paths so that drift in the machine's load hits all of them alike.
  const up: Record<string, number[]> = {};
  const down: Record<string, number[]> = {};
  for (let i = 0; i < repeats; i++) {
    for (const name of names) {
      (up[name] ??= []).push(await upload(paths[name]!, bytes));
      (down[name] ??= []).push(await download(paths[name]!, bytes));
    }
    log(`bench: throughput round ${i + 1}/${repeats} done`);
  }
  const latency: Record<string, { p50: number; p99: number }> = {};
  for (const name of names) latency[name] = await pingPong(paths[name]!, rounds);
  log('bench: latency done');

  // Memory: 1,000 idle tunnelled connections, each proven end to end by one echo.
  const idleBefore = await rssMb(tunnel.cli.pid);
  const idle: net.Socket[] = [];
  for (let i = 0; i < idleCount; i++) {
    const socket = await tunnel.connect();
    socket.write('Ex');
    await withDeadline(once(socket, 'data', 10_000), 10_000, 'an idle connection echo');
    idle.push(socket);
  }
  const idleRss = await rssMb(tunnel.cli.pid);
  for (const socket of idle) socket.destroy();
  await eventually(() => tunnel.cli.events.filter((event) => event.event === 'connection.closed').length >= tunnel.cli.events.filter((event) => event.event === 'connection.opened').length || undefined, {
    timeoutMs: 30_000,
    what: 'idle connections to close',
  });
  log('bench: idle connections done');

  // Memory: a slow reader must not make the tunnel buffer what the broker sends.
  const slowBefore = await rssMb(tunnel.cli.pid);
  let slowPeak = slowBefore;
  const sampler = setInterval(() => void rssMb(tunnel.cli.pid).then((mb) => (slowPeak = Math.max(slowPeak, mb))), 25);
  const slowRate = await download(tunnel.connect, bytes, { pauseMsPerMiB: 2 });
  clearInterval(sampler);
  slowPeak = Math.max(slowPeak, await rssMb(tunnel.cli.pid));
  log('bench: slow reader done');

  // Protocol inspection: the same Pulsar frames through an inspecting and a raw tunnel.
  const inspect = await startTunnel(dir, 'bench-inspect', ats.address, pki.ca.certPath, 'inspect');
  const modes: Record<string, Connect> = { inspect: inspect.connect, raw: tunnel.connect };
  const pulsarUp: Record<string, number[]> = {};
  const pulsarDown: Record<string, number[]> = {};
  for (let i = 0; i < repeats; i++) {
    for (const mode of Object.keys(modes)) {
      (pulsarUp[mode] ??= []).push(await pulsarUpload(modes[mode]!, bytes));
      (pulsarDown[mode] ??= []).push(await pulsarDownload(modes[mode]!, bytes));
    }
    log(`bench: inspect-vs-raw round ${i + 1}/${repeats} done`);
  }
  const pulsarLatency: Record<string, { p50: number; p99: number }> = {};
  const storm: Record<string, { meanUs: number; p50Us: number }> = {};
  for (const mode of Object.keys(modes)) {
    pulsarLatency[mode] = await pulsarPingPong(modes[mode]!, rounds);
    storm[mode] = await lookupStorm(modes[mode]!, lookups);
  }
  log('bench: lookup storm done');

  const med = (series: Record<string, number[]>, name: string) => median(series[name]!);
  const ours = 'pulsar-tunnel';
  const direct = 'in-process Node TLS client';
  console.log(row(['path', 'up MB/s', 'down MB/s', 'p50 µs', 'p99 µs']));
  for (const name of names) console.log(row([name, med(up, name), med(down, name), latency[name]!.p50, latency[name]!.p99]));
  console.log(row(['CLI --help vs node -e 0', startup.helpVsNode, 'x', `${startup.helpMs} ms`, `${startup.nodeMs} ms`]));
  console.log(row(['CLI run to ready', startup.readyMs, 'ms', `${startup.tunnelProcesses} process`, `${startup.tunnelRssMb} MB`]));
  console.log(row(['tunnel RSS, idle before', idleBefore, 'MB', '', '']));
  console.log(row([`tunnel RSS, ${idleCount} idle conns`, idleRss, 'MB', '', '']));
  console.log(row(['slow reader RSS growth', slowPeak - slowBefore, 'MB', `${slowRate.toFixed(0)} MB/s`, '']));
  console.log(row(['Pulsar frames', 'up MB/s', 'down MB/s', 'PING p50 µs', 'lookup µs']));
  for (const mode of Object.keys(modes)) console.log(row([`${mode} mode`, med(pulsarUp, mode), med(pulsarDown, mode), pulsarLatency[mode]!.p50, storm[mode]!.meanUs]));
  const throughput = (name: string) => (med(up, name) + med(down, name)) / 2;
  const pulsarThroughput = (mode: string) => (med(pulsarUp, mode) + med(pulsarDown, mode)) / 2;
  const summary = {
    bench: 'pulsar-tunnel',
    bytes,
    repeats,
    throughputMBps: Object.fromEntries(names.map((name) => [name, { up: +med(up, name).toFixed(1), down: +med(down, name).toFixed(1) }])),
    latencyUs: latency,
    ratios: {
      throughputVsStunnel: +(throughput(ours) / throughput('stunnel4')).toFixed(3),
      throughputVsInProcess: +(throughput(ours) / throughput(direct)).toFixed(3),
      p50AddedOverInProcessUs: +(latency[ours]!.p50 - latency[direct]!.p50).toFixed(1),
      inspectVsRawThroughput: +(pulsarThroughput('inspect') / pulsarThroughput('raw')).toFixed(3),
      lookupAddedUs: +(storm.inspect!.meanUs - storm.raw!.meanUs).toFixed(1),
    },
    pulsarFrames: {
      throughputMBps: Object.fromEntries(Object.keys(modes).map((mode) => [mode, { up: +med(pulsarUp, mode).toFixed(1), down: +med(pulsarDown, mode).toFixed(1) }])),
      pingUs: pulsarLatency,
      lookupStorm: { lookups, ...storm },
    },
    startup: { ...startup, targets: { helpVsNode: 2, tunnelProcesses: 1 } },
    memoryMB: { idleConnections: idleCount, idleRss: +idleRss.toFixed(1), slowReaderGrowth: +(slowPeak - slowBefore).toFixed(1) },
    targets: { throughputVsStunnel: 1.2, throughputVsInProcess: 0.85, p50AddedOverInProcessUs: 40, idleRssMB: 150, slowReaderGrowthMB: 32, inspectVsRawThroughput: 0.95 },
  };
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
  console.log(JSON.stringify(summary));
}

try {
  await main();
} finally {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
}
process.exit(0);
