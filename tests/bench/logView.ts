/**
 * The log-view benchmark (issue 5): the real web host and the real AppService (its bounded
 * per-subscriber queues, 50 ms batches, oldest dropped and counted) feeding the built Svelte UI in
 * Debian's Chromium at about 1,000 connection events per second, with the log already holding its
 * 10,000 rows. Frame times are requestAnimationFrame deltas collected in the page; long tasks come
 * from PerformanceObserver('longtask'); the drop counters are read from the UI itself.
 *
 * Two event sources, both going through AppService → LogBatch → WebSocket → ConnectionLog:
 * - `real-tunnel` (the default): the engine's real Tunnel (raw mode) in front of a local TLS echo
 *   server, driven by real local TCP clients in this process: short connections (opened, secured,
 *   closed) plus long ones whose traffic makes the tunnel emit `connection.progress`. The load
 *   generator shares this process's CPU with the engine and the web host, as a busy machine would.
 * - `synthetic-through-appservice`: a scripted TunnelStarter emitting the same event shapes for
 *   rotating connection ids at an exact rate; the engine side costs almost nothing, so the figures
 *   are the UI's alone.
 *
 * Not a test: numbers vary with the machine's load. Run alone with
 * `node bin/run-ts.mjs tests/bench/logView.ts [seconds] [rate] [source]`.
 */
import { once as onceEvent } from 'node:events';
import { access } from 'node:fs/promises';
import net from 'node:net';
import tls from 'node:tls';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { AppError } from '../../shared/errors.ts';
import type { TunnelEvent } from '../../shared/model/events.ts';
import { storedProfileSchema } from '../../shared/model/storedProfile.ts';
import type { StoredProfile } from '../../shared/model/storedProfile.ts';
import { AppService } from '../../src-main/core/service/appService.ts';
import type { AppStore, RunningTunnel, TunnelStarter } from '../../src-main/core/service/ports.ts';
import type { TunnelConfig } from '../../src-main/core/config/tunnelConfig.ts';
import { Tunnel } from '../../src-main/core/tunnel/tunnel.ts';
import { ensureRendererBuild } from '../../src-main/host/rendererBuild.ts';
import { startWebHost } from '../../src-main/host/webHost.ts';
import { createTestPki } from '../fixtures/pki.ts';

/** Where the events come from; see the module comment. */
export type LogViewBenchSource = 'real-tunnel' | 'synthetic-through-appservice';

/** Options of {@link runLogViewBench}. */
export interface LogViewBenchOptions {
  /** Seconds of frame-time measurement once the log holds its rows; 10 by default. */
  seconds?: number;
  /** Target events per second during the measurement; 1,000 by default. */
  rate?: number;
  /** 'real-tunnel' by default; 'synthetic-through-appservice' gives an exact rate and an idle engine. */
  source?: LogViewBenchSource;
  /** Rows the log must hold before measuring; 10,000 (the UI's cap) by default. */
  rows?: number;
  /** Longest wait for the log to fill, in seconds; 120 by default. */
  fillTimeoutSeconds?: number;
  /** A PNG of the page taken right after the measurement, to see what was measured. */
  screenshotPath?: string;
}

/** What {@link runLogViewBench} measured. */
export interface LogViewBenchResult {
  /** Events the AppService delivered per second during the measurement (counted by a second subscriber). */
  eventsPerSecond: number;
  /** Rows the log held when the measurement ended. */
  rows: number;
  /** requestAnimationFrame deltas during the measurement, in milliseconds. */
  frameMs: { p50: number; p95: number; p99: number; max: number };
  /** Frames counted during the measurement. */
  frames: number;
  /** Long tasks (> 50 ms) seen by PerformanceObserver during the measurement; null when unsupported. */
  longTasks: number | null;
  /** Their summed duration in milliseconds; null when unsupported. */
  longTaskMs: number | null;
  /** The UI's "events dropped by the engine" counter at the end (whole run, including the fill). */
  droppedByEngine: number;
  /** The UI's "oldest rows dropped" counter at the end (whole run, including the fill). */
  droppedRows: number;
  /** The same two counters' growth during the measurement alone. */
  measured: { droppedByEngine: number; droppedRows: number; events: number; byKind: Record<string, number> };
  /** Seconds measured (wall clock around the in-page measurement). */
  seconds: number;
  /** Seconds it took the log to reach its rows. */
  fillSeconds: number;
  source: LogViewBenchSource;
}

// Debian's Chromium, headless, as root in a container (docs/testing.md, "Chromium in a container").
const chromiumPath = '/usr/bin/chromium';
const chromiumArgs = ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const profileName = 'bench';
const brokerHost = 'broker.bench.test';

/** A running event source behind the AppService; stop() ends its traffic, not the tunnel. */
interface EventSource {
  /** What the store hands the engine for the bench profile. */
  config: () => TunnelConfig;
  startTunnel: TunnelStarter;
  /** Switches between the fast fill and the measured rate. */
  setRate(eventsPerSecond: number): void;
  stop(): Promise<void>;
}

/**
 * Runs the benchmark and returns its figures; prints nothing.
 * @throws Error when Chromium or the renderer build is missing, or when the log does not fill in time;
 *   everything started (browser, web host, tunnel, servers, temp files) is closed first.
 */
export async function runLogViewBench(options: LogViewBenchOptions = {}): Promise<LogViewBenchResult> {
  const seconds = options.seconds ?? 10;
  const rate = options.rate ?? 1000;
  const source = options.source ?? 'real-tunnel';
  const targetRows = options.rows ?? 10_000;
  const fillTimeoutMs = (options.fillTimeoutSeconds ?? 120) * 1000;
  const cleanups: (() => Promise<unknown>)[] = [];
  let events: EventSource | undefined;
  try {
    await access(chromiumPath).catch((error: unknown) => {
      throw new Error(`The log-view benchmark needs Debian's Chromium at ${chromiumPath}: apt-get install -y chromium`, { cause: error });
    });
    const rendererDir = await ensureRendererBuild();
    events = source === 'real-tunnel' ? await realTunnelSource(cleanups) : syntheticSource();
    const eventSource = events;
    cleanups.push(() => eventSource.stop());

    const profile = storedProfileSchema.parse({ name: profileName, serviceUrl: `pulsar+ssl://${brokerHost}:6651`, pulsarProtocol: 'raw', listen: { port: 0 } });
    const service = new AppService({ store: memoryStore(profile, events.config), startTunnel: eventSource.startTunnel, progressIntervalMs: 100 });
    cleanups.push(() => service.dispose());
    // Counts what the batching path delivers, as the page's subscriber gets it.
    let delivered = 0;
    let byKind: Record<string, number> = {};
    const unsubscribe = service.subscribeLog(
      (batch) => {
        delivered += batch.events.length;
        for (const event of batch.events) byKind[event.event] = (byKind[event.event] ?? 0) + 1;
      },
      { replay: false },
    );
    cleanups.push(async () => unsubscribe());

    const host = await startWebHost({ api: service, rendererDir });
    cleanups.push(() => host.close());
    const browser: Browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs, headless: true });
    cleanups.push(() => browser.close());
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(host.openUrl());
    await page.getByTestId('log-view').waitFor({ timeout: 30_000 });

    // Fill: several times the measured rate, so 10,000 rows do not take minutes.
    eventSource.setRate(Math.max(rate, 5000));
    await service.startTunnel(profileName);
    const fillStart = Date.now();
    await waitFor(async () => (await readCounters(page)).rows > 0, 30_000, 'the log to show its first rows');
    await waitFor(async () => (await readCounters(page)).rows >= targetRows, fillTimeoutMs, `the log to hold ${targetRows} rows`);
    const fillSeconds = (Date.now() - fillStart) / 1000;

    eventSource.setRate(rate);
    // One second at the measured rate first, so the fill's backlog is not measured.
    await page.waitForTimeout(1000);
    const before = await readCounters(page);
    const deliveredBefore = delivered;
    byKind = {};
    const started = performance.now();
    const frames = (await page.evaluate(measureScript(seconds * 1000))) as PageFrames;
    const elapsed = (performance.now() - started) / 1000;
    const deliveredDuring = delivered - deliveredBefore;
    const after = await readCounters(page);
    if (options.screenshotPath) await page.screenshot({ path: options.screenshotPath });

    const sorted = frames.deltas.slice().sort((a, b) => a - b);
    return {
      eventsPerSecond: Math.round(deliveredDuring / elapsed),
      rows: after.rows,
      frameMs: { p50: percentile(sorted, 0.5), p95: percentile(sorted, 0.95), p99: percentile(sorted, 0.99), max: round(sorted.at(-1) ?? 0) },
      frames: sorted.length,
      longTasks: frames.longTaskSupported ? frames.longTasks : null,
      longTaskMs: frames.longTaskSupported ? round(frames.longTaskMs) : null,
      droppedByEngine: after.droppedByEngine,
      droppedRows: after.droppedRows,
      measured: { droppedByEngine: after.droppedByEngine - before.droppedByEngine, droppedRows: after.droppedRows - before.droppedRows, events: deliveredDuring, byKind },
      seconds: round(elapsed),
      fillSeconds: round(fillSeconds),
      source,
    };
  } finally {
    // The load first, so the tunnel's shutdown does not race new client connections.
    await events?.stop().catch(() => undefined);
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  }
}

interface PageFrames {
  deltas: number[];
  longTasks: number;
  longTaskMs: number;
  longTaskSupported: boolean;
}

/**
 * The in-page measurement, as source text: tsx would otherwise compile a function argument with
 * helpers (`__name`) that do not exist in the page.
 */
function measureScript(durationMs: number): string {
  return `new Promise((resolve) => {
    const deltas = [];
    let longTasks = 0, longTaskMs = 0, longTaskSupported = false, observer;
    if (typeof PerformanceObserver !== 'undefined' && (PerformanceObserver.supportedEntryTypes || []).includes('longtask')) {
      observer = new PerformanceObserver((list) => { for (const entry of list.getEntries()) { longTasks += 1; longTaskMs += entry.duration; } });
      observer.observe({ type: 'longtask' });
      longTaskSupported = true;
    }
    let last;
    const end = performance.now() + ${Number(durationMs)};
    const tick = (time) => {
      if (last !== undefined) deltas.push(time - last);
      last = time;
      if (time < end) requestAnimationFrame(tick);
      else {
        // Long tasks are reported asynchronously: collect what the observer still holds.
        if (observer) { for (const entry of observer.takeRecords()) { longTasks += 1; longTaskMs += entry.duration; } observer.disconnect(); }
        resolve({ deltas, longTasks, longTaskMs, longTaskSupported });
      }
    };
    requestAnimationFrame(tick);
  })`;
}

/** The log's own counters, from the toolbar ("N of M rows", and the dropped spans shown when > 0). */
async function readCounters(page: Page): Promise<{ rows: number; droppedByEngine: number; droppedRows: number }> {
  const text = (await page.getByTestId('log-counts').textContent({ timeout: 10_000 })) ?? '';
  const rows = Number(/of\s+(\d+)\s+rows/.exec(text)?.[1] ?? Number.NaN);
  if (!Number.isFinite(rows)) throw new Error(`The log's counter reads "${text}", not "N of M rows".`);
  const count = async (testId: string) => {
    const locator = page.getByTestId(testId);
    return (await locator.count()) === 0 ? 0 : Number((await locator.textContent()) ?? 0);
  };
  return { rows, droppedByEngine: await count('log-dropped-engine'), droppedRows: await count('log-dropped-rows') };
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}.`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return round(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0);
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

/** An AppStore holding one profile in memory; the source decides its TunnelConfig. */
function memoryStore(profile: StoredProfile, config: () => TunnelConfig): AppStore {
  const none = { token: false, clientKey: false, keyPassphrase: false };
  const refuse = async (): Promise<never> => {
    throw new AppError('PROFILE_INVALID', 'The log-view benchmark does not edit profiles.');
  };
  return {
    list: async () => [{ profile, secrets: none }],
    get: async (name) => {
      if (name !== profile.name) throw new AppError('PROFILE_NOT_FOUND', `No profile "${name}".`);
      return profile;
    },
    save: refuse,
    duplicate: refuse,
    remove: refuse,
    secretsPresent: async () => none,
    setSecret: refuse,
    keychainStatus: async () => ({ available: true }),
    importProfiles: refuse,
    exportProfiles: refuse,
    tunnelConfig: async () => config(),
    draftTunnelConfig: refuse,
  };
}

function benchConfig(proxy: { host: string; port: number }, caPem: string): TunnelConfig {
  return {
    name: profileName,
    service: { host: brokerHost, port: 6651 },
    proxy,
    listen: { host: '127.0.0.1', port: 0 },
    tls: { caPem, verifyHostname: true, allowInsecure: false },
    auth: { kind: 'none' },
    pulsarProtocol: 'raw',
    keepAliveIntervalSeconds: 0,
    connectionTimeoutMs: 10_000,
  };
}

/**
 * Scripted connections at an exact rate: 50 connections open at once, each going through opened,
 * secured, three progress events and closed (six events, so about 167 new rows a second at 1,000
 * events a second), as the engine's Tunnel emits them.
 */
function syntheticSource(): EventSource {
  let rate = 1000;
  let timer: NodeJS.Timeout | undefined;
  const stages = ['opened', 'secured', 'progress', 'progress', 'progress', 'closed'] as const;
  const slots = Array.from({ length: 50 }, () => ({ id: 0, stage: 0, openedAt: 0 }));
  let nextId = 0;
  let cursor = 0;
  let open = 0;
  const tlsSummary = { version: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384', peerSubject: `CN=${brokerHost}`, peerValidTo: new Date(Date.now() + 86_400_000).toISOString() };

  const next = (): TunnelEvent => {
    const slot = slots[cursor]!;
    cursor = (cursor + 1) % slots.length;
    if (slot.stage === 0) {
      slot.id = ++nextId;
      slot.openedAt = Date.now();
    }
    const stage = stages[slot.stage]!;
    slot.stage = (slot.stage + 1) % stages.length;
    const bytes = slot.stage * 1500;
    switch (stage) {
      case 'opened':
        open += 1;
        return { event: 'connection.opened', id: slot.id, time: new Date().toISOString(), profile: profileName, listener: 'pulsar', local: `127.0.0.1:${40_000 + (slot.id % 20_000)}`, sni: brokerHost, proxy: '127.0.0.1:4443' };
      case 'secured':
        return { event: 'connection.secured', id: slot.id, tls: tlsSummary, handshakeMs: 3 };
      case 'progress':
        return { event: 'connection.progress', id: slot.id, bytesUp: bytes, bytesDown: bytes * 4 };
      case 'closed':
        open -= 1;
        return { event: 'connection.closed', id: slot.id, bytesUp: bytes, bytesDown: bytes * 4, durationMs: Date.now() - slot.openedAt, tls: tlsSummary };
    }
  };

  return {
    // Never dialed: the scripted starter below ignores it.
    config: () => benchConfig({ host: '127.0.0.1', port: 9 }, ''),
    setRate(value) {
      rate = value;
    },
    startTunnel: async (_config, { onEvent }): Promise<RunningTunnel> => {
      onEvent({ event: 'ready', listen: { pulsar: '127.0.0.1:6650' } });
      // A token bucket on a 10 ms timer: timers drift under load, the count per second does not.
      let last = performance.now();
      let credit = 0;
      timer = setInterval(() => {
        const now = performance.now();
        credit = Math.min(credit + ((now - last) / 1000) * rate, rate);
        last = now;
        for (; credit >= 1; credit -= 1) onEvent(next());
      }, 10);
      return {
        addresses: { pulsar: '127.0.0.1:6650' },
        status: () => ({ brokers: [], openConnections: open, totalConnections: nextId }),
        dispose: async () => clearInterval(timer),
      };
    },
    async stop() {
      clearInterval(timer);
    },
  };
}

/**
 * The real engine: Tunnel.start (raw mode) in front of a local TLS echo server that holds the
 * broker's certificate, and local TCP clients through the tunnel. Short connections (3 events each)
 * make the rows; 40 long ones writing every 50 ms make `connection.progress` events (the AppService
 * asks for them every 100 ms), about 400 a second, whatever the rate.
 */
async function realTunnelSource(cleanups: (() => Promise<unknown>)[]): Promise<EventSource> {
  const pki = await createTestPki({ serverHosts: [brokerHost] });
  cleanups.push(() => pki.cleanup());
  const credential = pki.servers[brokerHost]!;
  const sockets = new Set<net.Socket>();
  const server = tls.createServer({ cert: credential.certPem, key: credential.keyPem }, (socket) => {
    sockets.add(socket);
    socket.on('data', (chunk: Buffer) => socket.write(chunk));
    socket.on('end', () => socket.end());
    socket.on('error', () => socket.destroy());
    socket.on('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await onceEvent(server, 'listening');
  cleanups.push(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  const port = (server.address() as net.AddressInfo).port;
  const config = () => benchConfig({ host: '127.0.0.1', port }, pki.ca.certPem);

  let rate = 1000;
  let stopped = false;
  let local: { host: string; port: number } | undefined;
  const clients = new Set<net.Socket>();
  const timers: NodeJS.Timeout[] = [];
  const longCount = 40;
  const progressPerSecond = longCount * 10;

  // One short connection: connect, one echo, end; resolves when it closed.
  const shortConnection = () =>
    new Promise<void>((resolve) => {
      const socket = net.connect(local!);
      clients.add(socket);
      socket.once('connect', () => socket.write('x'));
      socket.once('data', () => socket.end());
      socket.on('error', () => socket.destroy());
      socket.resume();
      socket.once('close', () => {
        clients.delete(socket);
        resolve();
      });
    });

  const run = async () => {
    // The first long connections stay open the whole run; their writes change the byte counts.
    for (let i = 0; i < longCount; i += 1) {
      const socket = net.connect(local!);
      socket.on('error', () => socket.destroy());
      socket.resume();
      clients.add(socket);
      socket.once('close', () => clients.delete(socket));
    }
    timers.push(setInterval(() => {
      for (const socket of clients) if (socket.writable && !socket.destroyed) socket.write('p');
    }, 50));
    // Short connections paced to the rate's remainder (3 events each), 64 at a time at most.
    let inFlight = 0;
    let credit = 0;
    let last = performance.now();
    timers.push(setInterval(() => {
      const now = performance.now();
      const perSecond = Math.max(0, rate - progressPerSecond) / 3;
      credit = Math.min(credit + ((now - last) / 1000) * perSecond, perSecond);
      last = now;
      for (; credit >= 1 && inFlight < 64 && !stopped; credit -= 1) {
        inFlight += 1;
        void shortConnection().then(() => (inFlight -= 1));
      }
    }, 10));
  };

  return {
    config,
    setRate(value) {
      rate = value;
    },
    startTunnel: async (tunnelConfig, tunnelOptions) => {
      const tunnel = await Tunnel.start(tunnelConfig, tunnelOptions);
      const address = tunnel.addresses.pulsar;
      const colon = address.lastIndexOf(':');
      local = { host: address.slice(0, colon).replace(/^\[|\]$/g, ''), port: Number(address.slice(colon + 1)) };
      void run();
      return tunnel;
    },
    async stop() {
      stopped = true;
      for (const timer of timers) clearInterval(timer);
      for (const socket of clients) socket.destroy();
    },
  };
}

/** `node bin/run-ts.mjs tests/bench/logView.ts [seconds] [rate] [source]`: prints the result as JSON. */
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [secondsArg, rateArg, sourceArg] = process.argv.slice(2);
  const result = await runLogViewBench({
    ...(secondsArg ? { seconds: Number(secondsArg) } : {}),
    ...(rateArg ? { rate: Number(rateArg) } : {}),
    ...(sourceArg ? { source: sourceArg as LogViewBenchSource } : {}),
  });
  console.log(JSON.stringify(result));
  process.exit(0);
}

