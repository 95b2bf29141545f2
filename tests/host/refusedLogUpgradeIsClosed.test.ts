/**
 * A refused live-log upgrade must not cost the web host a connection for longer than its answer.
 * Node's HTTP server is half-open (allowHalfOpen) and stops timing a socket once it is handed to the
 * 'upgrade' event, so a refusal that only ends its side would keep the socket, and a file
 * descriptor, for as long as the client keeps its own side open: forever for a client without the
 * token that never closes, a few thousand of which exhaust the host's descriptors.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bearerSubprotocol, logSocketProtocols, logSubprotocol } from '../../shared/ipc/webSession.ts';
import { AppService } from '../../src-main/core/service/appService.ts';
import { startWebHost } from '../../src-main/host/webHost.ts';
import type { WebHost } from '../../src-main/host/webHost.ts';
import { eventually, withDeadline } from '../fixtures/deadline.ts';
import { MemoryStore, ScriptedRunner } from '../unit/core/service/memoryStore.ts';

let rendererDir: string;
let host: WebHost | undefined;
let service: AppService | undefined;
const clients = new Set<Socket>();

beforeAll(async () => {
  rendererDir = await mkdtemp(join(tmpdir(), 'pt-renderer-'));
  await writeFile(join(rendererDir, 'index.html'), '<!doctype html><title>pulsar-tunnel</title>');
});

afterAll(async () => {
  await rm(rendererDir, { recursive: true, force: true });
});

afterEach(async () => {
  for (const client of clients) client.destroy();
  clients.clear();
  // A host that still holds a refused socket never finishes closing: fail, do not hang.
  await withDeadline(host?.close() ?? Promise.resolve(), 5000, 'the web host to close');
  await service?.dispose();
  host = undefined;
  service = undefined;
});

async function start(): Promise<WebHost> {
  service = new AppService({ store: new MemoryStore(), startTunnel: new ScriptedRunner().start });
  host = await startWebHost({ api: service, rendererDir });
  return host;
}

/** What a raw client saw of a refused upgrade; its socket stays open on its side. */
interface Refused {
  client: Socket;
  answer: string;
  /** Set once the host has reset the connection: it no longer holds it. */
  reset: () => boolean;
}

/**
 * Sends one upgrade request over a raw socket that never closes its own side (allowHalfOpen), and
 * waits for the host's answer and its end of the stream.
 */
async function refusedUpgrade(port: number, path: string, headers: Record<string, string>, body = ''): Promise<Refused> {
  const client = connect({ host: '127.0.0.1', port, allowHalfOpen: true });
  clients.add(client);
  let answer = '';
  let reset = false;
  client.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
  client.on('error', () => (reset = true));
  const lines = [
    `GET ${path} HTTP/1.1`,
    `Host: 127.0.0.1:${port}`,
    'Upgrade: websocket',
    'Connection: Upgrade',
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
    'Sec-WebSocket-Version: 13',
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ];
  client.write(`${lines.join('\r\n')}\r\n\r\n${body}`);
  await withDeadline(new Promise((resolve) => client.once('end', resolve)), 5000, `the host to answer and end ${path}`);
  return { client, answer, reset: () => reset || client.destroyed };
}

/**
 * Resolves once the host has let go of the connection: a byte written to a socket the host closed
 * is answered by a reset (RFC 9293 §3.6.1), which the client sees as an error; a socket the host
 * still holds takes the byte silently.
 */
async function hostLetGo(refused: Refused, what: string): Promise<void> {
  await eventually(
    () => {
      if (refused.reset()) return true;
      refused.client.write('x');
      return false;
    },
    { timeoutMs: 3000, what: `the host to close the connection of ${what}, which the client keeps open` },
  );
}

describe('refused live-log upgrades', () => {
  it('are closed by the host after their answer, even while the client keeps its side open', async () => {
    const web = await start();
    const origin = `http://127.0.0.1:${web.port}`;
    const wrongToken = 'x'.repeat(web.token.length);
    const cases: [string, string, Record<string, string>, string][] = [
      ['a wrong token offer', '/api/log', { Origin: origin, 'Sec-WebSocket-Protocol': logSocketProtocols(wrongToken).join(', ') }, ' 401 '],
      ['no token offer', '/api/log', { Origin: origin, 'Sec-WebSocket-Protocol': logSubprotocol }, ' 401 '],
      ['a token in the URL', `/api/log?token=${web.token}`, { Origin: origin }, ' 401 '],
      ['a foreign origin', '/api/log', { Origin: 'http://evil.example', 'Sec-WebSocket-Protocol': logSocketProtocols(web.token).join(', ') }, ' 403 '],
      ['another path', '/api/other', { Origin: origin, 'Sec-WebSocket-Protocol': logSocketProtocols(web.token).join(', ') }, ' 404 '],
      ['no log subprotocol', '/api/log', { Origin: origin, 'Sec-WebSocket-Protocol': bearerSubprotocol(web.token) }, ' 400 '],
    ];
    for (const [what, path, headers, status] of cases) {
      const refused = await refusedUpgrade(web.port, path, headers);
      expect(refused.answer.split('\r\n')[0], what).toContain(status);
      await hostLetGo(refused, what);
    }
  });

  it('do not keep the host from closing (Ctrl-C of pulsar-tunnel ui) while their client stays connected after sending more', async () => {
    const web = await start();
    // An upgrade with a body, or a pipelined request after it: bytes the refusal never reads.
    const refused = await refusedUpgrade(web.port, '/api/log', { Origin: `http://127.0.0.1:${web.port}`, 'Content-Length': '5' }, 'hello');
    expect(refused.answer.split('\r\n')[0]).toContain(' 401 ');
    await withDeadline(web.close(), 5000, 'the web host to close while a client holds a refused upgrade');
  });
});
