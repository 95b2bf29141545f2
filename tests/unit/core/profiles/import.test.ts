import { mkdir, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { clientConfFor, exportProfiles, snippetsFor } from '../../../../src-main/core/profiles/export.ts';
import { importContent, importFile } from '../../../../src-main/core/profiles/import/index.ts';
import { parseProperties } from '../../../../src-main/core/profiles/import/properties.ts';
import { ProfileStore } from '../../../../src-main/core/profiles/store.ts';
import type { Keychain } from '../../../../src-main/core/secrets/keychain.ts';
import { Tunnel } from '../../../../src-main/core/tunnel/tunnel.ts';
import { withDeadline } from '../../../fixtures/deadline.ts';
import type { TestPki } from '../../../fixtures/pki.ts';
import { deterministicBytes, sha256Hex, startTlsBackend } from '../../../fixtures/tlsBackend.ts';
import { openTempStore, startKeychainWorldWithPki, type KeychainWorld, type TempStore } from './keychainWorld.ts';
import { filesContaining, keychainSnapshot, removeDir, snapshotFiles, storedSecret, tempDir } from './helpers.ts';

let world: KeychainWorld;
let pki: TestPki;
let keychain: Keychain;
let temp: TempStore;
let dir: string;
let inputs: string;
let store: ProfileStore;

const token = `eyJhbGciOiJIUzI1NiJ9.${Buffer.from(`{"sub":"import-test-${process.pid}"}`).toString('base64url')}.aW1wb3J0LXRlc3Qtc2lnbmF0dXJl`;

beforeAll(async () => {
  ({ pki, keychain } = world = await startKeychainWorldWithPki({ serverHosts: ['broker.test'], clientNames: ['alice', 'bob'] }));
});
afterAll(() => world?.stop());
beforeEach(async () => {
  ({ dir, store } = temp = await openTempStore(keychain, 'import-store'));
  inputs = await tempDir('import-inputs');
  await mkdir(path.join(inputs, 'certs'));
  await writeFile(path.join(inputs, 'certs', 'ca.pem'), pki.ca.certPem);
  await writeFile(path.join(inputs, 'certs', 'alice.pem'), pki.clients.alice!.certPem);
  await writeFile(path.join(inputs, 'certs', 'alice-key.pem'), pki.clients.alice!.keyPem);
  await writeFile(path.join(inputs, 'certs', 'bob-key.pem'), pki.clients.bob!.keyPem);
  await writeFile(path.join(inputs, 'token.jwt'), `${token}\n`);
});
afterEach(async () => {
  await temp?.close();
  await removeDir(inputs);
});

async function write(name: string, content: string): Promise<string> {
  const file = path.join(inputs, name);
  await writeFile(file, content);
  return file;
}

const tokenClientConf = [
  '# Pulsar client configuration',
  'webServiceUrl=https://broker.test:8443/',
  'brokerServiceUrl=pulsar+ssl://broker.test:6651/',
  'authPlugin=org.apache.pulsar.client.impl.auth.AuthenticationToken',
  'authParams=file://token.jwt',
  'tlsAllowInsecureConnection=false',
  'tlsEnableHostnameVerification=true',
  'tlsTrustCertsFilePath=certs/ca.pem',
  'useKeyStoreTls=false',
  'tlsTrustStoreType=JKS',
  'tlsTrustStorePath=',
  'tlsTrustStorePassword=',
  'proxyServiceUrl=pulsar+ssl://proxy.test:443',
  'proxyProtocol=SNI',
].join('\n');

describe('import and export with the real Secret Service', () => {
  it('turns a client.conf with token auth into a profile, reading its files relative to it', async () => {
    const file = await write('staging.conf', tokenClientConf);
    const result = await importFile(store, file, { readSecrets: true });
    expect(result).toMatchObject({ kind: 'client-conf', imported: ['staging'], secretSources: [{ secret: 'token', from: 'file', name: path.join(inputs, 'token.jwt'), field: 'authParams (line 5)' }] });
    const entry = await store.get('staging');
    expect(entry.profile).toMatchObject({
      serviceUrl: 'pulsar+ssl://broker.test:6651/',
      webServiceUrl: 'https://broker.test:8443/',
      proxyServiceUrl: 'pulsar+ssl://proxy.test:443',
      proxyProtocol: 'SNI',
      auth: 'token',
      tlsTrustCertsPem: pki.ca.certPem,
      tlsHostnameVerificationEnable: true,
    });
    expect(entry.secrets.token).toBe(true);
    expect(await storedSecret(dir, 'staging', 'token')).toBe(token);
    // The profile no longer depends on the files it was imported from.
    await rm(path.join(inputs, 'token.jwt'));
    const config = await store.tunnelConfig('staging');
    expect(config.auth.kind === 'token' && (await config.auth.getToken())).toBe(token);
  });

  it('runs traffic through a tunnel built from an imported client.conf with a TLS client certificate', async () => {
    const backend = await startTlsBackend({ credential: pki.servers['broker.test']!, caPem: pki.ca.certPem, requireClientCert: true, behaviour: 'echo' });
    try {
      const file = await write(
        'mtls.conf',
        [
          'brokerServiceUrl=pulsar+ssl://broker.test:6651',
          `proxyServiceUrl=pulsar+ssl://127.0.0.1:${backend.port}`,
          'proxyProtocol=SNI',
          'tlsTrustCertsFilePath=certs/ca.pem',
          'authPlugin=org.apache.pulsar.client.impl.auth.AuthenticationTls',
          'authParams=tlsCertFile:certs/alice.pem,tlsKeyFile:certs/alice-key.pem',
        ].join('\n'),
      );
      await importFile(store, file, { name: 'mtls', readSecrets: true });
      const entry = await store.get('mtls');
      // The echo backend is not a Pulsar broker: tunnel bytes only.
      await store.save({ ...entry.profile, pulsarProtocol: 'raw', listen: { port: 0 } }, { previousName: 'mtls' });
      const config = await store.tunnelConfig('mtls');
      expect(config.auth).toEqual({ kind: 'tls' });
      const tunnel = await Tunnel.start(config, { onEvent: () => undefined });
      try {
        const [host, port] = [tunnel.addresses.pulsar.slice(0, tunnel.addresses.pulsar.lastIndexOf(':')), Number(tunnel.addresses.pulsar.split(':').pop())];
        const payload = deterministicBytes(256 * 1024, 7);
        const socket = net.connect(port, host);
        const received: Buffer[] = [];
        socket.on('data', (chunk: Buffer) => received.push(chunk));
        const done = new Promise<void>((resolve, reject) => {
          socket.once('end', () => resolve());
          socket.once('error', reject);
        });
        socket.end(payload);
        await withDeadline(done, 10_000, 'the echo through the tunnel');
        socket.destroy();
        expect(sha256Hex(Buffer.concat(received))).toBe(sha256Hex(payload));
        const accepted = await backend.waitForAccepted(0);
        expect(accepted.servername).toBe('broker.test');
        expect(accepted.peerCertificateSubjectCN).toBe('alice');
      } finally {
        await tunnel.dispose();
      }
    } finally {
      await backend.stop();
    }
  });

  it('turns cluster metadata from pulsar-admin clusters get into a profile without taking broker credentials', async () => {
    const metadata = {
      serviceUrl: 'http://broker.test:8080',
      serviceUrlTls: 'https://broker.test:8443',
      brokerServiceUrl: 'pulsar://broker.test:6650',
      brokerServiceUrlTls: 'pulsar+ssl://broker.test:6651',
      proxyServiceUrl: 'pulsar+ssl://ats.test:443',
      proxyProtocol: 'SNI',
      authenticationPlugin: 'org.apache.pulsar.client.impl.auth.AuthenticationToken',
      authenticationParameters: 'token:broker-secret',
      peerClusterNames: ['west'],
      brokerClientTlsEnabled: true,
      tlsAllowInsecureConnection: false,
      brokerClientTrustCertsFilePath: '/etc/pulsar/ca.pem',
    };
    const result = await importContent(store, JSON.stringify(metadata, null, 2), 'east.json');
    expect(result.kind).toBe('cluster-metadata');
    expect(result.warnings.join('\n')).toMatch(/authenticationParameters/);
    expect((await store.get('east')).profile).toMatchObject({ serviceUrl: 'pulsar+ssl://broker.test:6651', webServiceUrl: 'https://broker.test:8443', proxyServiceUrl: 'pulsar+ssl://ats.test:443', auth: 'none' });
    expect(await filesContaining(dir, ['broker-secret'])).toEqual([]);
    expect(await storedSecret(dir, 'east', 'token')).toBeNull();

    // The CA and the token can be given beside the metadata, which holds none.
    const metadataFile = await write('west.json', JSON.stringify(metadata));
    const completed = await importFile(store, metadataFile, { overrides: { trustCertsFile: path.join(inputs, 'certs', 'ca.pem'), tokenFile: path.join(inputs, 'token.jwt') } });
    expect(completed.warnings.join('\n')).not.toMatch(/no CA certificate/);
    expect((await store.get('west')).profile).toMatchObject({ auth: 'token', tlsTrustCertsPem: pki.ca.certPem });
    expect(await storedSecret(dir, 'west', 'token')).toBe(token);
    await expect(importFile(store, metadataFile, { name: 'half', overrides: { certFile: path.join(inputs, 'certs', 'alice.pem') } })).rejects.toMatchObject({ code: 'IMPORT_INVALID', message: expect.stringContaining('--cert and --key go together') });
  });

  it('imports our profile file with its files read at import time', async () => {
    const profile = {
      name: 'file-profile',
      serviceUrl: 'pulsar+ssl://broker.test:6651',
      proxyServiceUrl: 'pulsar+ssl://proxy.test:443',
      tlsTrustCertsFilePath: 'certs/ca.pem',
      tlsCertificateFilePath: 'certs/alice.pem',
      tlsKeyFilePath: 'certs/alice-key.pem',
      authPlugin: 'org.apache.pulsar.client.impl.auth.AuthenticationToken',
      authParams: 'file://token.jwt',
      listen: { port: 16650, webPort: 18080 },
      webServiceUrl: 'https://broker.test:8443',
    };
    const file = await write('profile.json', JSON.stringify(profile));
    await importFile(store, file, { readSecrets: true });
    const entry = await store.get('file-profile');
    expect(entry.profile).toMatchObject({ auth: 'token', tlsCertificatePem: pki.clients.alice!.certPem, listen: { port: 16650, webPort: 18080 } });
    expect(entry.secrets).toEqual({ token: true, clientKey: true, keyPassphrase: false });
    expect(await storedSecret(dir, 'file-profile', 'clientKey')).toBe(pki.clients.alice!.keyPem);
  });

  it('gives an identical profile after import, export and import again; secrets only in the encrypted bundle', async () => {
    await importFile(store, await write('staging.conf', tokenClientConf), { readSecrets: true });
    await importFile(store, await write('p.json', JSON.stringify({ name: 'mtls', serviceUrl: 'pulsar+ssl://broker.test:6651', tlsTrustCertsFilePath: 'certs/ca.pem', tlsCertificateFilePath: 'certs/alice.pem', tlsKeyFilePath: 'certs/alice-key.pem', authPlugin: 'org.apache.pulsar.client.impl.auth.AuthenticationTls' })), { readSecrets: true });
    const before = (await store.list()).profiles.map((entry) => entry.profile);
    const secretsBefore = await keychainSnapshot(dir, ['staging', 'mtls']);

    const plain = await exportProfiles(store, { names: [] });
    const encrypted = await exportProfiles(store, { names: ['staging', 'mtls'], passphrase: 'correct horse battery' });
    const exportsDir = await tempDir('exports');
    try {
      await writeFile(path.join(exportsDir, plain.fileName), plain.content);
      await writeFile(path.join(exportsDir, encrypted.fileName), encrypted.content);
      const keyBody = pki.clients.alice!.keyPem.split('\n')[1]!;
      expect(await filesContaining(exportsDir, [token, keyBody])).toEqual([]);
      expect(await filesContaining(dir, [token, keyBody])).toEqual([]);

      // Plain bundle into a fresh store: same profiles, no secrets, and a warning saying so.
      const other = await ProfileStore.open({ dir: path.join(exportsDir, 'store-plain'), keychain });
      const plainResult = await importFile(other, path.join(exportsDir, plain.fileName), { replace: true });
      expect(plainResult.warnings.join('\n')).toMatch(/no secrets/);
      expect((await other.list()).profiles.map((entry) => entry.profile)).toEqual(before);
      other.dispose();

      // Encrypted bundle after removing the originals: profiles and secrets come back.
      await store.remove('staging');
      await store.remove('mtls');
      const back = await importFile(store, path.join(exportsDir, encrypted.fileName), { passphrase: 'correct horse battery' });
      expect(back.imported).toEqual(['staging', 'mtls']);
      expect((await store.list()).profiles.map((entry) => entry.profile)).toEqual(before);
      expect(await keychainSnapshot(dir, ['staging', 'mtls'])).toEqual(secretsBefore);
    } finally {
      await removeDir(exportsDir);
    }
  });

  it('refuses a wrong passphrase, a missing one and an altered encrypted bundle', async () => {
    await store.save({ name: 'secret', serviceUrl: 'pulsar+ssl://broker.test:6651', auth: 'token' }, { secrets: { token } });
    const encrypted = await exportProfiles(store, { names: ['secret'], passphrase: 'right passphrase' });
    await store.remove('secret');
    const before = await snapshotFiles(dir);
    await expect(importContent(store, encrypted.content, 'b.json', { passphrase: 'wrong passphrase' })).rejects.toMatchObject({ code: 'BUNDLE_PASSPHRASE_WRONG' });
    await expect(importContent(store, encrypted.content, 'b.json')).rejects.toMatchObject({ code: 'BUNDLE_PASSPHRASE_REQUIRED', message: expect.stringContaining('no passphrase was given') });
    const altered = JSON.parse(encrypted.content) as { encryption: { N: number } };
    altered.encryption.N = 16_384;
    await expect(importContent(store, JSON.stringify(altered), 'b.json', { passphrase: 'right passphrase' })).rejects.toMatchObject({ code: 'BUNDLE_PASSPHRASE_WRONG' });
    expect(await snapshotFiles(dir)).toEqual(before);
    expect(await storedSecret(dir, 'secret', 'token')).toBeNull();
    await importContent(store, encrypted.content, 'b.json', { passphrase: 'right passphrase' });
    expect(await storedSecret(dir, 'secret', 'token')).toBe(token);
  });

  it('changes nothing for every kind of malformed input', async () => {
    await importFile(store, await write('existing.conf', tokenClientConf), { name: 'existing', readSecrets: true });
    const profile = (extra: Record<string, unknown>) => JSON.stringify({ name: 'new-one', serviceUrl: 'pulsar+ssl://broker.test:6651', ...extra });
    const expired = await pki.expiredServer('expired.test');
    await writeFile(path.join(inputs, 'certs', 'expired.pem'), expired.certPem);
    await writeFile(path.join(inputs, 'certs', 'expired-key.pem'), expired.keyPem);
    const validBundle = (await exportProfiles(store, { names: ['existing'] })).content;
    const cases: [string, string, RegExp, Record<string, unknown>?][] = [
      ['empty.json', '', /empty/],
      ['broken.json', '{"name": "x", ', /not valid JSON/],
      ['array.json', '[1,2]', /one JSON object/],
      ['unknown-shape.json', '{"foo": 1}', /neither a profile file/],
      ['unknown-key.json', profile({ servceUrl: 'x' }), /unknown field "servceUrl"/],
      ['bad-url.json', profile({ serviceUrl: 'pulsar://broker.test:6650' }), /serviceUrl/],
      ['missing-file.json', profile({ tlsTrustCertsFilePath: 'certs/nope.pem' }), /tlsTrustCertsFilePath: cannot read .*nope\.pem \(no such file\)/],
      ['folder-as-file.json', profile({ tlsTrustCertsFilePath: 'certs' }), /tlsTrustCertsFilePath: cannot read .* \(it is a directory\)/],
      ['unset-env.json', profile({ authPlugin: 'org.apache.pulsar.client.impl.auth.AuthenticationToken', authParams: 'env:PT_NO_SUCH_VARIABLE' }), /PT_NO_SUCH_VARIABLE is not set/],
      ['not-a-cert.json', profile({ tlsTrustCertsFilePath: 'token.jwt' }), /no PEM certificate/],
      ['key-mismatch.json', profile({ tlsCertificateFilePath: 'certs/alice.pem', tlsKeyFilePath: 'certs/bob-key.pem' }), /does not belong/],
      ['expired.json', profile({ tlsCertificateFilePath: 'certs/expired.pem', tlsKeyFilePath: 'certs/expired-key.pem' }), /expired on/],
      ['duplicate.json', profile({ name: 'EXISTING' }), /already exists/],
      ['unknown-key.conf', `${tokenClientConf}\nbrokerServiceUrll=x`, /unknown key "brokerServiceUrll" \(line 15\)/],
      ['keystore.conf', 'brokerServiceUrl=pulsar+ssl://b:6651\nuseKeyStoreTls=true\ntlsTrustStorePath=/x/truststore.jks', /key stores .* not supported/],
      ['plain.conf', 'brokerServiceUrl=pulsar://b:6650', /plain TCP/],
      ['basic.conf', 'brokerServiceUrl=pulsar+ssl://b:6651\nauthPlugin=org.apache.pulsar.client.impl.auth.AuthenticationBasic\nauthParams={"userId":"u","password":"p"}', /AuthenticationBasic" is not supported/],
      ['oauth.conf', 'brokerServiceUrl=pulsar+ssl://b:6651\nauthPlugin=org.apache.pulsar.client.impl.auth.oauth2.AuthenticationOAuth2', /not supported/],
      ['bad-bool.conf', 'brokerServiceUrl=pulsar+ssl://b:6651\ntlsAllowInsecureConnection=yes', /must be true or false/],
      ['no-url.conf', 'webServiceUrl=https://b:8443', /brokerServiceUrl is required/],
      ['tls-no-key.conf', 'brokerServiceUrl=pulsar+ssl://b:6651\nauthPlugin=org.apache.pulsar.client.impl.auth.AuthenticationTls\nauthParams=tlsCertFile:certs/alice.pem', /needs tlsCertFile and tlsKeyFile/],
      ['binary.p12', '\u0030\u0082\u0001\u0000\u0000binary', /binary/],
      ['no-tls.json', JSON.stringify({ brokerServiceUrl: 'pulsar://b:6650', serviceUrl: 'http://b:8080' }), /brokerServiceUrlTls is missing/],
      ['bundle-two-names.json', JSON.stringify({ format: 'pulsar-tunnel-bundle', version: 1, profiles: [{ profile: { name: 'a', serviceUrl: 'pulsar+ssl://b:6651' } }, { profile: { name: 'A', serviceUrl: 'pulsar+ssl://b:6651' } }] }), /two profiles named/],
      ['bundle-bad-second.json', JSON.stringify({ format: 'pulsar-tunnel-bundle', version: 1, profiles: [{ profile: { name: 'fine', serviceUrl: 'pulsar+ssl://b:6651' } }, { profile: { name: 'bad', serviceUrl: 'pulsar+ssl://b:6651', listen: { port: -1 } } }] }), /profile "bad" .*listen\.port/],
      ['bundle-bad-shape.json', JSON.stringify({ format: 'pulsar-tunnel-bundle', version: 2, profiles: [] }), /not a valid pulsar-tunnel bundle \(version/],
      ['bundle-existing.json', validBundle, /already exists/],
      ['bundle-with-name.json', validBundle, /--name works only for a single profile/, { name: 'x' }],
    ];
    const filesBefore = await snapshotFiles(dir);
    const secretsBefore = await keychainSnapshot(dir, ['existing', 'new-one', 'fine', 'a']);
    for (const [name, content, message, options] of cases) {
      const file = await write(name, content);
      const attempt = importFile(store, file, { readSecrets: true, ...options });
      await expect(attempt, name).rejects.toMatchObject({ message: expect.stringMatching(message) });
      await attempt.catch((error: { code: string }) => expect(['IMPORT_INVALID', 'PROFILE_EXISTS', 'CERTIFICATE_INVALID'], `${name}: ${error.code}`).toContain(error.code));
    }
    await expect(importFile(store, path.join(inputs, 'does-not-exist.conf'))).rejects.toMatchObject({ code: 'IMPORT_INVALID', message: expect.stringContaining('no such file') });
    expect(await snapshotFiles(dir)).toEqual(filesBefore);
    expect(await keychainSnapshot(dir, ['existing', 'new-one', 'fine', 'a'])).toEqual(secretsBefore);
  });

  it('replaces an existing profile only when asked', async () => {
    const file = await write('staging.conf', tokenClientConf);
    await importFile(store, file, { readSecrets: true });
    await expect(importFile(store, file, { readSecrets: true })).rejects.toMatchObject({ code: 'PROFILE_EXISTS' });
    await writeFile(file, tokenClientConf.replace('proxy.test:443', 'proxy2.test:443').replace(/authPlugin=.*\nauthParams=.*\n/, ''));
    await importFile(store, file, { replace: true, readSecrets: true });
    const entry = await store.get('staging');
    expect(entry.profile).toMatchObject({ proxyServiceUrl: 'pulsar+ssl://proxy2.test:443', auth: 'none' });
    expect(entry.secrets.token).toBe(false);
    expect(await storedSecret(dir, 'staging', 'token')).toBeNull();
  });
});

describe('client.conf and snippets for local tools', () => {
  it('points local tools at the tunnel with plain TCP and HTTP and no credentials', () => {
    const conf = clientConfFor({ pulsar: '127.0.0.1:6650', http: '127.0.0.1:8080' }, 'prod');
    const values = Object.fromEntries(parseProperties(conf).map((property) => [property.key, property.value]));
    expect(values).toMatchObject({ brokerServiceUrl: 'pulsar://127.0.0.1:6650', webServiceUrl: 'http://127.0.0.1:8080', authPlugin: '', authParams: '' });
    // The empty auth lines are explained in the file itself, as the README says.
    expect(conf).toMatch(/^# authPlugin and authParams are empty on purpose: they replace a credential another client\.conf$/m);
    expect(parseProperties(clientConfFor({ pulsar: '127.0.0.1:7000' })).map((property) => property.key)).not.toContain('webServiceUrl');
    const snippets = snippetsFor({ pulsar: '[::1]:6650' });
    expect(snippets.serviceUrl).toBe('pulsar://[::1]:6650');
    for (const text of [snippets.java, snippets.python, snippets.node, snippets.pulsarClient, snippets.pulsarPerf]) expect(text).toContain('pulsar://[::1]:6650');
  });

  it('reads Java properties syntax: separators, comments, continuations and escapes', () => {
    const parsed = parseProperties('# c\n! c\nkey1 = a\nkey2:b\nkey3 c\nkey4=multi\\\n    line\nkey\\ 5=\\u0041\\t\nkey1=last\n');
    expect(Object.fromEntries(parsed.map((property) => [property.key, property.value]))).toEqual({ key1: 'last', key2: 'b', key3: 'c', key4: 'multiline', 'key 5': 'A\t' });
  });
});
