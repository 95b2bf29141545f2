import net from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { BrokerRegistry, MAX_BROKERS } from '../../../../src-main/core/routing/brokerRegistry.ts';

const servers: net.Server[] = [];

function registry(): BrokerRegistry {
  return new BrokerRegistry({
    openListener: async () => {
      const server = net.createServer();
      servers.push(server);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return server;
    },
  });
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

it('opens one local port per broker, once, even when asked twice at the same time', async () => {
  const brokers = registry();
  const first = brokers.ensure('pulsar://b1.test:6650', 'pulsar+ssl://b1.test:6651');
  const second = brokers.ensure('pulsar://b1.test:6650', 'pulsar+ssl://b1.test:6651');
  expect(first).toBeInstanceOf(Promise);
  const [a, b] = await Promise.all([first, second]);
  expect(a).toBe(b);
  expect(a).toMatchObject({ broker: 'b1.test:6651', target: { host: 'b1.test', port: 6651 }, localUrl: expect.stringMatching(/^pulsar:\/\/127\.0\.0\.1:\d+$/) });
  // Known now: answered at once, without a promise.
  expect(brokers.ensure(undefined, 'pulsar+ssl://b1.test:6651')).toBe(a);
  expect(servers).toHaveLength(1);
});

it('keeps brokers that share a host but not a port apart', async () => {
  const brokers = registry();
  const one = await brokers.ensure(undefined, 'pulsar+ssl://localhost:16651');
  const two = await brokers.ensure(undefined, 'pulsar+ssl://localhost:16652');
  expect(one!.localPort).not.toBe(two!.localPort);
});

it('opens no port for a broker named only by its plain pulsar:// URL, as a TLS client would not use it', () => {
  expect(registry().ensure('pulsar://b2.test:6650', undefined)).toBeUndefined();
  expect(servers).toHaveLength(0);
});

it('maps proxy_to_broker_url from our local address or a known broker host, and refuses anything else', async () => {
  const brokers = registry();
  const entry = await brokers.ensure('pulsar://b3.test:6650', 'pulsar+ssl://b3.test:6651');
  expect(brokers.resolveProxyTarget(`127.0.0.1:${entry!.localPort}`)).toBe(entry);
  expect(brokers.resolveProxyTarget('b3.test:6650')).toBe(entry);
  expect(brokers.resolveProxyTarget('pulsar+ssl://b3.test:6651')).toBe(entry);
  expect(() => brokers.resolveProxyTarget('elsewhere.test:6651')).toThrow(expect.objectContaining({ code: 'PULSAR_UNKNOWN_BROKER' }));
  expect(() => brokers.resolveProxyTarget('127.0.0.1:1')).toThrow(expect.objectContaining({ code: 'PULSAR_UNKNOWN_BROKER' }));
});

it('ignores answers that name no broker', () => {
  expect(registry().ensure(undefined, undefined)).toBeUndefined();
  expect(registry().ensure('http://not-pulsar:80', 'garbage')).toBeUndefined();
});

it('opens at most maxBrokers brokers and refuses the next new one with TUNNEL_BROKER_LIMIT, opening nothing', async () => {
  const brokers = new BrokerRegistry({
    maxBrokers: 2,
    openListener: async () => {
      const server = net.createServer();
      servers.push(server);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return server;
    },
  });
  await brokers.ensure(undefined, 'pulsar+ssl://b1.test:6651');
  // The second is still opening: it counts too.
  const second = brokers.ensure(undefined, 'pulsar+ssl://b2.test:6651');
  expect(() => brokers.ensure(undefined, 'pulsar+ssl://b3.test:6651')).toThrow(expect.objectContaining({ code: 'TUNNEL_BROKER_LIMIT', message: expect.stringContaining('b3.test:6651') }));
  await second;
  // Known brokers are still answered.
  expect(brokers.ensure(undefined, 'pulsar+ssl://b1.test:6651')).toMatchObject({ broker: 'b1.test:6651' });
  expect(servers).toHaveLength(2);
});

it('opens at most MAX_BROKERS (256) brokers by default', async () => {
  expect(MAX_BROKERS).toBe(256);
  const brokers = registry();
  for (let i = 0; i < MAX_BROKERS; i++) await brokers.ensure(undefined, `pulsar+ssl://b${i}.test:6651`);
  expect(() => brokers.ensure(undefined, 'pulsar+ssl://one-more.test:6651')).toThrow(expect.objectContaining({ code: 'TUNNEL_BROKER_LIMIT' }));
  expect(servers).toHaveLength(MAX_BROKERS);
});
