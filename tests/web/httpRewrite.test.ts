import { describe, expect, it } from 'vitest';
import { decideRedirect, endToEndHeaders, hostHeader, loggablePath, lookupAnswerAddresses, rewriteLookupAnswer } from '../../src-main/core/web/httpRewrite.ts';

const broker1 = { host: 'broker1.test', port: 8443 };

describe('web listener rules', () => {
  it('follows https redirects to host names, relative ones to the same host', () => {
    expect(decideRedirect(broker1, 'https://broker2.test:8443/admin/v2/x?authoritative=true', { throughProxy: true, isClusterAddress: () => false })).toEqual({
      follow: true,
      target: { host: 'broker2.test', port: 8443 },
      path: '/admin/v2/x?authoritative=true',
    });
    expect(decideRedirect(broker1, '/admin/v2/y', { throughProxy: true, isClusterAddress: () => false })).toEqual({ follow: true, target: broker1, path: '/admin/v2/y' });
    expect(decideRedirect(broker1, 'https://broker2.test/z', { throughProxy: true, isClusterAddress: () => false })).toMatchObject({ target: { host: 'broker2.test', port: 443 } });
  });

  it('refuses plain http, other schemes, and IP addresses behind an SNI proxy, saying why', () => {
    expect(decideRedirect(broker1, 'http://broker2.test:8080/a', { throughProxy: true, isClusterAddress: () => false })).toMatchObject({ follow: false, reason: expect.stringContaining('plain-HTTP') });
    expect(decideRedirect(broker1, 'ftp://broker2.test/a', { throughProxy: true, isClusterAddress: () => false })).toMatchObject({ follow: false });
    expect(decideRedirect(broker1, 'https://10.1.2.3:8443/a', { throughProxy: true, isClusterAddress: () => false })).toMatchObject({ follow: false, reason: expect.stringContaining('10.1.2.3') });
    expect(decideRedirect(broker1, 'https://[fd00::1]:8443/a', { throughProxy: true, isClusterAddress: () => false })).toMatchObject({ follow: false });
    // Without a proxy an IP address is dialed directly, so it can be followed.
    expect(decideRedirect(broker1, 'https://10.1.2.3:8443/a', { throughProxy: false, isClusterAddress: (address) => address.host === '10.1.2.3' && address.port === 8443 })).toMatchObject({ follow: true, target: { host: '10.1.2.3', port: 8443 } });
  });

  it('without a proxy follows only addresses of the cluster, host and port, and says how to make a new broker known', () => {
    const cluster = (address: { host: string; port: number }) => ['broker1.test:8443', 'broker2.test:8443'].includes(`${address.host}:${address.port}`);
    expect(decideRedirect(broker1, 'https://broker2.test:8443/a', { throughProxy: false, isClusterAddress: cluster })).toMatchObject({ follow: true, target: { host: 'broker2.test', port: 8443 } });
    expect(decideRedirect(broker1, 'https://collector.example/steal', { throughProxy: false, isClusterAddress: cluster })).toMatchObject({
      follow: false,
      code: 'HTTP_REDIRECT_REFUSED',
      reason: expect.stringContaining('collector.example:443 is not an address of this cluster'),
    });
    expect(decideRedirect(broker1, 'https://broker2.test:9443/a', { throughProxy: false, isClusterAddress: cluster })).toMatchObject({ follow: false, code: 'HTTP_REDIRECT_REFUSED' });
  });

  it('reads the addresses an HTTP-lookup answer names', () => {
    const answer = JSON.stringify({ brokerUrl: 'pulsar://Broker2.test:6650', brokerUrlTls: 'pulsar+ssl://broker2.test:6651', httpUrl: 'http://broker2.test:8080', httpUrlTls: 'https://web2.test:8443', nativeUrl: 'pulsar://[fd00::2]:6650' });
    expect(lookupAnswerAddresses(answer)).toEqual([
      { host: 'broker2.test', port: 6650 },
      { host: 'broker2.test', port: 6651 },
      { host: 'fd00::2', port: 6650 },
      { host: 'broker2.test', port: 8080 },
      { host: 'web2.test', port: 8443 },
    ]);
    expect(lookupAnswerAddresses(JSON.stringify({ httpUrlTls: 'https://web3.test' }))).toEqual([{ host: 'web3.test', port: 443 }]);
    expect(lookupAnswerAddresses('not json')).toEqual([]);
  });

  it('drops hop-by-hop headers and the ones Connection names', () => {
    expect(endToEndHeaders({ connection: 'keep-alive, x-private', 'keep-alive': 'timeout=5', 'x-private': '1', 'transfer-encoding': 'chunked', accept: 'application/json', authorization: 'Bearer t' })).toEqual({
      accept: 'application/json',
      authorization: 'Bearer t',
    });
  });

  it('leaves the default https port out of the Host header', () => {
    expect(hostHeader({ host: 'web.test', port: 443 })).toBe('web.test');
    expect(hostHeader({ host: 'web.test', port: 8443 })).toBe('web.test:8443');
  });

  it('masks secret-looking query values and keeps the rest', () => {
    expect(loggablePath('/a/b')).toBe('/a/b');
    expect(loggablePath('/a?token=abc&authoritative=false&Password=x&k')).toBe('/a?token=***&authoritative=false&Password=***&k');
    expect(loggablePath('/a?auth=x&authParams=y')).toBe('/a?auth=***&authParams=***');
    expect(loggablePath('/a?limit=5&access_key=s')).toBe('/a?limit=5&access_key=***');
  });

  it('rewrites every lookup field to the local addresses', async () => {
    const seen: (string | undefined)[] = [];
    const rewritten = await rewriteLookupAnswer(
      JSON.stringify({ brokerUrl: 'pulsar://b2:6650', brokerUrlTls: 'pulsar+ssl://b2:6651', httpUrl: 'http://b2:8080', httpUrlTls: 'https://b2:8443', nativeUrl: 'pulsar://b2:6650' }),
      {
        webUrl: 'http://127.0.0.1:8080',
        brokerLocalUrl: (plain, secure) => {
          seen.push(plain, secure);
          return Promise.resolve('pulsar://127.0.0.1:40001');
        },
      },
    );
    expect(seen).toEqual(['pulsar://b2:6650', 'pulsar+ssl://b2:6651']);
    expect(JSON.parse(rewritten!)).toEqual({
      brokerUrl: 'pulsar://127.0.0.1:40001',
      brokerUrlTls: 'pulsar://127.0.0.1:40001',
      httpUrl: 'http://127.0.0.1:8080',
      httpUrlTls: 'http://127.0.0.1:8080',
      nativeUrl: 'pulsar://127.0.0.1:40001',
    });
  });

  it('leaves broker URLs alone without per-broker ports, and non-lookup bodies entirely', async () => {
    const addresses = { webUrl: 'http://127.0.0.1:8080', brokerLocalUrl: () => Promise.resolve(undefined) };
    const rewritten = await rewriteLookupAnswer(JSON.stringify({ brokerUrl: 'pulsar://b2:6650', httpUrlTls: 'https://b2:8443' }), addresses);
    expect(JSON.parse(rewritten!)).toEqual({ brokerUrl: 'pulsar://b2:6650', httpUrlTls: 'http://127.0.0.1:8080' });
    expect(await rewriteLookupAnswer('not json', addresses)).toBeUndefined();
    expect(await rewriteLookupAnswer('["a"]', addresses)).toBeUndefined();
    expect(await rewriteLookupAnswer('{"reason":"Topic not found"}', addresses)).toBeUndefined();
  });
});
