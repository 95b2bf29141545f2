import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPki, type TestPki } from '../fixtures/pki.ts';
import { startAts, type SniRouter } from '../fixtures/sniRouters.ts';
import { deterministicChunks, deterministicSha256, exchange, startTlsBackend, writeChunks, createStreamDigest, type TlsBackend } from '../fixtures/tlsBackend.ts';
import { withDeadline } from '../fixtures/deadline.ts';
import { connectLocal, openedId, startTestTunnel, testConfig, type TestTunnel } from './harness.ts';

const eightMiB = 8 * 1024 * 1024;

describe('bytes through the tunnel and a real ATS', () => {
  let pki: TestPki;
  let sink: TlsBackend;
  let source: TlsBackend;
  let echo: TlsBackend;
  let ats: SniRouter;
  const tunnels: TestTunnel[] = [];

  beforeAll(async () => {
    pki = await createTestPki({ serverHosts: ['sink.test', 'source.test', 'echo.test'] });
    sink = await startTlsBackend({ credential: pki.servers['sink.test']!, behaviour: 'sink-digest' });
    source = await startTlsBackend({ credential: pki.servers['source.test']!, behaviour: { source: eightMiB, seed: 7 } });
    echo = await startTlsBackend({ credential: pki.servers['echo.test']!, behaviour: 'echo' });
    ats = await startAts({
      routes: [
        { fqdn: 'sink.test', target: sink.address },
        { fqdn: 'source.test', target: source.address },
        { fqdn: 'echo.test', target: echo.address },
      ],
    });
  });

  afterAll(async () => {
    await Promise.all(tunnels.map((tunnel) => tunnel.dispose()));
    await Promise.all([ats?.stop(), sink?.stop(), source?.stop(), echo?.stop()]);
    await pki?.cleanup();
  });

  async function tunnelTo(host: string): Promise<TestTunnel> {
    const tunnel = await startTestTunnel(testConfig({ serviceHost: host, router: ats, caPem: pki.ca.certPem }));
    tunnels.push(tunnel);
    return tunnel;
  }

  it('delivers several MiB from the local client to the broker unchanged', async () => {
    const tunnel = await tunnelTo('sink.test');
    const client = await connectLocal(tunnel.host, tunnel.port);
    const reply = new Promise<string>((resolve) => {
      let text = '';
      client.on('data', (chunk: Buffer) => (text += chunk.toString()));
      client.once('end', () => resolve(text));
    });
    await writeChunks(client, deterministicChunks(eightMiB, 3));
    expect((await withDeadline(reply, 20_000, 'the digest')).trim()).toBe(deterministicSha256(eightMiB, 3));
    client.destroy();
    const closed = await tunnel.closed(await openedId(tunnel, 1));
    expect(closed.bytesUp).toBe(eightMiB);
    expect(closed.bytesDown).toBe(65);
    expect(closed.error).toBeUndefined();
  });

  it('delivers several MiB from the broker to the local client unchanged', async () => {
    const tunnel = await tunnelTo('source.test');
    const client = await connectLocal(tunnel.host, tunnel.port);
    const digest = createStreamDigest();
    client.on('data', (chunk: Buffer) => digest.update(chunk));
    await withDeadline(new Promise((resolve) => client.once('end', resolve)), 20_000, 'the end of the download');
    expect(digest.hex()).toBe(deterministicSha256(eightMiB, 7));
    client.destroy();
    const closed = await tunnel.closed(await openedId(tunnel, 1));
    expect(closed.bytesDown).toBe(eightMiB);
  });

  it('passes a half-close through: the client FIN reaches the broker and its answer still arrives', async () => {
    const tunnel = await tunnelTo('echo.test');
    const before = echo.accepted.length;
    const client = await connectLocal(tunnel.host, tunnel.port);
    const answer = await exchange(client, 'hello after FIN');
    expect(answer.toString()).toBe('hello after FIN');
    const accepted = await echo.waitForAccepted(before);
    await withDeadline(accepted.ended, 5_000, 'the FIN at the broker');
    expect(accepted.endSeen).toBe(true);
    const closed = await tunnel.closed(await openedId(tunnel, 1));
    expect(closed.error).toBeUndefined();
    expect(closed.bytesUp).toBe(15);
    expect(closed.bytesDown).toBe(15);
  });
});
