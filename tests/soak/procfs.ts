/**
 * What the soak reads about the tunnel process from /proc (its own RSS and open descriptors) and how
 * it lowers that process's descriptor limit (util-linux `prlimit`), so the figures are the real
 * process's, not the test's.
 */
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { rssMb } from '../bench/paths.ts';

const run = promisify(execFile);

export { rssMb };

/** Whether process `pid` (one of the soak's own children) still exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** How many file descriptors process `pid` has open. */
export async function fdCount(pid: number): Promise<number> {
  return (await readdir(`/proc/${pid}/fd`)).length;
}

/** The soft and hard "Max open files" of process `pid`. */
export async function fdLimit(pid: number): Promise<{ soft: number; hard: number }> {
  const limits = await readFile(`/proc/${pid}/limits`, 'utf8');
  const match = /^Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/m.exec(limits);
  if (!match) throw new Error(`no "Max open files" line in /proc/${pid}/limits`);
  const value = (text: string) => (text === 'unlimited' ? Number.POSITIVE_INFINITY : Number(text));
  return { soft: value(match[1]!), hard: value(match[2]!) };
}

/**
 * Sets the soft descriptor limit of running process `pid` (the hard limit stays).
 * @throws Error with prlimit's message when it refuses.
 */
export async function setSoftFdLimit(pid: number, soft: number): Promise<void> {
  await run('prlimit', [`--pid=${pid}`, `--nofile=${soft}:`]);
}

/** Peak and last values of a process's RSS and descriptor count, sampled on a timer. */
export class ProcessSampler {
  readonly pid: number;
  peakRssMb = 0;
  peakFds = 0;
  #timer: NodeJS.Timeout | undefined;
  #busy = false;

  constructor(pid: number) {
    this.pid = pid;
  }

  /** Takes one sample now; resolves with it. A process that has exited gives NaN. */
  async sample(): Promise<{ rssMb: number; fds: number }> {
    const [rss, fds] = await Promise.all([rssMb(this.pid).catch(() => Number.NaN), fdCount(this.pid).catch(() => Number.NaN)]);
    if (rss > this.peakRssMb) this.peakRssMb = rss;
    if (fds > this.peakFds) this.peakFds = fds;
    return { rssMb: rss, fds };
  }

  /** Samples every `intervalMs` until {@link stop}. */
  start(intervalMs = 100): void {
    this.#timer = setInterval(() => {
      if (this.#busy) return;
      this.#busy = true;
      void this.sample().finally(() => (this.#busy = false));
    }, intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}
