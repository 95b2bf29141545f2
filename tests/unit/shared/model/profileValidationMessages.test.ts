/**
 * What the profile schema says about a bad value reads like the rest of its messages (the field, what
 * it must be), never zod's own wording; loopback addresses are accepted in every spelling; a URL
 * whose port is out of range says so rather than "is not a URL".
 */
import { expect, it } from 'vitest';
import { describeIssues, isLoopbackHost, parseServiceUrl, profileFileSchema } from '../../../../shared/model/profile.ts';
import { storedProfileSchema } from '../../../../shared/model/storedProfile.ts';

const base = { name: 'p', serviceUrl: 'pulsar+ssl://broker.test:6651' };

function problems(extra: Record<string, unknown>): string[] {
  const raw = { ...base, ...extra };
  const result = profileFileSchema.safeParse(raw);
  return result.success ? [] : describeIssues(result.error.issues, raw);
}

const zodWording = /Too (big|small)|expected (number|int)|must be a int|Invalid (input|option)|<=|>=/;

it.each([
  [{ listen: { port: 99999 } }, 'listen.port: must be a whole number from 0 to 65535'],
  [{ listen: { port: -1 } }, 'listen.port: must be a whole number from 0 to 65535'],
  [{ listen: { port: 1.5 } }, 'listen.port: must be a whole number from 0 to 65535, not number 1.5'],
  [{ listen: { webPort: 65536 } }, 'listen.webPort: must be a whole number from 0 to 65535'],
  [{ connectionTimeoutMs: 5 }, 'connectionTimeoutMs: must be a whole number from 100 to 600000'],
  [{ connectionTimeoutMs: 100.5 }, 'connectionTimeoutMs: must be a whole number from 100 to 600000, not number 100.5'],
  [{ keepAliveIntervalSeconds: 3601 }, 'keepAliveIntervalSeconds: must be a whole number from 0 to 3600'],
  [{ pulsarProtocol: 'sniff' }, 'pulsarProtocol: must be one of "inspect", "raw", not the text "sniff"'],
  [{ version: 2 }, 'version: must be 1, not number 2'],
  [{ authPlugin: 'Basic' }, `authPlugin: must be one of "org.apache.pulsar.client.impl.auth.AuthenticationToken", "org.apache.pulsar.client.impl.auth.AuthenticationTls", not the text "Basic"`],
])('says %j in the words of the other messages', (extra, message) => {
  const said = problems(extra);
  expect(said).toContain(message);
  for (const line of said) expect(line).not.toMatch(zodWording);
});

it('says the same in the stored profile the app edits', () => {
  const result = storedProfileSchema.safeParse({ ...base, auth: 'none', listen: {}, connectionTimeoutMs: 50 });
  expect(result.success).toBe(false);
  const said = describeIssues(result.error!.issues);
  expect(said).toContain('connectionTimeoutMs: must be a whole number from 100 to 600000');
  for (const line of said) expect(line).not.toMatch(zodWording);
});

it('accepts loopback in every spelling and says what is accepted for anything else', () => {
  for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]', '0:0:0:0:0:0:0:1', '0000:0000:0000:0000:0000:0000:0000:0001', '::ffff:127.0.0.1', '::ffff:7f00:1', '[::ffff:7f00:1]']) {
    expect(isLoopbackHost(host), host).toBe(true);
    expect(problems({ listen: { host } }), host).toEqual([]);
  }
  for (const host of ['0.0.0.0', '::', '::2', '::ffff:10.0.0.1', 'fe80::1', '192.168.1.5']) {
    expect(isLoopbackHost(host), host).toBe(false);
    expect(problems({ listen: { host } }).join('\n'), host).toMatch(/is not a loopback address \(those are localhost, 127\.0\.0\.0\/8 .*::1 .*\); .*listen\.allowNonLoopback/);
  }
});

it('says a port out of range is out of range, not that the URL is not one', () => {
  expect(parseServiceUrl('pulsar+ssl://h:99999', ['pulsar+ssl:'])).toBe('"pulsar+ssl://h:99999": the port 99999 is out of range; a port is a whole number from 1 to 65535');
  expect(parseServiceUrl('pulsar+ssl://[::1]:70000/', ['pulsar+ssl:'])).toMatch(/the port 70000 is out of range/);
  expect(problems({ proxyServiceUrl: 'pulsar+ssl://ats.test:123456' }).join('\n')).toMatch(/proxyServiceUrl: .*the port 123456 is out of range/);
  expect(parseServiceUrl('pulsar+ssl://h:6651', ['pulsar+ssl:'])).toEqual({ host: 'h', port: 6651 });
  expect(parseServiceUrl('not a url', ['pulsar+ssl:'])).toMatch(/is not a URL/);
});
