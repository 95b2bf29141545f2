/**
 * Events of the connection log. The engine emits them; the CLI prints them (one JSON object per line
 * with `--log-format json`), and the UI shows them. Plain data, safe to serialise: never a credential.
 */
import type { SerializedError } from '../errors.ts';
import type { RiskCode } from './risks.ts';

/** Which local listener accepted a connection. */
export type ListenerKind = 'pulsar' | 'http' | 'broker';

/** What the TLS handshake with the broker established. */
export interface TlsSummary {
  /** e.g. "TLSv1.3" */
  version: string;
  /** e.g. "TLS_AES_256_GCM_SHA384" */
  cipher: string;
  /** Subject of the broker's certificate, e.g. "CN=broker1.test". */
  peerSubject: string;
  /** Expiry of the broker's certificate, ISO 8601. */
  peerValidTo: string;
}

/** Every listener accepts connections; the addresses are host:port ([v6]:port). */
export interface ReadyEvent {
  event: 'ready';
  listen: { pulsar: string; http?: string };
}

export interface ConnectionOpenedEvent {
  event: 'connection.opened';
  id: number;
  time: string;
  profile: string;
  listener: ListenerKind;
  /** The local client's own address:port. */
  local: string;
  /** The host sent as SNI (absent when the target is an IP address: RFC 6066 forbids it). */
  sni: string;
  /** The host:port dialed (the proxy, or the broker when there is no proxy). */
  proxy: string;
}

/** The TLS session to the broker is up. */
export interface ConnectionSecuredEvent {
  event: 'connection.secured';
  id: number;
  tls: TlsSummary;
  /** Milliseconds from accept to the end of the TLS handshake. */
  handshakeMs: number;
}

/** Emitted exactly once per accepted connection. */
export interface ConnectionClosedEvent {
  event: 'connection.closed';
  id: number;
  /** Bytes received from the local client (before any rewriting). */
  bytesUp: number;
  /** Bytes sent to the local client (after any rewriting). */
  bytesDown: number;
  durationMs: number;
  tls?: TlsSummary;
  error?: SerializedError;
}

/** Live byte counters of an open connection (only when the shell asked for progress events). */
export interface ConnectionProgressEvent {
  event: 'connection.progress';
  id: number;
  bytesUp: number;
  bytesDown: number;
}

/**
 * The Pulsar view of a connection (protocol inspection on). `broker` values are host:port as the
 * cluster names them; `local` values are the tunnel's own addresses that replace them.
 */
export type PulsarEvent =
  | {
      event: 'pulsar.connect';
      id: number;
      clientVersion: string;
      protocolVersion: number;
      /** The auth method the broker sees, e.g. "token", "tls" or "none". */
      authMethod: string;
      /** True when the tunnel put its own credential into the CONNECT. */
      authInjected: boolean;
      /** The broker this connection is bound to (host:port), or the service host for lookups. */
      broker: string;
    }
  | { event: 'pulsar.connected'; id: number; serverVersion: string; protocolVersion: number; maxMessageSize?: number }
  | {
      event: 'pulsar.lookup';
      id: number;
      topic: string;
      response: 'Connect' | 'Redirect' | 'Failed';
      broker?: string;
      local?: string;
      /** When the broker answered Failed: PULSAR_LOOKUP_FAILED with the broker's reason. */
      error?: SerializedError;
    }
  | { event: 'pulsar.producer'; id: number; topic: string }
  | { event: 'pulsar.consumer'; id: number; topic: string; subscription: string }
  | { event: 'pulsar.moved'; id: number; resource: 'producer' | 'consumer' | 'topic'; broker: string; local: string }
  | { event: 'pulsar.authRefresh'; id: number }
  | { event: 'pulsar.brokerPort'; broker: string; sni: string; local: string };

/**
 * One HTTP request through the web listener (admin REST, HTTP lookup), emitted when its response has
 * been sent (or has failed). Never carries a credential: query values that look like secrets are
 * masked in `path`.
 */
export interface HttpRequestEvent {
  event: 'http.request';
  /** The id of the local connection that carried the request (see connection.opened). */
  id: number;
  method: string;
  /** Path and query as the client sent them, secret-looking query values replaced by "***". */
  path: string;
  /** The status the local client received (502/413 when the tunnel answered itself). */
  status: number;
  /** The web host:port that answered last (after redirects), as the cluster names it. */
  broker: string;
  durationMs: number;
  /** Redirects (307/308, or 301/302 for GET and HEAD) the tunnel followed for this request. */
  redirectsFollowed: number;
  /** What went wrong when the tunnel answered with an error or the response broke off. */
  error?: SerializedError;
}

/** Progress of a running tunnel that is not tied to one connection. */
export interface ListenerErrorEvent {
  event: 'listener.error';
  listener: ListenerKind;
  error: SerializedError;
}

/**
 * A risky setting of the running profile (see shared/model/risks.ts), emitted once per setting
 * when the tunnel starts, before `ready`.
 */
export interface WarningEvent {
  event: 'warning';
  code: RiskCode;
  /** The profile key, e.g. `tlsAllowInsecureConnection`. */
  field: string;
  message: string;
}

/**
 * A secret the profile FILE names is about to be read from this computer (`run` of a file), emitted
 * before the tunnel starts, once per secret: what, from where, and where the credential goes.
 */
export interface SecretReadEvent {
  event: 'secret.read';
  secret: 'token' | 'clientKey';
  from: 'env' | 'file';
  /** The environment variable's name, or the file's real path. */
  name: string;
  /** The profile key that names it, e.g. `authParams`. */
  field: string;
  /** The broker, the proxy and the SNI the credential goes to. */
  sentTo: string;
  message: string;
}

/**
 * A listener reached its cap on open connections (`limit`): since the last report, `evicted` idle
 * connections were closed to make room for newer ones and `refused` newcomers were closed as they
 * were accepted (reports come at most once a second per listener).
 */
export interface ListenerFullEvent {
  event: 'listener.full';
  listener: ListenerKind;
  /** The listener's own host:port. */
  address: string;
  limit: number;
  /** New connections closed as they came, because every open one had proven itself. */
  refused: number;
  /**
   * Open connections closed to make room for newer ones: the oldest that had not yet proven to be a
   * real client (no Pulsar CONNECT or first byte yet; no HTTP request yet).
   */
  evicted: number;
  /** TUNNEL_CONNECTION_LIMIT, with a sentence saying what to do. */
  error: SerializedError;
}

export type TunnelEvent =
  | ReadyEvent
  | WarningEvent
  | SecretReadEvent
  | ConnectionOpenedEvent
  | ConnectionSecuredEvent
  | ConnectionProgressEvent
  | ConnectionClosedEvent
  | ListenerErrorEvent
  | ListenerFullEvent
  | HttpRequestEvent
  | PulsarEvent;

/**
 * Every event kind, for code that must handle each one (the CLI's text log, its test). Adding a kind
 * to {@link TunnelEvent} without listing it here fails the type check, and the reverse too.
 */
export const tunnelEventKinds = [
  'ready',
  'warning',
  'secret.read',
  'connection.opened',
  'connection.secured',
  'connection.progress',
  'connection.closed',
  'listener.error',
  'listener.full',
  'http.request',
  'pulsar.connect',
  'pulsar.connected',
  'pulsar.lookup',
  'pulsar.producer',
  'pulsar.consumer',
  'pulsar.moved',
  'pulsar.authRefresh',
  'pulsar.brokerPort',
] as const satisfies readonly TunnelEvent['event'][];

/** An event kind, e.g. "pulsar.lookup". */
export type TunnelEventKind = (typeof tunnelEventKinds)[number];

/** Type-level check that {@link tunnelEventKinds} lists every kind of {@link TunnelEvent}. */
export type UnlistedTunnelEventKinds = Exclude<TunnelEvent['event'], TunnelEventKind>;
const _everyKindListed: [UnlistedTunnelEventKinds] extends [never] ? true : UnlistedTunnelEventKinds = true;
