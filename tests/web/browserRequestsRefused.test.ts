/**
 * The web listener adds the profile's credential to requests, so no request a browser makes may use
 * it: a cross-site request (CSRF), an <img>, no-cors fetch or <iframe> from another local page
 * (same-site to the listener), a request for a rebound host name (DNS rebinding), and even a
 * navigation marked as started by the user (a link opened from another app or site that redirects to
 * the listener carries the same `Sec-Fetch-Site: none`) are refused before anything reaches the
 * cluster, while local tools (no browser headers) are served. The Chromium tests prove it with
 * Debian's Chromium: a page from another port, and a foreign site that redirects a navigation.
 */
import http from 'node:http';
import type net from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { HttpRequestEvent } from '../../shared/model/events.ts';
import { launchChromium } from '../fixtures/chromium.ts';
import type { AdminCluster } from '../fixtures/adminServer.ts';
import { splitAddress, type TestTunnel } from '../tunnel/harness.ts';
import { startAdminWebWorld, type AdminWebWorld } from './adminWebWorld.ts';

const token = 'browser-must-not-use-this';
let world: AdminWebWorld;
let admin: AdminCluster;
let tunnel: TestTunnel;
let host: string;
let port: number;

beforeAll(async () => {
  world = await startAdminWebWorld(token);
  ({ admin, tunnel } = world);
  [host, port] = ((address) => [address[0], Number(address[1])])(splitAddress(tunnel.tunnel.addresses.http!)) as [string, number];
});

afterAll(async () => {
  await world?.stop();
});

/** A raw request with exactly the headers given (fetch would not let a test set Host or Origin). */
function request(method: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = http.request({ host, port, method, path: '/admin/v2/clusters', headers, agent: false }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    outgoing.on('error', reject);
    outgoing.end(method === 'POST' ? 'x=1' : undefined);
  });
}

it('serves a local tool (no Origin) with the token added', async () => {
  const before = admin.requests.length;
  expect((await request('GET', { host: `127.0.0.1:${port}` })).status).toBe(200);
  expect(admin.requests.length).toBe(before + 1);
});

it("serves Node's fetch, which sends Sec-Fetch-Mode: cors and nothing else a browser sends", async () => {
  const before = admin.requests.length;
  const response = await fetch(`http://127.0.0.1:${port}/admin/v2/clusters`);
  expect(response.status).toBe(200);
  expect(admin.requests.length).toBe(before + 1);
});

it('refuses a navigation marked Sec-Fetch-Site: none, which a link another site redirected looks exactly like', async () => {
  const before = admin.requests.length;
  const answer = await request('GET', { host: `localhost:${port}`, 'sec-fetch-site': 'none', 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document', 'sec-fetch-user': '?1', 'user-agent': 'Mozilla/5.0' });
  expect(answer.status).toBe(403);
  expect(JSON.parse(answer.body)).toMatchObject({ code: 'HTTP_REQUEST_REFUSED', message: expect.stringContaining('cannot tell an address you typed') });
  expect(admin.requests.length).toBe(before);
});

// The listener's port is known only once it runs, so each case builds its headers from it. The
// "same-site" cases are what Chromium sends for a page on http://localhost:3000.
const otherPage = 'http://localhost:3000/';
const refused: [string, string, (port: number) => Record<string, string>][] = [
  ['a form post from another site', 'POST', (listenPort) => ({ host: `127.0.0.1:${listenPort}`, origin: 'https://evil.example', 'content-type': 'text/plain' })],
  ['a fetch marked cross-site', 'GET', (listenPort) => ({ host: `localhost:${listenPort}`, 'sec-fetch-site': 'cross-site' })],
  ['a rebound host name', 'GET', (listenPort) => ({ host: `evil.example:${listenPort}` })],
  ['an <img> of another local page', 'GET', (listenPort) => ({ host: `localhost:${listenPort}`, 'sec-fetch-site': 'same-site', 'sec-fetch-mode': 'no-cors', 'sec-fetch-dest': 'image', referer: otherPage })],
  ['a no-cors fetch of another local page', 'GET', (listenPort) => ({ host: `localhost:${listenPort}`, 'sec-fetch-site': 'same-site', 'sec-fetch-mode': 'no-cors', 'sec-fetch-dest': 'empty', referer: otherPage })],
  ['an <iframe> of another local page', 'GET', (listenPort) => ({ host: `localhost:${listenPort}`, 'sec-fetch-site': 'same-site', 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'iframe', referer: otherPage })],
  ['an <img> with referrerpolicy="no-referrer"', 'GET', (listenPort) => ({ host: `localhost:${listenPort}`, 'sec-fetch-site': 'same-site', 'sec-fetch-mode': 'no-cors', 'sec-fetch-dest': 'image' })],
  ['a request from a page the listener itself served (same origin)', 'POST', (listenPort) => ({ host: `127.0.0.1:${listenPort}`, origin: `http://127.0.0.1:${listenPort}`, 'sec-fetch-site': 'same-origin' })],
  ['a fetch from a page in mode cors (Sec-Fetch-Site beside the mode undici also sends)', 'GET', (listenPort) => ({ host: `localhost:${listenPort}`, 'sec-fetch-site': 'same-site', 'sec-fetch-mode': 'cors', 'sec-fetch-dest': 'empty' })],
  ['a link followed from another page', 'GET', (listenPort) => ({ host: `localhost:${listenPort}`, referer: otherPage })],
];

it.each(refused)('refuses %s with 403 and never reaches the cluster', async (_name, method, headers) => {
  const before = admin.requests.length;
  const answer = await request(method, headers(port));
  expect(answer.status).toBe(403);
  expect(JSON.parse(answer.body)).toMatchObject({ code: 'HTTP_REQUEST_REFUSED' });
  expect(admin.requests.length).toBe(before);
  const logged = tunnel.events.filter((event) => event.event === 'http.request').at(-1);
  expect(logged).toMatchObject({ status: 403, error: { code: 'HTTP_REQUEST_REFUSED' } });
});

it('names only the referring page’s origin in the log, not its path or query', async () => {
  await request('GET', { host: `localhost:${port}`, referer: 'http://localhost:3000/app?session=hunter2' });
  const logged = tunnel.events.filter((event) => event.event === 'http.request').at(-1) as { error?: { message: string } };
  expect(logged.error?.message).toContain('Referer: http://localhost:3000');
  expect(JSON.stringify(tunnel.events)).not.toContain('hunter2');
});

it('refuses the <img>, no-cors fetch and <iframe> of a page on another local port in real Chromium', async () => {
  const listener = `http://localhost:${port}/admin/v2/clusters`;
  const page = `<!doctype html><title>other local app</title>
<img src="${listener}?via=img">
<iframe src="${listener}?via=iframe"></iframe>
<script>fetch('${listener}?via=fetch', { mode: 'no-cors' }).catch(() => undefined);</script>`;
  const pageServer = http.createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html' });
    response.end(page);
  });
  await new Promise<void>((resolve) => pageServer.listen(0, '127.0.0.1', () => resolve()));
  const pagePort = (pageServer.address() as net.AddressInfo).port;
  const browser = await launchChromium('the browser-request tests (a real page makes the requests)');
  try {
    const before = admin.requests.length;
    const tab = await browser.newPage();
    await tab.goto(`http://localhost:${pagePort}/`);
    const answered = await Promise.all(
      ['img', 'iframe', 'fetch'].map((via) => tunnel.waitForEvent((event): event is HttpRequestEvent => event.event === 'http.request' && event.path.endsWith(`via=${via}`), 15_000)),
    );
    for (const event of answered) expect(event).toMatchObject({ status: 403, error: { code: 'HTTP_REQUEST_REFUSED' } });
    expect(answered.map((event) => event.error?.message)).toEqual(answered.map(() => expect.stringContaining('sec-fetch-site: same-site')));
    expect(admin.requests.slice(before).filter((received) => received.url.includes('via='))).toEqual([]);
  } finally {
    await browser.close();
    await new Promise<void>((resolve) => pageServer.close(() => resolve()));
  }
}, 60_000);

it('refuses a navigation that a foreign site redirected to the listener in real Chromium (Sec-Fetch-Site: none kept)', async () => {
  // A "foreign site" on another loopback address: any link, from a mail or chat app, that answers 302.
  const foreign = http.createServer((_request, response) => {
    response.writeHead(302, { location: `http://localhost:${port}/lookup/v2/topic/persistent/t/ns/created-by-a-redirect?via=redirected-navigation` });
    response.end();
  });
  await new Promise<void>((resolve) => foreign.listen(0, '127.0.0.2', () => resolve()));
  const foreignPort = (foreign.address() as net.AddressInfo).port;
  const browser = await launchChromium('the browser-request tests (a real page makes the requests)');
  try {
    const before = admin.requests.length;
    const tab = await browser.newPage();
    const response = await tab.goto(`http://127.0.0.2:${foreignPort}/a-link-in-an-email`);
    expect(response?.status()).toBe(403);
    const answered = await tunnel.waitForEvent((event): event is HttpRequestEvent => event.event === 'http.request' && event.path.endsWith('via=redirected-navigation'), 15_000);
    // What makes this case: Chromium marks the redirected request as one the user started.
    expect(answered).toMatchObject({ status: 403, error: { code: 'HTTP_REQUEST_REFUSED', message: expect.stringContaining('Sec-Fetch-Site: none') } });
    expect(admin.requests.slice(before).filter((received) => received.url.includes('via='))).toEqual([]);
  } finally {
    await browser.close();
    await new Promise<void>((resolve) => foreign.close(() => resolve()));
  }
}, 60_000);
