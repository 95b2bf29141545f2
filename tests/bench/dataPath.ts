/**
 * The data-path section of the benchmark: the same Pulsar frames (SEND up, MESSAGE down, 64 KiB
 * payloads) through every path, with MB/s and the CPU seconds per GiB of the process(es) that
 * carry the path (all threads, all child processes), and round-trip latency. The paths are
 * interleaved within each repeat so drift in the machine's load hits all of them alike.
 */
import { median, percentiles, pingPongSamples, pingWarmup, pulsarDownload, pulsarPingPongSamples, pulsarUpload, type Connect } from './paths.ts';
import { treeCpuSeconds } from './processTree.ts';

/** One measured path: how to reach it, and the process that carries it (none: in this process). */
export interface DataPath {
  connect: Connect;
  pid?: number;
  /** The path carries arbitrary bytes (not only Pulsar frames), so the 100-byte echo can run. */
  rawBytes: boolean;
}

export interface DirectionFigures {
  /** MB/s of each repeat. */
  mbps: number[];
  /** CPU seconds per GiB of each repeat (undefined entries when the path has no process of its own). */
  cpuPerGiB: number[];
}

export interface PathFigures {
  up: DirectionFigures;
  down: DirectionFigures;
  /**
   * Pulsar PING → PONG round trip, µs; `cpuUs`: CPU µs the path's process(es) spent per round trip
   * (with one connection's set-up per slice; paths with no process of their own have none).
   */
  ping: { p50: number; p99: number; cpuUs?: number };
  /** 100-byte echo round trip, µs (paths that carry arbitrary bytes). */
  echo?: { p50: number; p99: number };
}

const GiB = 1024 ** 3;

async function measured(path: DataPath, bytes: number, run: () => Promise<number>): Promise<{ mbps: number; cpuPerGiB?: number }> {
  const before = path.pid === undefined ? undefined : await treeCpuSeconds(path.pid);
  const mbps = await run();
  if (before === undefined) return { mbps };
  const seconds = (await treeCpuSeconds(path.pid!)) - before;
  return { mbps, cpuPerGiB: seconds / (bytes / GiB) };
}

/** `names` rotated left by `by`: round i starts with a different path (A B C, B C A, C A B, ...). */
export function rotated<T>(names: T[], by: number): T[] {
  const at = names.length === 0 ? 0 : by % names.length;
  return [...names.slice(at), ...names.slice(0, at)];
}

/**
 * Runs `repeats` rounds of upload and download through every path, then the latency rounds. Each
 * round goes through the paths in a rotated order (so no path is always first after a pause, or
 * always right after the heaviest one), after one unrecorded warm-up round of `warmupBytes` per
 * path (JIT, TLS session caches, socket buffers). The latency rounds are interleaved too: each
 * path's ping-pongs run in `latencySlices` slices, one slice per path in turn.
 */
export async function measureDataPaths(
  paths: Record<string, DataPath>,
  options: { bytes: number; repeats: number; rounds: number; warmupBytes?: number; latencySlices?: number; log: (line: string) => void },
): Promise<Record<string, PathFigures>> {
  const figures: Record<string, PathFigures> = {};
  const names = Object.keys(paths);
  for (const name of names) figures[name] = { up: { mbps: [], cpuPerGiB: [] }, down: { mbps: [], cpuPerGiB: [] }, ping: { p50: 0, p99: 0 } };
  const warmupBytes = options.warmupBytes ?? Math.min(options.bytes, 64 * 1024 ** 2);
  if (warmupBytes > 0) {
    for (const name of names) {
      await pulsarUpload(paths[name]!.connect, warmupBytes);
      await pulsarDownload(paths[name]!.connect, warmupBytes);
    }
    options.log(`bench: warm-up done (${(warmupBytes / 1024 ** 2).toFixed(0)} MiB each way per path)`);
  }
  // pulsarDownload asks for whole 64 KiB messages: the bytes it moves.
  const downBytes = Math.ceil(options.bytes / 65_536) * 65_536;
  for (let i = 0; i < options.repeats; i++) {
    // Uploads of every path, then downloads of every path, each in this round's order.
    const order = rotated(names, i);
    for (const name of order) {
      const path = paths[name]!;
      const up = await measured(path, options.bytes, () => pulsarUpload(path.connect, options.bytes));
      figures[name]!.up.mbps.push(up.mbps);
      if (up.cpuPerGiB !== undefined) figures[name]!.up.cpuPerGiB.push(up.cpuPerGiB);
    }
    for (const name of order) {
      const path = paths[name]!;
      const down = await measured(path, downBytes, () => pulsarDownload(path.connect, options.bytes));
      figures[name]!.down.mbps.push(down.mbps);
      if (down.cpuPerGiB !== undefined) figures[name]!.down.cpuPerGiB.push(down.cpuPerGiB);
    }
    options.log(`bench: data paths round ${i + 1}/${options.repeats} done (order: ${order.join(', ')})`);
  }
  const slices = Math.max(1, options.latencySlices ?? 5);
  const perSlice = Math.max(1, Math.ceil(options.rounds / slices));
  const pings: Record<string, number[]> = {};
  const echoes: Record<string, number[]> = {};
  /** CPU seconds and round trips (recorded or warm-up) of each path's PING slices. */
  const pingCpu: Record<string, { seconds: number; roundTrips: number }> = {};
  for (let slice = 0; slice < slices; slice++) {
    for (const name of rotated(names, slice)) {
      const path = paths[name]!;
      const before = path.pid === undefined ? undefined : await treeCpuSeconds(path.pid);
      const samples = await pulsarPingPongSamples(path.connect, perSlice);
      if (before !== undefined) {
        const cpu = (pingCpu[name] ??= { seconds: 0, roundTrips: 0 });
        cpu.seconds += (await treeCpuSeconds(path.pid!)) - before;
        cpu.roundTrips += perSlice + pingWarmup(perSlice);
      }
      (pings[name] ??= []).push(...samples);
      if (path.rawBytes) (echoes[name] ??= []).push(...(await pingPongSamples(path.connect, perSlice)));
    }
  }
  for (const name of names) {
    const cpu = pingCpu[name];
    figures[name]!.ping = { ...percentiles(pings[name]!), ...(cpu ? { cpuUs: (cpu.seconds * 1e6) / cpu.roundTrips } : {}) };
    if (echoes[name]) figures[name]!.echo = percentiles(echoes[name]);
  }
  options.log('bench: latency done');
  return figures;
}

/** Median of a series, or NaN when empty. */
export function mid(values: number[]): number {
  return values.length === 0 ? Number.NaN : median(values);
}

/** "min–max" of a series, for the ranges the report gives. */
export function range(values: number[], digits = 2): string {
  if (values.length === 0) return '—';
  const sorted = [...values].sort((a, b) => a - b);
  return `${sorted[0]!.toFixed(digits)}–${sorted[sorted.length - 1]!.toFixed(digits)}`;
}
