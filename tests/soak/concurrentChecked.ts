/**
 * Scenario: N concurrent connections through the raw tunnel and ATS to the sink, each carrying
 * deterministic bytes both ways checked by SHA-256. Every connection is first opened end to end (the
 * sink's ready mark came back through ATS and the tunnel), so all N are open at once before any
 * payload moves; then all payloads are released together.
 */
import { performance } from 'node:perf_hooks';
import { eventually } from '../fixtures/deadline.ts';
import { openShaExchange, type ShaExchange, type ShaOutcome } from '../bench/shaExchange.ts';
import type { TunnelProcess } from '../bench/processes.ts';
import { histogram, type ScenarioResult } from './report.ts';
import { closeCode, LogWindow } from './tunnelLog.ts';

export interface ConcurrentOptions {
  connections: number;
  /** Each direction of connection i carries between minBytes and maxBytes (varied, odd sizes). */
  minBytes: number;
  maxBytes: number;
  /** For opening all connections, and again for the transfers. */
  phaseTimeoutMs: number;
}

/** Opens `count` connections with at most `inFlight` opening at a time; keeps each result or error. */
async function openAll<T>(count: number, inFlight: number, open: (index: number) => Promise<T>): Promise<(T | Error)[]> {
  const results: (T | Error)[] = new Array<T | Error>(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const index = next++;
      results[index] = await open(index).catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))));
    }
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, count) }, worker));
  return results;
}

export async function concurrentChecked(tunnel: TunnelProcess, options: ConcurrentOptions): Promise<Omit<ScenarioResult, 'seconds'>> {
  const log = new LogWindow(tunnel.cli);
  const span = options.maxBytes - options.minBytes;
  const size = (index: number, salt: number) => options.minBytes + ((index * 7919 + salt) % (span + 1));
  const opened = await openAll(options.connections, 200, async (index) => {
    const socket = await tunnel.connect();
    try {
      return await openShaExchange(socket, { up: size(index, 0), down: size(index, 104_729), seed: index + 1 }, options.phaseTimeoutMs);
    } catch (error) {
      socket.destroy();
      throw error;
    }
  });
  const ready = opened.filter((item): item is ShaExchange => !(item instanceof Error));
  const openFailures = opened.filter((item): item is Error => item instanceof Error).map((error) => error.message);
  // All ready connections are open now, end to end: the tunnel's own count says so too.
  const openInTunnel = log.stillOpen().length;

  const started = performance.now();
  const outcomes: ShaOutcome[] = await Promise.all(ready.map((exchange) => exchange.run(options.phaseTimeoutMs)));
  const transferSeconds = (performance.now() - started) / 1000;

  const intact = outcomes.filter((outcome) => outcome.upIntact && outcome.downIntact && outcome.error === undefined).length;
  const expectedBytes = Array.from({ length: options.connections }, (_, index) => size(index, 0) + size(index, 104_729)).reduce((sum, value) => sum + value, 0);
  const movedBytes = outcomes.reduce((sum, outcome) => sum + outcome.bytesUp + outcome.bytesDown, 0);
  const altered = outcomes.filter((outcome) => outcome.error === undefined && !(outcome.upIntact && outcome.downIntact)).length;
  await eventually(() => log.stillOpen().length === 0 || undefined, { timeoutMs: 10_000, what: 'the tunnel to close every connection' }).catch(() => undefined);
  const codes = histogram([...log.closedById().values()].map((event) => closeCode(event)));
  const leftOpen = log.stillOpen().length;

  const n = options.connections;
  const pass = ready.length === n && openInTunnel >= n && intact === n && movedBytes === expectedBytes && leftOpen === 0;
  return {
    name: `${n} concurrent, sha256 both ways`,
    pass,
    measured: `${ready.length}/${n} open at once (tunnel counted ${openInTunnel}), ${intact}/${n} intact both ways, ${altered} altered, ${expectedBytes - movedBytes} bytes lost of ${(expectedBytes / 2 ** 20).toFixed(0)} MiB, ${(movedBytes / 1e6 / transferSeconds).toFixed(0)} MB/s in ${transferSeconds.toFixed(1)} s, ${leftOpen} left open`,
    target: `${n} open at once, all intact, 0 bytes lost or altered, none left open`,
    figures: {
      connections: n,
      openedEndToEnd: ready.length,
      openInTunnelAtOnce: openInTunnel,
      intactBothWays: intact,
      altered,
      expectedBytes,
      movedBytes,
      lostBytes: expectedBytes - movedBytes,
      transferSeconds: +transferSeconds.toFixed(2),
      aggregateMBps: +(movedBytes / 1e6 / transferSeconds).toFixed(1),
      closeCodes: codes,
      leftOpen,
      openFailures: histogram(openFailures),
      transferFailures: histogram(outcomes.filter((outcome) => outcome.error !== undefined).map((outcome) => outcome.error!)),
    },
    ...(openFailures.length > 0 ? { reason: `first open failure: ${openFailures[0]}` } : {}),
  };
}
