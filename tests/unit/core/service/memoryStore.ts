/**
 * Test doubles for the app service's ports: an in-memory profile store that validates with the
 * real stored-profile schema, and a scripted tunnel runner whose tunnels emit events on demand.
 * For unit tests of the app service and the shells; black-box tests use the real store and engine.
 */
import { AppError } from '../../../../shared/errors.ts';
import type { BrokerPort, ExportRequest, ImportResult, KeychainStatus } from '../../../../shared/ipc/contract.ts';
import type { TunnelEvent } from '../../../../shared/model/events.ts';
import { describeIssues, parseServiceUrl } from '../../../../shared/model/profile.ts';
import type { HostPort } from '../../../../shared/model/profile.ts';
import { secretKinds, storedProfileSchema } from '../../../../shared/model/storedProfile.ts';
import type { SecretKind, StoredProfile, StoredProfileInput } from '../../../../shared/model/storedProfile.ts';
import type { AppStore, RunningTunnel, StoreEntry, TunnelStarter } from '../../../../src-main/core/service/ports.ts';
import type { TunnelConfig } from '../../../../src-main/core/config/tunnelConfig.ts';

/** An AppStore held in memory. */
export class MemoryStore implements AppStore {
  readonly profiles = new Map<string, StoredProfile>();
  readonly secrets = new Map<string, string>();

  async list(): Promise<StoreEntry[]> {
    const profiles = [...this.profiles.values()].sort((a, b) => a.name.localeCompare(b.name));
    return Promise.all(profiles.map(async (profile) => ({ profile, secrets: await this.secretsPresent(profile.name) })));
  }

  async get(name: string): Promise<StoredProfile> {
    const profile = this.profiles.get(name);
    if (!profile) throw new AppError('PROFILE_NOT_FOUND', `No profile is named "${name}".`);
    return profile;
  }

  async save(input: StoredProfileInput, options?: { previousName?: string }): Promise<StoredProfile> {
    const parsed = storedProfileSchema.safeParse(input);
    if (!parsed.success) throw new AppError('PROFILE_INVALID', describeIssues(parsed.error.issues).join('\n'));
    if (options?.previousName && options.previousName !== parsed.data.name) this.profiles.delete(options.previousName);
    this.profiles.set(parsed.data.name, parsed.data);
    return parsed.data;
  }

  async duplicate(name: string, newName: string, options: { listenPort?: number } = {}): Promise<StoredProfile> {
    const profile = await this.get(name);
    return this.save({ ...profile, name: newName, ...(options.listenPort === undefined ? {} : { listen: { ...profile.listen, port: options.listenPort } }) });
  }

  async remove(name: string): Promise<void> {
    await this.get(name);
    this.profiles.delete(name);
    for (const kind of secretKinds) this.secrets.delete(`${name}/${kind}`);
  }

  async secretsPresent(name: string): Promise<Record<SecretKind, boolean>> {
    return Object.fromEntries(secretKinds.map((kind) => [kind, this.secrets.has(`${name}/${kind}`)])) as Record<SecretKind, boolean>;
  }

  async setSecret(name: string, kind: SecretKind, value: string | null): Promise<void> {
    await this.get(name);
    if (value === null) this.secrets.delete(`${name}/${kind}`);
    else this.secrets.set(`${name}/${kind}`, value);
  }

  /** Set to a KEYCHAIN_* error to stand for an unreachable keychain. */
  keychainError: AppError | undefined;

  async keychainStatus(): Promise<KeychainStatus> {
    return this.keychainError ? { available: false, error: this.keychainError.toJSON() } : { available: true };
  }

  async importProfiles(fileName: string, content: string): Promise<ImportResult> {
    let data: unknown;
    try {
      data = JSON.parse(content);
    } catch {
      throw new AppError('IMPORT_INVALID', `${fileName}: not JSON`);
    }
    const saved = await this.save(data as StoredProfileInput);
    return { imported: [saved.name], warnings: [], secretSources: [] };
  }

  async exportProfiles(request: ExportRequest): Promise<{ fileName: string; content: string }> {
    const profiles = await Promise.all(request.names.map((name) => this.get(name)));
    return { fileName: 'profiles.json', content: JSON.stringify(profiles) };
  }

  async tunnelConfig(name: string): Promise<TunnelConfig> {
    return this.#configOf(await this.get(name), this.secrets.get(`${name}/token`));
  }

  /** Validates like save() without storing; the typed token, else `previousName`'s. */
  async draftTunnelConfig(input: StoredProfileInput, options: { previousName?: string; token?: string }): Promise<TunnelConfig> {
    const parsed = storedProfileSchema.safeParse(input);
    if (!parsed.success) throw new AppError('PROFILE_INVALID', describeIssues(parsed.error.issues).join('\n'));
    if (options.previousName !== undefined) await this.get(options.previousName);
    const token = options.token ?? (options.previousName === undefined ? undefined : this.secrets.get(`${options.previousName}/token`));
    return this.#configOf(parsed.data, token);
  }

  #configOf(profile: StoredProfile, token: string | undefined): TunnelConfig {
    const name = profile.name;
    const service = parseServiceUrl(profile.serviceUrl, ['pulsar+ssl:']) as HostPort;
    const proxy = profile.proxyServiceUrl ? (parseServiceUrl(profile.proxyServiceUrl, ['pulsar+ssl:']) as HostPort) : undefined;
    return {
      name,
      service,
      ...(proxy ? { proxy } : {}),
      listen: { host: profile.listen.host ?? '127.0.0.1', port: profile.listen.port ?? 6650 },
      tls: { verifyHostname: profile.tlsHostnameVerificationEnable, allowInsecure: profile.tlsAllowInsecureConnection, ...(profile.tlsTrustCertsPem ? { caPem: profile.tlsTrustCertsPem } : {}) },
      auth: profile.auth === 'token' ? { kind: 'token', getToken: async () => token ?? '' } : profile.auth === 'tls' ? { kind: 'tls' } : { kind: 'none' },
      pulsarProtocol: profile.pulsarProtocol,
      keepAliveIntervalSeconds: profile.keepAliveIntervalSeconds,
      connectionTimeoutMs: profile.connectionTimeoutMs,
    };
  }
}

/** A tunnel started by {@link ScriptedRunner}: the test makes it emit events. */
export class ScriptedTunnel implements RunningTunnel {
  readonly addresses: { pulsar: string; http?: string };
  brokers: BrokerPort[] = [];
  open = 0;
  total = 0;
  disposed = false;

  constructor(
    readonly config: TunnelConfig,
    private readonly onEvent: (event: TunnelEvent) => void,
  ) {
    this.addresses = { pulsar: `127.0.0.1:${config.listen.port === 0 ? 40000 : config.listen.port}` };
  }

  emit(event: TunnelEvent): void {
    if (event.event === 'connection.opened') {
      this.open += 1;
      this.total += 1;
    }
    if (event.event === 'connection.closed') this.open -= 1;
    this.onEvent(event);
  }

  status(): { brokers: BrokerPort[]; openConnections: number; totalConnections: number } {
    return { brokers: this.brokers, openConnections: this.open, totalConnections: this.total };
  }

  async dispose(): Promise<void> {
    this.disposed = true;
  }
}

/** A TunnelStarter whose tunnels the test drives; `failWith` makes the next start fail. */
export class ScriptedRunner {
  readonly tunnels: ScriptedTunnel[] = [];
  failWith: AppError | undefined;
  /** Profiles whose every start fails with the given error. */
  readonly failFor = new Map<string, AppError>();

  readonly start: TunnelStarter = async (config, options) => {
    const failure = this.failFor.get(config.name);
    if (failure) throw failure;
    if (this.failWith) {
      const error = this.failWith;
      this.failWith = undefined;
      throw error;
    }
    const tunnel = new ScriptedTunnel(config, options.onEvent);
    this.tunnels.push(tunnel);
    return tunnel;
  };

  /** The latest tunnel started for `name`. */
  latest(name: string): ScriptedTunnel {
    const tunnel = this.tunnels.filter((candidate) => candidate.config.name === name).at(-1);
    if (!tunnel) throw new Error(`no tunnel was started for ${name}`);
    return tunnel;
  }
}

/** A valid stored profile input named `name`. */
export function sampleProfile(name: string, extra: Partial<StoredProfileInput> = {}): StoredProfileInput {
  return {
    name,
    serviceUrl: 'pulsar+ssl://pulsar.example.test:6651',
    proxyServiceUrl: 'pulsar+ssl://proxy.example.test:4443',
    proxyProtocol: 'SNI',
    listen: { port: 0 },
    ...extra,
  };
}

let nextId = 1;

/** Events of one connection: opened, secured, then closed with or without an error. */
export function connectionEvents(profile: string, error?: { code: string; message: string }, secured = !error): TunnelEvent[] {
  const id = nextId++;
  const events: TunnelEvent[] = [
    { event: 'connection.opened', id, time: new Date().toISOString(), profile, listener: 'pulsar', local: '127.0.0.1:5555', sni: 'pulsar.example.test', proxy: 'proxy.example.test:4443' },
  ];
  const tls = { version: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384', peerSubject: 'CN=pulsar.example.test', peerValidTo: new Date().toISOString() };
  if (secured) events.push({ event: 'connection.secured', id, tls, handshakeMs: 5 });
  events.push({ event: 'connection.closed', id, bytesUp: 10, bytesDown: 20, durationMs: 7, ...(error ? { error: error as { code: 'TUNNEL_TLS_UNTRUSTED'; message: string } } : {}) });
  return events;
}
