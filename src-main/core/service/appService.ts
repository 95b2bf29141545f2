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
import { AppError, type SerializedError } from '../../../shared/errors.ts';
import type { DoctorOptions, DoctorReport, DraftDoctorOptions } from '../../../shared/model/doctor.ts';
import type { TunnelEvent } from '../../../shared/model/events.ts';
import type { SecretKind, StoredProfile, StoredProfileInput } from '../../../shared/model/storedProfile.ts';
import { runDoctor as runDoctorChecks } from '../diagnostics/doctor.ts';
import { BrokerHealthTracker, KnownBrokers } from './brokerHealth.ts';
import { ConnectionNumbering } from './connectionNumbers.ts';
import { LogFanOut, type SubscribeOptions } from './logFanOut.ts';
import { listenPortAdvice, type PortHolder } from './portAdvice.ts';
import type { AppServiceOptions, AppStore, TunnelStarter } from './ports.ts';
import { profileViewOf } from './profileView.ts';
import { canonicalJson, keptPorts } from './runSettings.ts';
import { ServiceDoctor } from './serviceDoctor.ts';
import { buildSnippets, configuredAddresses } from './snippets.ts';
import { newRun, observeHealth, runStatus, serialize, startEach, toAppError, type HealthChange, type Run, type StartedEach } from './tunnelRun.ts';

export type { HostedApi, SubscribeOptions } from './logFanOut.ts';
export type { HealthChange } from './tunnelRun.ts';
export type { AppServiceOptions } from './ports.ts';

/**
 * Implements the TunnelApi over the store and the engine. Every method may reject with AppError
 * (the store's codes, the engine's start errors such as TUNNEL_LISTEN_IN_USE); inputs are trusted
 * here: the shells parse them first with shared/ipc/validate.ts.
 */
export class AppService implements TunnelApi {
  readonly #store: AppStore;
  readonly #startTunnel: TunnelStarter;
  readonly #now: () => Date;
  readonly #progressIntervalMs: number;
  readonly #doctor: ServiceDoctor;
  readonly #otherTunnels: () => Promise<PortHolder[]>;
  readonly #log: LogFanOut;
  readonly #runs = new Map<string, Run>();
  readonly #healthListeners = new Set<(change: HealthChange) => void>();
  readonly #knownBrokers = new KnownBrokers();
  #seq = 0;
  /** Per profile: its connections numbered on across runs (a tunnel starts over from 1), one id per connection in the log. */
  readonly #numbering = new Map<string, ConnectionNumbering>();
  #disposed = false;

  constructor(options: AppServiceOptions) {
    this.#store = options.store;
    this.#startTunnel = options.startTunnel;
    this.#now = options.now ?? (() => new Date());
    this.#progressIntervalMs = options.progressIntervalMs ?? 1000;
    this.#doctor = new ServiceDoctor(this.#store, options.runDoctor ?? runDoctorChecks, this.#knownBrokers);
    this.#otherTunnels = options.otherTunnels ?? (async () => []);
    this.#log = new LogFanOut({
      subscriberCapacity: options.subscriberCapacity ?? 10_000,
      historySize: options.historySize ?? 1000,
      flushIntervalMs: options.flushIntervalMs ?? 50,
      maxBatch: options.maxBatch ?? 500,
    });
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

    const fresh: Run = { ...newRun('starting'), brokerHealth: new BrokerHealthTracker(this.#now) };
    const numbering = this.#numbering.get(name) ?? new ConnectionNumbering();
    this.#numbering.set(name, numbering);
    // This run's events keep its ids, even one it says after a later run has started.
    const idOffset = numbering.startOver();
    this.#runs.set(name, fresh);
    this.#emitHealth(name, 'stopped');
    const transition = (async () => {
      const [config, profile] = await Promise.all([this.#store.tunnelConfig(name), this.#store.get(name)]);
      fresh.startedWith = canonicalJson(profile);
      return this.#startTunnel(keptPorts(config, keepAddresses), {
        onEvent: (event) => this.#onTunnelEvent(name, fresh, event, idOffset),
        onEnded: (error) => this.#onTunnelEnded(name, fresh, error),
        progressIntervalMs: this.#progressIntervalMs,
      });
    })();
    fresh.transition = transition;
    try {
      fresh.tunnel = await transition;
    } catch (error) {
      const appError = toAppError(error);
      this.#runs.set(name, newRun('stopped', { ...serialize(appError), time: this.#now().toISOString() }));
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
   * Runs the Doctor on a stored profile (see ServiceDoctor.stored).
   * @throws AppError PROFILE_NOT_FOUND
   */
  async runDoctor(name: string, options: DoctorOptions = {}): Promise<DoctorReport> {
    this.#assertLive();
    return this.#doctor.stored(name, options);
  }

  /**
   * Runs the Doctor on settings that are not saved (see ServiceDoctor.draft); nothing is written.
   * @throws AppError PROFILE_NOT_FOUND (previousName)
   */
  async runDoctorOnDraft(input: StoredProfileInput, options: DraftDoctorOptions = {}): Promise<DoctorReport> {
    this.#assertLive();
    return this.#doctor.draft(input, options);
  }


  /**
   * Subscribes to the live log. Events arrive in batches of at most `maxBatch`, at least every
   * `flushIntervalMs` while events flow; a subscriber that is not `ready` keeps a bounded queue
   * whose oldest events are dropped and counted in the next batch's `dropped`.
   * @returns the unsubscribe function
   */
  subscribeLog(listener: (batch: LogBatch) => void, options: SubscribeOptions = {}): () => void {
    return this.#log.subscribe(listener, options);
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
  async autoStart(): Promise<StartedEach> {
    const profiles = (await this.#store.list()).map((entry) => entry.profile).filter((profile) => profile.autoStart);
    return startEach(
      profiles.map((profile) => profile.name),
      (name) => this.startTunnel(name),
    );
  }

  /** Delivers queued log events now (tests and shutdown). */
  flushLog(): void {
    this.#log.flush();
  }

  /** Stops every tunnel, delivers the last log events and drops all subscribers. */
  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    await Promise.allSettled([...this.#runs.keys()].map((name) => this.stopTunnel(name)));
    this.#log.dispose();
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
    // Worked out again only for another profile object: an unchanged file's entry is the same frozen object.
    if (run?.startedWith !== undefined && run.comparedWith !== profile) {
      run.profileChanged = canonicalJson(profile) !== run.startedWith;
      run.comparedWith = Object.isFrozen(profile) ? profile : undefined;
    }
    return { ...profileViewOf(profile, secrets, this.#now()), tunnel: this.#status(profile.name) };
  }

  #status(name: string): TunnelStatus {
    return runStatus(name, this.#runs.get(name));
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

  /** The run's tunnel ended on its own (its engine could not bring it back): stopped, `error` its last error, so Start starts it. */
  #onTunnelEnded(name: string, run: Run, error: SerializedError): void {
    // Replaced meanwhile, or being stopped (the stop finds nothing to stop, and ends it).
    if (this.#runs.get(name) !== run || run.transition) return;
    this.#runs.set(name, newRun('stopped', { ...error, time: this.#now().toISOString() }));
    this.#emitHealth(name, run.state);
  }

  #onTunnelEvent(name: string, run: Run, event: TunnelEvent, idOffset: number): void {
    this.#updateHealth(name, run, event);
    this.#knownBrokers.onEvent(name, event);
    if (this.#runs.get(name) === run) run.brokerHealth?.onEvent(event);
    this.#seq += 1;
    // Unknown event kinds (the engine may add some) are passed on as they are; a connection's id
    // numbered on from the profile's earlier runs (a run's own health keeps the tunnel's ids).
    const published = { ...event, profile: name, seq: this.#seq } as LogEvent & { id?: number };
    const id = this.#numbering.get(name)?.idOf(event, idOffset);
    if (id !== undefined) published.id = id;
    this.#log.publish(published);
  }

  /**
   * "failing" when the latest outcome was a failure (see observeHealth); the next connection that
   * gets through (the broker answered it, or it closed cleanly) restores "running".
   */
  #updateHealth(name: string, run: Run, event: TunnelEvent): void {
    // The event may come from a tunnel that has since been replaced (stop then start).
    if (this.#runs.get(name) !== run) return;
    const { outcome, error } = observeHealth(run, event);
    if (error) run.lastError = { code: error.code, message: error.message, time: this.#now().toISOString() };
    if (run.state !== 'running' && run.state !== 'failing') return;
    const next = outcome === 'failure' ? 'failing' : outcome === 'success' ? 'running' : run.state;
    if (next !== run.state) {
      const previous = run.state;
      run.state = next;
      this.#emitHealth(name, previous);
    }
  }
}
