/**
 * The one implementation of {@link TunnelApi} over the engine: profiles from the store, one running
 * Tunnel per profile with its state machine (stopped → starting → running ⇄ failing → stopping →
 * stopped), the live connection log fanned out to subscribers in bounded batches, and health
 * changes for the tray and notifications. Plain Node: the Electron shell, the web host and tests
 * all drive this class; none of them talk to the engine directly.
 */
import type {
  DuplicateOptions,
  ExportRequest,
  ImportOptions,
  ImportResult,
  KeychainStatus,
  LogBatch,
  ListenPortAdvice,
  LogEvent,
  ProfileView,
  Snippets,
  TunnelApi,
  TunnelStatus,
} from '../../../shared/ipc/contract.ts';
import { AppError, isAppError } from '../../../shared/errors.ts';
import type { SerializedError } from '../../../shared/errors.ts';
import type { DoctorOptions, DoctorReport, DraftDoctorOptions } from '../../../shared/model/doctor.ts';
import type { TunnelEvent } from '../../../shared/model/events.ts';
import type { SecretKind, StoredProfile, StoredProfileInput } from '../../../shared/model/storedProfile.ts';
import { profileFailureReport, runDoctor as runDoctorChecks, type RunDoctorOptions } from '../diagnostics/doctor.ts';
import type { TunnelConfig } from '../config/tunnelConfig.ts';
import { BrokerHealthTracker, KnownBrokers, routineCloseCodes } from './brokerHealth.ts';
import { LogQueue } from './logQueue.ts';
import { listenPortAdvice, type PortHolder } from './portAdvice.ts';
import type { AppStore, RunningTunnel, TunnelStarter } from './ports.ts';
import { profileViewOf } from './profileView.ts';
import { canonicalJson, keptPorts } from './runSettings.ts';
import { buildSnippets, configuredAddresses } from './snippets.ts';

/** Options of {@link AppService}. */
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
  runDoctor?: (config: TunnelConfig, options: RunDoctorOptions) => Promise<DoctorReport>;
  /** Tunnels of other processes (`pulsar-tunnel run`), for naming who holds a port (runningTunnels.ts); none by default. */
  otherTunnels?: () => Promise<PortHolder[]>;
}

/** Options of {@link AppService.subscribeLog} beyond the contract's listener. */
export interface SubscribeOptions {
  /**
   * Flow control: while it returns false, batches stay queued (bounded, oldest dropped and counted)
   * instead of being delivered; e.g. a WebSocket whose send buffer is full, or an IPC channel with
   * unacknowledged batches. Polled on every flush.
   */
  ready?: () => boolean;
  /** Replay the recent history first; true by default. */
  replay?: boolean;
}

/** The TunnelApi as the shells serve it: with flow control on the log subscription. */
export type HostedApi = Omit<TunnelApi, 'subscribeLog'> & {
  subscribeLog(listener: (batch: LogBatch) => void, options?: SubscribeOptions): () => void;
};

/** A change of one tunnel's state, for the tray and notifications. */
export interface HealthChange {
  profile: string;
  previous: TunnelStatus['state'];
  status: TunnelStatus;
}

interface Run {
  state: TunnelStatus['state'];
  tunnel?: RunningTunnel;
  startedAt?: string;
  lastError?: TunnelStatus['lastError'];
  /** Settles when the current start or stop finishes. */
  transition?: Promise<unknown>;
  /** Connections whose TLS session to the broker came up and that are still open. */
  secured: Set<number>;
  /** Health of each broker this run has a port for (absent for a run that never started). */
  brokerHealth?: BrokerHealthTracker;
  /** Secured connections the broker has not answered yet (not yet a sign of health). */
  unanswered: Set<number>;
  /** The saved profile the tunnel started with (JSON), to tell when the saved one differs. */
  startedWith?: string;
  /** The saved profile, or one of its secrets, changed since the tunnel started. */
  profileChanged?: boolean;
  secretsChanged?: boolean;
}

interface Subscriber {
  listener: (batch: LogBatch) => void;
  queue: LogQueue;
  ready: () => boolean;
}


/**
 * Implements the TunnelApi over the store and the engine. Every method may reject with AppError
 * (the store's codes, the engine's start errors such as TUNNEL_LISTEN_IN_USE); inputs are trusted
 * here: the shells parse them first with shared/ipc/validate.ts.
 */
export class AppService implements TunnelApi {
  readonly #store: AppStore;
  readonly #startTunnel: TunnelStarter;
  readonly #subscriberCapacity: number;
  readonly #flushIntervalMs: number;
  readonly #maxBatch: number;
  readonly #now: () => Date;
  readonly #progressIntervalMs: number;
  readonly #runDoctor: (config: TunnelConfig, options: RunDoctorOptions) => Promise<DoctorReport>;
  readonly #otherTunnels: () => Promise<PortHolder[]>;
  readonly #history: LogQueue;
  readonly #runs = new Map<string, Run>();
  readonly #subscribers = new Set<Subscriber>();
  readonly #healthListeners = new Set<(change: HealthChange) => void>();
  readonly #knownBrokers = new KnownBrokers();
  #seq = 0;
  #timer: NodeJS.Timeout | undefined;
  #immediate: NodeJS.Immediate | undefined;
  #disposed = false;

  constructor(options: AppServiceOptions) {
    this.#store = options.store;
    this.#startTunnel = options.startTunnel;
    this.#subscriberCapacity = options.subscriberCapacity ?? 10_000;
    this.#flushIntervalMs = options.flushIntervalMs ?? 50;
    this.#maxBatch = options.maxBatch ?? 500;
    this.#now = options.now ?? (() => new Date());
    this.#progressIntervalMs = options.progressIntervalMs ?? 1000;
    this.#runDoctor = options.runDoctor ?? runDoctorChecks;
    this.#otherTunnels = options.otherTunnels ?? (async () => []);
    this.#history = new LogQueue(Math.max(1, options.historySize ?? 1000));
  }

  /** Every profile with its secrets' presence, certificate summaries and tunnel status. */
  async listProfiles(): Promise<ProfileView[]> {
    const entries = await this.#store.list();
    return entries.map((entry) => this.#viewOf(entry.profile, entry.secrets));
  }

  /**
   * Creates or replaces a profile.
   * @throws AppError PROFILE_INVALID (from the store, or when renaming a profile whose tunnel runs)
   */
  async saveProfile(input: StoredProfileInput, options?: { previousName?: string }): Promise<ProfileView> {
    const previous = options?.previousName;
    if (previous !== undefined && previous !== input.name && this.#isActive(previous)) {
      throw new AppError('PROFILE_INVALID', `name: stop the tunnel of "${previous}" before renaming it`);
    }
    const saved = await this.#store.save(input, options);
    // A running tunnel keeps its settings; the view's pendingChanges says a restart applies them.
    return this.#view(saved);
  }

  async duplicateProfile(name: string, newName: string, options?: DuplicateOptions): Promise<ProfileView> {
    return this.#view(await this.#store.duplicate(name, newName, options?.listenPort === undefined ? undefined : { listenPort: options.listenPort }));
  }

  /** Stops the profile's tunnel if it runs, then removes the profile and its keychain items. */
  async removeProfile(name: string): Promise<void> {
    if (this.#runs.has(name)) await this.stopTunnel(name);
    await this.#store.remove(name);
    this.#knownBrokers.forget(name);
  }

  async setSecret(name: string, kind: SecretKind, value: string | null): Promise<void> {
    await this.#store.setSecret(name, kind, value);
    const run = this.#runs.get(name);
    if (run && run.state !== 'stopped') run.secretsChanged = true;
  }

  keychainStatus(): Promise<KeychainStatus> {
    return this.#store.keychainStatus();
  }

  async importProfiles(fileName: string, content: string, options?: ImportOptions): Promise<ImportResult> {
    const result = await this.#store.importProfiles(fileName, content, options);
    // A replaced profile whose tunnel runs: mark its secrets as changed too (the import may set them).
    for (const name of result.imported) {
      const run = this.#runs.get(name);
      if (run && run.state !== 'stopped') run.secretsChanged = true;
    }
    return result;
  }

  async exportProfiles(request: ExportRequest): Promise<{ fileName: string; content: string }> {
    return this.#store.exportProfiles(request);
  }

  /**
   * Starts the profile's tunnel; returns at once if it already runs, and joins a start in progress.
   * @throws AppError from the store (PROFILE_NOT_FOUND, KEYCHAIN_*) or the engine (TUNNEL_LISTEN_IN_USE, ...);
   *   the error also stays in the status as `lastError`.
   */
  async startTunnel(name: string): Promise<TunnelStatus> {
    return this.#start(name);
  }

  /**
   * Stops the tunnel and starts it with the saved settings (see TunnelApi.restartTunnel). A profile
   * on listen port 0 (any free port) keeps the port it had, so its clients reconnect to the same address.
   * @throws AppError as startTunnel
   */
  async restartTunnel(name: string): Promise<TunnelStatus> {
    const previous = this.#runs.get(name)?.tunnel?.addresses;
    await this.stopTunnel(name);
    return this.#start(name, previous);
  }

  async #start(name: string, keepAddresses?: { pulsar: string; http?: string }): Promise<TunnelStatus> {
    this.#assertLive();
    let run = this.#runs.get(name);
    while (run?.transition) {
      await run.transition.catch(() => undefined);
      run = this.#runs.get(name);
    }
    if (run && run.state !== 'stopped') return this.#status(name);

    const fresh: Run = { state: 'starting', secured: new Set(), unanswered: new Set(), brokerHealth: new BrokerHealthTracker(this.#now) };
    this.#runs.set(name, fresh);
    this.#emitHealth(name, 'stopped');
    const transition = (async () => {
      const [config, profile] = await Promise.all([this.#store.tunnelConfig(name), this.#store.get(name)]);
      fresh.startedWith = canonicalJson(profile);
      return this.#startTunnel(keptPorts(config, keepAddresses), {
        onEvent: (event) => this.#onTunnelEvent(name, fresh, event),
        progressIntervalMs: this.#progressIntervalMs,
      });
    })();
    fresh.transition = transition;
    try {
      fresh.tunnel = await transition;
    } catch (error) {
      const appError = toAppError(error);
      this.#runs.set(name, { state: 'stopped', secured: new Set(), unanswered: new Set(), lastError: { ...serialize(appError), time: this.#now().toISOString() } });
      this.#emitHealth(name, 'starting');
      throw appError;
    } finally {
      fresh.transition = undefined;
    }
    if (this.#disposed) {
      this.#runs.delete(name);
      await fresh.tunnel.dispose();
      throw new AppError('TUNNEL_INTERNAL', 'The app was shutting down while the tunnel started.');
    }
    fresh.startedAt = this.#now().toISOString();
    // A connection may already have failed between the listener opening and start() resolving.
    fresh.state = fresh.lastError ? 'failing' : 'running';
    this.#emitHealth(name, 'starting');
    return this.#status(name);
  }

  /** Stops the profile's tunnel (closing its listeners and connections); a no-op when stopped. */
  async stopTunnel(name: string): Promise<TunnelStatus> {
    let run = this.#runs.get(name);
    while (run?.transition) {
      await run.transition.catch(() => undefined);
      run = this.#runs.get(name);
    }
    if (!run || run.state === 'stopped' || !run.tunnel) {
      return this.#status(name);
    }
    const previous = run.state;
    run.state = 'stopping';
    this.#emitHealth(name, previous);
    const tunnel = run.tunnel;
    const transition = tunnel.dispose();
    run.transition = transition;
    try {
      await transition;
    } finally {
      this.#runs.delete(name);
      this.#emitHealth(name, 'stopping');
    }
    return this.#status(name);
  }

  /** The status of every profile that is not stopped, or that failed to start. */
  async tunnelStatus(): Promise<TunnelStatus[]> {
    return [...this.#runs.keys()].map((name) => this.#status(name));
  }

  /**
   * Which of the profile's ports is taken and by which tunnel (this app's own, or a recorded one of
   * another process), with a free port to use instead (see portAdvice.ts).
   * @throws AppError PROFILE_NOT_FOUND
   */
  async listenPortAdvice(name: string): Promise<ListenPortAdvice> {
    const [profile, entries, others] = await Promise.all([this.#store.get(name), this.#store.list(), this.#otherTunnels()]);
    const own: PortHolder[] = [];
    for (const [profileName, run] of this.#runs) {
      if (run.tunnel && run.state !== 'stopped') own.push({ profile: profileName, pid: process.pid, listen: run.tunnel.addresses });
    }
    return listenPortAdvice({ profile, profiles: entries.map((entry) => entry.profile), holders: [...own, ...others] });
  }

  /** The status of one profile's tunnel (stopped when it never ran). Synchronous, for the tray. */
  statusOf(name: string): TunnelStatus {
    return this.#status(name);
  }

  /** Snippets pointing local tools at the tunnel: its real addresses while running, else the configured ones. */
  async snippets(name: string): Promise<Snippets> {
    const profile = await this.#store.get(name);
    const tunnel = this.#runs.get(name)?.tunnel;
    return buildSnippets(profile, tunnel ? tunnel.addresses : configuredAddresses(profile));
  }

  /**
   * Runs the Doctor on a stored profile. A profile that exists but cannot be resolved (a secret
   * missing from the keychain, a locked keychain) gives a report whose profile step failed.
   * @throws AppError PROFILE_NOT_FOUND
   */
  async runDoctor(name: string, options: DoctorOptions = {}): Promise<DoctorReport> {
    this.#assertLive();
    let config: TunnelConfig;
    try {
      config = await this.#store.tunnelConfig(name);
    } catch (error) {
      const appError = toAppError(error);
      if (appError.code === 'PROFILE_NOT_FOUND') throw appError;
      return profileFailureReport(name, appError);
    }
    return this.#runDoctor(config, { topic: options.topic, idleCheck: options.idleCheck ?? false, brokers: this.#doctorBrokers(name, options) });
  }

  /**
   * Runs the Doctor on settings that are not saved (a form's draft); nothing is written. A draft
   * whose secrets cannot be resolved (no token typed nor stored, a locked keychain) gives a report
   * whose profile step failed.
   * @throws AppError PROFILE_NOT_FOUND (previousName)
   */
  async runDoctorOnDraft(input: StoredProfileInput, options: DraftDoctorOptions = {}): Promise<DoctorReport> {
    this.#assertLive();
    const { previousName, token, ...doctorOptions } = options;
    let config: TunnelConfig;
    try {
      config = await this.#store.draftTunnelConfig(input, { ...(previousName === undefined ? {} : { previousName }), ...(token === undefined ? {} : { token }) });
    } catch (error) {
      const appError = toAppError(error);
      if (appError.code === 'PROFILE_NOT_FOUND') throw appError;
      return profileFailureReport(typeof input.name === 'string' ? input.name : '', appError);
    }
    const brokers = this.#doctorBrokers(previousName ?? config.name, doctorOptions);
    return this.#runDoctor(config, { topic: doctorOptions.topic, idleCheck: doctorOptions.idleCheck ?? false, brokers });
  }

  /** The brokers a Doctor run checks: those asked for, and those the profile's tunnels have named. */
  #doctorBrokers(name: string, options: DoctorOptions): string[] {
    return [...new Set([...(options.brokers ?? []), ...this.#knownBrokers.of(name)])];
  }

  /**
   * Subscribes to the live log. Events arrive in batches of at most `maxBatch`, at least every
   * `flushIntervalMs` while events flow; a subscriber that is not `ready` keeps a bounded queue
   * whose oldest events are dropped and counted in the next batch's `dropped`.
   * @returns the unsubscribe function
   */
  subscribeLog(listener: (batch: LogBatch) => void, options: SubscribeOptions = {}): () => void {
    const subscriber: Subscriber = { listener, queue: new LogQueue(this.#subscriberCapacity), ready: options.ready ?? (() => true) };
    if (options.replay !== false) {
      for (const event of this.#history.snapshot()) subscriber.queue.push(event);
      if (subscriber.queue.size > 0) this.#scheduleFlush(true);
    }
    this.#subscribers.add(subscriber);
    return () => {
      this.#subscribers.delete(subscriber);
    };
  }

  /** Calls `listener` on every tunnel state change. @returns the unsubscribe function */
  onHealth(listener: (change: HealthChange) => void): () => void {
    this.#healthListeners.add(listener);
    return () => {
      this.#healthListeners.delete(listener);
    };
  }

  /**
   * Starts every profile marked autoStart. Failures do not stop the others; they are returned
   * (and stay visible as each status's lastError).
   */
  async autoStart(): Promise<{ started: string[]; failed: { profile: string; error: SerializedError }[] }> {
    const profiles = (await this.#store.list()).map((entry) => entry.profile).filter((profile) => profile.autoStart);
    const started: string[] = [];
    const failed: { profile: string; error: SerializedError }[] = [];
    await Promise.all(
      profiles.map(async (profile) => {
        try {
          await this.startTunnel(profile.name);
          started.push(profile.name);
        } catch (error) {
          failed.push({ profile: profile.name, error: serialize(toAppError(error)) });
        }
      }),
    );
    return { started, failed };
  }

  /** Delivers queued log events now (tests and shutdown). */
  flushLog(): void {
    this.#flush();
  }

  /** Stops every tunnel, delivers the last log events and drops all subscribers. */
  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    await Promise.allSettled([...this.#runs.keys()].map((name) => this.stopTunnel(name)));
    this.#flush();
    if (this.#timer) clearTimeout(this.#timer);
    if (this.#immediate) clearImmediate(this.#immediate);
    this.#timer = undefined;
    this.#immediate = undefined;
    this.#subscribers.clear();
    this.#healthListeners.clear();
  }

  #assertLive(): void {
    if (this.#disposed) throw new AppError('TUNNEL_INTERNAL', 'The app is shutting down.');
  }

  #isActive(name: string): boolean {
    const state = this.#runs.get(name)?.state;
    return state !== undefined && state !== 'stopped';
  }

  async #view(profile: StoredProfile): Promise<ProfileView> {
    return this.#viewOf(profile, await this.#store.secretsPresent(profile.name));
  }

  #viewOf(profile: StoredProfile, secrets: Record<SecretKind, boolean>): ProfileView {
    const run = this.#runs.get(profile.name);
    if (run?.startedWith !== undefined) run.profileChanged = canonicalJson(profile) !== run.startedWith;
    return { ...profileViewOf(profile, secrets, this.#now()), tunnel: this.#status(profile.name) };
  }

  #status(name: string): TunnelStatus {
    const run = this.#runs.get(name);
    if (!run) return { profile: name, state: 'stopped', brokers: [], openConnections: 0, totalConnections: 0 };
    const status: TunnelStatus = { profile: name, state: run.state, brokers: [], openConnections: 0, totalConnections: 0 };
    if (run.tunnel && run.state !== 'stopped') {
      status.listen = { ...run.tunnel.addresses };
      try {
        const live = run.tunnel.status();
        status.brokers = run.brokerHealth ? run.brokerHealth.decorate(live.brokers) : live.brokers.map((broker) => ({ ...broker, health: 'unknown' }));
        status.openConnections = live.openConnections;
        status.totalConnections = live.totalConnections;
      } catch {
        // A tunnel being torn down may refuse to report; the state already says so.
      }
    }
    if (run.lastError) status.lastError = { ...run.lastError };
    if (run.startedAt) status.startedAt = run.startedAt;
    if (run.state !== 'stopped' && (run.profileChanged || run.secretsChanged)) status.pendingChanges = true;
    return status;
  }

  #emitHealth(name: string, previous: TunnelStatus['state']): void {
    const status = this.#status(name);
    if (status.state === previous) return;
    for (const listener of this.#healthListeners) {
      try {
        listener({ profile: name, previous, status });
      } catch {
        // A failing tray or notification must not break the engine.
      }
    }
  }

  #onTunnelEvent(name: string, run: Run, event: TunnelEvent): void {
    this.#updateHealth(name, run, event);
    this.#knownBrokers.onEvent(name, event);
    if (this.#runs.get(name) === run) run.brokerHealth?.onEvent(event);
    this.#seq += 1;
    // Unknown event kinds (the engine may add some) are passed on as they are.
    const logEvent = { ...event, profile: name, seq: this.#seq } as LogEvent;
    this.#history.push(logEvent);
    let full = false;
    for (const subscriber of this.#subscribers) {
      subscriber.queue.push(logEvent);
      if (subscriber.queue.size >= this.#maxBatch) full = true;
    }
    if (this.#subscribers.size > 0) this.#scheduleFlush(full);
  }

  /**
   * "failing" when the latest outcome was a failure: a connection that closed with an error before
   * its TLS session came up (proxy, route, certificate...), an established one that ended with a
   * non-routine error, or a listener error. The next connection that gets through (the broker
   * answered it, or it closed cleanly) restores "running".
   */
  #updateHealth(name: string, run: Run, event: TunnelEvent): void {
    // The event may come from a tunnel that has since been replaced (stop then start).
    if (this.#runs.get(name) !== run) return;
    let outcome: 'success' | 'failure' | undefined;
    let error: SerializedError | undefined;
    switch (event.event) {
      case 'connection.secured':
        // Not a success yet: with TLS 1.3 a broker judges the client certificate after the
        // handshake, so a refused certificate would flip the state to running and back to failing
        // (a notification each time) on every attempt. The broker's first answer is the success.
        run.secured.add(event.id);
        run.unanswered.add(event.id);
        break;
      case 'connection.progress':
      case 'pulsar.connected':
        if ((event.event === 'pulsar.connected' || event.bytesDown > 0) && run.unanswered.delete(event.id)) outcome = 'success';
        break;
      case 'connection.closed': {
        run.unanswered.delete(event.id);
        const wasSecured = run.secured.delete(event.id);
        if (!event.error) outcome = 'success';
        else if (!wasSecured || !routineCloseCodes.has(event.error.code)) {
          outcome = 'failure';
          error = event.error;
        }
        break;
      }
      case 'listener.error':
      case 'listener.full':
        outcome = 'failure';
        error = event.error;
        break;
      default:
        break;
    }
    if (error) run.lastError = { code: error.code, message: error.message, time: this.#now().toISOString() };
    if (run.state !== 'running' && run.state !== 'failing') return;
    const next = outcome === 'failure' ? 'failing' : outcome === 'success' ? 'running' : run.state;
    if (next !== run.state) {
      const previous = run.state;
      run.state = next;
      this.#emitHealth(name, previous);
    }
  }

  #scheduleFlush(now: boolean): void {
    if (now) {
      this.#immediate ??= setImmediate(() => {
        this.#immediate = undefined;
        this.#flush();
      });
      return;
    }
    this.#timer ??= setTimeout(() => {
      this.#timer = undefined;
      this.#flush();
    }, this.#flushIntervalMs);
  }

  #flush(): void {
    let pending = false;
    for (const subscriber of this.#subscribers) {
      while (subscriber.queue.size > 0 || subscriber.queue.dropped > 0) {
        if (!safeReady(subscriber)) {
          pending = true;
          break;
        }
        const batch = subscriber.queue.take(this.#maxBatch);
        if (!batch) break;
        try {
          subscriber.listener(batch);
        } catch {
          // One broken subscriber must not starve the others or the engine.
        }
      }
    }
    // A subscriber that was not ready is polled again: its queue is bounded, so waiting is safe.
    if (pending && !this.#disposed) this.#scheduleFlush(false);
  }
}

function safeReady(subscriber: Subscriber): boolean {
  try {
    return subscriber.ready();
  } catch {
    return false;
  }
}

function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (isAppError(error)) return new AppError(error.code, error.message, { cause: error });
  const detail = error instanceof Error ? error.message : String(error);
  return new AppError('TUNNEL_INTERNAL', `An unexpected error occurred in the tunnel (${detail}); please report it with the log.`, { cause: error });
}

function serialize(error: AppError): SerializedError {
  return { code: error.code, message: error.message };
}
