/**
 * The soak's "0 bytes lost or altered" rests on the bench server's checked exchange ('S' mode): it
 * must see a faithful path as intact and a single flipped bit in either direction as altered, or the
 * soak's verdict would prove nothing. The path here is plain TCP through a relay that may flip one
 * bit, then TLS to the bench server process.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPki, type TestPki } from '../fixtures/pki.ts';
import { startTlsRelay, type TlsRelay } from '../fixtures/pulsarCluster/tlsRelay.ts';
import { startPlainTcpServer, type PlainTcpServer } from '../fixtures/tlsBackend.ts';
import { connectPlain } from './paths.ts';
import { startBenchServer, type BenchServer } from './processes.ts';
import { openShaExchange } from './shaExchange.ts';

/** Forwards both ways, flipping the lowest bit of byte `at` of the chosen direction. */
function corrupting(target: number, direction: 'up' | 'down' | 'none', at: number): (client: net.Socket) => void {
  return (client) => {
    const server = net.connect({ host: '127.0.0.1', port: target, allowHalfOpen: true });
    const forward = (from: net.Socket, to: net.Socket, flip: boolean) => {
      let seen = 0;
      from.on('data', (chunk: Buffer) => {
        let out = chunk;
        if (flip && seen <= at && at < seen + chunk.length) {
          out = Buffer.from(chunk);
          out[at - seen]! ^= 1;
        }
        seen += chunk.length;
        to.write(out);
      });
      from.on('end', () => to.end());
      from.on('error', () => to.destroy());
    };
    forward(client, server, direction === 'up');
    forward(server, client, direction === 'down');
  };
}

describe('the bench server\'s SHA-256-checked exchange', () => {
  let pki: TestPki;
  let bench: BenchServer;
  let relay: TlsRelay;
  const proxies: PlainTcpServer[] = [];

  beforeAll(async () => {
    pki = await createTestPki({ serverHosts: ['sink.test'] });
    bench = await startBenchServer(pki.servers['sink.test']!.certPath, pki.servers['sink.test']!.keyPath);
    relay = await startTlsRelay({ target: { host: '127.0.0.1', port: bench.port }, tls: { servername: 'sink.test', ca: pki.ca.certPem } });
  });

  afterAll(async () => {
    await Promise.all(proxies.map((proxy) => proxy.stop()));
    await relay?.stop();
    await bench?.stop();
    await pki?.cleanup();
  });

  const exchangeThrough = async (direction: 'up' | 'down' | 'none') => {
    const proxy = await startPlainTcpServer(corrupting(relay.port, direction, 5_000));
    proxies.push(proxy);
    const socket = await connectPlain('127.0.0.1', proxy.port)();
    const exchange = await openShaExchange(socket, { up: 100_000, down: 70_001, seed: 7 }, 10_000);
    return exchange.run(10_000);
  };

  it('finds a faithful path intact both ways', async () => {
    expect(await exchangeThrough('none')).toEqual({ upIntact: true, downIntact: true, bytesUp: 100_000, bytesDown: 70_001 });
  });

  it('finds one flipped bit going up', async () => {
    expect(await exchangeThrough('up')).toMatchObject({ upIntact: false, downIntact: true });
  });

  it('finds one flipped bit coming down', async () => {
    expect(await exchangeThrough('down')).toMatchObject({ upIntact: true, downIntact: false });
  });
});
