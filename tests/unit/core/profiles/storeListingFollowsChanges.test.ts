/**
 * The store's listing, which a long-running process (the desktop app, `pulsar-tunnel ui`) asks for
 * on every refresh: answered from memory while the folder is unchanged, and right after any change
 * made by this store, by another store on the same folder (another process: the CLI), by a hand
 * edit in place, a removal or a damaged file.
 */
import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { StoredProfileInput } from '../../../../shared/model/storedProfile.ts';
import { ProfileStore, type StoreListing } from '../../../../src-main/core/profiles/store.ts';
import { eventually } from '../../../fixtures/deadline.ts';
import { openTempStore, startKeychainWorld, type KeychainWorld, type TempStore } from './keychainWorld.ts';

let world: KeychainWorld;
let temp: TempStore;
let store: ProfileStore;

beforeAll(async () => {
  world = await startKeychainWorld();
});
afterAll(() => world?.stop());
beforeEach(async () => {
  ({ store } = temp = await openTempStore(world.keychain, 'listing'));
});
afterEach(() => temp?.close());

function base(name: string, port = 6650): StoredProfileInput {
  return { name, serviceUrl: 'pulsar+ssl://broker.test:6651', proxyServiceUrl: 'pulsar+ssl://proxy.test:443', listen: { port } };
}

const names = (listing: StoreListing) => listing.profiles.map((entry) => `${entry.profile.name}:${entry.profile.listen.port}`);

/**
 * Lists until the store answers from memory (the same entry objects twice: nothing was read).
 * A change only settles once the file system's clock has moved past it, so this takes a moment
 * after a change; the deadline says when it never happens.
 */
async function rememberedListing(): Promise<StoreListing> {
  return eventually(
    async () => {
      const first = await store.list();
      const second = await store.list();
      return first.profiles.length > 0 && second.profiles.every((entry, index) => entry === first.profiles[index]) ? second : undefined;
    },
    { timeoutMs: 10_000, what: 'the listing to be answered from memory' },
  );
}

describe('the store listing follows every change', () => {
  it('answers from memory while nothing changed: the same frozen entries, no file read or validated again', async () => {
    await store.save(base('alpha'));
    await store.save(base('beta'));
    const listing = await rememberedListing();
    expect(names(listing)).toEqual(['alpha:6650', 'beta:6650']);
    expect(listing.problems).toEqual([]);
    // Shared with every caller, so nobody may change them.
    expect(Object.isFrozen(listing.profiles[0]!.profile)).toBe(true);
    expect(Object.isFrozen(listing.profiles[0]!.profile.listen)).toBe(true);
  });

  it('shows the changes of this store and of another store on the same folder in the next listing', async () => {
    await store.save(base('alpha'));
    await rememberedListing();
    await store.save({ ...base('alpha', 7001) }, { previousName: 'alpha' });
    expect(names(await store.list())).toEqual(['alpha:7001']);

    const other = await ProfileStore.open({ dir: store.dir, keychain: world.keychain });
    try {
      await rememberedListing();
      await other.save(base('beta'));
      expect(names(await store.list())).toEqual(['alpha:7001', 'beta:6650']);
      await rememberedListing();
      await other.save(base('beta', 7002), { previousName: 'beta' });
      expect(names(await store.list())).toEqual(['alpha:7001', 'beta:7002']);
      await rememberedListing();
      await other.remove('alpha');
      expect(names(await store.list())).toEqual(['beta:7002']);
    } finally {
      other.dispose();
    }
  });

  it('shows a secret set since, as the secret present', async () => {
    await store.save(base('alpha'));
    expect((await rememberedListing()).profiles[0]!.secrets.token).toBe(false);
    await store.setSecret('alpha', 'token', 'eyJhbGciOiJIUzI1NiJ9.e30.c2ln');
    expect((await store.list()).profiles[0]!.secrets).toEqual({ token: true, clientKey: false, keyPassphrase: false });
  });

  it('shows a file edited in place (same inode, same size) and a file removed by hand', async () => {
    await store.save(base('alpha', 7001));
    await store.save(base('beta'));
    await rememberedListing();
    const file = path.join(store.profilesDir, 'alpha.json');
    const { ino, size } = await stat(file);
    // An editor saving in place: the same file, the same length, another port.
    await writeFile(file, (await readFile(file, 'utf8')).replace('"port": 7001', '"port": 7009'));
    expect(await stat(file)).toMatchObject({ ino, size });
    expect(names(await store.list())).toEqual(['alpha:7009', 'beta:6650']);
    await rememberedListing();
    await rm(path.join(store.profilesDir, 'beta.json'));
    expect(names(await store.list())).toEqual(['alpha:7009']);
  });

  it('still moves a file damaged since aside and reports it, once', async () => {
    await store.save(base('alpha'));
    await store.save(base('beta'));
    await rememberedListing();
    await writeFile(path.join(store.profilesDir, 'beta.json'), '{"schemaVersion":2,"profile":');
    const damaged = await store.list();
    expect(names(damaged)).toEqual(['alpha:6650']);
    expect(damaged.problems).toHaveLength(1);
    expect(damaged.problems[0]!.message).toMatch(/beta\.json is damaged \(it is not valid JSON.*moved to .*beta\.json\.corrupt-/);
    expect((await store.list()).problems).toEqual([]);
  });
});
