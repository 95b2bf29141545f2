/**
 * The profiles and their tunnels as the UI knows them: the list from the engine, which one is
 * selected, and the actions on them. Every action goes through TunnelApi and refreshes the list
 * from what the engine answers; failures reject with the engine's AppError for the caller to show.
 */
import { AppError } from '../../../shared/errors.ts';
import type { DuplicateOptions, ExportRequest, ImportOptions, ImportResult, KeychainStatus, ListenPortAdvice, ProfileView, Snippets, TunnelApi, TunnelStatus } from '../../../shared/ipc/contract.ts';
import type { SecretKind, StoredProfileInput } from '../../../shared/model/storedProfile.ts';

export class ProfilesState {
  readonly #api: TunnelApi;
  #views = $state.raw<ProfileView[]>([]);
  #selectedName = $state<string | undefined>(undefined);
  #loaded = $state(false);
  #busy = $state.raw<ReadonlySet<string>>(new Set());
  #selected = $derived(this.#views.find((view) => view.profile.name === this.#selectedName));

  constructor(api: TunnelApi) {
    this.#api = api;
  }

  /** Every profile, sorted by name. */
  get views(): readonly ProfileView[] {
    return this.#views;
  }
  get selected(): ProfileView | undefined {
    return this.#selected;
  }
  get selectedName(): string | undefined {
    return this.#selectedName;
  }
  /** True once the first list arrived. */
  get loaded(): boolean {
    return this.#loaded;
  }
  /** True while a start/stop of this profile's tunnel is in flight. */
  isBusy(name: string): boolean {
    return this.#busy.has(name);
  }
  /** Tunnels that listen for clients: running, or failing (still listening, last connection failed). */
  get runningCount(): number {
    return this.#views.filter((view) => view.tunnel.state === 'running' || view.tunnel.state === 'failing').length;
  }
  /** Of those, the ones whose latest connection failed. */
  get failingCount(): number {
    return this.#views.filter((view) => view.tunnel.state === 'failing').length;
  }

  /** Fetches the list; keeps the selection when the profile still exists, else selects the first. */
  async load(): Promise<void> {
    const views = await this.#api.listProfiles();
    this.#setViews(views);
    this.#loaded = true;
  }

  /** Selects a profile by name; undefined selects none (e.g. while creating a new one). */
  select(name: string | undefined): void {
    this.#selectedName = name;
  }

  /** Moves the selection by `step` in the list (wrapping), for arrow-key navigation. */
  selectRelative(step: number): void {
    if (this.#views.length === 0) return;
    const at = this.#views.findIndex((view) => view.profile.name === this.#selectedName);
    const next = (at + step + this.#views.length) % this.#views.length;
    this.#selectedName = this.#views[next]?.profile.name;
  }

  /** Creates or updates (renames with previousName) a profile and selects it. */
  async save(input: StoredProfileInput, previousName?: string): Promise<ProfileView> {
    const saved = await this.#api.saveProfile(input, previousName ? { previousName } : undefined);
    this.#replace(previousName ?? saved.profile.name, saved);
    this.#selectedName = saved.profile.name;
    return saved;
  }

  async duplicate(name: string, newName: string, options?: DuplicateOptions): Promise<ProfileView> {
    const copy = await (options ? this.#api.duplicateProfile(name, newName, options) : this.#api.duplicateProfile(name, newName));
    this.#replace(copy.profile.name, copy);
    this.#selectedName = copy.profile.name;
    return copy;
  }

  /** Deletes the profile and its keychain items. */
  async remove(name: string): Promise<void> {
    await this.#api.removeProfile(name);
    const remaining = this.#views.filter((view) => view.profile.name !== name);
    if (this.#selectedName === name) this.#selectedName = remaining[0]?.profile.name;
    this.#views = remaining;
  }

  /** Stores (or with null deletes) a secret, then refreshes which secrets are set. */
  async setSecret(name: string, kind: SecretKind, value: string | null): Promise<void> {
    await this.#api.setSecret(name, kind, value);
    await this.load();
  }

  /** Imports a file; with `needsConfirmation` in the answer nothing was imported (see ImportResult). */
  async importFile(fileName: string, content: string, options: ImportOptions = {}): Promise<ImportResult> {
    const { passphrase, readSecrets, onConflict, name } = options;
    const sent: ImportOptions = { ...(passphrase ? { passphrase } : {}), ...(readSecrets ? { readSecrets } : {}), ...(onConflict ? { onConflict } : {}), ...(name ? { name } : {}) };
    const result = await this.#api.importProfiles(fileName, content, Object.keys(sent).length > 0 ? sent : undefined);
    await this.load();
    if (result.imported[0]) this.#selectedName = result.imported[0];
    return result;
  }

  exportProfiles(request: ExportRequest): Promise<{ fileName: string; content: string }> {
    return this.#api.exportProfiles(request);
  }

  /** Whether the OS keychain answers: asked before the user types a secret it would have to hold. */
  keychainStatus(): Promise<KeychainStatus> {
    return this.#api.keychainStatus();
  }

  snippets(name: string): Promise<Snippets> {
    return this.#api.snippets(name);
  }

  /** Starts the tunnel, or stops it when it is running, starting or failing. */
  async toggleTunnel(name: string): Promise<TunnelStatus> {
    const view = this.#views.find((candidate) => candidate.profile.name === name);
    return view && view.tunnel.state !== 'stopped' ? this.stop(name) : this.start(name);
  }

  /** Starts the tunnel; a failed start refreshes the status, whose lastError says why (e.g. a port in use). */
  async start(name: string): Promise<TunnelStatus> {
    try {
      return await this.#withBusy(name, () => this.#api.startTunnel(name));
    } catch (error) {
      await this.refreshStatus().catch(() => undefined);
      throw error;
    }
  }

  /** Which of the profile's ports is taken, by which profile, and a free one (see TunnelApi.listenPortAdvice). */
  portAdvice(name: string): Promise<ListenPortAdvice> {
    return this.#api.listenPortAdvice(name);
  }

  /** Sets the profile's port `field` to `port` (saving it) and starts its tunnel. */
  async usePort(name: string, field: ListenPortAdvice['field'], port: number): Promise<TunnelStatus> {
    const view = this.#views.find((candidate) => candidate.profile.name === name);
    if (!view) throw new AppError('PROFILE_NOT_FOUND', `There is no profile named "${name}"; reload the list.`);
    const key = field === 'listen.port' ? 'port' : 'webPort';
    await this.save({ ...view.profile, listen: { ...view.profile.listen, [key]: port } }, name);
    return this.start(name);
  }

  async stop(name: string): Promise<TunnelStatus> {
    return this.#withBusy(name, () => this.#api.stopTunnel(name));
  }

  /** Stops and starts the tunnel with the saved settings (see TunnelApi.restartTunnel). */
  async restart(name: string): Promise<TunnelStatus> {
    return this.#withBusy(name, () => this.#api.restartTunnel(name));
  }

  /** Merges fresh tunnel states (poll this while the window is open). */
  async refreshStatus(): Promise<void> {
    this.applyStatuses(await this.#api.tunnelStatus());
  }

  /** Merges tunnel states into the list. */
  applyStatuses(statuses: readonly TunnelStatus[]): void {
    const byName = new Map(statuses.map((status) => [status.profile, status]));
    let changed = false;
    const next = this.#views.map((view) => {
      const status = byName.get(view.profile.name);
      if (!status || JSON.stringify(status) === JSON.stringify(view.tunnel)) return view;
      changed = true;
      return { ...view, tunnel: status };
    });
    if (changed) this.#views = next;
  }

  async #withBusy(name: string, action: () => Promise<TunnelStatus>): Promise<TunnelStatus> {
    this.#busy = new Set([...this.#busy, name]);
    try {
      const status = await action();
      this.applyStatuses([status]);
      return status;
    } finally {
      const rest = new Set(this.#busy);
      rest.delete(name);
      this.#busy = rest;
    }
  }

  #replace(oldName: string, view: ProfileView): void {
    const others = this.#views.filter((candidate) => candidate.profile.name !== oldName && candidate.profile.name !== view.profile.name);
    this.#setViews([...others, view]);
  }

  #setViews(views: ProfileView[]): void {
    this.#views = [...views].sort((a, b) => a.profile.name.localeCompare(b.profile.name));
    if (!this.#views.some((view) => view.profile.name === this.#selectedName)) {
      this.#selectedName = this.#views[0]?.profile.name;
    }
  }
}
