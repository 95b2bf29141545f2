import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { StoredProfileInput } from '../../../../shared/model/storedProfile.ts';
import { exportProfiles } from '../../../../src-main/core/profiles/export.ts';
import { ProfileStore, storeSchemaVersion } from '../../../../src-main/core/profiles/store.ts';
import { defaultDataDir, withFileLock } from '../../../../src-main/core/profiles/storeFiles.ts';
import type { Keychain } from '../../../../src-main/core/secrets/keychain.ts';
import type { TestPki } from '../../../fixtures/pki.ts';
import { openTempStore, startKeychainWorldWithPki, type KeychainWorld, type TempStore } from './keychainWorld.ts';
import { filesContaining, itemAccount, keychainSnapshot, keytarRaw, snapshotFiles, storedSecret } from './helpers.ts';

const run = promisify(execFile);
let world: KeychainWorld;
let pki: TestPki;
let keychain: Keychain;
let temp: TempStore;
let dir: string;
let store: ProfileStore;

const token = `eyJhbGciOiJIUzI1NiJ9.${Buffer.from(`{"sub":"store-test-${process.pid}"}`).toString('base64url')}.c2lnbmF0dXJlLXN0b3JlLXRlc3Q`;

beforeAll(async () => {
  ({ pki, keychain } = world = await startKeychainWorldWithPki({ serverHosts: ['broker.test'], clientNames: ['alice', 'bob'] }));
});
afterAll(() => world?.stop());
beforeEach(async () => {
  ({ dir, store } = temp = await openTempStore(keychain, 'store', { lockTimeoutMs: 2_000 }));
});
afterEach(() => temp?.close());

function base(name: string): StoredProfileInput {
  return { name, serviceUrl: 'pulsar+ssl://broker.test:6651', proxyServiceUrl: 'pulsar+ssl://proxy.test:443', proxyProtocol: 'SNI' };
}

function mtls(name: string): StoredProfileInput {
  return { ...base(name), auth: 'tls', tlsTrustCertsPem: pki.ca.certPem, tlsCertificatePem: pki.clients.alice!.certPem };
}

describe('profile store with the real Secret Service', () => {
  it('keeps the token and client key only in the keychain and hands them to the engine config', async () => {
    await store.save({ ...mtls('prod'), auth: 'token' }, { secrets: { token, clientKey: pki.clients.alice!.keyPem } });
    const entry = await store.get('prod');
    expect(entry.secrets).toEqual({ token: true, clientKey: true, keyPassphrase: false });
    expect(await storedSecret(dir, 'prod', 'token')).toBe(token);
    expect(await storedSecret(dir, 'prod', 'clientKey')).toBe(pki.clients.alice!.keyPem);

    const config = await store.tunnelConfig('prod');
    expect(config.service).toEqual({ host: 'broker.test', port: 6651 });
    expect(config.proxy).toEqual({ host: 'proxy.test', port: 443 });
    expect(config.listen).toEqual({ host: '127.0.0.1', port: 6650 });
    expect(config.tls).toMatchObject({ caPem: pki.ca.certPem, certPem: pki.clients.alice!.certPem, keyPem: pki.clients.alice!.keyPem, verifyHostname: true, allowInsecure: false });
    expect(config.auth.kind).toBe('token');
    if (config.auth.kind !== 'token') throw new Error('unreachable');
    expect(await config.auth.getToken()).toBe(token);
    // The token is read on every use: a new one in the keychain is picked up.
    await store.setSecret('prod', 'token', `${token}x`);
    expect(await config.auth.getToken()).toBe(`${token}x`);

    const exported = await exportProfiles(store, { names: [] });
    await writeFile(path.join(dir, 'export.json'), exported.content);
    const keyBody = pki.clients.alice!.keyPem.split('\n')[1]!;
    expect(await filesContaining(dir, [token, keyBody])).toEqual([]);
    // The search itself works: the public certificate is found in the store and the export.
    const certBody = pki.clients.alice!.certPem.split('\n')[1]!;
    expect((await filesContaining(dir, [certBody])).length).toBe(2);
    expect((await snapshotFiles(dir)).size).toBeGreaterThanOrEqual(2);
  });

  it('names the field when a profile is invalid and writes nothing', async () => {
    await expect(store.save({ ...base('x'), serviceUrl: 'http://broker:8080' })).rejects.toMatchObject({ code: 'PROFILE_INVALID', message: expect.stringContaining('serviceUrl') });
    await expect(store.save({ ...base('x'), listen: { port: 70000 } })).rejects.toMatchObject({ code: 'PROFILE_INVALID', message: expect.stringContaining('listen.port') });
    await expect(store.save({ ...base('bad name!') })).rejects.toMatchObject({ code: 'PROFILE_INVALID', message: expect.stringContaining('name') });
    await expect(store.save({ ...base('x'), extra: 1 } as StoredProfileInput)).rejects.toMatchObject({ code: 'PROFILE_INVALID', message: expect.stringContaining('unknown field "extra"') });
    await expect(store.save(base('x'), { secrets: { token: 'two words' } })).rejects.toMatchObject({ code: 'PROFILE_INVALID', message: expect.stringContaining('token') });
    expect((await store.list()).profiles).toEqual([]);
    expect([...(await snapshotFiles(dir)).keys()]).toEqual([]);
    expect(await storedSecret(dir, 'x', 'token')).toBeNull();
  });

  it('refuses a second profile with the same name, whatever its case', async () => {
    await store.save(base('staging'));
    await expect(store.save(base('staging'))).rejects.toMatchObject({ code: 'PROFILE_EXISTS' });
    await expect(store.save(base('STAGING'))).rejects.toMatchObject({ code: 'PROFILE_EXISTS' });
    await expect(store.save(base('other'), { previousName: 'missing' })).rejects.toMatchObject({ code: 'PROFILE_NOT_FOUND' });
  });

  it('moves secrets with a renamed profile and copies them for a duplicate', async () => {
    await store.save(base('old'), { secrets: { token } });
    await store.save({ ...base('new'), auth: 'token' }, { previousName: 'old' });
    expect(await storedSecret(dir, 'old', 'token')).toBeNull();
    expect(await storedSecret(dir, 'new', 'token')).toBe(token);
    await expect(store.get('old')).rejects.toMatchObject({ code: 'PROFILE_NOT_FOUND' });
    const copy = await store.duplicate('new', 'copy');
    expect(copy.secrets.token).toBe(true);
    expect(await storedSecret(dir, 'copy', 'token')).toBe(token);
    expect((await store.list()).profiles.map((entry) => entry.profile.name)).toEqual(['copy', 'new']);
  });

  it('gives a duplicate the listen port asked for, keeping the rest of listen', async () => {
    await store.save({ ...base('fixed'), listen: { host: '127.0.0.1', port: 6650, webPort: 8080 }, webServiceUrl: 'https://web.test:8443' });
    const copy = await store.duplicate('fixed', 'fixed-copy', { listenPort: 6651 });
    expect(copy.profile.listen).toEqual({ host: '127.0.0.1', port: 6651, webPort: 8080 });
    expect((await store.get('fixed')).profile.listen.port).toBe(6650);
  });

  it('deletes the keychain items when a profile is removed', async () => {
    await store.save({ ...mtls('gone'), auth: 'token' }, { secrets: { token, clientKey: pki.clients.alice!.keyPem } });
    await store.remove('gone');
    expect(await keychainSnapshot(dir, ['gone'])).toEqual({ 'gone/token': null, 'gone/clientKey': null, 'gone/keyPassphrase': null });
    await expect(store.get('gone')).rejects.toMatchObject({ code: 'PROFILE_NOT_FOUND' });
    await expect(store.remove('gone')).rejects.toMatchObject({ code: 'PROFILE_NOT_FOUND' });
  });

  it('refuses a client key that does not belong to the certificate and keeps the old one', async () => {
    await store.save(mtls('keyed'), { secrets: { clientKey: pki.clients.alice!.keyPem } });
    await expect(store.setSecret('keyed', 'clientKey', pki.clients.bob!.keyPem)).rejects.toMatchObject({ code: 'CERTIFICATE_INVALID', message: expect.stringContaining('does not belong') });
    expect(await storedSecret(dir, 'keyed', 'clientKey')).toBe(pki.clients.alice!.keyPem);
  });

  it('stores an encrypted client key with its passphrase and checks later keys with that passphrase', async () => {
    const encryptedPath = path.join(pki.dir, `alice-enc-${process.pid}.pem`);
    await run('openssl', ['pkcs8', '-topk8', '-v2', 'aes-256-cbc', '-in', pki.clients.alice!.keyPath, '-out', encryptedPath, '-passout', 'pass:key-pass-1']);
    const encrypted = await readFile(encryptedPath, 'utf8');
    await expect(store.save(mtls('enc'), { secrets: { clientKey: encrypted } })).rejects.toMatchObject({ code: 'CERTIFICATE_INVALID', message: expect.stringContaining('passphrase') });
    await store.save(mtls('enc'), { secrets: { clientKey: encrypted, keyPassphrase: 'key-pass-1' } });
    const config = await store.tunnelConfig('enc');
    expect(config.tls).toMatchObject({ keyPem: encrypted, keyPassphrase: 'key-pass-1' });
    // A new key is checked with the stored passphrase.
    await store.setSecret('enc', 'clientKey', encrypted);
    await expect(store.setSecret('enc', 'clientKey', pki.clients.bob!.keyPem)).rejects.toMatchObject({ code: 'CERTIFICATE_INVALID' });
    await expect(store.setSecret('enc', 'keyPassphrase', 'not-the-pass')).rejects.toMatchObject({ code: 'CERTIFICATE_INVALID', message: expect.stringContaining('passphrase is wrong') });
    expect(await storedSecret(dir, 'enc', 'keyPassphrase')).toBe('key-pass-1');
  });

  it('reports KEYCHAIN_ITEM_MISSING when a referenced secret was deleted from the keychain', async () => {
    await store.save({ ...base('lost'), auth: 'token' }, { secrets: { token } });
    await (await keytarRaw()).deletePassword('pulsar-tunnel', (await itemAccount(dir, 'lost', 'token'))!);
    await expect(store.tunnelConfig('lost')).rejects.toMatchObject({ code: 'KEYCHAIN_ITEM_MISSING', message: expect.stringContaining('lost') });
    await store.save(mtls('nokey'));
    await expect(store.tunnelConfig('nokey')).rejects.toMatchObject({ code: 'KEYCHAIN_ITEM_MISSING' });
  });

  it('moves a damaged profile file aside with a timestamp, reports it and still loads the others', async () => {
    await store.save(base('good'));
    await writeFile(path.join(store.profilesDir, 'broken.json'), '{"schemaVersion":1,"profile":{"name":"broken","serviceUrl":');
    await writeFile(path.join(store.profilesDir, 'wrong.json'), JSON.stringify({ schemaVersion: 1, profile: { name: 'wrong', serviceUrl: 'nope' }, secrets: [] }));
    const listing = await store.list();
    expect(listing.profiles.map((entry) => entry.profile.name)).toEqual(['good']);
    expect(listing.problems).toHaveLength(2);
    expect(listing.problems[0]!.message).toMatch(/broken\.json is damaged \(it is not valid JSON/);
    expect(listing.problems[1]!.message).toMatch(/serviceUrl/);
    const files = await readdir(store.profilesDir);
    expect(files.filter((file) => /^broken\.json\.corrupt-\d{4}-\d\d-\d\dT/.test(file))).toHaveLength(1);
    expect(files).not.toContain('broken.json');
    expect((await store.list()).problems).toEqual([]);
  });

  it('migrates a profile file of an older schema version when reading it', async () => {
    await writeFile(path.join(store.profilesDir, 'legacy.json'), JSON.stringify({ name: 'legacy', serviceUrl: 'pulsar+ssl://b:6651', auth: 'token', hasToken: true }));
    const entry = await store.get('legacy');
    expect(entry.profile).toMatchObject({ name: 'legacy', auth: 'token', tlsHostnameVerificationEnable: true });
    expect(entry.secrets.token).toBe(true);
    await store.save({ ...entry.profile, autoStart: true }, { previousName: 'legacy' });
    const raw = JSON.parse(await readFile(path.join(store.profilesDir, 'legacy.json'), 'utf8')) as { schemaVersion: number; secrets: string[] };
    expect(raw.schemaVersion).toBe(storeSchemaVersion);
    expect(raw.secrets).toEqual(['token']);
  });

  it('leaves a file written by a newer version alone and refuses to overwrite it', async () => {
    const newer = JSON.stringify({ schemaVersion: 99, profile: { name: 'future' }, secrets: [] });
    await writeFile(path.join(store.profilesDir, 'future.json'), newer);
    const listing = await store.list();
    expect(listing.problems[0]!.message).toMatch(/newer pulsar-tunnel/);
    await expect(store.save(base('future'))).rejects.toMatchObject({ code: 'PROFILE_EXISTS' });
    expect(await readFile(path.join(store.profilesDir, 'future.json'), 'utf8')).toBe(newer);
  });

  it('takes over a lock left by a dead process and waits for a live one', async () => {
    const dead = spawn(process.execPath, ['-e', '0']);
    const deadPid = await new Promise<number>((resolve) => dead.once('exit', () => resolve(dead.pid!)));
    const lockFile = path.join(store.profilesDir, '.lock');
    await writeFile(lockFile, JSON.stringify({ pid: deadPid, host: hostname(), time: Date.now(), nonce: 'dead' }));
    await store.save(base('after-crash'));
    expect((await store.list()).profiles.map((entry) => entry.profile.name)).toEqual(['after-crash']);

    let release!: () => void;
    const held = withFileLock(lockFile, () => new Promise<void>((resolve) => (release = resolve)));
    const busyStore = await ProfileStore.open({ dir, keychain, lockTimeoutMs: 200 });
    await expect(busyStore.save(base('blocked'))).rejects.toMatchObject({ code: 'PROFILE_STORE_BUSY', message: expect.stringContaining(lockFile) });
    const waiting = store.save(base('waited'));
    release();
    await held;
    await waiting;
    expect((await store.list()).profiles.map((entry) => entry.profile.name)).toEqual(['after-crash', 'waited']);
    busyStore.dispose();
  });
});

describe('data folder', () => {
  it('follows PULSAR_TUNNEL_HOME, then the platform folder Electron uses for userData', () => {
    expect(defaultDataDir({ PULSAR_TUNNEL_HOME: '/x/y' }, 'linux', '/home/u')).toBe('/x/y');
    expect(defaultDataDir({}, 'linux', '/home/u')).toBe('/home/u/.config/pulsar-tunnel');
    expect(defaultDataDir({ XDG_CONFIG_HOME: '/cfg' }, 'linux', '/home/u')).toBe('/cfg/pulsar-tunnel');
    expect(defaultDataDir({}, 'darwin', '/Users/u')).toBe('/Users/u/Library/Application Support/pulsar-tunnel');
    expect(defaultDataDir({ APPDATA: 'C:/Users/u/AppData/Roaming' }, 'win32', 'C:/Users/u')).toMatch(/Roaming.pulsar-tunnel$/);
  });
});
