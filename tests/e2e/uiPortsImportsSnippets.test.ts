/**
 * Issue 13, second half, end to end in Debian's Chromium over the web host with the real engine,
 * ATS, the test cluster and gnome-keyring (see uiWorld.ts): the `n` shortcut and the listen port's
 * default; an import that reads a token through a link says so before it reads it, and lists its
 * warnings one per line above the profile, never over the log; the empty log says where to point a
 * client; a duplicate gets a free port; a start on a taken port names the profile (and process)
 * holding it, or says another program does, and "Use port N" starts it on a free port; snippets
 * keep their lines whole and copy exactly. The steps share one page and run in order.
 */
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCli, type CliProcess } from '../fixtures/cliProcess.ts';
import { freePort } from '../fixtures/deadline.ts';
import { height, ScreenAudit, widths } from './screens.ts';
import { e2eToken, poll, serviceHost, startUiWorld, type UiWorld } from './uiWorld.ts';

const stepTimeout = 120_000;

let world: UiWorld;
let page: Page;
let screens: ScreenAudit;
let port: number;
const pageErrors: string[] = [];
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  world = await startUiWorld({ viewport: { width: widths[0], height }, prefix: 'pt-e2e-ports-' });
  page = world.page;
  screens = new ScreenAudit(page);
  page.on('pageerror', (error) => pageErrors.push(error.message));
  port = await freePort();
}, 180_000);

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  await world?.close();
}, 60_000);

const byTestId = (id: string) => page.getByTestId(id);

/** True when the two boxes overlap; both must be on screen. */
async function overlaps(a: Locator, b: Locator): Promise<boolean> {
  const [boxA, boxB] = [await a.boundingBox(), await b.boundingBox()];
  if (!boxA || !boxB) throw new Error('both elements must be on screen to compare their boxes');
  return boxA.x < boxB.x + boxB.width && boxB.x < boxA.x + boxA.width && boxA.y < boxB.y + boxB.height && boxB.y < boxA.y + boxA.height;
}

/** The profile as stored by the engine. */
async function stored(name: string) {
  const view = (await world.owned.service.listProfiles()).find((candidate) => candidate.profile.name === name);
  if (!view) throw new Error(`no profile ${name}`);
  return view.profile;
}

describe('ports, import warnings and snippets in Chromium, over the web host, with the real engine', () => {
  it('"n" puts the focus in the new form, whose empty listen port shows its default 6650; the empty log says what to do', async () => {
    await page.goto(world.host.openUrl());
    await expect.poll(() => byTestId('profiles-empty').count(), poll).toBe(1);
    expect(await byTestId('log-empty').textContent()).toMatch(/No connections yet — create or import a profile, start its tunnel/);
    await page.locator('body').press('n');
    await expect.poll(() => page.evaluate('document.activeElement?.getAttribute("data-testid")'), poll).toBe('field-name');
    // The key only opened the form: it was not typed into the name.
    expect(await byTestId('field-name').inputValue()).toBe('');
    expect(await byTestId('field-listen.port').getAttribute('placeholder')).toBe('6650');
    await byTestId('profile-cancel').click();
  }, stepTimeout);

  it('asks before reading a token through a link, naming the link and its target; lists the import\'s warnings one per line above the profile', async () => {
    const secretDir = join(world.workDir, 'secret');
    const downloadDir = join(world.workDir, 'download');
    await mkdir(secretDir, { recursive: true });
    await mkdir(downloadDir, { recursive: true });
    const tokenFile = join(secretDir, 'prod-token');
    await writeFile(tokenFile, `${e2eToken}\n`);
    const link = join(downloadDir, 'token');
    await symlink(tokenFile, link);
    const caFile = join(world.workDir, 'ca.pem');
    await writeFile(caFile, world.pki.ca.certPem);
    const profileFile = join(downloadDir, 'linked.json');
    await writeFile(
      profileFile,
      JSON.stringify({
        name: 'linked',
        serviceUrl: `pulsar+ssl://${serviceHost}:6651`,
        proxyServiceUrl: `pulsar+ssl://${world.ats.host}:${world.ats.port}`,
        proxyProtocol: 'SNI',
        tlsTrustCertsFilePath: caFile,
        // A risky setting: its warning carries its code.
        tlsHostnameVerificationEnable: false,
        authPlugin: 'org.apache.pulsar.client.impl.auth.AuthenticationToken',
        authParams: `file://${link}`,
        listen: { port },
      }),
    );
    await byTestId('profile-import').setInputFiles(profileFile);
    const dialog = byTestId('secret-sources-dialog');
    await expect.poll(() => dialog.count(), poll).toBe(1);
    expect(await dialog.getByTestId('secret-source-name').textContent()).toBe(tokenFile);
    expect(await dialog.getByTestId('secret-source-link').textContent()).toContain(link);
    expect(await dialog.getByTestId('secret-sources-alert').textContent()).toMatch(/would be read through a link/);
    await screens.screen('import-secret-link');
    await byTestId('secret-sources-confirm').click();
    await expect.poll(() => byTestId('profile-item-linked').count(), poll).toBe(1);
    expect((await world.owned.service.listProfiles()).find((view) => view.profile.name === 'linked')?.secrets.token).toBe(true);

    // One warning per line, each whole (never joined with ";"), and the risky one with its code.
    const warnings = await byTestId('import-warning').allTextContents();
    expect(warnings.length).toBeGreaterThanOrEqual(2);
    expect(warnings.some((warning) => warning.includes('TLS_HOSTNAME_NOT_VERIFIED'))).toBe(true);
    expect(warnings.some((warning) => warning.startsWith('authParams: the token was read from'))).toBe(true);
    for (const warning of warnings) expect(warning).not.toMatch(/\.;/);
    expect(await byTestId('import-report-secrets').textContent()).toContain(tokenFile);
    const notice = byTestId('notice-info').first();
    expect(await notice.textContent()).toMatch(/Imported linked from linked\.json\. \d+ warnings: see the list above the profile\./);
    // The report sits in the detail pane and no notice covers the log.
    expect(await byTestId('detail-pane').getByTestId('import-report').count()).toBe(1);
    expect(await overlaps(notice, byTestId('log-view'))).toBe(false);
    for (const width of widths) {
      await page.setViewportSize({ width, height });
      expect(await overlaps(notice, byTestId('log-view'))).toBe(false);
    }
    await page.setViewportSize({ width: widths[0], height });
    await screens.screen('import-warnings');
    await byTestId('import-report-dismiss').click();
    expect(await byTestId('import-report').count()).toBe(0);
  }, stepTimeout);

  it('points the empty log at the running tunnel\'s address, and copies it', async () => {
    await byTestId('tab-tunnel').click();
    expect(await byTestId('log-empty').textContent()).toMatch(/start the tunnel of linked .*127\.0\.0\.1:\d+/s);
    await byTestId('tunnel-toggle').click();
    await expect.poll(() => byTestId('tunnel-state').textContent(), poll).toBe('running');
    await expect.poll(() => byTestId('log-empty-address').textContent(), poll).toBe(`pulsar://127.0.0.1:${port}`);
    // The log fills its pane under the header: the empty state is not cut to a strip at the top.
    const logBox = await byTestId('log-view').boundingBox();
    expect(logBox!.y + logBox!.height).toBeGreaterThan(height - 20);
    // "⇄" has visible words beside it.
    expect(await byTestId('profile-item-linked').textContent()).toMatch(/0 open/);
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(world.host.openUrl()).origin });
    await byTestId('log-empty-copy').click();
    await expect.poll(() => page.evaluate('navigator.clipboard.readText()'), poll).toBe(`pulsar://127.0.0.1:${port}`);
    await screens.screen('log-empty-running');
  }, stepTimeout);

  it('keeps every snippet line whole (scrolling sideways), at 1280 and 800 px, and copies the exact text', async () => {
    const snippets = await world.owned.service.snippets('linked');
    // For each line of each snippet: the number of distinct line boxes its characters sit on.
    const lineBoxes = `Array.from(document.querySelectorAll('[data-testid^="snippet-"] code')).map((code) => {
      const text = code.firstChild;
      const lines = text.data.split('\\n');
      let at = 0;
      return lines.map((line) => {
        const range = document.createRange();
        range.setStart(text, at);
        range.setEnd(text, at + line.length);
        at += line.length + 1;
        return new Set(Array.from(range.getClientRects()).map((rect) => Math.round(rect.top))).size;
      });
    })`;
    for (const width of widths) {
      await page.setViewportSize({ width, height });
      const boxes = (await page.evaluate(lineBoxes)) as number[][];
      expect(boxes.length).toBe(6);
      for (const perLine of boxes) for (const count of perLine) expect(count).toBeLessThanOrEqual(1);
    }
    // At 800 px the long lines do not fit: their block scrolls sideways (and takes the focus to do so by keyboard).
    const clientConf = byTestId('snippet-clientConf');
    expect(await clientConf.evaluate((pre) => pre.scrollWidth > pre.clientWidth)).toBe(true);
    expect(await clientConf.getAttribute('tabindex')).toBe('0');
    await byTestId('copy-clientConf').click();
    await expect.poll(() => page.evaluate('navigator.clipboard.readText()'), poll).toBe(snippets.clientConf);
    await page.setViewportSize({ width: widths[0], height });
    await clientConf.scrollIntoViewIfNeeded();
    await screens.screen('snippets');
  }, stepTimeout);

  it('offers the copy of a profile a free port, not the original\'s', async () => {
    await byTestId('profile-duplicate').click();
    const portField = byTestId('duplicate-port');
    await expect.poll(() => portField.inputValue(), poll).toMatch(/^\d+$/);
    const offered = Number(await portField.inputValue());
    expect(offered).not.toBe(port);
    await screens.screen('duplicate');
    await byTestId('duplicate-confirm').click();
    await expect.poll(() => byTestId('profile-item-linked-copy').count(), poll).toBe(1);
    expect((await stored('linked-copy')).listen.port).toBe(offered);
    // The copy runs beside the original.
    await byTestId('tunnel-toggle').click();
    await expect.poll(() => byTestId('tunnel-state').textContent(), poll).toBe('running');
    expect(world.owned.service.statusOf('linked-copy').listen?.pulsar).toBe(`127.0.0.1:${offered}`);
    await world.owned.service.stopTunnel('linked-copy');
  }, stepTimeout);

  it('names the profile of this app that holds the port, and "Use port N" starts the tunnel on a free port', async () => {
    await world.owned.service.saveProfile({ name: 'clash', serviceUrl: `pulsar+ssl://${serviceHost}:6651`, proxyServiceUrl: `pulsar+ssl://${world.ats.host}:${world.ats.port}`, proxyProtocol: 'SNI', tlsTrustCertsPem: world.pki.ca.certPem, listen: { port } });
    await page.reload();
    await byTestId('profile-item-clash').click();
    await byTestId('tab-tunnel').click();
    await byTestId('tunnel-toggle').click();
    const holder = byTestId('port-conflict-holder');
    await expect.poll(() => holder.count(), poll).toBe(1);
    await expect.poll(() => holder.textContent(), poll).toMatch(new RegExp(`Port ${port} is in use.*listen\\.port.*profile linked .*in this app, process ${process.pid}`, 's'));
    const use = byTestId('port-conflict-use');
    const offered = Number((await use.textContent())!.match(/Use port (\d+)/)![1]);
    expect(offered).not.toBe(port);
    await screens.screen('port-conflict');
    await use.click();
    await expect.poll(() => byTestId('tunnel-state').textContent(), poll).toBe('running');
    expect(world.owned.service.statusOf('clash').listen?.pulsar).toBe(`127.0.0.1:${offered}`);
    expect((await stored('clash')).listen.port).toBe(offered);
    expect(await byTestId('port-conflict').count()).toBe(0);
    await world.owned.service.stopTunnel('clash');
  }, stepTimeout);

  it('names the pulsar-tunnel process (`run`) that holds the port, or says another program does', async () => {
    const cliPort = await freePort();
    await world.owned.service.saveProfile({ name: 'cli-held', serviceUrl: `pulsar+ssl://${serviceHost}:6651`, proxyServiceUrl: 'pulsar+ssl://127.0.0.1:9', listen: { port: cliPort } });
    await world.owned.service.saveProfile({ name: 'also-there', serviceUrl: `pulsar+ssl://${serviceHost}:6651`, proxyServiceUrl: 'pulsar+ssl://127.0.0.1:9', listen: { port: cliPort } });
    const cli: CliProcess = startCli(['run', '--profile', 'cli-held', '--log-format', 'json'], { env: { PULSAR_TUNNEL_HOME: join(world.workDir, 'data') } });
    cleanups.push(() => cli.stop());
    await cli.waitForEvent((event) => event.event === 'ready', 20_000);
    await page.reload();
    await byTestId('profile-item-also-there').click();
    await byTestId('tab-tunnel').click();
    await byTestId('tunnel-toggle').click();
    await expect.poll(() => byTestId('port-conflict-holder').textContent(), poll).toMatch(new RegExp(`Port ${cliPort} is in use.*profile cli-held .*pulsar-tunnel, process ${cli.pid}`, 's'));

    // A program that is not a tunnel.
    const otherPort = await freePort();
    const other = net.createServer();
    await new Promise<void>((resolve) => other.listen(otherPort, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => other.close(resolve)));
    await world.owned.service.saveProfile({ name: 'program-held', serviceUrl: `pulsar+ssl://${serviceHost}:6651`, proxyServiceUrl: 'pulsar+ssl://127.0.0.1:9', listen: { port: otherPort } });
    await page.reload();
    await byTestId('profile-item-program-held').click();
    await byTestId('tab-tunnel').click();
    await byTestId('tunnel-toggle').click();
    await expect.poll(() => byTestId('port-conflict-holder').textContent(), poll).toMatch(new RegExp(`Port ${otherPort} is in use.*another program holds it`, 's'));
  }, stepTimeout);

  it('has no serious or critical axe-core violation on these screens, and no page error', () => {
    expect(screens.screens.length).toBeGreaterThanOrEqual(6);
    expect(screens.violations).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
