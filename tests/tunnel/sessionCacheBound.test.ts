/**
 * The TLS session cache keeps at most its capacity of server names, dropping the least recently
 * used, so a tunnel that meets many brokers does not grow without bound.
 */
import { expect, it } from 'vitest';
import { SESSION_CACHE_SIZE, TlsSessionCache } from '../../src-main/core/transport/sessionCache.ts';

const peer = { subject: 'CN=broker.test', validTo: '2030-01-01T00:00:00.000Z' };

it('drops the least recently used server name beyond its capacity', () => {
  const cache = new TlsSessionCache(2);
  cache.set('a.test', Buffer.from('a'), peer);
  cache.set('b.test', Buffer.from('b'), peer);
  expect(cache.get('a.test')?.ticket.toString()).toBe('a'); // a is now the most recently used
  cache.set('c.test', Buffer.from('c'), undefined);
  expect(cache.size).toBe(2);
  expect(cache.get('b.test')).toBeUndefined();
  expect(cache.get('a.test')).toEqual({ ticket: Buffer.from('a'), peer });
  expect(cache.get('c.test')).toEqual({ ticket: Buffer.from('c'), peer: undefined });
});

it('holds 100 server names by default', () => {
  const cache = new TlsSessionCache();
  for (let index = 0; index < SESSION_CACHE_SIZE + 5; index++) cache.set(`broker${index}.test`, Buffer.from([index]), peer);
  expect(SESSION_CACHE_SIZE).toBe(100);
  expect(cache.size).toBe(100);
  expect(cache.get('broker4.test')).toBeUndefined();
  expect(cache.get('broker5.test')).toBeDefined();
});
