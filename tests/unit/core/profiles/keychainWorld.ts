/**
 * The one setup of the tests that need a real keychain: the profile store's, the import's, and the
 * CLI's and the app's tests that import into a store. A private Secret Service (gnome-keyring on a
 * D-Bus of its own), a PKI generated for the run when asked, the app's keychain over them
 * ({@link startKeychainWorld}), and a fresh store in a throw-away folder per test
 * ({@link openTempStore}). Each returns what it started with the one call that tears it down.
 */
import { ProfileStore } from '../../../../src-main/core/profiles/store.ts';
import { createOsKeychain, type Keychain } from '../../../../src-main/core/secrets/keychain.ts';
import { createTestPki, type TestPki, type TestPkiOptions } from '../../../fixtures/pki.ts';
import { startSecretService, type SecretService } from '../secrets/secretService.ts';
import { removeDir, tempDir } from './helpers.ts';

/** What {@link startKeychainWorld} started. */
export interface KeychainWorld {
  /** The private Secret Service; `env` for child processes. */
  service: SecretService;
  /** The app's keychain over that Secret Service. */
  keychain: Keychain;
  /** Removes the PKI (if any) and stops the Secret Service. */
  stop(): Promise<void>;
}

/**
 * Starts a private Secret Service and, with `options.pki`, a PKI generated for this run, at once.
 * @param options.memoryCollection write to gnome-keyring's in-memory collection (for thousands of items)
 */
export async function startKeychainWorld(options: { memoryCollection?: boolean } = {}): Promise<KeychainWorld> {
  const service = await startSecretService();
  if (options.memoryCollection) await service.useMemoryCollection();
  return { service, keychain: createOsKeychain(), stop: () => service.stop() };
}

/** {@link startKeychainWorld} with a test PKI made in parallel. */
export async function startKeychainWorldWithPki(pkiOptions: TestPkiOptions, options: { memoryCollection?: boolean } = {}): Promise<KeychainWorld & { pki: TestPki }> {
  const [world, pki] = await Promise.all([startKeychainWorld(options), createTestPki(pkiOptions)]);
  return {
    ...world,
    pki,
    stop: async () => {
      await pki.cleanup();
      await world.stop();
    },
  };
}

/** A store in a throw-away folder, from {@link openTempStore}. */
export interface TempStore {
  dir: string;
  store: ProfileStore;
  /** Disposes of the store and removes its folder. */
  close(): Promise<void>;
}

/** Opens a fresh store in a throw-away folder named after `prefix`, on `keychain`. */
export async function openTempStore(keychain: Keychain, prefix: string, options: { lockTimeoutMs?: number } = {}): Promise<TempStore> {
  const dir = await tempDir(prefix);
  const store = await ProfileStore.open({ dir, keychain, ...options });
  return {
    dir,
    store,
    close: async () => {
      store.dispose();
      await removeDir(dir);
    },
  };
}
