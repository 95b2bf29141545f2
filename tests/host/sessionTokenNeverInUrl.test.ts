/**
 * The web UI's session token never appears in a URL: not in the one-time link, not in any address
 * the browser visits after it (a redirect to `/?token=` would land in the browser's history, its
 * session restore and sync, even when the page strips it from the address bar), and not in the live
 * log's WebSocket URL (it rides in the subprotocol offer). Proven in Debian's Chromium: every
 * request, navigation and WebSocket is recorded, and the page still ends up with the token (in the
 * tab's sessionStorage) and uses it for the API and the live log.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { bearerSubprotocolPrefix, logSubprotocol, sessionTokenStorageKey } from '../../shared/ipc/webSession.ts';
import { AppService } from '../../src-main/core/service/appService.ts';
import { startWebHost, type WebHost } from '../../src-main/host/webHost.ts';
import { launchChromium } from '../fixtures/chromium.ts';
import { MemoryStore, ScriptedRunner } from '../unit/core/service/memoryStore.ts';

let rendererDir: string;
let service: AppService;
let host: WebHost;

beforeAll(async () => {
  // A stand-in for the built UI that does what src-renderer/lib/api.ts does with the token: read it
  // from sessionStorage, call the API with it and open the live log offering it (in base64url, as
  // shared/ipc/webSession.ts encodes it) beside the log subprotocol.
  rendererDir = await mkdtemp(join(tmpdir(), 'pt-renderer-'));
  await mkdir(join(rendererDir, 'assets'));
  await writeFile(join(rendererDir, 'index.html'), '<!doctype html><title>pulsar-tunnel</title><script type="module" src="./assets/app.js"></script>');
  await writeFile(
    join(rendererDir, 'assets', 'app.js'),
    `const token = sessionStorage.getItem(${JSON.stringify(sessionTokenStorageKey)});
const offer = ${JSON.stringify(bearerSubprotocolPrefix)} + btoa(token).replace(/=+$/, '').replaceAll('+', '-').replaceAll('/', '_');
const log = new Promise((resolve) => {
  const socket = new WebSocket('ws://' + location.host + '/api/log', [${JSON.stringify(logSubprotocol)}, offer]);
  socket.onopen = () => resolve(socket.protocol === ${JSON.stringify(logSubprotocol)} ? 'log ok' : 'log answered ' + socket.protocol);
  socket.onclose = () => resolve('log refused');
});
fetch('/api/listProfiles', { method: 'POST', headers: { Authorization: 'Bearer ' + token, 'Content-Type': 'application/json' }, body: '{"args":[]}' })
  .then((response) => response.json())
  .then(async (answer) => { document.title = (answer.ok ? 'api ok' : 'api refused') + ', ' + (await log); });`,
  );
  service = new AppService({ store: new MemoryStore(), startTunnel: new ScriptedRunner().start });
  host = await startWebHost({ api: service, rendererDir });
});

afterAll(async () => {
  await host?.close();
  await service?.dispose();
  await rm(rendererDir, { recursive: true, force: true });
});

it('hands the page its session token, and the page uses it for the API and the live log, without putting it in any URL the browser visits', async () => {
  const browser = await launchChromium('the web UI session test (a real browser opens the one-time link)');
  try {
    const page = await browser.newPage();
    const visited: string[] = [];
    page.on('request', (request) => visited.push(request.url()));
    page.on('framenavigated', (frame) => visited.push(frame.url()));
    page.on('websocket', (socket) => visited.push(socket.url()));
    await page.goto(host.openUrl());
    // The title, read over the DevTools protocol: the page's CSP forbids the eval waitForFunction uses.
    await expect.poll(() => page.title(), { timeout: 15_000 }).toMatch(/, log /);
    expect(visited).toContain(`ws://127.0.0.1:${host.port}/api/log`);
    expect(visited.filter((url) => url.includes(host.token))).toEqual([]);
    expect(new URL(page.url()).pathname + new URL(page.url()).search).toBe('/');
    expect(await page.evaluate(`sessionStorage.getItem(${JSON.stringify(sessionTokenStorageKey)})`)).toBe(host.token);
    expect(await page.title()).toBe('api ok, log ok');
  } finally {
    await browser.close();
  }
}, 60_000);
