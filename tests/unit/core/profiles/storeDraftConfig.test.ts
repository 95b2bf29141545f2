/**
 * The engine configuration of an unsaved profile (the forms' Test connection), with the real
 * Secret Service: validated like save, a typed token used and never written, an edited profile's
 * secrets read from its keychain items, and nothing in the store's folder or the keychain changed.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { StoredProfileInput } from '../../../../shared/model/storedProfile.ts';
import { ProfileStore } from '../../../../src-main/core/profiles/store.ts';
import { createOsKeychain, type Keychain } from '../../../../src-main/core/secrets/keychain.ts';
import { createTestPki, type TestPki } from '../../../fixtures/pki.ts';
import { startSecretService, type SecretService } from '../secrets/secretService.ts';
import { keychainSnapshot, removeDir, snapshotFiles, tempDir } from './helpers.ts';

let service: SecretService;
let pki: TestPki;
let keychain: Keychain;
let dir: string;
let store: ProfileStore;

const storedToken = `eyJhbGciOiJIUzI1NiJ9.${Buffer.from('{"sub":"stored"}').toString('base64url')}.c3RvcmVk`;
const typedToken = `eyJhbGciOiJIUzI1NiJ9.${Buffer.from('{"sub":"typed"}').toString('base64url')}.dHlwZWQ`;

beforeAll(async () => {
  [service, pki] = await Promise.all([startSecretService(), createTestPki({ serverHosts: ['broker.test'], clientNames: ['alice'] })]);
  keychain = createOsKeychain();
});

afterAll(async () => {
  await pki?.cleanup();
  await service?.stop();
});

beforeEach(async () => {
  dir = await tempDir('draft');
  store = await ProfileStore.open({ dir, keychain, lockTimeoutMs: 2_000 });
});

afterEach(async () => {
  store.dispose();
  await removeDir(dir);
});

function draft(name: string, extra: Partial<StoredProfileInput> = {}): StoredProfileInput {
  return { name, serviceUrl: 'pulsar+ssl://broker.test:6651', proxyServiceUrl: 'pulsar+ssl://proxy.test:443', proxyProtocol: 'SNI', auth: 'token', tlsTrustCertsPem: pki.ca.certPem, ...extra };
}

describe('the configuration of an unsaved profile', () => {
  it('uses a typed token for that configuration only and writes nothing', async () => {
    const filesBefore = await snapshotFiles(dir);
    const config = await store.draftTunnelConfig(draft('fresh'), { secrets: { token: typedToken } });
    expect(config).toMatchObject({ name: 'fresh', service: { host: 'broker.test', port: 6651 }, proxy: { host: 'proxy.test', port: 443 }, auth: { kind: 'token' } });
    expect(config.auth.kind === 'token' && (await config.auth.getToken())).toBe(typedToken);
    expect(await snapshotFiles(dir)).toEqual(filesBefore);
    expect((await store.list()).profiles).toEqual([]);
    expect(Object.values(await keychainSnapshot(dir, ['fresh'])).every((value) => value === null)).toBe(true);
  });

  it("tests an edited profile's changes with its stored token and client key, leaving the saved profile as it was", async () => {
    await store.save(draft('prod', { tlsCertificatePem: pki.clients.alice!.certPem }), { secrets: { token: storedToken, clientKey: pki.clients.alice!.keyPem } });
    const saved = await store.get('prod');
    const keychainBefore = await keychainSnapshot(dir, ['prod', 'prod-renamed']);
    const config = await store.draftTunnelConfig(draft('prod-renamed', { tlsCertificatePem: pki.clients.alice!.certPem, connectionTimeoutMs: 4321 }), { previousName: 'prod' });
    expect(config).toMatchObject({ name: 'prod-renamed', connectionTimeoutMs: 4321, tls: { keyPem: pki.clients.alice!.keyPem } });
    expect(config.auth.kind === 'token' && (await config.auth.getToken())).toBe(storedToken);
    // A typed token wins over the stored one, for this configuration only.
    const typed = await store.draftTunnelConfig(draft('prod'), { previousName: 'prod', secrets: { token: typedToken } });
    expect(typed.auth.kind === 'token' && (await typed.auth.getToken())).toBe(typedToken);
    expect(await store.get('prod')).toEqual(saved);
    expect(await keychainSnapshot(dir, ['prod', 'prod-renamed'])).toEqual(keychainBefore);
  });

  it('refuses what save refuses, names a token that is neither typed nor stored, and an unknown profile being edited', async () => {
    await expect(store.draftTunnelConfig(draft('bad', { serviceUrl: 'http://broker.test' }))).rejects.toMatchObject({ code: 'PROFILE_INVALID', message: expect.stringContaining('serviceUrl') });
    await expect(store.draftTunnelConfig(draft('no-token'))).rejects.toMatchObject({ code: 'PROFILE_INVALID', message: expect.stringMatching(/^token: type the token/) });
    await expect(store.draftTunnelConfig(draft('x'), { previousName: 'gone', secrets: { token: typedToken } })).rejects.toMatchObject({ code: 'PROFILE_NOT_FOUND' });
    await expect(store.draftTunnelConfig(draft('x'), { secrets: { token: 'two words' } })).rejects.toMatchObject({ code: 'PROFILE_INVALID', message: expect.stringContaining('token') });
  });
});
