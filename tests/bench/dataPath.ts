/**
 * The data-path section of the benchmark: the same Pulsar frames (SEND up, MESSAGE down, 64 KiB
 * payloads) through every path, with MB/s and the CPU seconds per GiB of the process(es) that
 * carry the path (all threads, all child processes), and round-trip latency. The paths are
 * interleaved within each repeat so drift in the machine's load hits all of them alike.
 */
import { median, pingPong, pulsarDownload, pulsarPingPong, pulsarUpload, type Connect } from './paths.ts';
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
  /** Pulsar PING → PONG round trip, µs. */
  ping: { p50: number; p99: number };
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

/** Runs `repeats` rounds of upload and download through every path, then the latency rounds. */
export async function measureDataPaths(
  paths: Record<string, DataPath>,
  options: { bytes: number; repeats: number; rounds: number; log: (line: string) => void },
): Promise<Record<string, PathFigures>> {
  const figures: Record<string, PathFigures> = {};
  for (const name of Object.keys(paths)) figures[name] = { up: { mbps: [], cpuPerGiB: [] }, down: { mbps: [], cpuPerGiB: [] }, ping: { p50: 0, p99: 0 } };
  // pulsarDownload asks for whole 64 KiB messages: the bytes it moves.
  const downBytes = Math.ceil(options.bytes / 65_536) * 65_536;
  for (let i = 0; i < options.repeats; i++) {
    for (const [name, path] of Object.entries(paths)) {
      const up = await measured(path, options.bytes, () => pulsarUpload(path.connect, options.bytes));
      const down = await measured(path, downBytes, () => pulsarDownload(path.connect, options.bytes));
      const entry = figures[name]!;
      entry.up.mbps.push(up.mbps);
      entry.down.mbps.push(down.mbps);
      if (up.cpuPerGiB !== undefined) entry.up.cpuPerGiB.push(up.cpuPerGiB);
      if (down.cpuPerGiB !== undefined) entry.down.cpuPerGiB.push(down.cpuPerGiB);
    }
    options.log(`bench: data paths round ${i + 1}/${options.repeats} done`);
  }
  for (const [name, path] of Object.entries(paths)) {
    figures[name]!.ping = await pulsarPingPong(path.connect, options.rounds);
    if (path.rawBytes) figures[name]!.echo = await pingPong(path.connect, options.rounds);
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
