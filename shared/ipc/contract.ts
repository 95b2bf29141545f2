/**
 * The one API between the engine (main process) and every UI: the Electron preload, the web host's
 * HTTP/WebSocket bridge and the test fake all implement this interface. Inputs crossing a process
 * boundary are validated at runtime in main (see ./validate.ts); errors cross as SerializedError
 * ({code, message}) and are rebuilt as AppError on the UI side.
 */
import type { CertificateSummary } from '../model/certificate.ts';
import type { DoctorOptions, DoctorReport, DraftDoctorOptions } from '../model/doctor.ts';
import type { BrokerPort } from '../model/endpoints.ts';
import type { TunnelEvent } from '../model/events.ts';
import type { SecretKind, StoredProfile, StoredProfileInput } from '../model/storedProfile.ts';
import type { SerializedError } from '../errors.ts';

/** A profile with what the UI needs to show it at a glance. */
export interface ProfileView {
  profile: StoredProfile;
  /** Which secrets are present in the keychain (their values never leave main). */
  secrets: Record<SecretKind, boolean>;
  trustCerts: CertificateSummary[];
  clientCert?: CertificateSummary;
  tunnel: TunnelStatus;
}

/** A per-broker local listener; defined with the other addresses in shared/model/endpoints.ts. */
export type { BrokerPort };

/**
 * How a broker's connections fare: ok when the latest one got an answer from it (or closed
 * cleanly), failing when the latest one ended with an error (a dial, TLS or route failure, or an
 * established connection cut by the broker side), unknown before any connection to it ended or was answered.
 */
export type BrokerHealth = 'ok' | 'failing' | 'unknown';

/** A broker row of a running tunnel: its local port, and how its connections fare. */
export interface BrokerStatus extends BrokerPort {
  health: BrokerHealth;
  /** The last error of a connection to this broker (it may be older than a later success). */
  lastError?: { code: string; message: string; time: string };
}

export interface TunnelStatus {
  profile: string;
  state: 'stopped' | 'starting' | 'running' | 'failing' | 'stopping';
  /** Local addresses while running. */
  listen?: { pulsar: string; http?: string };
  brokers: BrokerStatus[];
  openConnections: number;
  totalConnections: number;
  /** The last connection error, for the "failing" state. */
  lastError?: { code: string; message: string; time: string };
  startedAt?: string;
  /**
   * True while the tunnel runs on settings that differ from the saved profile (it was saved, or a
   * secret changed, after the tunnel started): {@link TunnelApi.restartTunnel} applies them.
   */
  pendingChanges?: boolean;
}

/** A log entry: an engine event stamped with the profile it belongs to. */
export type LogEvent = TunnelEvent & { profile: string; seq: number };

/** Events reach the UI in batches; `dropped` counts events discarded because the UI fell behind. */
export interface LogBatch {
  events: LogEvent[];
  dropped: number;
}

/**
 * A secret an imported file names on this computer: the import reads it only when the user
 * confirms (the CLI's --read-secrets, the app's confirm step), because the file's author chose it.
 */
export interface SecretSource {
  /** Which secret of the profile it becomes. */
  secret: 'token' | 'clientKey';
  from: 'env' | 'file';
  /** The environment variable's name, or the file's absolute real path (links followed). */
  name: string;
  /** The path as the imported file names it, when that is a link (or under one) to `name`. */
  linkedFrom?: string;
  /** True when the link leads out of the imported file's own folder (e.g. `token -> ../../secret/prod-token`). */
  outsideFolder?: boolean;
  /** The key of the imported file that names it, e.g. `authParams (line 4)`. */
  field: string;
  /** Where the credential would be sent: the broker, the proxy and the SNI (see credentialDestination). */
  sentTo?: string;
}

export interface ImportResult {
  /** Profiles stored; empty when `needsConfirmation`. */
  imported: string[];
  warnings: string[];
  /** Secrets read (or, with `needsConfirmation`, to be read) from this computer, and where from. */
  secretSources: SecretSource[];
  /** Profiles the file marks `autoStart` (a bundle can): the desktop app starts them at every launch. Also said in `warnings`. */
  autoStart?: string[];
  /**
   * True when nothing was imported because the file names secrets on this computer: show
   * `secretSources` and import again with `readSecrets: true` if the user agrees.
   */
  needsConfirmation?: boolean;
}

/** Options of an import. */
export interface ImportOptions {
  /** Passphrase of an encrypted bundle. */
  passphrase?: string;
  /** The user agreed to read the secrets the file names on this computer (see {@link SecretSource}). */
  readSecrets?: boolean;
  /**
   * When an imported profile's name exists: replace that profile, or keep both (the import gets the
   * first free name-2, name-3...). Without it, such an import fails with PROFILE_EXISTS.
   */
  onConflict?: 'replace' | 'keepBoth';
  /** The imported profile's name (a file holding one profile: a client.conf, a profile file, a bundle of one). */
  name?: string;
}

/**
 * A profile's local port against what holds it now, and a free port to use instead: the UI's
 * "Use port N" after TUNNEL_LISTEN_IN_USE, and the port it offers a duplicate.
 */
export interface ListenPortAdvice {
  /** The profile's field the port is set in. */
  field: 'listen.port' | 'listen.webPort';
  /** The port (listen.port is 6650 when the profile sets none). */
  port: number;
  /** True when the port cannot be bound now on the profile's listen host. */
  inUse: boolean;
  /** The pulsar-tunnel tunnel that holds it, when one does (absent: another program, or nobody). */
  holder?: { profile: string; pid: number; /** Run by this app (else by another process, e.g. `pulsar-tunnel run`). */ thisApp: boolean };
  /** A port free now on the listen host that no profile is set to and no tunnel holds. */
  freePort: number;
}

/** Options of {@link TunnelApi.duplicateProfile}. */
export interface DuplicateOptions {
  /** The copy's listen.port (the original's otherwise: both could never run at once on a fixed port). */
  listenPort?: number;
}

export interface ExportRequest {
  names: string[];
  /** When set, secrets are included, encrypted with this passphrase. */
  passphrase?: string;
}

export interface Snippets {
  clientConf: string;
  serviceUrl: string;
  java: string;
  python: string;
  node: string;
  pulsarClient: string;
  pulsarPerf: string;
}

/**
 * Whether the OS keychain answers; when it does not, `error` is its KEYCHAIN_UNAVAILABLE or
 * KEYCHAIN_LOCKED error (saying what to do), and no secret can be stored or read.
 */
export type KeychainStatus = { available: true } | { available: false; error: SerializedError };

/** Everything the UI can ask of the engine. Every method may reject with an AppError. */
export interface TunnelApi {
  listProfiles(): Promise<ProfileView[]>;
  saveProfile(input: StoredProfileInput, options?: { previousName?: string }): Promise<ProfileView>;
  /** Copies a profile and its secrets under `newName` (never autoStart). @throws AppError PROFILE_NOT_FOUND, PROFILE_EXISTS, PROFILE_INVALID */
  duplicateProfile(name: string, newName: string, options?: DuplicateOptions): Promise<ProfileView>;
  removeProfile(name: string): Promise<void>;
  /** Sets (or, with null, deletes) one secret of a profile. */
  setSecret(name: string, kind: SecretKind, value: string | null): Promise<void>;
  /** Whether the OS keychain answers (asked before the user types a secret). */
  keychainStatus(): Promise<KeychainStatus>;
  /** Imports our profile file/bundle, a Pulsar client.conf or cluster metadata JSON. */
  importProfiles(fileName: string, content: string, options?: ImportOptions): Promise<ImportResult>;
  exportProfiles(request: ExportRequest): Promise<{ fileName: string; content: string }>;
  startTunnel(name: string): Promise<TunnelStatus>;
  stopTunnel(name: string): Promise<TunnelStatus>;
  /**
   * Stops the tunnel and starts it again with the saved settings (starts it when stopped). Open
   * connections close and their clients reconnect; a profile listening on port 0 keeps the port it had.
   * @throws AppError as startTunnel
   */
  restartTunnel(name: string): Promise<TunnelStatus>;
  tunnelStatus(): Promise<TunnelStatus[]>;
  /**
   * Which of the profile's local ports is taken and by which pulsar-tunnel profile (and process),
   * with a free port to use instead.
   * @throws AppError PROFILE_NOT_FOUND
   */
  listenPortAdvice(name: string): Promise<ListenPortAdvice>;
  snippets(name: string): Promise<Snippets>;
  /**
   * Checks the profile's path to its cluster step by step (see shared/model/doctor.ts). Network
   * problems are failed steps in the report, not rejections; a profile whose secrets cannot be read
   * gives a report whose profile step failed.
   * @throws AppError PROFILE_NOT_FOUND
   */
  runDoctor(name: string, options?: DoctorOptions): Promise<DoctorReport>;
  /**
   * The Doctor on settings that are not saved (the create and edit forms' "Test connection"): the
   * input is validated with the stored-profile schema as saveProfile does, nothing is written, and
   * a token given in the options serves this run only.
   * @throws AppError PROFILE_INVALID (a field), PROFILE_NOT_FOUND (previousName)
   */
  runDoctorOnDraft(input: StoredProfileInput, options?: DraftDoctorOptions): Promise<DoctorReport>;
  /** Subscribes to the live log; returns the unsubscribe function. */
  subscribeLog(listener: (batch: LogBatch) => void): () => void;
}

/** Names of the request/response methods (everything but subscribeLog), for the bridges. */
export const apiMethods = [
  'listProfiles',
  'saveProfile',
  'duplicateProfile',
  'removeProfile',
  'setSecret',
  'keychainStatus',
  'importProfiles',
  'exportProfiles',
  'startTunnel',
  'stopTunnel',
  'restartTunnel',
  'tunnelStatus',
  'listenPortAdvice',
  'snippets',
  'runDoctor',
  'runDoctorOnDraft',
] as const satisfies readonly (keyof TunnelApi)[];

export type ApiMethod = (typeof apiMethods)[number];
