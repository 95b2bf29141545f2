/**
 * Importing from the app (profileImportExport, what the UI's importProfiles calls) into a name that
 * exists: refused with PROFILE_EXISTS naming the profile and the app's choices (no CLI flags), then
 * Replace, Keep both (a free name-2) or another name. Real store, real OS keychain (gnome-keyring).
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { profileImportExport } from '../../../../src-main/core/profiles/importExport.ts';
import type { ProfileStore } from '../../../../src-main/core/profiles/store.ts';
import type { Keychain } from '../../../../src-main/core/secrets/keychain.ts';
import { openTempStore, startKeychainWorld, type KeychainWorld, type TempStore } from './keychainWorld.ts';

let world: KeychainWorld;
let keychain: Keychain;
let temp: TempStore;
let store: ProfileStore;

const profileFile = (serviceHost: string) => JSON.stringify({ name: 'alpha', serviceUrl: `pulsar+ssl://${serviceHost}:6651` });

beforeAll(async () => {
  ({ keychain } = world = await startKeychainWorld());
});
afterAll(() => world?.stop());
beforeEach(async () => {
  ({ store } = temp = await openTempStore(keychain, 'import-clash'));
  await profileImportExport.importProfiles(store, 'alpha.json', profileFile('first.test'));
});
// The profiles here hold no secrets: nothing to remove from the keychain.
afterEach(() => temp?.close());

const serviceUrls = async () => Object.fromEntries((await store.list()).profiles.map((entry) => [entry.profile.name, entry.profile.serviceUrl]));

describe('importing into a name that exists, from the app', () => {
  it('is refused with PROFILE_EXISTS naming the profile and the choices, not CLI flags', async () => {
    const refusal = await profileImportExport.importProfiles(store, 'alpha.json', profileFile('second.test')).catch((error: unknown) => error);
    expect(refusal).toMatchObject({ code: 'PROFILE_EXISTS', message: expect.stringContaining('"alpha" already exists') });
    expect((refusal as Error).message).not.toMatch(/--/);
    expect(await serviceUrls()).toEqual({ alpha: 'pulsar+ssl://first.test:6651' });
  });

  it('keeps both: the import gets the first free name and a warning says so', async () => {
    await profileImportExport.importProfiles(store, 'alpha.json', profileFile('second.test'), { onConflict: 'keepBoth' });
    const third = await profileImportExport.importProfiles(store, 'alpha.json', profileFile('third.test'), { onConflict: 'keepBoth' });
    expect(third).toMatchObject({ imported: ['alpha-3'], warnings: ['Imported "alpha" as "alpha-3": a profile named "alpha" already exists.'] });
    expect(await serviceUrls()).toEqual({ alpha: 'pulsar+ssl://first.test:6651', 'alpha-2': 'pulsar+ssl://second.test:6651', 'alpha-3': 'pulsar+ssl://third.test:6651' });
  });

  it('replaces the existing profile', async () => {
    expect((await profileImportExport.importProfiles(store, 'alpha.json', profileFile('second.test'), { onConflict: 'replace' })).imported).toEqual(['alpha']);
    expect(await serviceUrls()).toEqual({ alpha: 'pulsar+ssl://second.test:6651' });
  });

  it('imports a bundle of one profile under another name', async () => {
    const bundle = await profileImportExport.exportProfiles(store, { names: ['alpha'], passphrase: 'correct horse battery' });
    expect((await profileImportExport.importProfiles(store, bundle.fileName, bundle.content, { passphrase: 'correct horse battery', name: 'gamma' })).imported).toEqual(['gamma']);
  });

  it('imports under another name', async () => {
    expect((await profileImportExport.importProfiles(store, 'alpha.json', profileFile('second.test'), { name: 'beta' })).imported).toEqual(['beta']);
    expect(await serviceUrls()).toEqual({ alpha: 'pulsar+ssl://first.test:6651', beta: 'pulsar+ssl://second.test:6651' });
  });
});
