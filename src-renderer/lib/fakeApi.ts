/**
 * An in-memory TunnelApi for unit tests and UI previews: keeps profiles and which secrets are set,
 * runs no tunnels, and lets a test push log batches (`emit`) and make the next call of a method
 * fail (`failNext`). Its answers have the contract's shapes; it validates profiles with the same
 * schema as the engine, so PROFILE_INVALID comes back naming the field.
 */
import { AppError } from '../../shared/errors.ts';
import type {
  DuplicateOptions,
  ListenPortAdvice,
  ExportRequest, ImportOptions, ImportResult, KeychainStatus, LogBatch, ProfileView, SecretSource, Snippets, TunnelApi, TunnelStatus,
} from '../../shared/ipc/contract.ts';
import type { CertificateSummary } from '../../shared/model/certificate.ts';
import { doctorStepNames, type DoctorOptions, type DoctorReport, type DoctorStep, type DraftDoctorOptions } from '../../shared/model/doctor.ts';
import { describeIssues } from '../../shared/model/profile.ts';
import {
  secretKinds, storedProfileSchema, type SecretKind, type StoredProfile, type StoredProfileInput,
} from '../../shared/model/storedProfile.ts';

interface Entry {
  profile: StoredProfile;
  secrets: Record<SecretKind, boolean>;
  tunnel: TunnelStatus;
}

/** One recorded call, for assertions. */
export interface FakeCall {
  method: keyof TunnelApi;
  args: unknown[];
}

/** A stand-in summary per PEM certificate block: the fake cannot parse X.509 in a browser. */
export function fakeSummaries(pem: string | undefined): CertificateSummary[] {
  if (!pem) return [];
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((block, index) => {
    const cn = /CN=([^\s]+)/.exec(block)?.[1] ?? `certificate-${index + 1}`;
    return {
      subject: `CN=${cn}`,
      issuer: 'CN=Fake Test CA',
      subjectAltNames: [`DNS:${cn}`],
      validFrom: '2026-01-01T00:00:00.000Z',
      validTo: '2027-01-01T00:00:00.000Z',
      fingerprint256: Array.from({ length: 32 }, (_, i) => ((block.length * 7 + i * 13) % 256).toString(16).padStart(2, '0').toUpperCase()).join(':'),
      daysLeft: 35,
      status: 'valid',
    };
  });
}

/**
 * A Doctor report for the fake: every step up to CONNECTED passes (the lookup too when a topic is
 * given), the rest are skipped. Tests replace it with {@link FakeTunnelApi.doctorReport}.
 */
export function fakeDoctorReport(name: string, serviceHost: string, options: DoctorOptions = {}): DoctorReport {
  const passing = new Set<string>(['profile', 'dns', 'tcp', 'tls', 'certificate', 'pulsarConnect', ...(options.topic ? ['lookup', 'brokerConnect'] : []), ...(options.idleCheck ? ['idleTimeout'] : [])]);
  const steps: DoctorStep[] = doctorStepNames.map((step, index) => ({
    name: step,
    title: step,
    status: passing.has(step) ? 'ok' : 'skipped',
    durationMs: passing.has(step) ? index + 1 : 0,
    detail: passing.has(step) ? `${step} passed (fake)` : 'Not requested.',
  }));
  return {
    profile: name,
    ok: true,
    startedAt: '2026-01-01T00:00:00.000Z',
    durationMs: 42,
    steps,
    proxyConfig: {
      atsSniYaml: `sni:\n- fqdn: '${serviceHost}'\n  tunnel_route: '${serviceHost}:6651'\n`,
      atsRecordsConfig: 'CONFIG proxy.config.http.connect_ports STRING 6651\n',
      haproxy: `use_backend pulsar if { req.ssl_sni -i ${serviceHost} }\n`,
      nginx: `map $ssl_preread_server_name $pulsar_upstream { ${serviceHost} pulsar; }\n`,
      pulsarAdmin: `pulsar-admin clusters update <cluster-name> --broker-url-secure pulsar+ssl://${serviceHost}:6651 --proxy-protocol SNI --proxy-url pulsar+ssl://proxy:443\n`,
    },
  };
}

function stopped(name: string): TunnelStatus {
  return { profile: name, state: 'stopped', brokers: [], openConnections: 0, totalConnections: 0 };
}

export class FakeTunnelApi implements TunnelApi {
  readonly calls: FakeCall[] = [];
  readonly #entries = new Map<string, Entry>();
  readonly #listeners = new Set<(batch: LogBatch) => void>();
  readonly #failures = new Map<keyof TunnelApi, AppError>();
  #nextPort = 16650;
  /** When set, runDoctor answers with it (its profile name replaced); otherwise {@link fakeDoctorReport}. */
  doctorReport: DoctorReport | undefined = undefined;
  /** The passphrase an encrypted fake bundle needs (see importProfiles). */
  bundlePassphrase = 'correct horse';

  constructor(profiles: StoredProfileInput[] = []) {
    for (const input of profiles) {
      const profile = storedProfileSchema.parse(input);
      this.#entries.set(profile.name, { profile, secrets: { token: false, clientKey: false, keyPassphrase: false }, tunnel: stopped(profile.name) });
    }
  }

  /** Makes the next call of `method` reject with `error`. */
  failNext(method: keyof TunnelApi, error: AppError): void {
    this.#failures.set(method, error);
  }

  /** Delivers a log batch to every subscriber, as the engine would. */
  emit(batch: LogBatch): void {
    for (const listener of this.#listeners) listener(batch);
  }

  get subscriberCount(): number {
    return this.#listeners.size;
  }

  /** Overrides a tunnel's status (e.g. to show brokers or a failing state). */
  setStatus(status: TunnelStatus): void {
    const entry = this.#need(status.profile);
    entry.tunnel = status;
  }

  async listProfiles(): Promise<ProfileView[]> {
    this.#record('listProfiles', []);
    return [...this.#entries.values()].map((entry) => this.#view(entry));
  }

  async saveProfile(input: StoredProfileInput, options?: { previousName?: string }): Promise<ProfileView> {
    this.#record('saveProfile', [input, options]);
    const parsed = storedProfileSchema.safeParse(input);
    if (!parsed.success) throw new AppError('PROFILE_INVALID', describeIssues(parsed.error.issues).join('; '));
    const profile = parsed.data;
    const previous = options?.previousName ? this.#need(options.previousName) : this.#entries.get(profile.name);
    if (options?.previousName && options.previousName !== profile.name) {
      if (this.#entries.has(profile.name)) throw new AppError('PROFILE_INVALID', `name: a profile named "${profile.name}" already exists`);
      this.#entries.delete(options.previousName);
    } else if (!options?.previousName && previous) {
      throw new AppError('PROFILE_INVALID', `name: a profile named "${profile.name}" already exists`);
    }
    const changed = previous !== undefined && previous.tunnel.state !== 'stopped' && JSON.stringify(previous.profile) !== JSON.stringify(profile);
    const entry: Entry = {
      profile,
      secrets: previous?.secrets ?? { token: false, clientKey: false, keyPassphrase: false },
      tunnel: previous ? { ...previous.tunnel, profile: profile.name, ...(changed || previous.tunnel.pendingChanges ? { pendingChanges: true } : {}) } : stopped(profile.name),
    };
    this.#entries.set(profile.name, entry);
    return this.#view(entry);
  }

  async duplicateProfile(name: string, newName: string, options?: DuplicateOptions): Promise<ProfileView> {
    this.#record('duplicateProfile', options ? [name, newName, options] : [name, newName]);
    const source = this.#need(name);
    if (this.#entries.has(newName)) throw new AppError('PROFILE_INVALID', `name: a profile named "${newName}" already exists`);
    const listen = options?.listenPort === undefined ? source.profile.listen : { ...source.profile.listen, port: options.listenPort };
    const profile = storedProfileSchema.parse({ ...source.profile, name: newName, autoStart: false, listen });
    const entry: Entry = { profile, secrets: { ...source.secrets }, tunnel: stopped(newName) };
    this.#entries.set(newName, entry);
    return this.#view(entry);
  }

  async removeProfile(name: string): Promise<void> {
    this.#record('removeProfile', [name]);
    this.#need(name);
    this.#entries.delete(name);
  }

  /** Set to a KEYCHAIN_* error to stand for an unreachable keychain: keychainStatus says so and setSecret fails with it. */
  keychainError: AppError | undefined;

  async keychainStatus(): Promise<KeychainStatus> {
    this.#record('keychainStatus', []);
    return this.keychainError ? { available: false, error: this.keychainError.toJSON() } : { available: true };
  }

  async setSecret(name: string, kind: SecretKind, value: string | null): Promise<void> {
    this.#record('setSecret', [name, kind, value === null ? null : '<redacted>']);
    if (this.keychainError) throw this.keychainError;
    if (!secretKinds.includes(kind)) throw new AppError('API_BAD_REQUEST', `kind: must be one of ${secretKinds.join(', ')}`);
    const entry = this.#need(name);
    entry.secrets[kind] = value !== null && value !== '';
    if (entry.tunnel.state !== 'stopped') entry.tunnel = { ...entry.tunnel, pendingChanges: true };
  }

  /**
   * Understands: a JSON profile or array of profiles; a fake encrypted bundle
   * `{"encrypted": true, "passphrase": "...", "profiles": [...]}`; a client.conf (key=value lines).
   */
  async importProfiles(fileName: string, content: string, options?: ImportOptions): Promise<ImportResult> {
    this.#record('importProfiles', [fileName, content, options]);
    let inputs: StoredProfileInput[];
    const secretSources: SecretSource[] = [];
    if (fileName.endsWith('.conf')) {
      const values = Object.fromEntries(
        content.split(/\r?\n/).map((line) => line.trim()).filter((line) => line && !line.startsWith('#')).map((line) => {
          const at = line.indexOf('=');
          return [line.slice(0, at).trim(), line.slice(at + 1).trim()];
        }),
      );
      // Like the engine: a token from this computer's environment or files needs the user's yes.
      const params = String(values.authParams ?? '');
      if (params.startsWith('env:')) secretSources.push({ secret: 'token', from: 'env', name: params.slice(4), field: 'authParams' });
      if (params.startsWith('file:')) secretSources.push({ secret: 'token', from: 'file', name: params.replace(/^file:(\/\/)?/, ''), field: 'authParams' });
      if (secretSources.length > 0 && options?.readSecrets !== true) return { imported: [], warnings: [], secretSources, needsConfirmation: true };
      inputs = [{ name: fileName.replace(/\.conf$/, '').replace(/[^A-Za-z0-9._-]/g, '-'), serviceUrl: String(values.serviceUrl ?? ''), ...(values.proxyServiceUrl ? { proxyServiceUrl: String(values.proxyServiceUrl), proxyProtocol: 'SNI' as const } : {}) }];
    } else {
      let data: unknown;
      try {
        data = JSON.parse(content);
      } catch {
        throw new AppError('IMPORT_INVALID', `${fileName}: not JSON and not a client.conf`);
      }
      if (typeof data === 'object' && data !== null && (data as { encrypted?: unknown }).encrypted === true) {
        if (options?.passphrase === undefined) throw new AppError('BUNDLE_PASSPHRASE_REQUIRED');
        if (options.passphrase !== this.bundlePassphrase) throw new AppError('BUNDLE_PASSPHRASE_WRONG');
        inputs = (data as { profiles: StoredProfileInput[] }).profiles;
      } else {
        inputs = Array.isArray(data) ? (data as StoredProfileInput[]) : [data as StoredProfileInput];
      }
    }
    if (options?.name !== undefined) {
      if (inputs.length !== 1) throw new AppError('IMPORT_INVALID', `${fileName}: a bundle keeps the names of its profiles`);
      inputs = [{ ...inputs[0]!, name: options.name }];
    }
    const imported: string[] = [];
    const warnings: string[] = [];
    const profiles = inputs.map((input) => {
      const parsed = storedProfileSchema.safeParse(input);
      if (!parsed.success) throw new AppError('IMPORT_INVALID', describeIssues(parsed.error.issues).join('; '));
      return parsed.data;
    });
    const clash = profiles.find((profile) => this.#entries.has(profile.name));
    if (clash && !options?.onConflict) throw new AppError('PROFILE_EXISTS', `A profile named "${clash.name}" already exists: replace it, keep both, or import under another name.`);
    for (const profile of profiles) {
      let name = profile.name;
      if (options?.onConflict === 'keepBoth' && this.#entries.has(name)) {
        for (let suffix = 2; this.#entries.has(name); suffix += 1) name = `${profile.name}-${suffix}`;
        warnings.push(`Imported "${profile.name}" as "${name}": a profile named "${profile.name}" already exists.`);
      }
      this.#entries.set(name, { profile: { ...profile, name }, secrets: { token: false, clientKey: false, keyPassphrase: false }, tunnel: stopped(name) });
      imported.push(name);
    }
    return { imported, warnings, secretSources };
  }

  async exportProfiles(request: ExportRequest): Promise<{ fileName: string; content: string }> {
    this.#record('exportProfiles', [{ ...request, passphrase: request.passphrase ? '<redacted>' : undefined }]);
    const profiles = request.names.map((name) => this.#need(name).profile);
    const fileName = request.names.length === 1 ? `${request.names[0]}.pulsar-tunnel.json` : 'profiles.pulsar-tunnel.json';
    const content = request.passphrase ? JSON.stringify({ encrypted: true, profiles }) : JSON.stringify(profiles, null, 2);
    return { fileName, content };
  }

  async startTunnel(name: string): Promise<TunnelStatus> {
    this.#record('startTunnel', [name]);
    const entry = this.#need(name);
    const port = entry.profile.listen.port || this.#nextPort++;
    entry.tunnel = { ...entry.tunnel, state: 'running', listen: { pulsar: `127.0.0.1:${port}` }, startedAt: new Date().toISOString() };
    return entry.tunnel;
  }

  async stopTunnel(name: string): Promise<TunnelStatus> {
    this.#record('stopTunnel', [name]);
    const entry = this.#need(name);
    entry.tunnel = stopped(name);
    return entry.tunnel;
  }

  async restartTunnel(name: string): Promise<TunnelStatus> {
    this.#record('restartTunnel', [name]);
    const entry = this.#need(name);
    const port = entry.tunnel.listen?.pulsar.split(':').pop() ?? String(entry.profile.listen.port || this.#nextPort++);
    entry.tunnel = { ...stopped(name), state: 'running', listen: { pulsar: `127.0.0.1:${port}` }, startedAt: new Date().toISOString() };
    return entry.tunnel;
  }

  async tunnelStatus(): Promise<TunnelStatus[]> {
    this.#record('tunnelStatus', []);
    return [...this.#entries.values()].map((entry) => entry.tunnel);
  }

  /** Port advice: the port counts as taken when another fake tunnel listens on it; free ports count up from it. */
  async listenPortAdvice(name: string): Promise<ListenPortAdvice> {
    this.#record('listenPortAdvice', [name]);
    const entry = this.#need(name);
    const port = entry.profile.listen.port ?? 6650;
    const holder = [...this.#entries.values()].find((other) => other !== entry && other.tunnel.listen?.pulsar.endsWith(`:${port}`));
    const taken = new Set([...this.#entries.values()].map((other) => other.profile.listen.port ?? 6650));
    let freePort = port + 1;
    while (taken.has(freePort)) freePort += 1;
    return { field: 'listen.port', port, inUse: holder !== undefined, ...(holder ? { holder: { profile: holder.profile.name, pid: 4242, thisApp: true } } : {}), freePort };
  }

  async runDoctor(name: string, options?: DoctorOptions): Promise<DoctorReport> {
    this.#record('runDoctor', [name, options]);
    const entry = this.#need(name);
    if (this.doctorReport) return { ...this.doctorReport, profile: name };
    return fakeDoctorReport(name, new URL(entry.profile.serviceUrl.replace(/^pulsar\+ssl:/, 'https:')).hostname, options);
  }

  /** Validates the draft as saveProfile does and answers like runDoctor; nothing is stored. */
  async runDoctorOnDraft(input: StoredProfileInput, options?: DraftDoctorOptions): Promise<DoctorReport> {
    this.#record('runDoctorOnDraft', [input, options?.token === undefined ? options : { ...options, token: '<redacted>' }]);
    const parsed = storedProfileSchema.safeParse(input);
    if (!parsed.success) throw new AppError('PROFILE_INVALID', describeIssues(parsed.error.issues).join('; '));
    if (options?.previousName) this.#need(options.previousName);
    if (this.doctorReport) return { ...this.doctorReport, profile: parsed.data.name };
    return fakeDoctorReport(parsed.data.name, new URL(parsed.data.serviceUrl.replace(/^pulsar\+ssl:/, 'https:')).hostname, options);
  }

  async snippets(name: string): Promise<Snippets> {
    this.#record('snippets', [name]);
    const entry = this.#need(name);
    const local = entry.tunnel.listen?.pulsar ?? `127.0.0.1:${entry.profile.listen.port ?? 6650}`;
    const serviceUrl = `pulsar://${local}`;
    return {
      clientConf: `serviceUrl=${serviceUrl}\n`,
      serviceUrl,
      java: `PulsarClient.builder().serviceUrl("${serviceUrl}").build();`,
      python: `pulsar.Client("${serviceUrl}")`,
      node: `new Pulsar.Client({ serviceUrl: "${serviceUrl}" })`,
      pulsarClient: `pulsar-client --url ${serviceUrl} consume -s sub my-topic`,
      pulsarPerf: `pulsar-perf produce --service-url ${serviceUrl} my-topic`,
    };
  }

  subscribeLog(listener: (batch: LogBatch) => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  #record(method: keyof TunnelApi, args: unknown[]): void {
    this.calls.push({ method, args });
    const failure = this.#failures.get(method);
    if (failure) {
      this.#failures.delete(method);
      throw failure;
    }
  }

  #need(name: string): Entry {
    const entry = this.#entries.get(name);
    if (!entry) throw new AppError('PROFILE_NOT_FOUND', `No profile named "${name}".`);
    return entry;
  }

  #view(entry: Entry): ProfileView {
    const clientCert = fakeSummaries(entry.profile.tlsCertificatePem)[0];
    return {
      profile: structuredClone(entry.profile),
      secrets: { ...entry.secrets },
      trustCerts: fakeSummaries(entry.profile.tlsTrustCertsPem),
      ...(clientCert ? { clientCert } : {}),
      tunnel: structuredClone(entry.tunnel),
    };
  }
}
