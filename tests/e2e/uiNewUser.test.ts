/**
 * The UI as a new user meets it (issue 13), end to end in Debian's Chromium over the web host with
 * the real engine, ATS, the test cluster and gnome-keyring (see uiWorld.ts). The steps share one
 * page and run in order. Every screen is saved light and dark at 1280 and 800 px wide
 * (test-results/new-<screen>-<width>-<scheme>.png) and audited with axe-core: the last step fails on
 * any serious or critical violation.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withDeadline } from '../fixtures/deadline.ts';
import { TestClientConnection } from '../fixtures/pulsarCluster/client.ts';
import { height, ScreenAudit, widths } from './screens.ts';
import { brokerHosts, e2eToken, poll, serviceHost, startUiWorld, type UiWorld } from './uiWorld.ts';

const stepTimeout = 120_000;

let world: UiWorld;
let page: Page;
let screens: ScreenAudit;
const pageErrors: string[] = [];

beforeAll(async () => {
  world = await startUiWorld({ viewport: { width: widths[0], height }, prefix: 'pt-e2e-new-' });
  page = world.page;
  screens = new ScreenAudit(page);
  page.on('pageerror', (error) => pageErrors.push(error.message));
}, 180_000);

afterAll(async () => {
  await world?.close();
}, 60_000);

const byTestId = (id: string) => page.getByTestId(id);
const screen = (name: string) => screens.screen(name);
const dismissNotices = () => screens.dismissNotices();

/** Height in px of an element's box. */
async function heightOf(locator: Locator): Promise<number> {
  return (await locator.boundingBox())?.height ?? 0;
}

describe('a new user in Chromium, over the web host, with the real engine', () => {
  it('starts empty; fills one form (CA file, token), tests the connection on the unsaved settings, then creates the profile', async () => {
    await page.goto(world.host.openUrl());
    await expect.poll(() => byTestId('profiles-empty').count(), poll).toBe(1);
    await screen('empty');
    await byTestId('profile-new').click();
    await expect.poll(() => page.evaluate('document.activeElement?.getAttribute("data-testid")'), poll).toBe('field-name');
    await page.keyboard.type('typed');
    await byTestId('field-serviceUrl').fill(`pulsar+ssl://${serviceHost}:6651`);
    await byTestId('field-proxyServiceUrl').fill(`pulsar+ssl://${world.ats.host}:${world.ats.port}`);
    await byTestId('field-proxyProtocolSni').check();
    await byTestId('field-auth').selectOption('token');
    await byTestId('field-token').fill(e2eToken);
    await byTestId('field-listen.port').fill('0');
    // Choosing the CA file is enough: no paste box to confirm.
    const caFile = join(world.workDir, 'ca.pem');
    await writeFile(caFile, world.pki.ca.certPem);
    await byTestId('new-ca-file').setInputFiles(caFile);
    await expect.poll(() => byTestId('new-ca-set').textContent(), poll).toContain('1 certificate');
    await screen('new-profile');
    // Test connection: the Doctor on the unsaved form, with its CA and the typed token; nothing is stored.
    await byTestId('profile-test').click();
    await expect.poll(() => byTestId('connection-test-summary').textContent(), { ...poll, timeout: 30_000 }).toMatch(/All checks passed/);
    expect(await byTestId('connection-test-scope').textContent()).toMatch(/settings in this form, which are not saved; the token you typed was used for this test only/);
    expect(await byTestId('doctor-step-pulsarConnect').textContent()).toMatch(/passed/);
    expect(await world.owned.service.listProfiles()).toEqual([]);
    // The broker saw the typed token, injected as the tunnel does.
    expect(world.cluster.brokerStats(serviceHost).connects.at(-1)).toMatchObject({ authMethodName: 'token', authData: e2eToken, accepted: true });
    await screen('tested-before-create');
    await byTestId('profile-save').click();
    await expect.poll(() => byTestId('profile-title').textContent(), poll).toBe('typed');
    const [view] = await world.owned.service.listProfiles();
    expect(view).toMatchObject({ profile: { name: 'typed', auth: 'token' }, secrets: { token: true } });
    expect(view?.trustCerts).toHaveLength(1);
    await dismissNotices();
    await screen('created');
    await byTestId('tab-certificates').click();
    await expect.poll(() => byTestId('secret-token-status').textContent(), poll).toBe('set');
    await screen('certificates');
    expect(pageErrors).toEqual([]);
  }, stepTimeout);

  it('runs the tunnel: the Tunnel panel counts what the log shows, producers and lookups are visible and searchable by topic', async () => {
    await byTestId('tab-tunnel').click();
    await byTestId('tunnel-toggle').click();
    await expect.poll(() => byTestId('tunnel-state').textContent(), poll).toBe('running');
    const listen = world.owned.service.statusOf('typed').listen!.pulsar;
    for (const broker of brokerHosts) {
      const producer = await world.producer(listen, world.cluster.topicOwnedBy(broker, 'newuser'));
      await withDeadline(producer.sendMessage({ payload: `hello ${broker}` }), 10_000, `a message to ${broker}`);
    }
    const openRows = page.locator('[data-testid="log-row"][data-profile="typed"][data-state="open"]');
    await expect.poll(() => openRows.count(), poll).toBe(3);
    await expect.poll(() => byTestId('open-connections').textContent(), poll).toBe(String(world.owned.service.statusOf('typed').openConnections));
    await expect.poll(() => byTestId('broker-row').count(), poll).toBe(3);
    expect(await byTestId('running-count').textContent()).toMatch(/^\s*1 running\s*$/);

    // A producer's topic is on its connection's row, and searching the topic finds that row alone.
    const topic2 = world.cluster.topicOwnedBy('broker2.test', 'newuser');
    const short = topic2.split('/').pop()!;
    await expect.poll(() => page.getByTestId('log-pulsar').filter({ hasText: short }).count(), poll).toBe(1);
    await byTestId('log-search').fill(short);
    await expect.poll(() => byTestId('log-row').count(), poll).toBe(1);
    await expect.poll(() => byTestId('log-broker').first().textContent(), poll).toContain('broker2.test');
    await byTestId('log-search').fill('');

    // The lookups view: topic → broker → the local port the tunnel answered with.
    await byTestId('log-view-lookups').click();
    const lookup = byTestId('lookup-row').filter({ has: page.getByTestId('lookup-topic').filter({ hasText: short }) });
    await expect.poll(() => lookup.count(), poll).toBe(1);
    expect(await lookup.getByTestId('lookup-broker').textContent()).toBe('broker2.test:6651');
    const brokerLocal = world.owned.service.statusOf('typed').brokers.find((broker) => broker.broker === 'broker2.test:6651')!.local;
    expect(await lookup.getByTestId('lookup-local').textContent()).toBe(brokerLocal);
    await screen('lookups');
    await byTestId('log-view-connections').click();
    await dismissNotices();
    await screen('tunnel-running');
  }, stepTimeout);

  it('gives the log rows their own height with no profile selected and while the Doctor runs', async () => {
    const rows = byTestId('log-rows');
    expect(await heightOf(rows)).toBeGreaterThan(100);
    await byTestId('profile-new').click();
    expect(await heightOf(rows)).toBeGreaterThan(100);
    await byTestId('profile-cancel').click();
    await byTestId('profile-item-typed').click();
    await byTestId('tab-doctor').click();
    await byTestId('doctor-topic').fill(world.cluster.topicOwnedBy('broker3.test', 'doctor'));
    await byTestId('doctor-run').click();
    expect(await heightOf(rows)).toBeGreaterThan(100);
    // The certificate expires in 2 days: a warning with its own code, not the failure code of an expired one.
    await expect.poll(() => byTestId('doctor-summary').count(), { ...poll, timeout: 30_000 }).toBe(1);
    const certificate = byTestId('doctor-step-certificate');
    expect(await certificate.textContent()).toContain('TUNNEL_TLS_CERT_EXPIRING');
    expect(await certificate.textContent()).not.toContain('TUNNEL_TLS_CERT_EXPIRED');
    expect(await heightOf(rows)).toBeGreaterThan(100);
    await screen('doctor');
  }, stepTimeout);

  it('saving a running profile says "restart to apply"; Restart applies the settings on the same port', async () => {
    const before = world.owned.service.statusOf('typed').listen!.pulsar;
    await byTestId('tab-settings').click();
    await byTestId('field-keepAliveIntervalSeconds').fill('25');
    await byTestId('profile-save').click();
    await expect.poll(() => byTestId('tunnel-pending-changes').count(), poll).toBe(1);
    expect(world.owned.service.statusOf('typed')).toMatchObject({ state: 'running', pendingChanges: true });
    // The title is in view after saving (the pane starts at its top).
    expect(await byTestId('detail-pane').evaluate((pane) => pane.scrollTop)).toBe(0);
    await byTestId('tab-doctor').click();
    expect(await byTestId('doctor-tests-saved').textContent()).toMatch(/tests the saved settings, which the running tunnel does not use yet/);
    await dismissNotices();
    await screen('settings-changed');
    await byTestId('tunnel-restart').click();
    await expect.poll(() => byTestId('tunnel-pending-changes').count(), poll).toBe(0);
    // The banner goes as soon as the old tunnel stops; the new one may still be starting.
    await expect.poll(() => world.owned.service.statusOf('typed').state, poll).toBe('running');
    expect(world.owned.service.statusOf('typed')).toMatchObject({ state: 'running', listen: { pulsar: before } });
    expect(world.owned.service.statusOf('typed').pendingChanges).toBeUndefined();
  }, stepTimeout);

  it('counts a failing tunnel that still listens, and fits the Error column at 1280 px and keeps it under its header at 800 px', async () => {
    await world.owned.service.saveProfile({
      name: 'broken', serviceUrl: `pulsar+ssl://${serviceHost}:6651`, proxyServiceUrl: `pulsar+ssl://${world.ats.host}:${world.ats.port}`, proxyProtocol: 'SNI',
      tlsTrustCertsPem: world.pki.otherCa.certPem, listen: { port: 0 },
    });
    await world.owned.service.startTunnel('broken');
    const [listenHost, listenPort] = world.owned.service.statusOf('broken').listen!.pulsar.split(':');
    const client = await TestClientConnection.open({ host: listenHost!, port: Number(listenPort), timeoutMs: 5000 });
    await expect(client.connect({ clientVersion: 'e2e-broken' })).rejects.toThrow();
    await client.close();
    await page.reload();
    await expect.poll(async () => (await byTestId('running-count').textContent())?.replace(/\s+/g, ' ').trim(), { ...poll, timeout: 15_000 }).toBe('2 running · 1 failing');
    await byTestId('profile-item-broken').click();

    const failedRow = page.locator('[data-testid="log-row"][data-profile="broken"][data-state="failed"]').first();
    await expect.poll(() => failedRow.count(), poll).toBe(1);
    const errorHeader = page.getByRole('columnheader', { name: 'Error' });
    // 1280 px: the header word and the error code are not cut.
    expect(await errorHeader.evaluate((cell) => cell.scrollWidth <= cell.clientWidth)).toBe(true);
    expect(await failedRow.locator('[data-testid="log-error"] code').evaluate((code) => code.getBoundingClientRect().right <= code.parentElement!.getBoundingClientRect().right)).toBe(true);
    await dismissNotices();
    await screen('failing');

    // 800 px: the rows scroll sideways, and the header scrolls with them.
    await page.setViewportSize({ width: 800, height });
    const rows = byTestId('log-rows');
    expect(await rows.evaluate((element) => element.scrollWidth > element.clientWidth)).toBe(true);
    await rows.evaluate((element) => (element.scrollLeft = element.scrollWidth));
    const headerBox = await errorHeader.boundingBox();
    const cellBox = await failedRow.getByTestId('log-error').boundingBox();
    expect(Math.abs(headerBox!.x - cellBox!.x)).toBeLessThanOrEqual(1);
    await rows.evaluate((element) => (element.scrollLeft = 0));
    await page.setViewportSize({ width: widths[0], height });
    await world.owned.service.stopTunnel('broken');
  }, stepTimeout);

  it('moves through the log rows with the arrow keys from a single Tab stop', async () => {
    const grid = byTestId('log-rows');
    await grid.focus();
    const activeId = () => grid.getAttribute('aria-activedescendant');
    const first = await activeId();
    expect(first).toMatch(/^log-row-/);
    await page.keyboard.press('ArrowDown');
    await expect.poll(activeId, poll).not.toBe(first);
    await page.keyboard.press('Home');
    await expect.poll(activeId, poll).toBe(first);
    await page.keyboard.press('Enter');
    await expect.poll(() => byTestId('log-details').count(), poll).toBe(1);
    await byTestId('log-details-close').click();
    // No row is a Tab stop of its own.
    expect(await page.locator('[data-testid="log-row"] [tabindex="0"], [data-testid="log-row"] button:not([tabindex="-1"])').count()).toBe(0);
  }, stepTimeout);

  it('keeps time order after a reload, and rows the user cleared stay cleared', async () => {
    await page.reload();
    await expect.poll(() => byTestId('log-row').count(), poll).toBeGreaterThan(3);
    const times = (await byTestId('log-row-details').allTextContents()).filter((time) => time !== '—');
    expect(times).toEqual([...times].sort().reverse());
    const exported = async () => {
      const [download] = await Promise.all([page.waitForEvent('download'), byTestId('log-export-jsonl').click()]);
      return (await readFile((await download.path())!, 'utf8')).trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as { time: string });
    };
    const clearedAt = new Date().toISOString();
    expect((await exported()).some((row) => row.time !== '' && row.time < clearedAt)).toBe(true);
    await byTestId('log-clear').click();
    await expect.poll(() => byTestId('log-row').count(), poll).toBe(0);
    await page.reload();
    // New traffic on an open connection: its row comes back (start unknown); nothing from before the clear does.
    await withDeadline(world.producers[0]!.sendMessage({ payload: 'after the clear' }), 10_000, 'a message after the clear');
    await expect.poll(() => byTestId('log-row').count(), poll).toBeGreaterThan(0);
    expect((await exported()).filter((row) => row.time !== '' && row.time < clearedAt)).toEqual([]);
  }, stepTimeout);

  it('asks for the name of an imported client.conf, and offers Replace / Keep both / another name when it is taken', async () => {
    const clientConf = join(world.workDir, 'typed.conf');
    await writeFile(clientConf, [`brokerServiceUrl=pulsar+ssl://${serviceHost}:6651`, `proxyServiceUrl=pulsar+ssl://${world.ats.host}:${world.ats.port}`, 'proxyProtocol=SNI', ''].join('\n'));
    await byTestId('profile-import').setInputFiles(clientConf);
    await expect.poll(() => byTestId('import-name').inputValue(), poll).toBe('typed');
    await screen('import-name');
    await byTestId('import-rename').click();
    await expect.poll(() => byTestId('import-choice-message').textContent(), poll).toContain('"typed" already exists');
    expect(await byTestId('import-choice-dialog').textContent()).not.toMatch(/--replace|--name/);
    await screen('import-clash');
    await byTestId('import-keep-both').click();
    await expect.poll(() => byTestId('profile-item-typed-2').count(), poll).toBe(1);

    // An encrypted bundle of a taken name: the wrong passphrase, then the right one, then the clash.
    const bundle = await world.owned.service.exportProfiles({ names: ['typed-2'], passphrase: 'correct horse battery' });
    const bundleFile = join(world.workDir, bundle.fileName);
    await writeFile(bundleFile, bundle.content);
    await byTestId('profile-import').setInputFiles(bundleFile);
    await byTestId('import-passphrase').fill('not it');
    await byTestId('import-passphrase-submit').click();
    await expect.poll(() => byTestId('import-passphrase-error').count(), poll).toBe(1);
    await byTestId('import-passphrase').fill('correct horse battery');
    await byTestId('import-passphrase-submit').click();
    await expect.poll(() => byTestId('import-choice-dialog').count(), poll).toBe(1);
    expect(await byTestId('import-passphrase-error').count()).toBe(0);
    await byTestId('import-name').fill('from-bundle');
    await byTestId('import-rename').click();
    await expect.poll(() => byTestId('profile-item-from-bundle').count(), poll).toBe(1);
  }, stepTimeout);

  it('has no serious or critical axe-core violation on any screen, light or dark, at 1280 or 800 px', () => {
    expect(screens.screens.length).toBeGreaterThanOrEqual(9);
    expect(screens.violations).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
