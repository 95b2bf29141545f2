/**
 * The Doctor's report: a step-by-step check of one profile's path to its cluster (profile, DNS,
 * TCP, TLS through the SNI proxy, certificates, Pulsar CONNECT, lookup, idle timeout), plus the
 * proxy configuration the profile needs. Plain data: it crosses IPC and is printed as JSON by the CLI.
 */

/** Every step, in the order the Doctor runs them. */
export const doctorStepNames = [
  'profile',
  'dns',
  'tcp',
  'tls',
  'certificate',
  'clientCertificate',
  'pulsarConnect',
  'lookup',
  'brokerConnect',
  'brokers',
  'idleTimeout',
] as const;

/** A step's stable name (scripts switch on it). */
export type DoctorStepName = (typeof doctorStepNames)[number];

/**
 * ok: passed. failed: the Doctor stopped here (see `code` and `fix`). skipped: not run (an earlier
 * step failed, the step was not requested, or it does not apply). warning: ran, works now, but
 * something should change (`fix` says what).
 */
export type DoctorStepStatus = 'ok' | 'failed' | 'skipped' | 'warning';

/** One step's outcome. */
export interface DoctorStep {
  name: DoctorStepName;
  /** A short human title, e.g. "TLS handshake with the service name". */
  title: string;
  status: DoctorStepStatus;
  /** Wall time the step took (0 for a skipped step). */
  durationMs: number;
  /** What was checked and what was found, in plain language. */
  detail: string;
  /** On failure or warning: the stable error code (an AppError code of shared/errors.ts). */
  code?: string;
  /** On failure or warning: what to change, and where. */
  fix?: string;
  /** Facts the step found (server version, certificate names, broker URL...), for display and scripts. */
  facts?: Record<string, string | number | boolean | string[]>;
}

/** Configuration for the proxy in front of the cluster, for the user to hand to whoever runs it. */
export interface ProxyConfigText {
  /** ATS 9 `sni.yaml` entries (one tunnel_route per name). */
  atsSniYaml: string;
  /** ATS `records.config` lines (connect_ports, idle timeouts, host file). */
  atsRecordsConfig: string;
  /** haproxy `mode tcp` frontend/backends routing on `req.ssl_sni`. */
  haproxy: string;
  /** nginx `stream` block with `ssl_preread` and a `map $ssl_preread_server_name`. */
  nginx: string;
  /** `pulsar-admin clusters update ...` so brokers of other clusters replicate through the same proxy. */
  pulsarAdmin: string;
}

/** The Doctor's full answer. */
export interface DoctorReport {
  profile: string;
  /** True when no step failed (warnings allowed). */
  ok: boolean;
  startedAt: string;
  durationMs: number;
  /** Every step of {@link doctorStepNames}, in that order. */
  steps: DoctorStep[];
  /** The first failed step, when one failed. */
  failedStep?: DoctorStepName;
  /** Absent only when the profile itself could not be loaded. */
  proxyConfig?: ProxyConfigText;
}

/** Options of a Doctor run, as the UI and the CLI give them. */
export interface DoctorOptions {
  /** A topic to look up; its owning broker is then dialed too. */
  topic?: string;
  /** Hold an idle connection to measure the proxy's idle timeout (slow: up to about 40 s). */
  idleCheck?: boolean;
  /**
   * Brokers to check besides those a lookup names, as the cluster names them (`host:port`). The app
   * adds the brokers its tunnel has seen in lookup answers for the profile.
   */
  brokers?: string[];
}

/** Options of a Doctor run on a profile that is not saved (a form's draft). */
export interface DraftDoctorOptions extends DoctorOptions {
  /**
   * The saved profile the form edits: secrets the form does not carry (the token, a client key)
   * come from its keychain items, and the brokers its tunnels named are checked.
   */
  previousName?: string;
  /** The token typed into the form: used for this run only, never stored. */
  token?: string;
}
