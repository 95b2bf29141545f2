/**
 * Each store (each PULSAR_TUNNEL_HOME) keeps its secrets in keychain items of its own, on a real
 * gnome-keyring: two stores with a profile of the same name never read or delete each other's
 * token, a 0.1.0 store's items are copied (never moved) into its scope, and a copied store folder
 * becomes a store of its own.
 */
import { cp, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { StoredProfileInput } from '../../../../shared/model/storedProfile.ts';
import { ProfileStore } from '../../../../src-main/core/profiles/store.ts';
import { createOsKeychain } from '../../../../src-main/core/secrets/keychain.ts';
import type { TunnelConfig } from '../../../../src-main/core/config/tunnelConfig.ts';
import { startSecretService, type SecretService } from '../secrets/secretService.ts';
import { keytarRaw, removeDir, storeIdOf, storeItems, tempDir } from './helpers.ts';

let service: SecretService;
const dirs: string[] = [];
const stores: ProfileStore[] = [];

beforeAll(async () => {
  service = await startSecretService();
});
afterAll(async () => {
  await service?.stop();
});
afterEach(async () => {
  for (const store of stores.splice(0)) store.dispose();
  for (const dir of dirs.splice(0)) await removeDir(dir);
});

async function newDir(prefix: string): Promise<string> {
  const dir = await tempDir(prefix);
  dirs.push(dir);
  return dir;
}

async function open(dir: string): Promise<ProfileStore> {
  // A new keychain object each time, as a new process would have.
  const store = await ProfileStore.open({ dir, keychain: createOsKeychain() });
  stores.push(store);
  return store;
}

function dev(cluster: string): StoredProfileInput {
  return { name: 'dev', serviceUrl: `pulsar+ssl://${cluster}.test:6651`, auth: 'token' };
}

async function tokenOf(config: TunnelConfig): Promise<string> {
  if (config.auth.kind !== 'token') throw new Error(`profile ${config.name} does not use a token`);
  return config.auth.getToken();
}

/** What 0.1.0 left: a schema-1 file and the item `<profile>/<kind>` every store shared. */
async function legacyStore(dir: string, name: string, cluster: string): Promise<void> {
  const profilesDir = path.join(dir, 'profiles');
  await mkdir(profilesDir, { recursive: true });
  const record = { schemaVersion: 1, profile: { name, serviceUrl: `pulsar+ssl://${cluster}.test:6651`, auth: 'token' }, secrets: ['token'], updatedAt: new Date(0).toISOString() };
  await writeFile(path.join(profilesDir, `${name}.json`), JSON.stringify(record));
}

describe('keychain items scoped to their store (real gnome-keyring)', () => {
  it('gives each store its own token for a profile of the same name, and removing it from one leaves the other', async () => {
    const sandbox = await open(await newDir('scope-a'));
    const production = await open(await newDir('scope-b'));
    await sandbox.importProfiles([{ profile: dev('sandbox'), secrets: { token: 'sandbox-token' } }]);
    await production.importProfiles([{ profile: dev('production'), secrets: { token: 'production-token' } }]);

    const config = await sandbox.tunnelConfig('dev');
    expect(config.service.host).toBe('sandbox.test');
    expect(await tokenOf(config)).toBe('sandbox-token');
    expect(await tokenOf(await production.tunnelConfig('dev'))).toBe('production-token');

    await production.remove('dev');
    expect(await tokenOf(await sandbox.tunnelConfig('dev'))).toBe('sandbox-token');
    expect([...(await storeItems(production.dir)).keys()]).toEqual([]);
    expect([...(await storeItems(sandbox.dir)).values()]).toEqual(['sandbox-token']);
  });

  it('copies the items of a 0.1.0 store into its own scope, leaves the shared ones, and never reads them again', async () => {
    const keytar = await keytarRaw();
    const first = await newDir('legacy-a');
    const second = await newDir('legacy-b');
    await legacyStore(first, 'shared', 'one');
    await legacyStore(second, 'shared', 'two');
    await keytar.setPassword('pulsar-tunnel', 'shared/token', 'token-0.1.0');

    const a = await open(first);
    expect(await tokenOf(await a.tunnelConfig('shared'))).toBe('token-0.1.0');

    // The other 0.1.0 store still finds the shared item: it was copied, not moved.
    expect(await keytar.getPassword('pulsar-tunnel', 'shared/token')).toBe('token-0.1.0');
    const b = await open(second);
    expect(await tokenOf(await b.tunnelConfig('shared'))).toBe('token-0.1.0');

    // From now on each reads only its own copy, whatever happens to the shared item or the other store.
    await keytar.setPassword('pulsar-tunnel', 'shared/token', 'written-later-by-0.1.0');
    await b.setSecret('shared', 'token', 'new-token-of-b');
    expect(await tokenOf(await a.tunnelConfig('shared'))).toBe('token-0.1.0');
    await a.remove('shared');
    expect(await tokenOf(await b.tunnelConfig('shared'))).toBe('new-token-of-b');
    expect(await keytar.getPassword('pulsar-tunnel', 'shared/token')).toBe('written-later-by-0.1.0');

    // Where the copy lives: the file names its generation in the store's scope (README).
    const migrated = JSON.parse(await readFile(path.join(second, 'profiles', 'shared.json'), 'utf8')) as { schemaVersion: number; secrets: string[]; generation: string };
    expect(migrated).toMatchObject({ schemaVersion: 2, secrets: ['token'], generation: expect.stringMatching(/^[0-9a-f]{8}$/) });
    expect(await storeItems(second)).toEqual(new Map([[`shared/token/${migrated.generation}`, 'new-token-of-b']]));
  });

  it('makes a copied store folder a store of its own, and keeps the id of a moved one', async () => {
    const originalDir = await newDir('original');
    const original = await open(originalDir);
    await original.importProfiles([{ profile: dev('sandbox'), secrets: { token: 'original-token' } }]);
    const id = await storeIdOf(originalDir);

    const copyDir = await newDir('copy');
    await cp(originalDir, copyDir, { recursive: true });
    const copy = await open(copyDir);
    // The copy's first change gives it its own id, with its own copies of the secrets.
    await copy.setSecret('dev', 'token', 'copy-token');
    expect(await tokenOf(await original.tunnelConfig('dev'))).toBe('original-token');
    await copy.remove('dev');
    expect(await tokenOf(await original.tunnelConfig('dev'))).toBe('original-token');
    const copyId = await storeIdOf(copyDir);
    expect(copyId).not.toBe(id);
    expect(JSON.parse(await readFile(path.join(copyDir, 'profiles', '.store.json'), 'utf8'))).toMatchObject({ copiedFrom: id });

    // A moved folder is the same store: same id, same items, nothing copied.
    const movedDir = `${originalDir}-moved`;
    dirs.push(movedDir);
    await rename(originalDir, movedDir);
    const moved = await open(movedDir);
    await moved.save({ ...dev('sandbox'), autoStart: true }, { previousName: 'dev', secrets: { token: 'moved-token' } });
    expect(await storeIdOf(movedDir)).toBe(id);
    expect([...(await storeItems(movedDir)).values()]).toEqual(['moved-token']);
    expect(await tokenOf(await moved.tunnelConfig('dev'))).toBe('moved-token');
  });

  it('refuses to guess a new id when the store identity file is damaged, which would orphan its secrets', async () => {
    const dir = await newDir('damaged-id');
    const store = await open(dir);
    await store.importProfiles([{ profile: dev('sandbox'), secrets: { token: 'kept-token' } }]);
    const id = await storeIdOf(dir);
    await writeFile(path.join(dir, 'profiles', '.store.json'), '{"id": "not hex"');
    const fresh = await open(dir);
    await expect(fresh.tunnelConfig('dev')).rejects.toMatchObject({ code: 'PROFILE_STORE_CORRUPT', message: expect.stringContaining('.store.json') });
    await expect(fresh.setSecret('dev', 'token', 'other')).rejects.toMatchObject({ code: 'PROFILE_STORE_CORRUPT' });
    // The profiles themselves stay listed, and the secret is still in the keychain for a restored file.
    expect((await fresh.list()).profiles.map((entry) => entry.profile.name)).toEqual(['dev']);
    const items = (await (await keytarRaw()).findCredentials('pulsar-tunnel')).filter(({ account }) => account.startsWith(`${id}/dev/`));
    expect(items.map(({ password }) => password)).toEqual(['kept-token']);
  });
});
