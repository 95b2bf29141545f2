/**
 * Which broker a connection reaches: brokers that share a host stay apart however a client names
 * them (TLS port, plain port, our local port), a broker port that failed to open is tried again on
 * the next lookup, and what the registry lists is what it opened. Listeners are stand-ins here;
 * tests/unit/core/routing/brokerRegistry.test.ts opens real ones.
 */
import type net from 'node:net';
import { expect, it } from 'vitest';
import { BrokerRegistry, type BrokerEntry } from '../../../../src-main/core/routing/brokerRegistry.ts';
import type { DialTarget } from '../../../../shared/model/endpoints.ts';

function registry(open?: (target: DialTarget) => Promise<net.Server>) {
  let nextPort = 41000;
  const opened: DialTarget[] = [];
  const announced: BrokerEntry[] = [];
  const brokers = new BrokerRegistry({
    openListener:
      open ??
      (async (target) => {
        opened.push(target);
        const port = nextPort++;
        return { address: () => ({ address: '127.0.0.1', family: 'IPv4', port }) } as unknown as net.Server;
      }),
    onNewBroker: (entry) => announced.push(entry),
  });
  return { brokers, opened, announced };
}

it('keeps two brokers on one host apart when a client names them by their plain ports', async () => {
  const { brokers } = registry();
  const one = await brokers.ensure('pulsar://pulsar-host.test:16650', 'pulsar+ssl://pulsar-host.test:16651');
  const two = await brokers.ensure('pulsar://pulsar-host.test:16660', 'pulsar+ssl://pulsar-host.test:16661');
  expect(brokers.resolveProxyTarget('pulsar-host.test:16650')).toBe(one);
  expect(brokers.resolveProxyTarget('pulsar-host.test:16660')).toBe(two);
  expect(brokers.resolveProxyTarget('pulsar://pulsar-host.test:16660')).toBe(two);
  expect(brokers.resolveProxyTarget('pulsar-host.test:16661')).toBe(two);
  expect(brokers.resolveProxyTarget(`127.0.0.1:${two!.localPort}`)).toBe(two);
  // A port no lookup named cannot tell them apart: refused rather than guessed.
  expect(() => brokers.resolveProxyTarget('pulsar-host.test:6650')).toThrow(expect.objectContaining({ code: 'PULSAR_UNKNOWN_BROKER' }));
});

it('learns a broker\'s plain address from a later answer that names it', async () => {
  const { brokers } = registry();
  const one = await brokers.ensure(undefined, 'pulsar+ssl://h.test:16651');
  const two = await brokers.ensure(undefined, 'pulsar+ssl://h.test:16661');
  expect(() => brokers.resolveProxyTarget('h.test:16660')).toThrow(expect.objectContaining({ code: 'PULSAR_UNKNOWN_BROKER' }));
  expect(brokers.ensure('pulsar://h.test:16660', 'pulsar+ssl://h.test:16661')).toBe(two);
  expect(brokers.resolveProxyTarget('h.test:16660')).toBe(two);
  expect(brokers.resolveProxyTarget('h.test:16651')).toBe(one);
});

it('takes the only broker on a host for a port no lookup named, case-insensitively', async () => {
  const { brokers } = registry();
  const entry = await brokers.ensure(undefined, 'pulsar+ssl://Broker-1.Test:6651');
  expect(brokers.resolveProxyTarget('broker-1.test:6650')).toBe(entry);
  expect(brokers.resolveProxyTarget('BROKER-1.TEST:6651')).toBe(entry);
  expect(brokers.ensure(undefined, 'pulsar+ssl://broker-1.test:6651')).toBe(entry);
});

it('maps our local address on any loopback name, and only a port we opened', async () => {
  const { brokers } = registry();
  const entry = (await brokers.ensure(undefined, 'pulsar+ssl://b.test:6651'))!;
  for (const local of [`127.0.0.1:${entry.localPort}`, `localhost:${entry.localPort}`, `[::1]:${entry.localPort}`]) expect(brokers.resolveProxyTarget(local)).toBe(entry);
  expect(() => brokers.resolveProxyTarget(`127.0.0.1:${entry.localPort + 1}`)).toThrow(expect.objectContaining({ code: 'PULSAR_UNKNOWN_BROKER' }));
  for (const nonsense of ['b.test', 'b.test:', ':6651', '']) expect(() => brokers.resolveProxyTarget(nonsense)).toThrow(expect.objectContaining({ code: 'PULSAR_UNKNOWN_BROKER' }));
});

it('opens a broker port again after a failed attempt, instead of keeping the failure', async () => {
  let attempts = 0;
  const { brokers } = registry(async () => {
    attempts++;
    if (attempts === 1) throw new Error('EADDRINUSE');
    return { address: () => ({ address: '127.0.0.1', family: 'IPv4', port: 42000 }) } as unknown as net.Server;
  });
  await expect(brokers.ensure(undefined, 'pulsar+ssl://b.test:6651')).rejects.toThrow('EADDRINUSE');
  expect(brokers.list(() => 'b.test')).toEqual([]);
  expect(() => brokers.resolveProxyTarget('b.test:6651')).toThrow(expect.objectContaining({ code: 'PULSAR_UNKNOWN_BROKER' }));
  const entry = await brokers.ensure(undefined, 'pulsar+ssl://b.test:6651');
  expect(attempts).toBe(2);
  expect(entry).toMatchObject({ localPort: 42000, local: '127.0.0.1:42000' });
});

it('dials the TLS URL, and names no broker for a plain URL alone', async () => {
  const { brokers, opened } = registry();
  expect((await brokers.ensure('pulsar://plain.test:6650', 'pulsar+ssl://tls.test:7651'))!.target).toEqual({ host: 'tls.test', port: 7651 });
  expect(brokers.ensure('pulsar://plain.test:6650', undefined)).toBeUndefined();
  expect(brokers.ensure('pulsar://plain.test:6650', 'pulsar://tls.test:7651')).toBeUndefined();
  expect(opened).toEqual([{ host: 'tls.test', port: 7651 }]);
});

it('announces, lists and keeps each broker port once, in the order opened', async () => {
  const { brokers, announced } = registry();
  const a = await brokers.ensure(undefined, 'pulsar+ssl://a.test:6651');
  const b = await brokers.ensure(undefined, 'pulsar+ssl://b.test:6651');
  await brokers.ensure(undefined, 'pulsar+ssl://a.test:6651');
  expect(announced).toEqual([a, b]);
  expect(a).toEqual({ target: { host: 'a.test', port: 6651 }, broker: 'a.test:6651', local: `127.0.0.1:${a!.localPort}`, localUrl: `pulsar://127.0.0.1:${a!.localPort}`, localPort: a!.localPort });
  expect(brokers.list((target) => (target.host === 'a.test' ? 'sni-a' : undefined))).toEqual([
    { broker: 'a.test:6651', sni: 'sni-a', local: a!.local },
    { broker: 'b.test:6651', sni: '', local: b!.local },
  ]);
  expect(brokers.servers).toHaveLength(2);
});

it('remembers one plain address per broker, the latest, so answers naming ever new plain addresses cannot grow the memory', async () => {
  const { brokers } = registry();
  const one = await brokers.ensure('pulsar://plain-0.internal:6650', 'pulsar+ssl://broker-1.test:6651');
  const two = await brokers.ensure('pulsar://other.internal:6650', 'pulsar+ssl://broker-2.test:6651');
  // More plain names for one broker than the tunnel opens brokers (MAX_BROKERS, 256).
  for (let index = 1; index <= 600; index++) {
    expect(brokers.ensure(`pulsar://plain-${index}.internal:6650`, 'pulsar+ssl://broker-1.test:6651')).toBe(one);
  }
  expect(brokers.resolveProxyTarget('plain-600.internal:6650')).toBe(one);
  for (const forgotten of ['plain-0.internal:6650', 'plain-1.internal:6650', 'plain-599.internal:6650']) {
    expect(() => brokers.resolveProxyTarget(forgotten)).toThrow(expect.objectContaining({ code: 'PULSAR_UNKNOWN_BROKER' }));
  }
  // The other broker keeps its own; a plain address that moves to another broker stays with it.
  expect(brokers.resolveProxyTarget('other.internal:6650')).toBe(two);
  expect(brokers.ensure('pulsar://plain-600.internal:6650', 'pulsar+ssl://broker-2.test:6651')).toBe(two);
  expect(brokers.ensure('pulsar://plain-601.internal:6650', 'pulsar+ssl://broker-1.test:6651')).toBe(one);
  expect(brokers.resolveProxyTarget('plain-600.internal:6650')).toBe(two);
  expect(brokers.resolveProxyTarget('plain-601.internal:6650')).toBe(one);
  expect(() => brokers.resolveProxyTarget('other.internal:6650')).toThrow(expect.objectContaining({ code: 'PULSAR_UNKNOWN_BROKER' }));
});

it('remembers the plain address an answer names while the broker port is still opening', async () => {
  const { brokers } = registry();
  const opening = brokers.ensure('pulsar://first.internal:6650', 'pulsar+ssl://broker-1.test:6651');
  const again = brokers.ensure('pulsar://second.internal:6650', 'pulsar+ssl://broker-1.test:6651');
  const [entry] = await Promise.all([opening, again]);
  await Promise.resolve();
  expect(brokers.resolveProxyTarget('second.internal:6650')).toBe(entry);
  expect(() => brokers.resolveProxyTarget('first.internal:6650')).toThrow(expect.objectContaining({ code: 'PULSAR_UNKNOWN_BROKER' }));
});
