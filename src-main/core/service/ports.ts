/**
 * What the app service needs from the rest of the engine, as narrow interfaces it receives in its
 * constructor (dependency injection): the profile store and the tunnel runner. The real ones are
 * wired in createAppService.ts; tests pass an in-memory store and a scripted runner.
 */
import type { SerializedError } from '../../../shared/errors.ts';
import type { BrokerPort, ExportRequest, ImportOptions, ImportResult, KeychainStatus } from '../../../shared/ipc/contract.ts';
import type { TunnelEvent } from '../../../shared/model/events.ts';
import type { SecretKind, StoredProfile, StoredProfileInput } from '../../../shared/model/storedProfile.ts';
import type { TunnelConfig } from '../config/tunnelConfig.ts';
import type { PortHolder } from './portAdvice.ts';
import type { DoctorChecks } from './serviceDoctor.ts';

/** A stored profile and which of its secrets the keychain holds (never their values). */
export interface StoreEntry {
  profile: StoredProfile;
  secrets: Record<SecretKind, boolean>;
}

/** The profile store as the app service uses it. Every method may reject with an AppError. */
export interface AppStore {
  /** Every usable profile with which secrets it has, sorted by name. */
  list(): Promise<StoreEntry[]>;
  /** @throws AppError PROFILE_NOT_FOUND */
  get(name: string): Promise<StoredProfile>;
  /** Creates or replaces a profile (renaming it from `previousName` when given). @throws PROFILE_INVALID */
  save(input: StoredProfileInput, options?: { previousName?: string }): Promise<StoredProfile>;
  /** Copies a profile and its secrets; `listenPort` replaces the copy's listen.port. */
  duplicate(name: string, newName: string, options?: { listenPort?: number }): Promise<StoredProfile>;
  /** Removes the profile and its keychain items. */
  remove(name: string): Promise<void>;
  /** Which secrets exist in the keychain for the profile (never their values). */
  secretsPresent(name: string): Promise<Record<SecretKind, boolean>>;
  setSecret(name: string, kind: SecretKind, value: string | null): Promise<void>;
  /** Whether the OS keychain answers. */
  keychainStatus(): Promise<KeychainStatus>;
  importProfiles(fileName: string, content: string, options?: ImportOptions): Promise<ImportResult>;
  exportProfiles(request: ExportRequest): Promise<{ fileName: string; content: string }>;
  /** The profile resolved for the engine: certificates, keys and credentials read. */
  tunnelConfig(name: string): Promise<TunnelConfig>;
  /**
   * An unsaved profile resolved for the engine (the Doctor on a form's draft): validated like save;
   * `token` serves this configuration only; other secrets come from `previousName`'s keychain items.
   */
  draftTunnelConfig(input: StoredProfileInput, options: { previousName?: string; token?: string }): Promise<TunnelConfig>;
}

/** A running tunnel, as the engine's Tunnel class exposes it. */
export interface RunningTunnel {
  readonly addresses: { pulsar: string; http?: string };
  status(): { brokers: BrokerPort[]; openConnections: number; totalConnections: number };
  dispose(): Promise<void>;
}

/**
 * Starts a tunnel: `Tunnel.start` in production, or in an engine process (remoteTunnels.ts).
 * `onEnded` is told once if a started tunnel ended on its own (the engine that replaced a crashed
 * one could not bring it back): nothing runs it any more, and its dispose() has nothing to stop.
 * @throws AppError e.g. TUNNEL_LISTEN_IN_USE
 */
export type TunnelStarter = (
  config: TunnelConfig,
  options: { onEvent: (event: TunnelEvent) => void; onEnded?: (error: SerializedError) => void; progressIntervalMs?: number },
) => Promise<RunningTunnel>;

/** Options of the app service (appService.ts): these ports and its tunables. */
export interface AppServiceOptions {
  store: AppStore;
  /** Starts one tunnel: the engine's `Tunnel.start` in production, a scripted fake in unit tests. */
  startTunnel: TunnelStarter;
  /** Most events queued per subscriber before the oldest are dropped; 10,000 by default. */
  subscriberCapacity?: number;
  /** Recent events replayed to a new subscriber (a reopened window, a reloaded page); 1,000 by default. */
  historySize?: number;
  /** Batches are sent at least this often while events arrive; 50 ms by default. */
  flushIntervalMs?: number;
  /** A batch holds at most this many events, and a queue this long is flushed at once; 500 by default. */
  maxBatch?: number;
  /** How often open connections report their byte counts (`connection.progress`); 1,000 ms by default. */
  progressIntervalMs?: number;
  /** The clock, for timestamps. */
  now?: () => Date;
  /** Runs the Doctor's checks: the real `runDoctor` by default. */
  runDoctor?: DoctorChecks;
  /** Tunnels of other processes (`pulsar-tunnel run`), for naming who holds a port (runningTunnels.ts); none by default. */
  otherTunnels?: () => Promise<PortHolder[]>;
}
