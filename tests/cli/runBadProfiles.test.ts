import { mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ErrorCode } from '../../shared/errors.ts';
import { runCli } from '../fixtures/cliProcess.ts';

const token = 'org.apache.pulsar.client.impl.auth.AuthenticationToken';

const good = {
  name: 'bad-input',
  serviceUrl: 'pulsar+ssl://pulsar.test:6651',
  proxyServiceUrl: 'pulsar+ssl://127.0.0.1:1',
  listen: { port: 0 },
};

/**
 * Each case: a profile file's content (object, or raw text), the code stderr must carry, the field it
 * must name (as `field: ...`, the way every profile problem is reported; undefined when the problem
 * is the whole file) and what it must say about it.
 */
/** `args`: more options for `run`; `announces`: the `secret.read` event expected on stdout before the failure (nothing otherwise). */
const cases: { name: string; content: unknown; code: ErrorCode; field: string | undefined; says: RegExp; args?: string[]; announces?: string }[] = [
  { name: 'not JSON', content: '{"name": "x",', code: 'PROFILE_INVALID', field: undefined, says: /not-JSON\.json is not valid JSON/ },
  { name: 'a JSON array', content: '[]', code: 'PROFILE_INVALID', field: undefined, says: /a-JSON-array\.json must be one JSON object/ },
  { name: 'an unknown field', content: { ...good, servceUrl: 'x' }, code: 'PROFILE_INVALID', field: undefined, says: /unknown field "servceUrl"/ },
  { name: 'a missing serviceUrl', content: { name: 'x' }, code: 'PROFILE_INVALID', field: 'serviceUrl', says: /serviceUrl: is required/ },
  { name: 'an empty serviceUrl', content: { ...good, serviceUrl: '' }, code: 'PROFILE_INVALID', field: 'serviceUrl', says: /serviceUrl: is required; expected pulsar\+ssl:\/\/host:port/ },
  { name: 'an empty name', content: { ...good, name: '' }, code: 'PROFILE_INVALID', field: 'name', says: /name: is required/ },
  { name: 'a listen that is not an object', content: { ...good, listen: 'abc' }, code: 'PROFILE_INVALID', field: 'listen', says: /listen: must be an object with host and port.*, not the text "abc"/ },
  { name: 'a listen port of the wrong type', content: { ...good, listen: { port: '6650' } }, code: 'PROFILE_INVALID', field: 'listen.port', says: /listen.port: must be a whole number from 0 to 65535, not the text "6650"/ },
  { name: 'a listen host that is no address', content: { ...good, listen: { host: '[::1', port: 0 } }, code: 'PROFILE_INVALID', field: 'listen.host', says: /"\[::1" is not an IP address or host name/ },
  { name: 'an authParams that names no token', content: { ...good, authPlugin: token, authParams: 'env:' }, code: 'PROFILE_INVALID', field: 'authParams', says: /"env:" does not name an environment variable/ },
  { name: 'a serviceUrl without TLS', content: { ...good, serviceUrl: 'pulsar://pulsar.test:6650' }, code: 'PROFILE_INVALID', field: 'serviceUrl', says: /serviceUrl: "pulsar:\/\/pulsar\.test:6650" must start with pulsar\+ssl:\/\// },
  { name: 'a proxyServiceUrl that is not a URL', content: { ...good, proxyServiceUrl: 'ats:443' }, code: 'PROFILE_INVALID', field: 'proxyServiceUrl', says: /"ats:443" must start with pulsar\+ssl:\/\// },
  { name: 'a proxyProtocol other than SNI', content: { ...good, proxyProtocol: 'HTTP' }, code: 'PROFILE_INVALID', field: 'proxyProtocol', says: /proxyProtocol: must be "SNI", not the text "HTTP"/ },
  { name: 'a listen port out of range', content: { ...good, listen: { port: 70000 } }, code: 'PROFILE_INVALID', field: 'listen.port', says: /listen\.port: must be a whole number from 0 to 65535$/m },
  { name: 'a serviceUrl port out of range', content: { ...good, serviceUrl: 'pulsar+ssl://pulsar.test:99999' }, code: 'PROFILE_INVALID', field: 'serviceUrl', says: /the port 99999 is out of range/ },
  { name: 'a non-loopback listen host', content: { ...good, listen: { host: '0.0.0.0', port: 0 } }, code: 'PROFILE_INVALID', field: 'listen.host', says: /"0\.0\.0\.0" is not a loopback address.*listen\.allowNonLoopback/ },
  { name: 'a certificate without its key', content: { ...good, tlsCertificateFilePath: 'client.pem' }, code: 'PROFILE_INVALID', field: 'tlsKeyFilePath', says: /is required when tlsCertificateFilePath is set/ },
  { name: 'an unreadable CA file', content: { ...good, tlsTrustCertsFilePath: 'missing-ca.pem' }, code: 'PROFILE_INVALID', field: 'tlsTrustCertsFilePath', says: /cannot read .*missing-ca\.pem/ },
  { name: 'a token plugin without authParams', content: { ...good, authPlugin: token }, code: 'PROFILE_INVALID', field: 'authParams', says: /is required with AuthenticationToken/ },
  { name: 'an unset token variable', content: { ...good, authPlugin: token, authParams: 'env:PT_TEST_UNSET_TOKEN' }, code: 'PROFILE_SECRET_UNAVAILABLE', field: 'authParams', says: /PT_TEST_UNSET_TOKEN is not set/, args: ['--read-secrets'], announces: 'PT_TEST_UNSET_TOKEN' },
  { name: 'an unreadable token file', content: { ...good, authPlugin: token, authParams: 'file://no-such-token.txt' }, code: 'PROFILE_SECRET_UNAVAILABLE', field: 'authParams', says: /token file .*no-such-token\.txt/, announces: 'no-such-token.txt' },
  { name: 'an unknown pulsarProtocol', content: { ...good, pulsarProtocol: 'sniff' }, code: 'PROFILE_INVALID', field: 'pulsarProtocol', says: /pulsarProtocol: must be one of "inspect", "raw", not the text "sniff"/ },
  { name: 'a wrong version', content: { ...good, version: 2 }, code: 'PROFILE_INVALID', field: 'version', says: /version: must be 1, not number 2/ },
];

/** Matches `field: ` at the start of a reported problem (after the code, or on its own line). */
function namesField(field: string): RegExp {
  return new RegExp(`(?:^pulsar-tunnel: [A-Z_]+: |^\\s+)${field.replace(/\./g, '\\.')}: `, 'm');
}

describe('pulsar-tunnel run with a profile it cannot use', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'pt-bad-'));
  });

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it.each(cases)('exits 2 before ready for $name, with $code naming the field or the file', async ({ name, content, code, field, says, args = [], announces }) => {
    const file = path.join(dir, `${name.replace(/\W+/g, '-')}.json`);
    await writeFile(file, typeof content === 'string' ? content : JSON.stringify(content));
    const result = await runCli(['run', file, '--log-format', 'json', ...args], { env: { PT_TEST_UNSET_TOKEN: '' } });
    expect(result.code).toBe(2);
    // A secret is announced before it is read, even when the read then fails; nothing else is logged.
    if (announces === undefined) expect(result.stdout).toBe('');
    else expect(result.stdout.trim().split('\n').map((line) => JSON.parse(line) as { event: string; name: string })).toEqual([expect.objectContaining({ event: 'secret.read', name: expect.stringContaining(announces) })]);
    expect(result.stderr.replace(/^warning: reading the .*\n/m, '')).toMatch(new RegExp(`^pulsar-tunnel: ${code}: `));
    expect(result.stderr.match(/^pulsar-tunnel: /gm)).toHaveLength(1);
    if (field !== undefined) expect(result.stderr).toMatch(namesField(field));
    expect(result.stderr).toMatch(says);
  });

  it('exits 2 for a profile file that does not exist', async () => {
    const result = await runCli(['run', path.join(dir, 'nope.json')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^pulsar-tunnel: PROFILE_UNREADABLE: .*nope\.json: no such file/);
  });

  it('exits 2 for a profile path that is a folder', async () => {
    const result = await runCli(['run', dir]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^pulsar-tunnel: PROFILE_UNREADABLE: .*it is a directory/);
  });

  it('refuses a profile file over the size limit without reading it', async () => {
    // Sparse: 300 MB on paper, no disk used; read whole it would cost the CLI 300 MB and more.
    const file = path.join(dir, 'huge.json');
    await writeFile(file, '');
    await truncate(file, 300_000_000);
    const result = await runCli(['run', file]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/PROFILE_INVALID: The profile .*huge\.json is 300000000 bytes, over the 5 MB limit/);
  });

  it('exits 2 when no profile is named, saying the two ways to name one', async () => {
    const result = await runCli(['run']);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe('pulsar-tunnel: Name a profile file (pulsar-tunnel run profile.json) or a stored profile (--profile NAME).\n');
  });

  it('exits 2 when both a profile file and --profile are given', async () => {
    const result = await runCli(['run', path.join(dir, 'nope.json'), '--profile', 'staging']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('pulsar-tunnel: Give either a profile file or --profile NAME, not both.\n');
  });
});
