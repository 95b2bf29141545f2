/**
 * End to end, as a user meets the app: Debian's Chromium (driven by Playwright's library API)
 * on the web host, with the real engine, the real profile store and OS keychain (a private
 * gnome-keyring), a real Apache Traffic Server routing by SNI, the three-broker test cluster, and
 * the real pulsar-flex client driving traffic through the tunnel.
 *
 * The steps share one page and run in order: create a profile by typing it in, import one from a
 * client.conf, start the tunnel, drive traffic, watch the log rows (growing byte counts, the right
 * brokers), see a broken profile explained, stop, export the log. Screenshots of the main screens
 * in light and dark go to test-results/.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OwnedAppService } from '../../src-main/core/service/createAppService.ts';
import type { WebHost } from '../../src-main/host/webHost.ts';
import { eventually, withDeadline } from '../fixtures/deadline.ts';
import type { TestPki } from '../fixtures/pki.ts';
import { TestClientConnection } from '../fixtures/pulsarCluster/client.ts';
import type { PulsarTestCluster } from '../fixtures/pulsarCluster/cluster.ts';
import type { SniRouter } from '../fixtures/sniRouters.ts';
import { brokerHosts, e2eToken as token, flex, poll, screenshotDir, serviceHost, startUiWorld, type FlexProducer, type UiWorld } from './uiWorld.ts';

const stepTimeout = 90_000;

let world: UiWorld;
let pki: TestPki;
let cluster: PulsarTestCluster;
let ats: SniRouter;
let workDir: string;
let owned: OwnedAppService;
let host: WebHost;
let page: Page;
let producers: FlexProducer[];

beforeAll(async () => {
  world = await startUiWorld();
  ({ pki, cluster, ats, workDir, owned, host, page, producers } = world);
}, 180_000);

afterAll(async () => {
  await world?.close();
}, 60_000);

/** Saves the current screen in light and dark as test-results/ui-<name>-<scheme>.png. */
async function screenshots(name: string): Promise<void> {
  // Notices (toasts) would cover the screen; the steps have already checked what matters.
  const dismiss = page.getByRole('button', { name: 'Dismiss notice' });
  while ((await dismiss.count()) > 0) await dismiss.first().click();
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    await page.screenshot({ path: join(screenshotDir, `ui-${name}-${colorScheme}.png`), fullPage: true });
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

const byTestId = (id: string) => page.getByTestId(id);

async function selectProfile(name: string): Promise<void> {
  await byTestId(`profile-item-${name}`).click();
}

/** Exact bytes of the first row whose broker cell mentions `broker` (from the cell's title). */
async function rowBytes(profile: string, broker: string): Promise<{ up: number; down: number } | undefined> {
  const row = page.locator(`[data-testid="log-row"][data-profile="${profile}"]`).filter({ has: page.getByTestId('log-broker').filter({ hasText: broker }) }).first();
  if ((await row.count()) === 0) return undefined;
  const up = Number.parseInt((await row.getByTestId('log-bytes-up').getAttribute('title')) ?? '', 10);
  const down = Number.parseInt((await row.getByTestId('log-bytes-down').getAttribute('title')) ?? '', 10);
  return { up, down };
}

describe('the app in Chromium, over the web host, with the real engine', () => {
  it('creates a profile by typing it in, with its CA and token', async () => {
    await page.goto(host.openUrl());
    await expect.poll(() => page.url(), poll).not.toContain('token=');
    await byTestId('profile-new').click();
    await byTestId('field-name').fill('typed');
    await byTestId('field-serviceUrl').fill(`pulsar+ssl://${serviceHost}:6651`);
    await byTestId('field-proxyServiceUrl').fill(`pulsar+ssl://${ats.host}:${ats.port}`);
    await byTestId('field-proxyProtocolSni').check();
    await byTestId('field-auth').selectOption('token');
    await byTestId('field-listen.port').fill('0');
    await screenshots('profile-form');
    await byTestId('profile-save').click();
    await expect.poll(() => byTestId('profile-item-typed').count(), poll).toBe(1);

    await byTestId('tab-certificates').click();
    await byTestId('ca-paste').fill(pki.ca.certPem);
    await byTestId('ca-add').click();
    await expect.poll(() => byTestId('ca-certificate').count(), poll).toBeGreaterThan(0);
    await byTestId('secret-token-input').fill(token);
    await byTestId('secret-token-save').click();
    await expect.poll(() => byTestId('secret-token-status').textContent(), poll).toBe('set');
    await screenshots('certificates');

    const [view] = (await owned.service.listProfiles()).filter((candidate) => candidate.profile.name === 'typed');
    expect(view?.profile).toMatchObject({ serviceUrl: `pulsar+ssl://${serviceHost}:6651`, proxyServiceUrl: `pulsar+ssl://${ats.host}:${ats.port}`, proxyProtocol: 'SNI', auth: 'token' });
    expect(view?.secrets.token).toBe(true);
    expect(view?.trustCerts[0]?.fingerprint256).toMatch(/^[0-9A-F:]+$/);
  }, stepTimeout);

  it('names the field of a wrong entry, and shows the engine refusing a name that is taken', async () => {
    await byTestId('profile-new').click();
    await byTestId('field-name').fill('typed');
    await byTestId('field-serviceUrl').fill(`pulsar://${serviceHost}:6650`);
    await byTestId('field-serviceUrl').blur();
    await expect.poll(() => byTestId('error-serviceUrl').textContent(), poll).toMatch(/^serviceUrl: .*pulsar\+ssl:\/\//);
    await byTestId('field-serviceUrl').fill(`pulsar+ssl://${serviceHost}:6651`);
    await byTestId('profile-save').click();
    // Valid in the form, refused by the store over the API: the error crosses as its code and message.
    await expect.poll(() => byTestId('profile-save-error').textContent(), poll).toMatch(/already exists/);
    await byTestId('profile-cancel').click();
    expect((await owned.service.listProfiles()).map((candidate) => candidate.profile.name)).toEqual(['typed']);
  }, stepTimeout);

  it('imports a profile from a client.conf', async () => {
    const caFile = join(workDir, 'ca.pem');
    await writeFile(caFile, pki.ca.certPem);
    const clientConf = join(workDir, 'imported.conf');
    await writeFile(
      clientConf,
      [
        '# exported from a Pulsar client setup',
        `brokerServiceUrl=pulsar+ssl://${serviceHost}:6651`,
        `proxyServiceUrl=pulsar+ssl://${ats.host}:${ats.port}`,
        'proxyProtocol=SNI',
        `tlsTrustCertsFilePath=${caFile}`,
        'authPlugin=org.apache.pulsar.client.impl.auth.AuthenticationToken',
        `authParams=token:${token}`,
        '',
      ].join('\n'),
    );
    await byTestId('profile-import').setInputFiles(clientConf);
    // A client.conf names no profile: the app asks, suggesting the file's name.
    await expect.poll(() => byTestId('import-name').inputValue(), poll).toBe('imported');
    await byTestId('import-rename').click();
    await expect.poll(() => byTestId('profile-item-imported').count(), poll).toBe(1);
    const [view] = (await owned.service.listProfiles()).filter((candidate) => candidate.profile.name === 'imported');
    expect(view?.profile).toMatchObject({ serviceUrl: `pulsar+ssl://${serviceHost}:6651`, proxyServiceUrl: `pulsar+ssl://${ats.host}:${ats.port}`, auth: 'token' });
    expect(view?.secrets.token).toBe(true);
    expect(view?.trustCerts).toHaveLength(1);
  }, stepTimeout);

  it('starts the tunnel and shows where it listens', async () => {
    await selectProfile('typed');
    await byTestId('tab-tunnel').click();
    await byTestId('tunnel-toggle').click();
    await expect.poll(() => byTestId('tunnel-state').textContent(), poll).toMatch(/running/);
    const listen = (await byTestId('listen-pulsar').textContent())?.trim() ?? '';
    expect(listen).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(owned.service.statusOf('typed').listen?.pulsar).toBe(listen);
    await expect.poll(() => byTestId('running-count').textContent(), poll).toMatch(/^1 running/);
  }, stepTimeout);

  it('shows connection rows with the right brokers and growing byte counts while pulsar-flex produces', async () => {
    const listen = owned.service.statusOf('typed').listen!.pulsar;
    // One producer per broker: each topic is owned by a different broker, so the tunnel must route
    // every producer to its owner (via the lookup answers it rewrites).
    for (const broker of brokerHosts) {
      const producer = new flex.Producer({ topic: cluster.topicOwnedBy(broker, 'e2e'), discoveryServers: [listen], producerAccessMode: 0, logLevel: 0 });
      producers.push(producer);
      await withDeadline(producer.create(), 20_000, `a pulsar-flex producer on ${broker}'s topic`).catch((error: unknown) => {
        // Say what the tunnel must do for this to work, besides pulsar-flex's own message.
        throw new Error(
          `pulsar-flex could not create a producer through the tunnel (${(error as Error).message}); the tunnel must add the profile's token to CONNECT and route each broker named in lookups to its own local port (pulsarProtocol "inspect")`,
          { cause: error },
        );
      });
      await withDeadline(producer.sendMessage({ payload: `hello ${broker}` }), 10_000, `a message to ${broker}`);
    }
    for (const broker of brokerHosts) {
      await eventually(() => cluster.brokerStats(broker).messagesByTopic[cluster.topicOwnedBy(broker, 'e2e')] === 1, { timeoutMs: 10_000, what: `the message on ${broker}` });
    }
    for (const broker of brokerHosts) {
      await eventually(async () => ((await rowBytes('typed', broker))?.up ?? 0) > 0, { timeoutMs: 10_000, what: `a log row for ${broker} with bytes` });
    }
    const before = (await rowBytes('typed', 'broker2.test'))!;
    for (let index = 0; index < 20; index += 1) await producers[1]!.sendMessage({ payload: `more ${index} ${'x'.repeat(4096)}` });
    await eventually(async () => ((await rowBytes('typed', 'broker2.test'))?.up ?? 0) >= before.up + 20 * 4096, { timeoutMs: 10_000, what: 'the byte count of the broker2 row to grow while open' });
    const after = (await rowBytes('typed', 'broker2.test'))!;
    expect(after.down).toBeGreaterThan(before.down);
    await expect.poll(() => page.locator('[data-testid="log-row"][data-state="open"]').count(), poll).toBeGreaterThanOrEqual(3);
    await expect.poll(() => byTestId('broker-row').count(), poll).toBeGreaterThanOrEqual(3);
    await screenshots('tunnel-running');
  }, stepTimeout);

  it('explains a broken profile: an untrusted broker certificate', async () => {
    await owned.service.saveProfile({
      name: 'broken',
      serviceUrl: `pulsar+ssl://${serviceHost}:6651`,
      proxyServiceUrl: `pulsar+ssl://${ats.host}:${ats.port}`,
      proxyProtocol: 'SNI',
      tlsTrustCertsPem: pki.otherCa.certPem,
      listen: { port: 0 },
    });
    await page.reload();
    await selectProfile('broken');
    await byTestId('tab-tunnel').click();
    await byTestId('tunnel-toggle').click();
    await expect.poll(() => byTestId('tunnel-state').textContent(), poll).toMatch(/running/);
    const [listenHost, listenPort] = owned.service.statusOf('broken').listen!.pulsar.split(':');
    // A Pulsar client's CONNECT: the tunnel dials the proxy and fails the TLS handshake.
    const client = await TestClientConnection.open({ host: listenHost!, port: Number(listenPort), timeoutMs: 5000 });
    await expect(client.connect({ clientVersion: 'e2e-broken' })).rejects.toThrow();
    await expect.poll(() => byTestId('tunnel-state').textContent(), { ...poll, timeout: 15_000 }).toMatch(/failing/);
    await client.close();
    await expect.poll(() => byTestId('tunnel-last-error').textContent(), poll).toMatch(/TUNNEL_TLS_UNTRUSTED|not signed by a trusted CA/);
    const failedRow = page.locator('[data-testid="log-row"][data-profile="broken"][data-state="failed"]').first();
    await expect.poll(() => failedRow.getByTestId('log-error').textContent(), poll).toMatch(/TUNNEL_TLS_UNTRUSTED/);
    await screenshots('broken-profile');
    await byTestId('tunnel-toggle').click();
    await expect.poll(() => byTestId('tunnel-state').textContent(), poll).toMatch(/stopped/);
  }, stepTimeout);

  it('stops the tunnel; its connections close and the rows say so', async () => {
    await selectProfile('typed');
    await byTestId('tab-tunnel').click();
    await byTestId('tunnel-toggle').click();
    await expect.poll(() => byTestId('tunnel-state').textContent(), poll).toMatch(/stopped/);
    expect(owned.service.statusOf('typed').state).toBe('stopped');
    await expect.poll(() => page.locator('[data-testid="log-row"][data-profile="typed"][data-state="open"]').count(), poll).toBe(0);
    await expect.poll(() => byTestId('running-count').textContent(), poll).toMatch(/^0 running/);
  }, stepTimeout);

  it('exports the connection log as JSON lines and CSV', async () => {
    const [jsonl] = await Promise.all([page.waitForEvent('download'), byTestId('log-export-jsonl').click()]);
    const lines = (await readFile((await jsonl.path())!, 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.some((line) => line.profile === 'typed')).toBe(true);
    expect(lines.some((line) => line.profile === 'broken')).toBe(true);
    expect(JSON.stringify(lines)).not.toContain(token);
    const [csv] = await Promise.all([page.waitForEvent('download'), byTestId('log-export-csv').click()]);
    const rows = (await readFile((await csv.path())!, 'utf8')).trim().split('\n');
    expect(rows.length).toBeGreaterThan(lines.length > 0 ? 1 : 0);
    expect(rows.slice(1).some((row) => row.includes('typed'))).toBe(true);
    await screenshots('log');
  }, stepTimeout);
});

