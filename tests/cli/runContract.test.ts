import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startCli, type CliProcess } from '../fixtures/cliProcess.ts';
import { eventually, withDeadline } from '../fixtures/deadline.ts';
import { createTestPki, type TestPki } from '../fixtures/pki.ts';
import { startAts, type SniRouter } from '../fixtures/sniRouters.ts';
import { exchange, startTlsBackend, type TlsBackend } from '../fixtures/tlsBackend.ts';
import { connectLocal, splitAddress } from '../tunnel/harness.ts';

describe('pulsar-tunnel run: the CLI contract', () => {
  let pki: TestPki;
  let broker: TlsBackend;
  let web: TlsBackend;
  let ats: SniRouter;
  let dir: string;
  const clis: CliProcess[] = [];

  beforeAll(async () => {
    pki = await createTestPki({ serverHosts: ['pulsar.test', 'web.test'] });
    broker = await startTlsBackend({ credential: pki.servers['pulsar.test']!, behaviour: 'echo' });
    // The web listener speaks HTTP since issue 6: the web host must answer HTTP too.
    web = await startTlsBackend({
      credential: pki.servers['web.test']!,
      behaviour: (socket) => socket.once('data', () => socket.end('HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 8\r\n\r\nweb host')),
    });
    ats = await startAts({ routes: [{ fqdn: 'pulsar.test', target: broker.address }, { fqdn: 'web.test', target: web.address }] });
    dir = await mkdtemp(path.join(tmpdir(), 'pt-cli-'));
    // The CA sits beside the profile and is named by a relative path.
    await mkdir(path.join(dir, 'certs'));
    await writeFile(path.join(dir, 'certs', 'ca.pem'), pki.ca.certPem);
  });

  afterAll(async () => {
    await Promise.all(clis.map((cli) => cli.stop('SIGKILL').catch(() => undefined)));
    await Promise.all([ats?.stop(), broker?.stop(), web?.stop()]);
    await pki?.cleanup();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function profileFile(name: string, extra: Record<string, unknown> = {}): Promise<string> {
    const file = path.join(dir, `${name}.json`);
    await writeFile(
      file,
      JSON.stringify({
        name,
        serviceUrl: 'pulsar+ssl://pulsar.test:6651',
        proxyServiceUrl: `pulsar+ssl://${ats.address}`,
        proxyProtocol: 'SNI',
        tlsTrustCertsFilePath: 'certs/ca.pem',
        pulsarProtocol: 'raw',
        listen: { port: 0 },
        ...extra,
      }),
    );
    return file;
  }

  function run(file: string, cwd = tmpdir()): CliProcess {
    // Run from another folder so relative paths must resolve against the profile's folder.
    const cli = startCli(['run', file, '--log-format', 'json'], { cwd });
    clis.push(cli);
    return cli;
  }

  it('--help exits 0 and lists the commands, each described in the same lowercase style', async () => {
    const result = await runCli(['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('run');
    const commands = result.stdout.slice(result.stdout.indexOf('Commands:')).split('\n').slice(1);
    const firsts = commands.map((line) => /^ {2}\S+(?: \S+)*? {2,}(\S)/.exec(line)?.[1]).filter((first) => first !== undefined);
    expect(firsts.length).toBeGreaterThanOrEqual(5);
    for (const first of firsts) expect(first).toBe(first.toLowerCase());
  });

  it('prints ready, then one opened and exactly one closed JSON line per connection, and nothing else on stdout', async () => {
    const cli = run(await profileFile('contract'));
    const ready = await cli.waitForEvent((event) => event.event === 'ready');
    expect(Object.keys(ready)).toEqual(['event', 'listen']);
    expect(Object.keys(ready.listen)).toEqual(['pulsar']);
    expect(ready.listen.pulsar).toMatch(/^127\.0\.0\.1:\d+$/);
    const [host, port] = splitAddress(ready.listen.pulsar);

    const client = await connectLocal(host, Number(port));
    const localAddress = `127.0.0.1:${client.localPort}`;
    expect((await exchange(client, 'hello, broker')).toString()).toBe('hello, broker');

    const opened = await cli.waitForEvent((event) => event.event === 'connection.opened');
    expect(opened).toMatchObject({ id: expect.any(Number), local: localAddress, sni: 'pulsar.test', proxy: ats.address });
    const closed = await cli.waitForEvent((event) => event.event === 'connection.closed' && event.id === opened.id);
    expect(closed).toMatchObject({ bytesUp: 13, bytesDown: 13, durationMs: expect.any(Number) });
    expect(closed.error).toBeUndefined();

    const status = await cli.stop('SIGTERM');
    expect(status.code).toBe(0);
    expect(cli.stdoutLines).toEqual([]);
    expect(cli.events[0]!.event).toBe('ready');
    expect(cli.events.filter((event) => event.event === 'connection.closed' && event.id === opened.id)).toHaveLength(1);
  });

  it('adds the web listener to the ready line and forwards HTTP to the web service host', async () => {
    const cli = run(await profileFile('web', { webServiceUrl: 'https://web.test:8443', listen: { port: 0, webPort: 0 } }));
    const ready = await cli.waitForEvent((event) => event.event === 'ready');
    expect(ready.listen.http).toMatch(/^127\.0\.0\.1:\d+$/);
    const [host, port] = splitAddress(ready.listen.http);
    const answer = (await exchange(await connectLocal(host, Number(port)), 'GET / HTTP/1.0\r\n\r\n')).toString();
    expect(answer).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(answer.endsWith('\r\n\r\nweb host')).toBe(true);
    const logged = await cli.waitForEvent((event) => event.event === 'http.request');
    expect(logged).toMatchObject({ method: 'GET', path: '/', status: 200, broker: 'web.test:8443' });
    expect(web.accepted.at(-1)?.servername).toBe('web.test');
    expect((await cli.stop()).code).toBe(0);
  });

  // A URL writes IPv6 in brackets; the profile takes both forms for the same address.
  it.each(['::1', '[::1]'])('listens on the IPv6 loopback when asked as %s', async (listenHost) => {
    const cli = run(await profileFile(`ipv6-${listenHost.length}`, { listen: { host: listenHost, port: 0 } }));
    const ready = await cli.waitForEvent((event) => event.event === 'ready');
    expect(ready.listen.pulsar).toMatch(/^\[::1\]:\d+$/);
    const [host, port] = splitAddress(ready.listen.pulsar);
    expect((await exchange(await connectLocal(host, Number(port)), 'v6')).toString()).toBe('v6');
    const opened = await cli.waitForEvent((event) => event.event === 'connection.opened');
    expect(opened.local).toMatch(/^\[::1\]:\d+$/);
    expect((await cli.stop()).code).toBe(0);
  });

  it.each(['SIGTERM', 'SIGINT'] as const)('on %s closes open connections, reports each closed once, and exits 0', async (signal) => {
    const cli = run(await profileFile(`shutdown-${signal}`));
    const ready = await cli.waitForEvent((event) => event.event === 'ready');
    const [host, port] = splitAddress(ready.listen.pulsar);
    const clients = await Promise.all([1, 2, 3].map(() => connectLocal(host, Number(port))));
    for (const client of clients) {
      client.resume();
      client.write('open');
    }
    await cli.waitForEvent((event) => event.event === 'connection.secured' && cli.events.filter((e) => e.event === 'connection.secured').length === 3);
    // A client sees the tunnel go away as a FIN ('end') or a reset ('error'), whichever comes first.
    const clientsClosed = Promise.all(
      clients.map((client) => new Promise<void>((resolve) => {
        client.once('end', resolve);
        client.once('error', () => resolve());
        client.once('close', () => resolve());
      })),
    );
    const status = await cli.stop(signal);
    expect(status).toEqual({ code: 0, signal: null });
    await withDeadline(clientsClosed, 5_000, 'local clients to be closed');
    const opened = cli.events.filter((event) => event.event === 'connection.opened').map((event) => event.id);
    const closed = cli.events.filter((event) => event.event === 'connection.closed').map((event) => event.id);
    expect(opened).toHaveLength(3);
    expect(closed.sort()).toEqual(opened.sort());
    // The signal is answered in the log: how many connections it closes first, "stopped" last.
    const names = cli.events.map((event) => event.event);
    expect(cli.events.find((event) => event.event === 'stopping')).toEqual({ event: 'stopping', signal, openConnections: 3 });
    expect(names.at(-1)).toBe('stopped');
    expect(names.indexOf('stopping')).toBeLessThan(names.lastIndexOf('connection.closed'));
  });

  it('says on stderr, in text mode, that it is stopping and when it has stopped', async () => {
    const cli = startCli(['run', await profileFile('shutdown-text')], { cwd: tmpdir() });
    clis.push(cli);
    await eventually(() => (/ ready: pulsar:\/\//.test(cli.stdout()) ? true : undefined), { timeoutMs: 20_000, what: 'the ready line' });
    expect(cli.stderr()).not.toContain('stopping');
    expect(await cli.stop('SIGINT')).toEqual({ code: 0, signal: null });
    expect(cli.stderr()).toContain('pulsar-tunnel: stopping (SIGINT): closing 0 connections…\npulsar-tunnel: stopped\n');
  });

  it('exits 2 before ready when the listen port is in use, naming the address', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const result = await runCli(['run', await profileFile('busy', { listen: { port } }), '--log-format', 'json']);
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toContain('TUNNEL_LISTEN_IN_USE');
      expect(result.stderr).toContain(`127.0.0.1:${port}`);
    } finally {
      blocker.close();
    }
  });
});
