import { isIPv6 } from 'node:net';
import { describe, expect, it } from 'vitest';
import { formatHostPort } from '../../../../shared/model/endpoints.ts';
import { parseServiceUrl } from '../../../../shared/model/profile.ts';

describe('formatHostPort', () => {
  it('writes names and IPv4 addresses as host:port', () => {
    expect(formatHostPort({ host: 'broker-1.pulsar.test', port: 6651 })).toBe('broker-1.pulsar.test:6651');
    expect(formatHostPort({ host: '127.0.0.1', port: 0 })).toBe('127.0.0.1:0');
  });

  it('brackets IPv6 hosts, as parseServiceUrl returns them (without brackets), exactly where Node sees IPv6', () => {
    for (const url of ['pulsar+ssl://[::1]:6651', 'pulsar+ssl://[2001:db8::7]', 'pulsar+ssl://[fe80::1]:1']) {
      const parsed = parseServiceUrl(url, ['pulsar+ssl:']);
      if (typeof parsed === 'string') throw new Error(parsed);
      expect(isIPv6(parsed.host)).toBe(true);
      expect(formatHostPort(parsed)).toBe(`[${parsed.host}]:${parsed.port}`);
    }
  });

  it('leaves a host that is already bracketed alone', () => {
    expect(formatHostPort({ host: '[::1]', port: 80 })).toBe('[::1]:80');
  });
});
