/**
 * The CLI's start-up, a section of `npm run bench` (and `npm run bench:startup` alone): how long
 * `pulsar-tunnel --help` takes against a bare `node -e 0` (the target is a ratio of at most 2),
 * how long `run` takes from spawning to its `ready` line, and how many processes (the target is
 * one) and how much memory the running tunnel then takes. Medians of runs interleaved with
 * the baseline, so the machine's load hits both alike. Not a test.
 *
 * Alone: `node bin/run-ts.mjs tests/bench/startup.ts [project folder]`, where the folder is another
 * checkout to measure (its own bin/pulsar-tunnel.mjs), by default this one.
 * Environment: BENCH_STARTUP_RUNS (20).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { repoRoot, startCli } from '../fixtures/cliProcess.ts';
import { median, rssMb } from './paths.ts';

/** What {@link runStartupBench} measured, in milliseconds. */
export interface StartupFigures {
  runs: number;
  nodeMs: number;
  helpMs: number;
  /** helpMs / nodeMs; the target is at most 2. */
  helpVsNode: number;
  /** From spawning `pulsar-tunnel run profile.json` to its `ready` line. */
  readyMs: number;
  /** Processes a running tunnel is made of (the CLI and its children): 1 is the target. */
  tunnelProcesses: number;
  /** Resident memory of those processes together, once `ready`. */
  tunnelRssMb: number;
}

/** The process ids of `pid`'s children, from /proc (Linux). */
async function childrenOf(pid: number): Promise<number[]> {
  const text = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '');
  return text.split(/\s+/).filter((word) => word !== '').map(Number);
}

/** Milliseconds from spawning `node ...args` to its exit; rejects when it fails. */
function timeProcess(args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, { stdio: 'ignore' });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(performance.now() - started) : reject(new Error(`node ${args.join(' ')} exited with ${String(code)}`))));
  });
}

/** Milliseconds from spawning `run` to its `ready` line, and what the running tunnel is made of; the tunnel is stopped afterwards. */
async function timeToReady(entry: string, profile: string, home: string): Promise<{ ms: number; processes: number; rssMb: number }> {
  const started = performance.now();
  const cli = startCli(['run', profile, '--log-format', 'json'], { entry: [entry], env: { PULSAR_TUNNEL_HOME: home } });
  try {
    await cli.waitForEvent((event) => event.event === 'ready', 15_000);
    const ms = performance.now() - started;
    const pids = [cli.pid, ...(await childrenOf(cli.pid))];
    const rss = await Promise.all(pids.map((pid) => rssMb(pid).catch(() => 0)));
    return { ms, processes: pids.length, rssMb: rss.reduce((sum, mb) => sum + mb, 0) };
  } finally {
    await cli.stop().catch(() => cli.stop('SIGKILL').catch(() => undefined));
  }
}

/** Measures the CLI of the project in `root` (this checkout by default). */
export async function runStartupBench(options: { root?: string; runs?: number } = {}): Promise<StartupFigures> {
  const root = options.root ?? repoRoot;
  const runs = options.runs ?? Number(process.env.BENCH_STARTUP_RUNS ?? 20);
  const entry = path.join(root, 'bin', 'pulsar-tunnel.mjs');
  const dir = await mkdtemp(path.join(tmpdir(), 'pt-bench-startup-'));
  try {
    const profile = path.join(dir, 'startup.json');
    // Nothing is dialed before a client connects: the proxy address only has to be well-formed.
    await writeFile(profile, JSON.stringify({ name: 'startup', serviceUrl: 'pulsar+ssl://pulsar.test:6651', proxyServiceUrl: 'pulsar+ssl://127.0.0.1:9', listen: { port: 0 } }));
    // One untimed round warms the file cache.
    await timeProcess(['-e', '0']);
    await timeProcess([entry, '--help']);
    const node: number[] = [];
    const help: number[] = [];
    const ready: { ms: number; processes: number; rssMb: number }[] = [];
    for (let i = 0; i < runs; i++) {
      node.push(await timeProcess(['-e', '0']));
      help.push(await timeProcess([entry, '--help']));
      if (i % 2 === 0) ready.push(await timeToReady(entry, profile, path.join(dir, 'home')));
    }
    const nodeMs = median(node);
    const helpMs = median(help);
    return {
      runs,
      nodeMs: +nodeMs.toFixed(1),
      helpMs: +helpMs.toFixed(1),
      helpVsNode: +(helpMs / nodeMs).toFixed(2),
      readyMs: +median(ready.map((one) => one.ms)).toFixed(1),
      tunnelProcesses: Math.max(...ready.map((one) => one.processes)),
      tunnelRssMb: +median(ready.map((one) => one.rssMb)).toFixed(1),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = process.argv[2] ? path.resolve(process.argv[2]) : repoRoot;
  const figures = await runStartupBench({ root });
  console.log(`${root}: node -e 0 ${figures.nodeMs} ms, --help ${figures.helpMs} ms (${figures.helpVsNode}x, target <= 2), run to ready ${figures.readyMs} ms, the running tunnel ${figures.tunnelProcesses} process(es) of ${figures.tunnelRssMb} MB (medians of ${figures.runs})`);
  console.log(JSON.stringify({ bench: 'pulsar-tunnel startup', root, ...figures, targets: { helpVsNode: 2 } }));
  process.exit(0);
}
