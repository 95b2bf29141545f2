/**
 * `npm run soak`: the tunnel under sustained abuse, on loopback, through a real Apache Traffic
 * Server, with the tunnel run as the real CLI process. Scenarios (each with a deadline and a
 * pass/fail verdict on a measured figure; see README "Soak"):
 *   1. concurrent connections, each with a SHA-256-checked payload both ways;
 *   2. clients that send CONNECT and FIN at once (nothing may be left open);
 *   3. partial-header and silent clients while pulsar-flex round trips keep succeeding;
 *   4. the process's file-descriptor limit reached and recovered from;
 *   5. ATS killed mid-transfer and restarted on its port (connections closed fast, with a code;
 *      new ones work without restarting the tunnel);
 *   and the tunnels' RSS before, at peak and after.
 * Prints a table on stdout and then one JSON line with every figure; progress goes to stderr. Exits
 * 1 when a scenario fails. Bounded: the whole run stops itself (killing ATS, the brokers, the sink
 * and the tunnels) after SOAK_BUDGET_SECONDS (570).
 *
 * Environment: SOAK_CONNECTIONS (1000), SOAK_MIN_KIB / SOAK_MAX_KIB (64 / 192 per direction),
 * SOAK_PARTIAL (2000), SOAK_SILENT (2000), SOAK_CONNECT_FIN (300).
 */
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { defaultHeaderTimeoutMs } from '../../src-main/core/transport/listenerGuard.ts';
import { eventually, withDeadline } from '../fixtures/deadline.ts';
import { abusiveClients } from './abusiveClients.ts';
import { concurrentChecked } from './concurrentChecked.ts';
import { connectThenFinScenario } from './connectThenFin.ts';
import { descriptorLimit } from './descriptorLimit.ts';
import { ProcessSampler } from './procfs.ts';
import { proxyCrash } from './proxyCrash.ts';
import { crashed, table, type ScenarioResult } from './report.ts';
import { inspectConnectionTimeoutMs, startRig, type Rig } from './rig.ts';
import { LogWindow } from './tunnelLog.ts';
import { memoryScenario } from './memory.ts';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const budgetMs = env('SOAK_BUDGET_SECONDS', 570) * 1000;
const connections = env('SOAK_CONNECTIONS', 1000);
const minBytes = env('SOAK_MIN_KIB', 64) * 1024;
const maxBytes = env('SOAK_MAX_KIB', 192) * 1024;
const partialHeader = env('SOAK_PARTIAL', 2000);
const silent = env('SOAK_SILENT', 2000);
const connectFin = env('SOAK_CONNECT_FIN', 300);
/** SOAK_ONLY=concurrent,connectFin,abusive,fdLimit,atsKill runs only those (for working on one). */
const only = process.env.SOAK_ONLY?.split(',');
/** How long the tunnel leaves one side open after the other closed (README, "How it works"). */
const tunnelCloseTimeoutMs = 10_000;

const log = (line: string) => process.stderr.write(`${line}\n`);
const runStarted = performance.now();
const load = { start: loadavg().map((value) => +value.toFixed(2)), end: [] as number[] };

let rig: Rig | undefined;
/** Verdicts so far, in order: printed at the end, or when the budget runs out. */
const results: ScenarioResult[] = [];

/** Prints the table and the JSON line for the verdicts so far. */
function report(note?: string): void {
  load.end = loadavg().map((value) => +value.toFixed(2));
  console.log(table(results));
  if (note) console.log(note);
  console.log(
    JSON.stringify({
      soak: 'pulsar-tunnel',
      pass: note === undefined && results.every((result) => result.pass),
      seconds: +((performance.now() - runStarted) / 1000).toFixed(1),
      loadAverage: load,
      ...(note ? { stopped: note } : {}),
      scenarios: results.map(({ name, pass, measured, target, reason, seconds, figures }) => ({ name, pass, seconds: +seconds.toFixed(1), measured, target, ...(reason ? { reason } : {}), figures })),
    }),
  );
}

// The whole run is bounded: past the budget, report what finished, stop everything (the
// process-group hooks kill what stopping misses) and exit non-zero.
const budget = setTimeout(() => {
  log(`soak: over the ${budgetMs / 1000} s budget, stopping everything`);
  report(`stopped after ${budgetMs / 1000} s, the run's budget; scenarios not listed did not finish`);
  void withDeadline(rig?.stop() ?? Promise.resolve(), 15_000, 'the rig to stop')
    .catch(() => undefined)
    .finally(() => process.exit(3));
}, budgetMs);
budget.unref();

async function scenario(name: string, target: string, deadlineMs: number, run: () => Promise<Omit<ScenarioResult, 'seconds'>>): Promise<ScenarioResult> {
  const started = performance.now();
  log(`soak: ${name} ...`);
  let result: ScenarioResult;
  try {
    result = { ...(await withDeadline(run(), deadlineMs, `the scenario "${name}"`)), seconds: (performance.now() - started) / 1000 };
  } catch (error) {
    result = crashed(name, target, error, (performance.now() - started) / 1000);
  }
  log(`soak: ${name}: ${result.pass ? 'PASS' : 'FAIL'} (${result.seconds.toFixed(1)} s) ${result.measured}${result.reason ? `; ${result.reason}` : ''}`);
  return result;
}

async function main(current: Rig): Promise<void> {
  const samplers = [new ProcessSampler(current.raw.pid), new ProcessSampler(current.inspect.pid)];
  const before = await Promise.all(samplers.map((sampler) => sampler.sample()));
  for (const sampler of samplers) sampler.start(100);
  // Deadlines: their sum (470 s) plus the start (≤ 60 s) and the end (≤ 30 s) fits the budget.
  const plan: { key: string; name: string; target: string; deadlineMs: number; run: () => Promise<Omit<ScenarioResult, 'seconds'>> }[] = [
    {
      key: 'concurrent',
      name: `${connections} concurrent, sha256 both ways`,
      target: 'all intact',
      deadlineMs: 150_000,
      run: () => concurrentChecked(current.raw, { connections, minBytes, maxBytes, phaseTimeoutMs: 60_000 }),
    },
    {
      key: 'connectFin',
      name: `${connectFin} CONNECT+FIN clients`,
      target: '0 left open',
      deadlineMs: 45_000,
      run: () => connectThenFinScenario(current.inspect, current.cluster, { clients: connectFin, boundMs: tunnelCloseTimeoutMs + 5_000 }),
    },
    {
      key: 'abusive',
      name: `${partialHeader} partial-header + ${silent} silent`,
      target: 'round trips keep succeeding, abusers dropped',
      deadlineMs: 140_000,
      run: () => abusiveClients(current.inspect, current.cluster, { partialHeader, silent, pulsarConnectTimeoutMs: inspectConnectionTimeoutMs, webHeaderBoundMs: defaultHeaderTimeoutMs, slackMs: 2_000 }),
    },
    {
      key: 'fdLimit',
      name: 'file-descriptor limit hit and recovered',
      target: 'reported, recovered',
      deadlineMs: 45_000,
      run: () => descriptorLimit(current.raw, { headroom: 64, attempts: 200, afterwards: 20 }),
    },
    {
      key: 'atsKill',
      name: 'ATS killed mid-transfer, restarted',
      target: 'closed within 1 s with a code, new connections work',
      deadlineMs: 90_000,
      run: () => proxyCrash(current, { pacedConnections: 190, pacedChunk: 4096, bulkConnections: 10, pulsarSessions: 50, midTransferBytes: 32 * 1024, afterRestart: 50, closeBoundMs: 1_000 }),
    },
  ];
  for (const step of plan.filter((candidate) => only === undefined || only.includes(candidate.key))) {
    results.push(await scenario(step.name, step.target, step.deadlineMs, step.run));
  }

  for (const sampler of samplers) sampler.stop();
  // "After": once each tunnel has no connection left open.
  for (const tunnel of [current.raw, current.inspect]) {
    const everything = new LogWindow(tunnel.cli, true);
    await eventually(() => everything.stillOpen().length === 0 || undefined, { timeoutMs: 15_000, intervalMs: 250, what: 'every connection to close' }).catch(() => undefined);
  }
  const after = await Promise.all(samplers.map((sampler) => sampler.sample()));
  results.push(memoryScenario([current.raw, current.inspect].map((tunnel, index) => ({ name: tunnel === current.raw ? 'raw' : 'inspect', before: before[index]!, peak: samplers[index]!, after: after[index]!, listenersOpened: tunnel.cli.events.filter((event) => event.event === 'pulsar.brokerPort').length }))));
}

let exitCode: number;
try {
  rig = await withDeadline(startRig(log), 60_000, 'the soak rig to start');
  await main(rig);
  report();
  exitCode = results.every((result) => result.pass) ? 0 : 1;
} catch (error) {
  log(`soak: could not run: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  exitCode = 2;
} finally {
  await withDeadline(rig?.stop() ?? Promise.resolve(), 30_000, 'the rig to stop').catch(() => undefined);
}
process.exit(exitCode);
