/**
 * The web UI's session token never appears in a URL: not in the one-time link, and not in any
 * address the browser visits after it (a redirect to `/?token=` would land in the browser's history,
 * its session restore and sync, even when the page strips it from the address bar). Proven in
 * Debian's Chromium: every request and navigation is recorded, and the page still ends up with the
 * token (in the tab's sessionStorage) and uses it.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { sessionTokenStorageKey } from '../../shared/ipc/webSession.ts';
import { AppService } from '../../src-main/core/service/appService.ts';
import { startWebHost, type WebHost } from '../../src-main/host/webHost.ts';
import { launchChromium } from '../fixtures/chromium.ts';
import { MemoryStore, ScriptedRunner } from '../unit/core/service/memoryStore.ts';

let rendererDir: string;
let service: AppService;
let host: WebHost;

beforeAll(async () => {
  // A stand-in for the built UI that does what src-renderer/lib/api.ts does with the token: read it
  // from sessionStorage and call the API with it.
  rendererDir = await mkdtemp(join(tmpdir(), 'pt-renderer-'));
  await mkdir(join(rendererDir, 'assets'));
  await writeFile(join(rendererDir, 'index.html'), '<!doctype html><title>pulsar-tunnel</title><script type="module" src="./assets/app.js"></script>');
  await writeFile(
    join(rendererDir, 'assets', 'app.js'),
    `const token = sessionStorage.getItem(${JSON.stringify(sessionTokenStorageKey)});
fetch('/api/listProfiles', { method: 'POST', headers: { Authorization: 'Bearer ' + token, 'Content-Type': 'application/json' }, body: '{"args":[]}' })
  .then((response) => response.json())
  .then((answer) => { document.title = answer.ok ? 'api ok' : 'api refused'; });`,
  );
  service = new AppService({ store: new MemoryStore(), startTunnel: new ScriptedRunner().start });
  host = await startWebHost({ api: service, rendererDir });
});

afterAll(async () => {
  await host?.close();
  await service?.dispose();
  await rm(rendererDir, { recursive: true, force: true });
});

it('hands the page its session token without putting it in any URL the browser visits', async () => {
  const browser = await launchChromium('the web UI session test (a real browser opens the one-time link)');
  try {
    const page = await browser.newPage();
    const visited: string[] = [];
    page.on('request', (request) => visited.push(request.url()));
    page.on('framenavigated', (frame) => visited.push(frame.url()));
    await page.goto(host.openUrl());
    // (Strings: this file is type-checked for Node, without the DOM's globals.)
    await page.waitForFunction("document.title === 'api ok' || document.title === 'api refused'", undefined, { timeout: 15_000 });
    expect(visited.length).toBeGreaterThan(0);
    expect(visited.filter((url) => url.includes(host.token))).toEqual([]);
    expect(new URL(page.url()).pathname + new URL(page.url()).search).toBe('/');
    expect(await page.evaluate(`sessionStorage.getItem(${JSON.stringify(sessionTokenStorageKey)})`)).toBe(host.token);
    expect(await page.title()).toBe('api ok');
  } finally {
    await browser.close();
  }
}, 60_000);
