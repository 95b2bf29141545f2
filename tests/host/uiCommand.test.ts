/**
 * `pulsar-tunnel ui` as a black box: the real CLI in a child process, its printed URL used over
 * real HTTP, stopped by a real signal. The renderer build it serves is out/renderer (built with
 * Vite first if it is missing, as the command itself would).
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startCli } from '../fixtures/cliProcess.ts';
import type { CliProcess } from '../fixtures/cliProcess.ts';
import { eventually, withDeadline } from '../fixtures/deadline.ts';
import { sessionFromHandOff } from '../fixtures/webUiSession.ts';
import { ensureRendererBuild } from '../../src-main/host/rendererBuild.ts';

let home: string | undefined;
let cli: CliProcess | undefined;
let blocker: Server | undefined;

beforeAll(async () => {
  await ensureRendererBuild();
}, 120_000);

afterEach(async () => {
  if (cli) await cli.stop('SIGKILL').catch(() => undefined);
  cli = undefined;
  await new Promise<void>((resolve) => (blocker ? blocker.close(() => resolve()) : resolve()));
  blocker = undefined;
  if (home) await rm(home, { recursive: true, force: true });
  home = undefined;
});

async function startUi(args: string[]): Promise<CliProcess> {
  home = await mkdtemp(join(tmpdir(), 'pt-ui-home-'));
  // No DISPLAY: no browser is opened even without --no-open; the store lives in a throw-away folder.
  cli = startCli(['ui', ...args], { env: { PULSAR_TUNNEL_HOME: home, DISPLAY: '', WAYLAND_DISPLAY: '' } });
  return cli;
}

describe('pulsar-tunnel ui', () => {
  it('prints a one-time 127.0.0.1 link that serves the UI and the API once, and exits 0 on SIGINT', async () => {
    const ui = await startUi(['--no-open']);
    const url = await eventually(() => /http:\/\/127\.0\.0\.1:\d+\/\?code=[\w-]+/.exec(ui.stdout())?.[0], { timeoutMs: 20_000, what: 'the UI URL on stdout' });
    expect(ui.stdout()).not.toContain('token=');
    const handOff = await fetch(url);
    expect(handOff.status).toBe(200);
    const token = sessionFromHandOff(await handOff.text());
    const { origin } = new URL(url);
    const page = await fetch(`${origin}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
    expect((await fetch(url)).status).toBe(401);
    const listed = await fetch(`${origin}/api/listProfiles`, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: '{"args":[]}' });
    expect(await listed.json()).toEqual({ ok: true, value: [] });
    const refused = await fetch(`${origin}/api/listProfiles`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"args":[]}' });
    expect(refused.status).toBe(401);
    expect(ui.stderr()).not.toContain('stopping');
    const status = await ui.stop('SIGINT');
    expect(status).toEqual({ code: 0, signal: null });
    // Ctrl-C is answered on stderr: what closes, then that it is done.
    expect(ui.stderr()).toContain('pulsar-tunnel: stopping (SIGINT): closing the UI and its tunnels…\npulsar-tunnel: stopped\n');
  }, 60_000);

  it('answers a browser opening a used link with a small HTML page that says what to do, under the UI\'s CSP; other clients get JSON', async () => {
    const ui = await startUi(['--no-open']);
    const url = await eventually(() => /http:\/\/127\.0\.0\.1:\d+\/\?code=[\w-]+/.exec(ui.stdout())?.[0], { timeoutMs: 20_000, what: 'the UI URL on stdout' });
    const first = await fetch(url);
    expect(first.status).toBe(200);
    // The UI's own policy (the link's first answer is the hand-off page, with its own script hash).
    const uiPolicy = (await fetch(new URL('/', url))).headers.get('content-security-policy');
    expect(uiPolicy).toContain("script-src 'self'");
    // What Chromium sends when the link is opened again (a reload, a second tab, a bookmark).
    const again = await fetch(url, { headers: { Accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' } });
    expect(again.status).toBe(401);
    expect(again.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(again.headers.get('content-security-policy')).toBe(uiPolicy);
    expect(again.headers.get('cache-control')).toBe('no-store');
    const html = await again.text();
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('already used or has expired');
    expect(html).toContain('use that tab');
    expect(html).toContain('<code>pulsar-tunnel ui</code>');
    expect(html).toContain('<code>npm start</code>');
    // With --no-open only one link was printed: no "other URL" to open.
    expect(html).not.toContain('other URL');
    // Nothing the CSP would block: no script, no inline style.
    expect(html).not.toMatch(/<script|style=|<style/i);
    const api = await fetch(url, { headers: { Accept: 'application/json' } });
    expect(api.status).toBe(401);
    expect(await api.json()).toMatchObject({ ok: false, error: { code: 'API_UNAUTHORIZED', message: expect.stringContaining('used already or has expired') } });
    await ui.stop('SIGINT');
  }, 60_000);

  it('opens the browser with a one-time link, not the session token: what other users read in ps is useless once used', async () => {
    home = await mkdtemp(join(tmpdir(), 'pt-ui-home-'));
    // A desktop whose xdg-open records the command line it was given (what `ps` shows everyone).
    const bin = join(home, 'bin');
    const argvFile = join(home, 'opener-argv');
    await mkdir(bin);
    await writeFile(join(bin, 'xdg-open'), `#!/bin/sh\nprintf '%s\\n' "$@" > '${argvFile}'\n`, { mode: 0o755 });
    cli = startCli(['ui'], { env: { PULSAR_TUNNEL_HOME: home, DISPLAY: ':99', WAYLAND_DISPLAY: '', PATH: `${bin}:${process.env.PATH ?? ''}` } });
    const printed = await eventually(() => /http:\/\/127\.0\.0\.1:\d+\/\?code=[\w-]+/.exec(cli!.stdout())?.[0], { timeoutMs: 20_000, what: 'the UI URL on stdout' });
    const opened = (await eventually(async () => (await readFile(argvFile, 'utf8').catch(() => '')).trim() || undefined, { timeoutMs: 10_000, what: 'the browser opener to run' }))!;
    expect(opened).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?code=[\w-]+$/);
    expect(opened).not.toBe(printed);
    // The browser's first use of the link lets it in; the token it gets was never on a command line.
    const page = await fetch(opened);
    expect(page.status).toBe(200);
    const token = sessionFromHandOff(await page.text());
    expect(token.length).toBeGreaterThanOrEqual(32);
    expect(opened).not.toContain(token);
    // Another local user replaying the argument afterwards gets nothing.
    const replay = await fetch(opened, { redirect: 'manual' });
    expect(replay.status).toBe(401);
    expect(await replay.text()).not.toContain(token);
    expect((await cli.stop('SIGINT')).code).toBe(0);
  }, 60_000);

  it('keeps serving after a local client without the token sends an upgrade whose target is not a URL', async () => {
    const ui = await startUi(['--no-open']);
    const url = await eventually(() => /http:\/\/127\.0\.0\.1:\d+\/\?code=[\w-]+/.exec(ui.stdout())?.[0], { timeoutMs: 20_000, what: 'the UI URL on stdout' });
    const { origin, port } = new URL(url);
    // Node's parser takes an absolute-form target that the WHATWG URL parser refuses; so may any
    // process on this machine, with no token, no Host or Origin of ours.
    const answer = await withDeadline(
      new Promise<string>((resolve) => {
        const client = connect({ host: '127.0.0.1', port: Number(port) });
        let text = '';
        client.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
        client.on('error', () => undefined);
        client.on('close', () => resolve(text));
        client.end(`GET http://[/api/log HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n`);
      }),
      10_000,
      'the answer to an upgrade whose target is not a URL',
    );
    expect(answer.split('\r\n')[0]).toMatch(/^HTTP\/1\.1 400 /);
    expect((await fetch(`${origin}/`)).status).toBe(200);
    expect((await ui.stop('SIGINT')).code).toBe(0);
  }, 60_000);

  it('says the port is in use and exits 1 when --port is taken', async () => {
    blocker = createServer();
    await new Promise<void>((resolve) => blocker!.listen({ host: '127.0.0.1', port: 0 }, resolve));
    const port = (blocker.address() as { port: number }).port;
    const ui = await startUi(['--no-open', '--port', String(port)]);
    const status = await ui.exited;
    expect(status.code).toBe(1);
    expect(ui.stderr()).toContain('TUNNEL_LISTEN_IN_USE');
    expect(ui.stderr()).toContain('--port');
  }, 60_000);

  it('refuses a port that is not a number with exit code 2', async () => {
    const ui = await startUi(['--port', 'eighty']);
    expect((await ui.exited).code).toBe(2);
    expect(ui.stderr()).toMatch(/port/);
  }, 30_000);
});
