/**
 * The OS keychain behind a small interface: the profile store, the CLI and the UI reach secrets
 * (tokens, client private keys, key passphrases) only through {@link Keychain}, never through
 * keytar. Every item lives under service "pulsar-tunnel"; the account names it. Which account
 * belongs to which profile is the profile store's business (core/profiles/storeSecrets.ts).
 */
import { keytarMissingAdvice } from '../../../shared/keytarAdvice.ts';
import { AppError } from '../../../shared/errors.ts';
import type { SecretKind } from '../../../shared/model/storedProfile.ts';

/** The keychain service name every item of the app is stored under. */
export const keychainService = 'pulsar-tunnel';

/** One keychain item: its account under {@link keychainService}, and words for messages. */
export interface KeychainItem {
  account: string;
  /** What the item holds, for messages, e.g. `the token of profile "prod"`. */
  description: string;
}

/** Reads and writes keychain items. Every method may reject with a KEYCHAIN_* AppError. */
export interface Keychain {
  /**
   * The secret, or null when no such item exists.
   * @throws AppError KEYCHAIN_LOCKED when the keychain is locked (so the item cannot be told apart
   *   from a missing one), KEYCHAIN_UNAVAILABLE when there is no keychain service.
   */
  get(item: KeychainItem): Promise<string | null>;
  /**
   * Creates or replaces the secret.
   * @throws AppError KEYCHAIN_LOCKED, KEYCHAIN_UNAVAILABLE
   */
  set(item: KeychainItem, value: string): Promise<void>;
  /**
   * Deletes the secret; true when it existed.
   * @throws AppError KEYCHAIN_LOCKED, KEYCHAIN_UNAVAILABLE
   */
  delete(item: KeychainItem): Promise<boolean>;
}

/**
 * Like {@link Keychain.get} for a secret that must be there.
 * @throws AppError KEYCHAIN_ITEM_MISSING naming the item when it is gone.
 */
export async function requireSecret(keychain: Keychain, item: KeychainItem): Promise<string> {
  const value = await keychain.get(item);
  if (value === null) throw missingSecret(item);
  return value;
}

/** The KEYCHAIN_ITEM_MISSING error for an item that should be there. */
export function missingSecret(item: KeychainItem): AppError {
  return new AppError(
    'KEYCHAIN_ITEM_MISSING',
    `${capitalize(item.description)} is missing from the OS keychain (service "${keychainService}", account "${item.account}"); enter it again, e.g. by importing the profile again.`,
  );
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** Words for a secret kind, for messages. */
export function describeKind(kind: SecretKind): string {
  return { token: 'token', clientKey: 'client private key', keyPassphrase: 'client key passphrase' }[kind];
}

interface KeytarApi {
  getPassword(service: string, account: string): Promise<string | null>;
  setPassword(service: string, account: string, password: string): Promise<void>;
  deletePassword(service: string, account: string): Promise<boolean>;
}

// An item written only to learn whether the keychain is locked: on a locked Secret Service
// collection keytar's getPassword returns null (as for a missing item) and deletePassword returns
// false, but a write fails with "Cannot create an item in a locked collection".
const probeAccount = '.lock-probe';


/**
 * Whether the keychain answers: reads an item no secret uses (on a locked keychain, the probe write
 * tells locked from missing).
 * @throws AppError KEYCHAIN_UNAVAILABLE, KEYCHAIN_LOCKED
 */
export async function checkKeychain(keychain: Keychain): Promise<void> {
  await keychain.get({ account: probeAccount, description: 'a test item (to learn whether the keychain answers)' });
}

/**
 * Maps one of keytar's plain Errors (it has no codes) to a KEYCHAIN_* AppError. The texts matched
 * are those of libsecret/GLib D-Bus on Linux, the macOS Security framework and Windows' Credential
 * Manager as keytar passes them on.
 */
export function keychainError(error: unknown, action: string): AppError {
  if (error instanceof AppError) return error;
  const text = error instanceof Error ? error.message : String(error);
  if (/locked|user interaction is not allowed|errSecInteractionNotAllowed/i.test(text)) {
    return new AppError('KEYCHAIN_LOCKED', `The OS keychain is locked, so ${action} failed; unlock it (log in to the desktop session or unlock the "login" keyring) and try again. (${text})`, { cause: error });
  }
  return new AppError(
    'KEYCHAIN_UNAVAILABLE',
    `pulsar-tunnel could not reach the OS keychain, so ${action} failed (${text}). ` +
      'On Linux the keychain is a Secret Service (gnome-keyring or KeePassXC) in a D-Bus session: on a desktop, log in or unlock it; ' +
      "without one (SSH, container, CI) run the command inside a session of its own, e.g. dbus-run-session -- sh -c 'echo -n PASSWORD | gnome-keyring-daemon --unlock --components=secrets; pulsar-tunnel ...' " +
      '(README: "Headless machines"), or run a profile file whose token is in a file (`run profile.json`), which needs no keychain.',
    { cause: error },
  );
}

/** The keychain of the operating system through keytar (Secret Service, macOS Keychain, Windows Credential Manager). */
export class KeytarKeychain implements Keychain {
  readonly #load: () => Promise<KeytarApi>;

  /** Use {@link createOsKeychain}; this takes a loader of the keytar module (loaded on first use). */
  constructor(load: () => Promise<KeytarApi>) {
    this.#load = load;
  }

  async get(item: KeychainItem): Promise<string | null> {
    const action = `reading ${item.description}`;
    let value: string | null;
    try {
      value = await (await this.#load()).getPassword(keychainService, item.account);
    } catch (error) {
      throw keychainError(error, action);
    }
    if (value === null) await this.#assertUnlocked(action);
    return value;
  }

  async set(item: KeychainItem, value: string): Promise<void> {
    try {
      await (await this.#load()).setPassword(keychainService, item.account, value);
    } catch (error) {
      throw keychainError(error, `storing ${item.description}`);
    }
  }

  async delete(item: KeychainItem): Promise<boolean> {
    const action = `deleting ${item.description}`;
    let existed: boolean;
    try {
      existed = await (await this.#load()).deletePassword(keychainService, item.account);
    } catch (error) {
      throw keychainError(error, action);
    }
    if (!existed) await this.#assertUnlocked(action);
    return existed;
  }

  /** A "not found" answer is only true when the keychain is unlocked: find out by writing the probe item. */
  async #assertUnlocked(action: string): Promise<void> {
    try {
      await (await this.#load()).setPassword(keychainService, probeAccount, 'unlocked');
    } catch (error) {
      throw keychainError(error, action);
    }
  }
}

let keytarModule: Promise<KeytarApi> | undefined;

async function loadKeytar(): Promise<KeytarApi> {
  try {
    // keytar is an optional dependency (a native addon over libsecret): load it only when needed
    // so everything else works on machines where it did not build.
    const loaded = (await import('keytar')) as unknown as KeytarApi & { default?: KeytarApi };
    const api = loaded.default ?? loaded;
    if (typeof api.getPassword !== 'function') throw new Error('keytar has no getPassword');
    return api;
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    throw new AppError('KEYCHAIN_UNAVAILABLE', `The OS keychain module (keytar) is not installed or did not build (${text}); ${keytarMissingAdvice}.`, { cause: error });
  }
}

/**
 * The OS keychain. keytar is loaded on first use, so a machine without it can still list and edit
 * profiles; any secret operation there rejects with KEYCHAIN_UNAVAILABLE saying which system
 * library to install.
 */
export function createOsKeychain(): Keychain {
  return new KeytarKeychain(() => {
    const loading = (keytarModule ??= loadKeytar());
    loading.catch(() => {
      keytarModule = undefined;
    });
    return loading;
  });
}
