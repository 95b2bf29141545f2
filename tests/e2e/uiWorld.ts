/**
 * The world the end-to-end UI tests run in: Debian's Chromium (Playwright's library API) on the web
 * host, with the real engine, profile store and OS keychain (a private gnome-keyring), a real Apache
 * Traffic Server routing by SNI, the three-broker test cluster with token auth, and pulsar-flex as
 * the client. One instance per test file; `close()` stops everything it started.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { createAppService } from '../../src-main/core/service/createAppService.ts';
import type { OwnedAppService } from '../../src-main/core/service/createAppService.ts';
import { ensureRendererBuild, projectRoot } from '../../src-main/host/rendererBuild.ts';
import { startWebHost } from '../../src-main/host/webHost.ts';
import type { WebHost } from '../../src-main/host/webHost.ts';
import { startSecretService } from '../unit/core/secrets/secretService.ts';
import type { SecretService } from '../unit/core/secrets/secretService.ts';
import { withDeadline } from '../fixtures/deadline.ts';
import { createTestPki } from '../fixtures/pki.ts';
import type { TestPki } from '../fixtures/pki.ts';
import { startPulsarCluster } from '../fixtures/pulsarCluster/cluster.ts';
import type { PulsarTestCluster } from '../fixtures/pulsarCluster/cluster.ts';
import { startAts } from '../fixtures/sniRouters.ts';
import type { SniRouter } from '../fixtures/sniRouters.ts';
import { ensureProgram } from '../fixtures/systemPrograms.ts';

const chromiumPath = '/usr/bin/chromium';
// Debian's Chromium, as root in a container, headless (docs/testing.md, "Chromium in a container").
const chromiumArgs = ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
export const brokerHosts = ['broker1.test', 'broker2.test', 'broker3.test'];
export const serviceHost = 'pulsar.test';
export const e2eToken = 'e2e-token';
/** Screenshots go here (gitignored). */
export const screenshotDir = join(projectRoot, 'test-results');
/** The UI polls tunnel status every 2 s: give every on-screen expectation several polls. */
export const poll = { timeout: 10_000, interval: 100 };

/** The slice of pulsar-flex's untyped API the tests use. */
export interface FlexProducer {
  create(): Promise<boolean>;
  sendMessage(message: { payload: string }): Promise<boolean>;
  close(): Promise<boolean>;
}
interface PulsarFlex {
  Producer: new (options: Record<string, unknown>) => FlexProducer;
}
export const flex = createRequire(import.meta.url)('pulsar-flex') as PulsarFlex;

export interface UiWorld {
  pki: TestPki;
  cluster: PulsarTestCluster;
  ats: SniRouter;
  owned: OwnedAppService;
  host: WebHost;
  browser: Browser;
  page: Page;
  workDir: string;
  /** Producers created through {@link UiWorld.producer}; closed by close(). */
  producers: FlexProducer[];
  /** A pulsar-flex producer on `topic` through the local address `listen`, created (20 s deadline). */
  producer(listen: string, topic: string): Promise<FlexProducer>;
  close(): Promise<void>;
}

/** Starts the world; `viewport` is the page's size (1400×900 by default). */
export async function startUiWorld(options: { viewport?: { width: number; height: number }; prefix?: string } = {}): Promise<UiWorld> {
  await ensureProgram({ binary: 'chromium', debianPackage: 'chromium', neededFor: 'the end-to-end UI tests (Playwright drives Debian Chromium)' });
  const workDir = await mkdtemp(join(tmpdir(), options.prefix ?? 'pt-e2e-'));
  await mkdir(screenshotDir, { recursive: true });
  const started: { close: () => Promise<unknown> }[] = [];
  const producers: FlexProducer[] = [];
  const close = async () => {
    await Promise.allSettled(producers.map((producer) => withDeadline(producer.close(), 5000, 'a producer to close')));
    for (const part of started.reverse()) await part.close().catch(() => undefined);
    await rm(workDir, { recursive: true, force: true });
  };
  try {
    // A private build, so a stale out/renderer (or another build running) cannot skew the test.
    const rendererDir = await ensureRendererBuild({ rendererDir: join(workDir, 'renderer') });
    const pki = await createTestPki({ serverHosts: [...brokerHosts, serviceHost] });
    started.push({ close: () => pki.cleanup() });
    const cluster = await startPulsarCluster({ brokers: brokerHosts, serviceHost, pki, auth: { token: e2eToken } });
    started.push({ close: () => cluster.stop() });
    const ats = await startAts({ routes: cluster.sniRoutes() });
    started.push({ close: () => ats.stop() });
    // The real OS keychain (keytar) on a private gnome-keyring, so the token never touches a file.
    const secrets: SecretService = await startSecretService();
    started.push({ close: () => secrets.stop() });
    const owned = await createAppService({ dataDir: join(workDir, 'data'), progressIntervalMs: 250 });
    started.push({ close: () => owned.dispose() });
    const host = await startWebHost({ api: owned.service, rendererDir });
    started.push({ close: () => host.close() });
    const browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs, headless: true });
    started.push({ close: () => browser.close() });
    const page = await browser.newPage({ viewport: options.viewport ?? { width: 1400, height: 900 }, acceptDownloads: true });
    page.setDefaultTimeout(15_000);
    const producer = async (listen: string, topic: string) => {
      const created = new flex.Producer({ topic, discoveryServers: [listen], producerAccessMode: 0, logLevel: 0 });
      producers.push(created);
      await withDeadline(created.create(), 20_000, `a pulsar-flex producer on ${topic}`);
      return created;
    };
    return { pki, cluster, ats, owned, host, browser, page, workDir, producers, producer, close };
  } catch (error) {
    await close();
    throw error;
  }
}
