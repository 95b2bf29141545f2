/**
 * The Doctor and the brokers as a user meets them (issue 13), end to end in Debian's Chromium over
 * the web host with the real engine, ATS, the three-broker test cluster and gnome-keyring (see
 * uiWorld.ts): Test connection on an edited profile's unsaved settings, each broker row's health and
 * last error, a broker going down (the Doctor fails naming it), explanations said once, and the
 * Doctor's topic kept per profile. The steps share one page and run in order; every screen is saved
 * and audited like uiNewUser.test.ts's.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, withDeadline } from '../fixtures/deadline.ts';
import { TestClientConnection } from '../fixtures/pulsarCluster/client.ts';
import { height, ScreenAudit, widths } from './screens.ts';
import { e2eToken, poll, serviceHost, startUiWorld, type UiWorld } from './uiWorld.ts';

const stepTimeout = 120_000;
const profile = 'brokers';

let world: UiWorld;
let page: Page;
let screens: ScreenAudit;
let proxyUrl: string;
const pageErrors: string[] = [];
const clients: TestClientConnection[] = [];

beforeAll(async () => {
  world = await startUiWorld({ viewport: { width: widths[0], height }, prefix: 'pt-e2e-brokers-' });
  page = world.page;
  screens = new ScreenAudit(page);
  page.on('pageerror', (error) => pageErrors.push(error.message));
  proxyUrl = `pulsar+ssl://${world.ats.host}:${world.ats.port}`;
  for (const name of [profile, 'other']) {
    await world.owned.service.saveProfile({
      name, serviceUrl: `pulsar+ssl://${serviceHost}:6651`, proxyServiceUrl: proxyUrl, proxyProtocol: 'SNI', auth: 'token',
      tlsTrustCertsPem: world.pki.ca.certPem, listen: { port: 0 },
    });
    await world.owned.service.setSecret(name, 'token', e2eToken);
  }
}, 180_000);

afterAll(async () => {
  await Promise.allSettled(clients.map((client) => client.close()));
  await world?.close();
}, 60_000);

const byTestId = (id: string) => page.getByTestId(id);
const brokerRow = (broker: string) => page.locator(`[data-testid="broker-row"][data-broker="${broker}"]`);

/** A raw Pulsar client on the tunnel's address `listen` (host:port), closed after the run. */
async function rawClient(listen: string): Promise<TestClientConnection> {
  const [host, port] = listen.split(':');
  const client = await TestClientConnection.open({ host: host!, port: Number(port), timeoutMs: 5000 });
  clients.push(client);
  return client;
}

describe('the Doctor and the brokers in Chromium, over the web host, with the real engine', () => {
  it('shows each broker row with a health dot: ok once a client got an answer through it, unknown before', async () => {
    await page.goto(world.host.openUrl());
    await byTestId(`profile-item-${profile}`).click();
    await byTestId('tunnel-toggle').click();
    await expect.poll(() => byTestId('tunnel-state').textContent(), poll).toBe('running');
    const listen = world.owned.service.statusOf(profile).listen!.pulsar;
    for (const broker of ['broker1.test', 'broker3.test']) {
      const producer = await world.producer(listen, world.cluster.topicOwnedBy(broker, 'health'));
      await withDeadline(producer.sendMessage({ payload: `hello ${broker}` }), 10_000, `a message to ${broker}`);
    }
    // broker2 only answers a lookup: its port opens, no connection to it yet.
    const lookup = await rawClient(listen);
    await lookup.connect({ clientVersion: 'e2e-lookup' });
    await lookup.lookup(world.cluster.topicOwnedBy('broker2.test', 'health'));
    await expect.poll(() => byTestId('broker-row').count(), poll).toBe(3);
    await expect.poll(() => brokerRow('broker1.test:6651').getAttribute('data-health'), poll).toBe('ok');
    await expect.poll(() => brokerRow('broker3.test:6651').getAttribute('data-health'), poll).toBe('ok');
    expect(await brokerRow('broker2.test:6651').getAttribute('data-health')).toBe('unknown');
    // The dot's meaning is written beside it.
    expect((await brokerRow('broker1.test:6651').getByTestId('broker-health').textContent())?.trim()).toBe('ok');
    expect((await brokerRow('broker2.test:6651').getByTestId('broker-health').textContent())?.trim()).toBe('unknown');
    await screens.dismissNotices();
    await screens.screen('broker-health');
  }, stepTimeout);

  it('tests an edited profile on its unsaved settings, with its token from the keychain, and saves nothing', async () => {
    await byTestId('tab-settings').click();
    const deadPort = await freePort();
    await byTestId('field-proxyServiceUrl').fill(`pulsar+ssl://127.0.0.1:${deadPort}`);
    await byTestId('profile-test').click();
    await expect.poll(() => byTestId('connection-test-summary').textContent(), { ...poll, timeout: 30_000 }).toMatch(/Stopped at “TCP connection to the proxy”/);
    expect(await byTestId('connection-test-scope').textContent()).toMatch(/settings in this form, which are not saved; the token and keys come from the keychain/);
    const tcp = byTestId('doctor-step-tcp');
    expect(await tcp.textContent()).toContain(`127.0.0.1:${deadPort}`);
    expect(await tcp.textContent()).toContain('PROXY_UNREACHABLE');
    // Said once: the message says to check proxyServiceUrl; no second paragraph says it again.
    expect((await tcp.textContent())?.match(/proxyServiceUrl/g)).toHaveLength(1);
    // The saved profile, and the running tunnel, still use the ATS address.
    expect((await world.owned.service.listProfiles()).find((view) => view.profile.name === profile)?.profile.proxyServiceUrl).toBe(proxyUrl);
    await screens.screen('settings-test-failed');

    // Back to the saved address: the result says the form changed, and the next test passes,
    // checking every broker the tunnel has seen with its own SNI.
    await byTestId('field-proxyServiceUrl').fill(proxyUrl);
    await expect.poll(() => byTestId('connection-test-stale').count(), poll).toBe(1);
    await byTestId('profile-test').click();
    await expect.poll(() => byTestId('connection-test-summary').textContent(), { ...poll, timeout: 30_000 }).toMatch(/All checks passed/);
    const brokers = await byTestId('doctor-step-brokers').textContent();
    for (const broker of ['broker1.test:6651', 'broker2.test:6651', 'broker3.test:6651']) expect(brokers).toContain(broker);
    expect(brokers).toMatch(/passed/);
    await byTestId('profile-cancel').click();
  }, stepTimeout);

  it('turns a broker row failing with its last error when that broker goes down, and the Doctor fails naming it', async () => {
    await byTestId('tab-tunnel').click();
    await world.cluster.stopBroker('broker2.test');
    // A client dials broker2 through its local port: ATS routes to a port where nothing listens now.
    const broker2Local = world.owned.service.statusOf(profile).brokers.find((broker) => broker.broker === 'broker2.test:6651')!.local;
    const dialer = await rawClient(broker2Local);
    await expect(dialer.connect({ clientVersion: 'e2e-broker-down' })).rejects.toThrow();
    const row = brokerRow('broker2.test:6651');
    await expect.poll(() => row.getAttribute('data-health'), poll).toBe('failing');
    expect((await row.getByTestId('broker-health').textContent())?.trim()).toBe('failing');
    const lastError = row.getByTestId('broker-last-error');
    expect(await lastError.getByTestId('broker-last-error-code').textContent()).toBe('PROXY_ROUTE_DEAD');
    const full = (await lastError.getAttribute('title'))!;
    expect(full).toContain('broker2.test');
    // Short in the row, whole on hover (title) and when expanded.
    expect((await lastError.locator('summary').textContent())!.length).toBeLessThan(full.length);
    await lastError.locator('summary').click();
    expect(await lastError.getByTestId('broker-last-error-message').textContent()).toBe(full);
    expect(await brokerRow('broker1.test:6651').getAttribute('data-health')).toBe('ok');
    await screens.dismissNotices();
    await screens.screen('broker-down');

    // The tunnel's last error is said once: its message and its code, no second paragraph.
    await expect.poll(() => byTestId('tunnel-last-error').count(), poll).toBe(1);
    expect(await byTestId('tunnel-last-error').locator('p').count()).toBe(2);

    // The Doctor, without a topic, checks every broker the tunnel has seen and names the one down.
    await byTestId('tab-doctor').click();
    await byTestId('doctor-run').click();
    await expect.poll(() => byTestId('doctor-summary').textContent(), { ...poll, timeout: 30_000 }).toMatch(/Stopped at “Every known broker reachable”/);
    const step = byTestId('doctor-step-brokers');
    expect(await step.getAttribute('data-status')).toBe('failed');
    const text = (await step.textContent())!;
    expect(text).toContain('1 of 3 brokers failed');
    expect(text).toContain('broker2.test:6651 (PROXY_ROUTE_DEAD)');
    expect(text).not.toContain('broker1.test:6651 (');
    // The fix adds what the message does not say (haproxy/nginx), not the message again.
    const fix = (await byTestId('doctor-step-brokers-fix').textContent())!;
    expect(fix).toContain('broker2.test');
    expect(fix).not.toContain('check the tunnel_route target');
    expect(await byTestId('doctor-step-pulsarConnect').getAttribute('data-status')).toBe('ok');
    await screens.screen('doctor-broker-down');
  }, stepTimeout);

  it("keeps each profile's Doctor topic while the user opens another profile or the new-profile form", async () => {
    const topic = world.cluster.topicOwnedBy('broker1.test', 'kept');
    await byTestId('doctor-topic').fill(topic);
    await byTestId('profile-item-other').click();
    await byTestId('tab-doctor').click();
    expect(await byTestId('doctor-topic').inputValue()).toBe('');
    await byTestId('profile-new').click();
    await byTestId('profile-cancel').click();
    await byTestId(`profile-item-${profile}`).click();
    await byTestId('tab-doctor').click();
    expect(await byTestId('doctor-topic').inputValue()).toBe(topic);
    // The last report is still there too.
    expect(await byTestId('doctor-summary').textContent()).toMatch(/Every known broker reachable/);
  }, stepTimeout);

  it('has no serious or critical axe-core violation on these screens, and no page error', () => {
    expect(screens.screens).toEqual(['broker-health', 'settings-test-failed', 'broker-down', 'doctor-broker-down']);
    expect(screens.violations).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
