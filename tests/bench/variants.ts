/**
 * `npm run bench:variants`: the tunnel (inspection on) run as several processes side by side, each
 * a variant (Node flags, environment variables), against the plain Node
 * pipe, through the same ATS to the same sink, interleaved in one run like `npm run bench`. For
 * measuring one idea at a time on a shared machine: the ratios to the pipe within the run matter.
 *
 * BENCH_VARIANTS: JSON object {"name": "node flags" or {"flags": "...", "env": {...}, "entry": "..."}, ...}
 * (default: the tunnel as is); `entry` runs another checkout's CLI (its bin/pulsar-tunnel.mjs), e.g.
 * the main branch's beside this one's;
 * BENCH_BYTES (256 MiB), BENCH_REPEATS (5), BENCH_ROUNDS (2000), BENCH_IDLE (1000; 0 skips it): after
 * the transfers, the RSS of each variant (and of the pipe) with that many idle connections, one
 * variant after the other, as `npm run bench` measures it.
 */
import { spawn } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { cliEntry, repoRoot } from '../fixtures/cliProcess.ts';
import { once, withDeadline } from '../fixtures/deadline.ts';
import { measureDataPaths, mid, range, type DataPath } from './dataPath.ts';
import { idleMemory, perConnectionKiB, type IdleMemory } from './idleMemory.ts';
import { connectPlain } from './paths.ts';
import { startSinkWorld, startTunnelProcess } from './processes.ts';

const bytes = Number(process.env.BENCH_BYTES ?? 256 * 1024 ** 2);
const repeats = Number(process.env.BENCH_REPEATS ?? 5);
const rounds = Number(process.env.BENCH_ROUNDS ?? 2000);
const idleCount = Number(process.env.BENCH_IDLE ?? 1000);
const variants = JSON.parse(process.env.BENCH_VARIANTS ?? '{"tunnel":""}') as Record<string, string | { flags?: string; env?: Record<string, string>; entry?: string }>;
const cleanups: (() => Promise<unknown>)[] = [];
const log = (line: string) => process.stderr.write(`${line}\n`);
const load = () => loadavg().map((value) => value.toFixed(2)).join(', ');

async function main(): Promise<void> {
  const loadAtStart = load();
  log(`variants: load average at start ${loadAtStart} (${cpus().length} CPUs)`);
  const { dir, pki, ats } = await startSinkWorld('pt-variants-', cleanups);
  const paths: Record<string, DataPath> = {};
  let index = 0;
  for (const [name, variant] of Object.entries(variants)) {
    const { flags = '', env = {}, entry = cliEntry } = typeof variant === 'string' ? { flags: variant } : variant;
    const profile = { name: `variant-${index++}`, serviceUrl: 'pulsar+ssl://sink.test:6651', proxyServiceUrl: `pulsar+ssl://${ats.address}`, tlsTrustCertsFilePath: pki.ca.certPath, listen: { port: 0 } };
    const tunnel = await startTunnelProcess(dir, profile, { entry: [...flags.split(' ').filter(Boolean), path.resolve(entry)], env });
    cleanups.push(() => tunnel.cli.stop('SIGKILL').catch(() => undefined));
    paths[name] = { connect: tunnel.connect, pid: tunnel.pid, rawBytes: false };
  }
  const child = spawn(process.execPath, [path.join(repoRoot, 'tests/bench/nodePipe.mjs'), ats.host, String(ats.port), 'sink.test', pki.ca.certPath], { stdio: ['ignore', 'pipe', 'inherit'] });
  cleanups.push(async () => child.kill('SIGKILL'));
  const first = await withDeadline(once<string>(readline.createInterface({ input: child.stdout! }), 'line', 15_000), 15_000, 'the Node pipe');
  paths['Node pipe'] = { connect: connectPlain('127.0.0.1', (JSON.parse(String(first)) as { port: number }).port), pid: child.pid!, rawBytes: false };

  const figures = await measureDataPaths(paths, { bytes, repeats, rounds, log });
  const memory: Record<string, IdleMemory> = {};
  if (idleCount > 0) {
    for (const [name, dataPath] of Object.entries(paths)) memory[name] = await idleMemory(dataPath.pid!, dataPath.connect, idleCount);
    log(`variants: ${idleCount} idle connections done`);
  }
  const pipe = figures['Node pipe']!;
  const cells = (values: (string | number)[]) => values.map((cell, i) => (typeof cell === 'number' ? cell.toFixed(2) : cell).padStart(i === 0 ? 24 : 13)).join(' ');
  console.log(cells(['variant', 'up MB/s', 'down MB/s', 'up CPU s/GiB', 'dn CPU s/GiB', 'up ÷ pipe', 'dn ÷ pipe', 'PING p50 µs', 'PING p99 µs']));
  for (const [name, entry] of Object.entries(figures)) {
    const ratio = (direction: 'up' | 'down') => entry[direction].cpuPerGiB.map((value, i) => value / pipe[direction].cpuPerGiB[i]!);
    console.log(cells([name, mid(entry.up.mbps), mid(entry.down.mbps), mid(entry.up.cpuPerGiB), mid(entry.down.cpuPerGiB), mid(ratio('up')), mid(ratio('down')), entry.ping.p50, entry.ping.p99]));
    console.log(cells(['  range', range(entry.up.mbps, 0), range(entry.down.mbps, 0), range(entry.up.cpuPerGiB), range(entry.down.cpuPerGiB), range(ratio('up')), range(ratio('down')), '', '']));
  }
  if (idleCount > 0) {
    console.log(cells(['RSS after the transfers', 'no conns MB', `${idleCount} idle MB`, 'KiB per conn']));
    for (const [name, figures] of Object.entries(memory)) console.log(cells([name, figures.before, figures.rss, perConnectionKiB(figures, idleCount)]));
  }
  console.log(`load average: start ${loadAtStart}, end ${load()}`);
  console.log(JSON.stringify({ variants, bytes, repeats, paths: figures, ...(idleCount > 0 ? { idleConnections: idleCount, memoryMB: memory } : {}), loadAverage: { start: loadAtStart, end: load() } }));
}

try {
  await main();
} finally {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
}
process.exit(0);
