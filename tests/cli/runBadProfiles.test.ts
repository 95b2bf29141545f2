import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../fixtures/cliProcess.ts';

const good = {
  name: 'bad-input',
  serviceUrl: 'pulsar+ssl://pulsar.test:6651',
  proxyServiceUrl: 'pulsar+ssl://127.0.0.1:1',
  listen: { port: 0 },
};

/** Each case: a profile file's content (object, or raw text) and what stderr must name. */
const cases: { name: string; content: unknown; expected: RegExp }[] = [
  { name: 'not JSON', content: '{"name": "x",', expected: /not valid JSON/ },
  { name: 'a JSON array', content: '[]', expected: /one JSON object/ },
  { name: 'an unknown field', content: { ...good, servceUrl: 'x' }, expected: /unknown field "servceUrl"/ },
  { name: 'a missing serviceUrl', content: { name: 'x' }, expected: /serviceUrl: is required/ },
  { name: 'a serviceUrl without TLS', content: { ...good, serviceUrl: 'pulsar://pulsar.test:6650' }, expected: /serviceUrl: .*pulsar\+ssl:\/\// },
  { name: 'a proxyServiceUrl that is not a URL', content: { ...good, proxyServiceUrl: 'ats:443' }, expected: /proxyServiceUrl/ },
  { name: 'a proxyProtocol other than SNI', content: { ...good, proxyProtocol: 'HTTP' }, expected: /proxyProtocol/ },
  { name: 'a listen port out of range', content: { ...good, listen: { port: 70000 } }, expected: /listen\.port/ },
  { name: 'a non-loopback listen host', content: { ...good, listen: { host: '0.0.0.0', port: 0 } }, expected: /listen\.host: .*allowNonLoopback/ },
  { name: 'a certificate without its key', content: { ...good, tlsCertificateFilePath: 'client.pem' }, expected: /tlsKeyFilePath: is required/ },
  { name: 'an unreadable CA file', content: { ...good, tlsTrustCertsFilePath: 'missing-ca.pem' }, expected: /tlsTrustCertsFilePath: cannot read .*missing-ca\.pem/ },
  { name: 'a token plugin without authParams', content: { ...good, authPlugin: 'org.apache.pulsar.client.impl.auth.AuthenticationToken' }, expected: /authParams: is required/ },
  { name: 'an unset token variable', content: { ...good, authPlugin: 'org.apache.pulsar.client.impl.auth.AuthenticationToken', authParams: 'env:PT_TEST_UNSET_TOKEN' }, expected: /PT_TEST_UNSET_TOKEN is not set/ },
  { name: 'an unreadable token file', content: { ...good, authPlugin: 'org.apache.pulsar.client.impl.auth.AuthenticationToken', authParams: 'file://no-such-token.txt' }, expected: /token file .*no-such-token\.txt/ },
  { name: 'an unknown pulsarProtocol', content: { ...good, pulsarProtocol: 'sniff' }, expected: /pulsarProtocol/ },
  { name: 'a wrong version', content: { ...good, version: 2 }, expected: /version/ },
];

describe('pulsar-tunnel run with a profile it cannot use', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'pt-bad-'));
  });

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it.each(cases)('exits 2 before ready for $name, naming the cause', async ({ name, content, expected }) => {
    const file = path.join(dir, `${name.replace(/\W+/g, '-')}.json`);
    await writeFile(file, typeof content === 'string' ? content : JSON.stringify(content));
    const result = await runCli(['run', file, '--log-format', 'json'], { env: { PT_TEST_UNSET_TOKEN: '' } });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(expected);
  });

  it('exits 2 for a profile file that does not exist', async () => {
    const result = await runCli(['run', path.join(dir, 'nope.json')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/PROFILE_UNREADABLE: .*nope\.json: no such file/);
  });

  it('exits 2 for a profile path that is a folder', async () => {
    const result = await runCli(['run', dir]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/PROFILE_UNREADABLE: .*it is a directory/);
  });

  it('exits 2 when no profile is named', async () => {
    const result = await runCli(['run']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/profile/);
  });
});
