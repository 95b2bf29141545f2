/**
 * The profile being edited in the form: text as typed, validated on every change with the same zod
 * schema the engine uses (storedProfileSchema), so each error names the field by its Pulsar key
 * (serviceUrl, proxyServiceUrl, listen.port, ...). Errors show once a field was left or the form
 * submitted, never while the user is still typing the first characters.
 */
import { storedProfileSchema, type AuthKind, type StoredProfile, type StoredProfileInput } from '../../../shared/model/storedProfile.ts';

/** The form's fields, keyed by the profile's dotted field path. */
export interface DraftFields {
  name: string;
  serviceUrl: string;
  proxyServiceUrl: string;
  /** Pulsar's proxyProtocol; SNI is the only value, so a checkbox. */
  proxyProtocolSni: boolean;
  webServiceUrl: string;
  auth: AuthKind;
  tlsHostnameVerificationEnable: boolean;
  tlsAllowInsecureConnection: boolean;
  'listen.host': string;
  'listen.port': string;
  'listen.webPort': string;
  'listen.allowNonLoopback': boolean;
  pulsarProtocol: 'inspect' | 'raw';
  keepAliveIntervalSeconds: string;
  connectionTimeoutMs: string;
  autoStart: boolean;
}

const numberFields = ['listen.port', 'listen.webPort', 'keepAliveIntervalSeconds', 'connectionTimeoutMs'] as const;

function blank(): DraftFields {
  return {
    name: '', serviceUrl: '', proxyServiceUrl: '', proxyProtocolSni: true, webServiceUrl: '', auth: 'none',
    tlsHostnameVerificationEnable: true, tlsAllowInsecureConnection: false,
    'listen.host': '127.0.0.1', 'listen.port': '6650', 'listen.webPort': '', 'listen.allowNonLoopback': false,
    pulsarProtocol: 'inspect', keepAliveIntervalSeconds: '20', connectionTimeoutMs: '10000', autoStart: false,
  };
}

function fromProfile(profile: StoredProfile): DraftFields {
  const text = (value: number | string | undefined) => (value === undefined ? '' : String(value));
  return {
    name: profile.name,
    serviceUrl: profile.serviceUrl,
    proxyServiceUrl: profile.proxyServiceUrl ?? '',
    proxyProtocolSni: profile.proxyProtocol === 'SNI',
    webServiceUrl: profile.webServiceUrl ?? '',
    auth: profile.auth,
    tlsHostnameVerificationEnable: profile.tlsHostnameVerificationEnable,
    tlsAllowInsecureConnection: profile.tlsAllowInsecureConnection,
    'listen.host': profile.listen.host ?? '',
    'listen.port': text(profile.listen.port),
    'listen.webPort': text(profile.listen.webPort),
    'listen.allowNonLoopback': profile.listen.allowNonLoopback ?? false,
    pulsarProtocol: profile.pulsarProtocol,
    keepAliveIntervalSeconds: text(profile.keepAliveIntervalSeconds),
    connectionTimeoutMs: text(profile.connectionTimeoutMs),
    autoStart: profile.autoStart,
  };
}

/** Field path -> the first problem with it, e.g. {"serviceUrl": "must start with pulsar+ssl://"}. */
export type FieldErrors = Partial<Record<string, string>>;

const urlFields: Record<string, { scheme: string; example: string }> = {
  serviceUrl: { scheme: 'pulsar+ssl://', example: 'pulsar+ssl://pulsar.example.com:6651' },
  proxyServiceUrl: { scheme: 'pulsar+ssl://', example: 'pulsar+ssl://proxy.example.com:4443' },
  webServiceUrl: { scheme: 'https://', example: 'https://pulsar.example.com:8443' },
};

/**
 * The form's wording of a schema problem: an empty required field "is required" (not '"" is not a
 * URL'), a URL without a scheme says which scheme to add, a multi-host URL says the tunnel takes one.
 * The engine's own messages (validate.ts) stay as they are; this is presentation only.
 */
export function presentIssue(field: string, message: string, value: unknown): string {
  const text = typeof value === 'string' ? value.trim() : value;
  // Only the always-required fields: an absent optional one keeps the rule that needs it (e.g. webServiceUrl with listen.webPort).
  if (text === '' && field === 'name') return `is required (${message})`;
  if (text === '' && field === 'serviceUrl') return 'is required';
  const url = urlFields[field];
  if (url && typeof text === 'string') {
    if (text.includes(',')) return `takes one host: the tunnel connects through one address (e.g. ${url.example}), not a comma-separated list`;
    if (!text.includes('://')) return `must start with ${url.scheme}, e.g. ${url.scheme}${text}`;
  }
  return message;
}

/**
 * Validates a profile input with the engine's schema; keys are dotted field paths, "(profile)" for
 * problems that belong to no single field.
 */
export function validateProfile(input: StoredProfileInput): FieldErrors {
  const result = storedProfileSchema.safeParse(input);
  if (result.success) return {};
  const errors: FieldErrors = {};
  for (const issue of result.error.issues) {
    const path = issue.path.map(String).join('.') || '(profile)';
    const message = issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : issue.message;
    const value = issue.path.reduce<unknown>((at, key) => (at && typeof at === 'object' ? (at as Record<PropertyKey, unknown>)[key] : undefined), input);
    errors[path] ??= presentIssue(path, message, value);
  }
  return errors;
}

export class ProfileDraft {
  #fields = $state<DraftFields>(blank());
  #touched = $state<Record<string, boolean>>({});
  #submitted = $state(false);
  /** The name the profile had when editing began; undefined for a new profile. */
  #originalName = $state<string | undefined>(undefined);
  /** Certificates are edited in their own panel; the form carries them through unchanged. */
  #carried = $state.raw<Pick<StoredProfileInput, 'tlsTrustCertsPem' | 'tlsCertificatePem'>>({});
  #numberErrors = $derived.by(() => {
    const errors: FieldErrors = {};
    for (const field of numberFields) {
      const value = this.#fields[field].trim();
      if (value !== '' && !/^\d+$/.test(value)) errors[field] = 'must be a whole number';
    }
    return errors;
  });
  #errors = $derived<FieldErrors>({ ...validateProfile(this.toInput()), ...this.#numberErrors });

  /** Starts editing `profile`, or a new profile with sensible defaults when undefined. */
  constructor(profile?: StoredProfile) {
    this.reset(profile);
  }

  get fields(): DraftFields {
    return this.#fields;
  }
  get isNew(): boolean {
    return this.#originalName === undefined;
  }
  get originalName(): string | undefined {
    return this.#originalName;
  }
  /** Every current problem, shown or not. */
  get errors(): FieldErrors {
    return this.#errors;
  }
  get valid(): boolean {
    return Object.keys(this.#errors).length === 0;
  }

  /** The problem to show next to `field`, once it was left or the form submitted. */
  errorFor(field: string): string | undefined {
    return this.#submitted || this.#touched[field] ? this.#errors[field] : undefined;
  }

  /** Problems shown at the top of the form: those of fields the form has no input for. */
  get otherErrors(): string[] {
    if (!this.#submitted) return [];
    const known = new Set<string>([...Object.keys(blank()), 'proxyProtocol', 'tlsCertificatePem', 'tlsTrustCertsPem']);
    return Object.entries(this.#errors)
      .filter(([field]) => !known.has(field))
      .map(([field, message]) => `${field}: ${message}`);
  }

  /** The CA certificates (PEM) the profile will carry; a new profile's form sets them. */
  get trustCerts(): string | undefined {
    return this.#carried.tlsTrustCertsPem;
  }
  setTrustCerts(pem: string | undefined): void {
    this.#carried = { ...this.#carried, tlsTrustCertsPem: pem };
  }

  /** Sets one field, typed by its key. */
  set<K extends keyof DraftFields>(field: K, value: DraftFields[K]): void {
    this.#fields[field] = value;
  }

  /** Marks a field as visited (on blur), so its error shows. */
  touch(field: string): void {
    this.#touched[field] = true;
  }

  /** Marks the whole form submitted so every error shows; returns whether it is valid. */
  submit(): boolean {
    this.#submitted = true;
    return this.valid;
  }

  reset(profile?: StoredProfile): void {
    this.#fields = profile ? fromProfile(profile) : blank();
    this.#originalName = profile?.name;
    this.#carried = profile ? { tlsTrustCertsPem: profile.tlsTrustCertsPem, tlsCertificatePem: profile.tlsCertificatePem } : {};
    this.#touched = {};
    this.#submitted = false;
  }

  /** The input for saveProfile: empty optional fields left out, numbers parsed. */
  toInput(): StoredProfileInput {
    const f = this.#fields;
    const optional = (value: string) => (value.trim() === '' ? undefined : value.trim());
    const number = (value: string) => (value.trim() === '' ? undefined : Number(value.trim()));
    const listen: NonNullable<StoredProfileInput['listen']> = {};
    if (optional(f['listen.host'])) listen.host = f['listen.host'].trim();
    if (number(f['listen.port']) !== undefined) listen.port = number(f['listen.port']);
    if (number(f['listen.webPort']) !== undefined) listen.webPort = number(f['listen.webPort']);
    if (f['listen.allowNonLoopback']) listen.allowNonLoopback = true;
    const input: StoredProfileInput = {
      name: f.name.trim(),
      serviceUrl: f.serviceUrl.trim(),
      tlsHostnameVerificationEnable: f.tlsHostnameVerificationEnable,
      tlsAllowInsecureConnection: f.tlsAllowInsecureConnection,
      auth: f.auth,
      listen,
      pulsarProtocol: f.pulsarProtocol,
      autoStart: f.autoStart,
    };
    const proxy = optional(f.proxyServiceUrl);
    if (proxy) {
      input.proxyServiceUrl = proxy;
      if (f.proxyProtocolSni) input.proxyProtocol = 'SNI';
    }
    const web = optional(f.webServiceUrl);
    if (web) input.webServiceUrl = web;
    const keepAlive = number(f.keepAliveIntervalSeconds);
    if (keepAlive !== undefined && !Number.isNaN(keepAlive)) input.keepAliveIntervalSeconds = keepAlive;
    const timeout = number(f.connectionTimeoutMs);
    if (timeout !== undefined && !Number.isNaN(timeout)) input.connectionTimeoutMs = timeout;
    if (this.#carried.tlsTrustCertsPem) input.tlsTrustCertsPem = this.#carried.tlsTrustCertsPem;
    if (this.#carried.tlsCertificatePem) input.tlsCertificatePem = this.#carried.tlsCertificatePem;
    return input;
  }
}
