/**
 * The profile-file loader, in process (the CLI tests run it through a child process): what a
 * profile file becomes as the engine's TunnelConfig (defaults, files read relative to the profile,
 * the token source), and the code of every refusal.
 */
import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import { createTestPki, type TestPki } from '../../../fixtures/pki.ts';
import { authPlugins } from '../../../../shared/model/profile.ts';
import { loadProfileFile, profileDefaults, profileToConfig, resolveTokenSource } from '../../../../src-main/core/profiles/profileFileLoader.ts';
import { removeDir, tempDir } from './helpers.ts';

// Certificate files hold real certificates: the loader keeps their CERTIFICATE blocks and parses each.
let pki: TestPki;
let caPem: string;
let certPem: string;
beforeAll(async () => {
  pki = await createTestPki({ serverHosts: [], clientNames: ['me'] });
  caPem = pki.ca.certPem;
  certPem = pki.otherCa.certPem;
});
afterAll(() => pki?.cleanup());


let dir: string;
beforeEach(async () => {
  dir = await tempDir('profile-file');
});
afterEach(async () => {
  await removeDir(dir);
  delete process.env.PT_TEST_TOKEN;
});

const minimal = { name: 'prod', serviceUrl: 'pulsar+ssl://pulsar.example.test:6651' };

async function profileAt(name: string, profile: unknown): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, typeof profile === 'string' ? profile : JSON.stringify(profile));
  return file;
}

it('fills in the documented defaults for a minimal profile', async () => {
  const config = await loadProfileFile(await profileAt('p.json', minimal));
  expect(config).toEqual({
    name: 'prod',
    service: { host: 'pulsar.example.test', port: 6651 },
    proxy: undefined,
    web: undefined,
    listen: { host: '127.0.0.1', port: 6650, webPort: undefined },
    tls: { caPem: undefined, certPem: undefined, keyPem: undefined, verifyHostname: true, allowInsecure: false },
    auth: { kind: 'none' },
    pulsarProtocol: 'inspect',
    keepAliveIntervalSeconds: 20,
    connectionTimeoutMs: 10_000,
  });
  expect(profileDefaults).toEqual({ listenHost: '127.0.0.1', listenPort: 6650, keepAliveIntervalSeconds: 20, connectionTimeoutMs: 10_000 });
});

it('takes every setting a profile gives, and reads the TLS files relative to the profile', async () => {
  await mkdir(path.join(dir, 'certs'));
  await writeFile(path.join(dir, 'certs', 'ca.pem'), caPem);
  await writeFile(path.join(dir, 'certs', 'me.pem'), certPem);
  await writeFile(path.join(dir, 'key.pem'), 'KEY PEM');
  const config = await loadProfileFile(
    await profileAt('full.json', {
      ...minimal,
      proxyServiceUrl: 'pulsar+ssl://proxy.example.test:4443',
      webServiceUrl: 'https://admin.example.test:8443',
      tlsTrustCertsFilePath: 'certs/ca.pem',
      tlsCertificateFilePath: 'certs/me.pem',
      tlsKeyFilePath: path.join(dir, 'key.pem'),
      tlsHostnameVerificationEnable: false,
      tlsAllowInsecureConnection: true,
      authPlugin: authPlugins.tls,
      listen: { host: '127.0.0.2', port: 16650, webPort: 18080 },
      pulsarProtocol: 'raw',
      keepAliveIntervalSeconds: 0,
      connectionTimeoutMs: 2500,
    }),
  );
  expect(config).toEqual({
    name: 'prod',
    service: { host: 'pulsar.example.test', port: 6651 },
    proxy: { host: 'proxy.example.test', port: 4443 },
    web: { host: 'admin.example.test', port: 8443 },
    listen: { host: '127.0.0.2', port: 16650, webPort: 18080 },
    tls: { caPem: caPem, certPem: certPem, keyPem: 'KEY PEM', verifyHostname: false, allowInsecure: true },
    auth: { kind: 'tls' },
    pulsarProtocol: 'raw',
    keepAliveIntervalSeconds: 0,
    connectionTimeoutMs: 2500,
  });
});

it('refuses a TLS file it cannot read, naming the field', async () => {
  for (const field of ['tlsTrustCertsFilePath', 'tlsCertificateFilePath', 'tlsKeyFilePath']) {
    const profile = { ...minimal, tlsCertificateFilePath: 'present.pem', tlsKeyFilePath: 'present.pem', [field]: 'missing.pem' };
    // A real certificate: the other fields must load, so the missing file is the one refusal (the
    // files are read at the same time, and a second refusal would race it for which is reported).
    await writeFile(path.join(dir, 'present.pem'), certPem);
    const failure = loadProfileFile(await profileAt('p.json', profile));
    await expect(failure).rejects.toMatchObject({ code: 'PROFILE_INVALID', message: expect.stringContaining(field) });
    await expect(failure).rejects.toMatchObject({ message: expect.stringContaining(path.join(dir, 'missing.pem')), cause: expect.objectContaining({ code: 'ENOENT' }) });
  }
});

it('names the first refused TLS field when several are refused, on every load', async () => {
  // The trust file is read and refused as not a certificate; the certificate file, missing, is
  // refused sooner. The files are read at the same time: the first field's refusal is the one said.
  await writeFile(path.join(dir, 'not-a-certificate.pem'), 'PEM');
  const profile = { ...minimal, tlsTrustCertsFilePath: 'not-a-certificate.pem', tlsCertificateFilePath: 'missing.pem', tlsKeyFilePath: 'missing.pem' };
  const file = await profileAt('two-refusals.json', profile);
  const codes = new Set<string>();
  for (let load = 0; load < 50; load++) {
    const failure = (await loadProfileFile(file).then(
      () => undefined,
      (error: unknown) => error,
    )) as { code?: string; message?: string } | undefined;
    codes.add(`${failure?.code}: ${failure?.message?.includes('tlsTrustCertsFilePath')}`);
  }
  expect([...codes]).toEqual(['CERTIFICATE_INVALID: true']);
});

it('refuses a profile that is missing, a folder, unreadable, not JSON or not one object', async () => {
  await expect(loadProfileFile(path.join(dir, 'none.json'))).rejects.toMatchObject({ code: 'PROFILE_UNREADABLE', message: expect.stringContaining('no such file') });
  await expect(loadProfileFile(dir)).rejects.toMatchObject({ code: 'PROFILE_UNREADABLE', message: expect.stringContaining('directory') });
  const locked = await profileAt('locked.json', minimal);
  await chmod(locked, 0o000);
  if (process.getuid?.() !== 0) await expect(loadProfileFile(locked)).rejects.toMatchObject({ code: 'PROFILE_UNREADABLE', message: expect.stringContaining('permission') });
  await expect(loadProfileFile(await profileAt('bad.json', '{"name": '))).rejects.toMatchObject({ code: 'PROFILE_INVALID', cause: expect.any(SyntaxError) });
  for (const notObject of ['[]', 'null', '"prod"', '42']) {
    await expect(loadProfileFile(await profileAt('other.json', notObject))).rejects.toMatchObject({ code: 'PROFILE_INVALID', message: expect.stringContaining('one JSON object') });
  }
  // The path named is the absolute one, whatever the caller passed.
  const relative = path.relative(process.cwd(), path.join(dir, 'none.json'));
  await expect(loadProfileFile(relative)).rejects.toMatchObject({ message: expect.stringContaining(path.join(dir, 'none.json')) });
});

it('refuses what the schema refuses, naming the field', async () => {
  await expect(profileToConfig({ name: 'prod' }, dir)).rejects.toMatchObject({ code: 'PROFILE_INVALID', message: expect.stringContaining('serviceUrl') });
  await expect(profileToConfig({ ...minimal, serviceUrl: 'pulsar://plain.test:6650' }, dir)).rejects.toMatchObject({ code: 'PROFILE_INVALID' });
  await expect(profileToConfig({ ...minimal, proxyServiceUrl: 'https://proxy.test' }, dir)).rejects.toMatchObject({ code: 'PROFILE_INVALID' });
  await expect(profileToConfig({ ...minimal, webServiceUrl: 'pulsar+ssl://admin.test:8443' }, dir)).rejects.toMatchObject({ code: 'PROFILE_INVALID' });
});

it('resolves a token profile\'s authParams into a token source', async () => {
  const config = await profileToConfig({ ...minimal, authPlugin: authPlugins.token, authParams: 'token: eyJ.abc ' }, dir);
  expect(config.auth.kind).toBe('token');
  expect(await (config.auth as { getToken: () => Promise<string> }).getToken()).toBe('eyJ.abc');
  // A token profile without authParams is refused, not run without a token.
  await expect(profileToConfig({ ...minimal, authPlugin: authPlugins.token }, dir)).rejects.toMatchObject({ code: 'PROFILE_INVALID' });
});

it('reads a token from the environment, refusing a variable that is unset or blank', async () => {
  process.env.PT_TEST_TOKEN = ' from-env\n';
  expect(await (await resolveTokenSource('env:PT_TEST_TOKEN', dir))()).toBe('from-env');
  process.env.PT_TEST_TOKEN = '  ';
  await expect(resolveTokenSource('env:PT_TEST_TOKEN', dir)).rejects.toMatchObject({ code: 'PROFILE_SECRET_UNAVAILABLE', message: expect.stringContaining('PT_TEST_TOKEN') });
  delete process.env.PT_TEST_TOKEN;
  await expect(resolveTokenSource('env:PT_TEST_TOKEN', dir)).rejects.toMatchObject({ code: 'PROFILE_SECRET_UNAVAILABLE' });
});

it('reads a token file relative to the profile or absolute, again on every use, keeping the last good token', async () => {
  await writeFile(path.join(dir, 'token.txt'), 'first\n');
  const relative = await resolveTokenSource('file://token.txt', dir);
  const absolute = await resolveTokenSource(`file://${path.join(dir, 'token.txt')}`, '/elsewhere');
  expect(await relative()).toBe('first');
  expect(await absolute()).toBe('first');
  await writeFile(path.join(dir, 'token.txt'), 'second');
  expect(await relative()).toBe('second');
  // Briefly missing or empty while being replaced: the last good token is used.
  await rm(path.join(dir, 'token.txt'));
  expect(await relative()).toBe('second');
  await writeFile(path.join(dir, 'token.txt'), '  \n');
  expect(await relative()).toBe('second');
});

it('refuses a token file that is missing or empty at start, naming the file', async () => {
  const missing = resolveTokenSource('file://nope.txt', dir);
  await expect(missing).rejects.toMatchObject({ code: 'PROFILE_SECRET_UNAVAILABLE', message: expect.stringContaining(path.join(dir, 'nope.txt')), cause: expect.objectContaining({ code: 'ENOENT' }) });
  await writeFile(path.join(dir, 'empty.txt'), '\n');
  await expect(resolveTokenSource('file://empty.txt', dir)).rejects.toMatchObject({ code: 'PROFILE_SECRET_UNAVAILABLE', message: expect.stringContaining('empty.txt') });
});

it('takes a bare token as the token, and refuses an empty or malformed authParams', async () => {
  expect(await (await resolveTokenSource('eyJ.abc', dir))()).toBe('eyJ.abc');
  expect(await (await resolveTokenSource('{"token": "eyJ.def"}', dir))()).toBe('eyJ.def');
  for (const params of ['', '   ', 'token:   ', 'two words', '{not json', '{"x": 1}', 'env:1BAD']) {
    await expect(resolveTokenSource(params, dir)).rejects.toMatchObject({ code: 'PROFILE_INVALID', message: expect.stringContaining('authParams') });
  }
});
