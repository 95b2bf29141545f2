/**
 * The web listener as local admin tools see it: plain HTTP on loopback, forwarded over TLS through
 * a real ATS to our test admin servers (two brokers that redirect to each other), with curl and
 * Node's fetch as clients.
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import net from 'node:net';
import type { HttpRequestEvent, TunnelEvent } from '../../shared/model/events.ts';
import type { TunnelConfig } from '../../src-main/core/config/tunnelConfig.ts';
import { clientConfFor } from '../../src-main/core/profiles/export.ts';
import { startAdminCluster, type AdminCluster } from '../fixtures/adminServer.ts';
import { eventually, withDeadline } from '../fixtures/deadline.ts';
import { createTestPki, type TestPki } from '../fixtures/pki.ts';
import { startAts, type SniRouter } from '../fixtures/sniRouters.ts';
import { ensureProgram, systemPrograms } from '../fixtures/systemPrograms.ts';
import { startTestTunnel, testConfig, type TestTunnel } from '../tunnel/harness.ts';

const token = 'test-admin-token';
const owners = { 't/ns/one': 'broker1.test', 't/ns/two': 'broker2.test', 't/ns/lost': 'broker9.test' };

function isHttpRequest(event: TunnelEvent): event is HttpRequestEvent {
  return event.event === 'http.request';
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

describe('the admin HTTP endpoint', () => {
  let pki: TestPki;
  let admin: AdminCluster;
  let ats: SniRouter;
  let curl: string;
  let dir: string;
  const tunnels: TestTunnel[] = [];
  let tunnel: TestTunnel;
  let base: string;

  async function start(web: { host: string; port: number }, overrides: Partial<TunnelConfig> = {}): Promise<TestTunnel> {
    const started = await startTestTunnel(
      testConfig({
        serviceHost: 'broker1.test',
        router: ats,
        caPem: pki.ca.certPem,
        overrides: {
          pulsarProtocol: 'inspect',
          web,
          listen: { host: '127.0.0.1', port: 0, webPort: 0 },
          auth: { kind: 'token', getToken: () => Promise.resolve(token) },
          ...overrides,
        },
      }),
    );
    tunnels.push(started);
    return started;
  }

  /** Runs curl; resolves with its stdout (the body) and the status it printed last. */
  function runCurl(args: string[]): Promise<{ body: Buffer; status: number }> {
    return new Promise((resolve, reject) => {
      execFile(curl, ['-sS', '--max-time', '10', '-o', '-', '-w', '\n%{http_code}', ...args], { encoding: 'buffer', maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
        if (error) {
          reject(new Error(`curl failed: ${stderr.toString()}`, { cause: error }));
          return;
        }
        const cut = stdout.lastIndexOf('\n');
        resolve({ body: stdout.subarray(0, cut), status: Number(stdout.subarray(cut + 1).toString()) });
      });
    });
  }

  async function requestEvent(test: TestTunnel, method: string, pathPrefix: string): Promise<HttpRequestEvent> {
    return (await test.waitForEvent((event) => isHttpRequest(event) && event.method === method && event.path.startsWith(pathPrefix))) as HttpRequestEvent;
  }

  beforeAll(async () => {
    curl = await ensureProgram(systemPrograms.curl);
    pki = await createTestPki({ serverHosts: ['broker1.test', 'broker2.test'], clientNames: ['developer'] });
    admin = await startAdminCluster({ pki, brokers: ['broker1.test', 'broker2.test'], token, owners, acceptClientCertificates: true });
    ats = await startAts({ routes: admin.sniRoutes() });
    dir = await mkdtemp(path.join(tmpdir(), 'pt-web-'));
    tunnel = await start({ host: 'broker1.test', port: 8443 });
    base = `http://${tunnel.tunnel.addresses.http!}`;
  });

  afterAll(async () => {
    await Promise.all(tunnels.map((test) => test.dispose()));
    await ats?.stop();
    await admin?.stop();
    await pki?.cleanup();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('forwards a GET to the web host with the profile token injected and logs it', async () => {
    const response = await fetch(`${base}/admin/v2/persistent/t/ns/one/stats`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ servedBy: 'broker1.test' });
    const received = admin.requests.filter((request) => request.url === '/admin/v2/persistent/t/ns/one/stats').at(-1);
    expect(received).toMatchObject({ broker: 'broker1.test', host: 'broker1.test:8443', authorization: `Bearer ${token}` });
    const logged = await requestEvent(tunnel, 'GET', '/admin/v2/persistent/t/ns/one/stats');
    expect(logged).toMatchObject({ status: 200, broker: 'broker1.test:8443', redirectsFollowed: 0, durationMs: expect.any(Number) });
    expect(logged.error).toBeUndefined();
    const opened = tunnel.events.find((event) => event.event === 'connection.opened' && event.id === logged.id);
    expect(opened).toMatchObject({ listener: 'http', sni: 'broker1.test', proxy: ats.address });
  });

  it('reuses one upstream TLS connection for requests in sequence, whatever the local connections', async () => {
    const fresh = await start({ host: 'broker2.test', port: 8443 });
    const before = admin.connections['broker2.test']!;
    for (let round = 0; round < 3; round++) {
      // A new local connection each time: the upstream pool does not depend on the local side.
      const response = await fetch(`http://${fresh.tunnel.addresses.http!}/admin/v2/clusters`, { headers: { connection: 'close' } });
      expect(await response.json()).toEqual(['test']);
    }
    expect(admin.connections['broker2.test']! - before).toBe(1);
    expect(fresh.events.filter(isHttpRequest).map((event) => event.id)).toHaveLength(3);
    const closed = await fresh.closed(fresh.events.filter(isHttpRequest)[0]!.id);
    expect(closed.bytesUp).toBeGreaterThan(50);
    expect(closed.bytesDown).toBeGreaterThan(50);
    expect(closed.error).toBeUndefined();
  });

  it("keeps a client's own Authorization header instead of the profile's", async () => {
    const response = await fetch(`${base}/admin/v2/clusters`, { headers: { authorization: 'Bearer someone-else' } });
    expect(response.status).toBe(401);
    expect(admin.requests.at(-1)?.authorization).toBe('Bearer someone-else');
  });

  it("does not carry a client's own Authorization or Cookie to the owner broker a 307 names", async () => {
    const withOwn = await fetch(`${base}/admin/v2/persistent/t/ns/two/stats?own=1`, { headers: { authorization: `Bearer ${token}` } });
    expect(withOwn.status).toBe(502);
    expect(await withOwn.json()).toMatchObject({ code: 'HTTP_REDIRECT_REFUSED', message: expect.stringContaining('your own Authorization header') });
    expect(admin.requests.filter((request) => request.url.endsWith('?own=1')).map((request) => request.broker)).toEqual(['broker1.test']);

    const withCookie = await fetch(`${base}/admin/v2/persistent/t/ns/two/stats?cookie=1`, { headers: { cookie: 'session=client-secret' } });
    expect(withCookie.status).toBe(200);
    const hops = admin.requests.filter((request) => request.url.endsWith('?cookie=1'));
    expect(hops.map((request) => [request.broker, request.cookie, request.authorization])).toEqual([
      ['broker1.test', 'session=client-secret', `Bearer ${token}`],
      ['broker2.test', undefined, `Bearer ${token}`],
    ]);
  });

  it('follows a 307 to the owning broker inside the tunnel and replays a PUT body (curl)', async () => {
    const body = randomBytes(300 * 1024);
    const file = path.join(dir, 'put.bin');
    await writeFile(file, body);
    const result = await runCurl(['-X', 'PUT', '-H', 'content-type: application/octet-stream', '--data-binary', `@${file}`, `${base}/admin/v2/persistent/t/ns/two/echo`]);
    expect(result.status).toBe(200);
    expect(sha256(result.body)).toBe(sha256(body));
    const hops = admin.requests.filter((request) => request.url === '/admin/v2/persistent/t/ns/two/echo').map((request) => [request.broker, request.host]);
    expect(hops).toEqual([
      ['broker1.test', 'broker1.test:8443'],
      ['broker2.test', 'broker2.test:8443'],
    ]);
    const logged = await requestEvent(tunnel, 'PUT', '/admin/v2/persistent/t/ns/two/echo');
    expect(logged).toMatchObject({ status: 200, broker: 'broker2.test:8443', redirectsFollowed: 1 });
  });

  it('follows a 307 for a chunked POST streamed by fetch', async () => {
    const parts = [Buffer.from('first part,'), Buffer.from('second part')];
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        const next = parts.shift();
        if (next) controller.enqueue(next);
        else controller.close();
      },
    });
    const response = await fetch(`${base}/admin/v2/persistent/t/ns/two/echo`, { method: 'POST', body: stream, duplex: 'half' } as RequestInit);
    expect(response.status).toBe(200);
    expect(response.headers.get('x-served-by')).toBe('broker2.test');
    expect(await response.text()).toBe('first part,second part');
  });

  it('answers 413 with a code when a redirected body is larger than the replay bound, and streams it when no redirect comes', async () => {
    const body = randomBytes(1024 * 1024 + 4096);
    const redirected = await fetch(`${base}/admin/v2/persistent/t/ns/two/echo?big=1`, { method: 'PUT', body });
    expect(redirected.status).toBe(413);
    const refusal = (await redirected.json()) as { code: string; message: string };
    expect(refusal.code).toBe('HTTP_REDIRECT_BODY_TOO_LARGE');
    // What to do about the body, not advice about the broker's address, which was reached.
    expect(refusal.message).toMatch(/send it again with a smaller body, or split it/);
    expect(refusal.message).not.toMatch(/host name the proxy routes/);
    const logged = await requestEvent(tunnel, 'PUT', '/admin/v2/persistent/t/ns/two/echo?big');
    expect(logged.error?.code).toBe('HTTP_REDIRECT_BODY_TOO_LARGE');

    const direct = await fetch(`${base}/admin/v2/persistent/t/ns/one/echo`, { method: 'PUT', body });
    expect(direct.status).toBe(200);
    expect(sha256(Buffer.from(await direct.arrayBuffer()))).toBe(sha256(body));
  });

  it('rewrites the HTTP lookup answer to the tunnel’s local broker port and web listener', async () => {
    const response = await fetch(`${base}/lookup/v2/topic/persistent/t/ns/two`);
    expect(response.status).toBe(200);
    const answer = (await response.json()) as Record<string, string>;
    const brokerPort = await tunnel.waitForEvent((event) => event.event === 'pulsar.brokerPort' && event.broker === 'broker2.test:6651');
    const local = `pulsar://${(brokerPort as { local: string }).local}`;
    expect(answer).toEqual({ brokerUrl: local, brokerUrlTls: local, nativeUrl: local, httpUrl: base, httpUrlTls: base });
    expect(tunnel.tunnel.status().brokers).toContainEqual({ broker: 'broker2.test:6651', sni: 'broker2.test', local: (brokerPort as { local: string }).local });
  });

  it('passes a streaming answer through as it arrives', async () => {
    const chunks = 64;
    // The head must come before the server finishes (it waits for the release below).
    const response = await withDeadline(fetch(`${base}/admin/v2/test/stream?chunks=${chunks}`), 5_000, 'the streamed answer head');
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    const first = await withDeadline(reader.read(), 5_000, 'the first streamed chunk');
    expect(first.done).toBe(false);
    // The server holds the rest back until released: the first bytes got here before it finished.
    expect(admin.streamsFinished).toBe(0);
    admin.releaseStreams();
    let total = first.value!.length;
    for (;;) {
      const next = await withDeadline(reader.read(), 10_000, 'the rest of the stream');
      if (next.done) break;
      total += next.value.length;
    }
    expect(total).toBe(chunks * 64 * 1024);
    await eventually(() => admin.streamsFinished === 1, { timeoutMs: 5_000, what: 'the server to finish the stream' });
  });

  it('closes an answer still streaming when the tunnel stops, and logs the request and connection', async () => {
    const stopping = await start({ host: 'broker1.test', port: 8443 });
    const response = await withDeadline(fetch(`http://${stopping.tunnel.addresses.http!}/admin/v2/test/stream?hold=1`), 5_000, 'the held answer head');
    const reader = response.body!.getReader();
    expect((await withDeadline(reader.read(), 5_000, 'the first held chunk')).done).toBe(false);
    await withDeadline(stopping.dispose(), 5_000, 'the tunnel to stop');
    // The rest of the first chunk may still be buffered; after it the stream must break, not end
    // cleanly (a clean end would pass a cut answer off as complete).
    const drain = async (): Promise<void> => {
      for (;;) if ((await reader.read()).done) return;
    };
    await expect(withDeadline(drain(), 5_000, 'the broken stream')).rejects.toThrow(/terminated|other side closed|socket/i);
    const logged = await requestEvent(stopping, 'GET', '/admin/v2/test/stream');
    expect(logged.status).toBe(200);
    await stopping.closed(logged.id);
  });

  it('answers 502 with the proxy error code for a redirect to a broker the proxy has no route for', async () => {
    const response = await fetch(`${base}/admin/v2/persistent/t/ns/lost/stats`);
    expect(response.status).toBe(502);
    const error = (await response.json()) as { code: string; message: string };
    expect(error.code).toBe('PROXY_NO_ROUTE');
    expect(error.message).toContain('broker9.test');
    expect(error.message).toContain('following the 307 redirect from broker1.test:8443 to broker9.test:8443');
    const logged = await requestEvent(tunnel, 'GET', '/admin/v2/persistent/t/ns/lost/stats');
    expect(logged).toMatchObject({ status: 502, broker: 'broker9.test:8443', redirectsFollowed: 1, error: { code: 'PROXY_NO_ROUTE' } });
  });

  it('gives up on a redirect loop after 5 redirects, naming the hosts', async () => {
    const response = await fetch(`${base}/admin/v2/test/loop`);
    expect(response.status).toBe(502);
    const error = (await response.json()) as { code: string; message: string };
    expect(error.code).toBe('HTTP_TOO_MANY_REDIRECTS');
    expect(error.message).toContain('broker1.test:8443 → broker2.test:8443 → broker1.test:8443');
    expect((await requestEvent(tunnel, 'GET', '/admin/v2/test/loop')).redirectsFollowed).toBe(5);
  });

  it('explains a redirect to a plain-HTTP address instead of following it', async () => {
    const to = encodeURIComponent('http://broker2.test:8080/admin/v2/clusters');
    const response = await fetch(`${base}/admin/v2/test/redirect?to=${to}`);
    expect(response.status).toBe(502);
    const error = (await response.json()) as { code: string; message: string };
    expect(error.code).toBe('HTTP_REDIRECT_UNREACHABLE');
    expect(error.message).toContain('http://broker2.test:8080');
  });

  it('answers 502 with PROXY_NO_ROUTE when the web host itself has no route, and logs the error', async () => {
    const lost = await start({ host: 'nowhere.test', port: 8443 });
    const response = await fetch(`http://${lost.tunnel.addresses.http!}/admin/v2/clusters`, { headers: { connection: 'close' } });
    expect(response.status).toBe(502);
    expect(await response.json()).toMatchObject({ code: 'PROXY_NO_ROUTE' });
    const logged = await requestEvent(lost, 'GET', '/admin/v2/clusters');
    expect(logged).toMatchObject({ status: 502, broker: 'nowhere.test:8443', error: { code: 'PROXY_NO_ROUTE' } });
    const closed = await lost.closed(logged.id);
    expect(closed.error?.code).toBe('PROXY_NO_ROUTE');
  });

  it('masks secret-looking query values in the log', async () => {
    await (await fetch(`${base}/admin/v2/clusters?token=hunter2&x=1`)).arrayBuffer();
    const logged = await requestEvent(tunnel, 'GET', '/admin/v2/clusters?');
    expect(logged.path).toBe('/admin/v2/clusters?token=***&x=1');
    expect(JSON.stringify(tunnel.events)).not.toContain('hunter2');
    expect(JSON.stringify(tunnel.events)).not.toContain(token);
  });

  it('authenticates with the client certificate in the TLS handshake when the profile uses one, also after a redirect', async () => {
    const developer = pki.clients.developer!;
    const mtls = await start({ host: 'broker1.test', port: 8443 }, { auth: { kind: 'tls' }, tls: { caPem: pki.ca.certPem, certPem: developer.certPem, keyPem: developer.keyPem, verifyHostname: true, allowInsecure: false } });
    const response = await fetch(`http://${mtls.tunnel.addresses.http!}/admin/v2/persistent/t/ns/two/stats`);
    expect(response.status).toBe(200);
    expect(response.headers.get('x-served-by')).toBe('broker2.test');
    const hops = admin.requests.filter((request) => request.url === '/admin/v2/persistent/t/ns/two/stats').slice(-2);
    expect(hops.map((request) => [request.broker, request.clientCertificate, request.authorization])).toEqual([
      ['broker1.test', 'developer', undefined],
      ['broker2.test', 'developer', undefined],
    ]);
  });

  it('tells a WebSocket client that upgrades are not relayed (501) instead of dropping it', async () => {
    const [host, port] = tunnel.tunnel.addresses.http!.split(':') as [string, string];
    const socket = net.connect({ host, port: Number(port) });
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.write('GET /ws/v2/producer/persistent/t/ns/one HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n');
    await withDeadline(closed, 5_000, 'the tunnel to answer the upgrade');
    const answer = Buffer.concat(chunks).toString();
    expect(answer).toMatch(/^HTTP\/1\.1 501 /);
    expect(answer).toContain('HTTP_UPSTREAM_FAILED');
    expect((await requestEvent(tunnel, 'GET', '/ws/v2/producer')).status).toBe(501);
  });

  it('serves pulsar-admin-style use of the webServiceUrl that client-conf writes', async () => {
    const conf = clientConfFor(tunnel.tunnel.addresses);
    const webServiceUrl = /^webServiceUrl=(.+)$/m.exec(conf)?.[1];
    expect(webServiceUrl).toBe(base);
    const result = await runCurl([`${webServiceUrl!}/admin/v2/clusters`]);
    expect(result.status).toBe(200);
    expect(JSON.parse(result.body.toString())).toEqual(['test']);
  });
});
