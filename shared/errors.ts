/**
 * The one error type of pulsar-tunnel. Every failure a user can meet carries a stable code; the CLI
 * and the UI switch on the code, never on message text, and every code has a sentence a user can
 * act on. Plain TypeScript: used by the engine, the shells and the renderer alike.
 */

/** Stable error codes and the default sentence for each (what happened and what to do). */
export const errorCatalog = {
  PROFILE_INVALID: 'The profile is not valid; fix the field named in the message.',
  PROFILE_UNREADABLE: 'The profile file cannot be read; check the path and its permissions.',
  PROFILE_NOT_FOUND: 'No profile has that name; `pulsar-tunnel profiles list` shows the ones that exist.',
  PROFILE_EXISTS: 'A profile with that name already exists; choose another name, or remove or replace the existing one.',
  PROFILE_STORE_CORRUPT: 'A stored profile file was damaged; it was moved aside (the message says where) and the other profiles still load.',
  PROFILE_STORE_BUSY: 'Another pulsar-tunnel process kept the profile store locked too long; try again, or remove a stale lock file the message names.',
  PROFILE_SECRET_UNAVAILABLE: 'A credential the profile refers to cannot be read; check the file or environment variable it names.',
  PROFILE_SECRETS_NOT_CONFIRMED: 'The profile file names secrets to read from this computer (an environment variable, or a file outside its folder) and send to its server; check the list, and only if you trust the file run again with --read-secrets.',
  TUNNEL_LISTEN_IN_USE: 'The local port is already in use; stop the program holding it or choose another listen port.',
  TUNNEL_LISTEN_FAILED: 'The local listener could not be opened; check listen.host and listen.port.',
  PROXY_DNS_FAILED: 'The proxy host name does not resolve; check proxyServiceUrl and your DNS or VPN.',
  PROXY_UNREACHABLE: 'The proxy refused the TCP connection; check proxyServiceUrl (host and port) and that the proxy is running.',
  PROXY_CONNECT_TIMEOUT: 'The proxy did not accept the TCP connection in time; check the address, your VPN and any firewall.',
  PROXY_NO_ROUTE: 'The proxy rejected the TLS handshake for this server name (TLS alert 40): it has no route for it; add the host to the proxy\'s SNI routes (ATS sni.yaml tunnel_route).',
  PROXY_ROUTE_DEAD: 'The proxy accepted the connection and closed it without a TLS answer: its route for this server name points to a port where nothing listens; check the tunnel_route target and the broker.',
  PROXY_ANSWERED_PLAINTEXT: 'The proxy answered in plain text (an HTTP error page) instead of TLS: for ATS the route host does not resolve or its port is missing from proxy.config.http.connect_ports.',
  TUNNEL_TLS_HANDSHAKE_TIMEOUT: 'The TLS handshake got no answer in time: a firewall, a proxy that hangs on the ClientHello, or a wrong port; check the proxy address and its logs.',
  TUNNEL_TLS_UNTRUSTED: 'The broker\'s certificate is not signed by a trusted CA; set tlsTrustCertsFilePath to the CA that issued it.',
  TUNNEL_TLS_HOSTNAME_MISMATCH: 'The broker\'s certificate does not name the host the tunnel connected to; fix the service URL or the certificate, or set tlsHostnameVerificationEnable to false.',
  TUNNEL_TLS_CERT_EXPIRED: 'The broker\'s certificate has expired or is not yet valid; renew it, or check this computer\'s clock.',
  TUNNEL_TLS_CERT_EXPIRING: 'The broker\'s certificate is still valid but expires soon (the message says when); renew it before then.',
  TUNNEL_TLS_CLIENT_CERT_REJECTED: 'The broker rejected the client certificate; check tlsCertificateFilePath and tlsKeyFilePath and that the broker trusts their CA.',
  TUNNEL_TLS_FAILED: 'The TLS handshake failed; the message says why.',
  TUNNEL_PEER_RESET: 'The connection was reset by the other side.',
  PROXY_CONNECTION_LOST: 'The connection to the proxy broke (a reset, or a close without a TLS close from the broker) while the local client was still connected: the proxy or the broker stopped or restarted, the proxy closed an idle tunnel, or the network dropped; check that the proxy is running and its logs, then reconnect.',
  TUNNEL_CLOSE_TIMEOUT: 'One side closed and the other stayed silent past the close timeout, so the tunnel closed the connection.',
  TUNNEL_CONNECTION_LIMIT: 'A local listener has as many connections open as it allows, so new ones were closed at once; close idle clients, or find the one that opens connections without end.',
  TUNNEL_FILE_LIMIT: 'The tunnel is close to its limit on open files, so idle local connections were closed to make room for newer ones (or, when every open one was in use, new ones were closed at once); close idle clients, or raise the limit (ulimit -n) before starting the tunnel.',
  TUNNEL_BROKER_LIMIT: 'Lookup answers named more brokers than the 256 one tunnel opens local ports for, so the lookup was answered Failed; a cluster that big needs a second tunnel, or restart this one.',
  TUNNEL_INTERNAL: 'An unexpected error occurred in the tunnel; please report it with the log.',
  PULSAR_FRAME_TOO_LARGE: 'A Pulsar frame was larger than the negotiated maximum; the connection was closed.',
  PULSAR_COMMAND_TOO_LARGE: 'The local client sent a Pulsar command larger than 64 KiB before its session was established (a CONNECT is a few hundred bytes); the connection was closed.',
  PULSAR_FRAME_INVALID: 'A Pulsar frame could not be parsed; the connection was closed.',
  PULSAR_HTTP_RESPONSE: 'The broker side answered in HTTP where a Pulsar frame was expected (a frame length of 1213486160, "HTTP"; Java clients log 1213486164): the route points at an HTTP port or the proxy sent an error page.',
  PULSAR_LOCAL_TLS: 'The local client started a TLS handshake; point it at pulsar://127.0.0.1:<port> without TLS (the tunnel adds TLS itself).',
  PULSAR_NOT_PULSAR: 'The local client does not speak Pulsar (its first bytes are not a Pulsar frame, e.g. an HTTP request); point Pulsar clients at the Pulsar port and HTTP at the web port.',
  PULSAR_NO_CONNECT: 'The local client sent no Pulsar CONNECT in time; is it a Pulsar client pointed at the right port?',
  PULSAR_UNKNOWN_BROKER: 'The client asked for a broker this tunnel has never seen in a lookup; let the client look the topic up again.',
  PULSAR_AUTH_REJECTED: 'The broker refused the CONNECT (authentication or authorization failed); check the token or client certificate and the role\'s permissions.',
  PULSAR_CONNECT_FAILED: 'The broker did not answer the Pulsar CONNECT with CONNECTED; the message says what came instead.',
  PULSAR_LOOKUP_FAILED: 'The topic lookup failed; check the topic name and that the role may look it up.',
  PROXY_IDLE_TIMEOUT_SHORT: 'The proxy closes idle connections sooner than the keepalive interval; lower keepAliveIntervalSeconds below the proxy\'s idle timeout, or raise that timeout.',
  HTTP_REDIRECT_UNREACHABLE: 'The web service redirected to an address the tunnel cannot reach through this profile\'s proxy; the message names it (brokers must advertise https web addresses whose host names the proxy routes).',
  HTTP_REDIRECT_REFUSED: 'The web service redirected to a host the tunnel does not send credentials to (outside this cluster, or your own Authorization header to another host); the message says which and what to do.',
  HTTP_REDIRECT_BODY_TOO_LARGE: 'The web service redirected a request whose body is too large for the tunnel to replay; send it to the broker that owns the resource, or make the body smaller.',
  HTTP_TOO_MANY_REDIRECTS: 'The web service kept redirecting; the redirect loop is named in the message (check the cluster\'s ownership of the resource).',
  HTTP_REQUEST_REFUSED: 'The web listener refused a request a web page started, or one for a host name that is not this machine: the tunnel adds your credentials to requests there, so only local tools (or an address typed into the browser) may use it.',
  HTTP_HEADER_TIMEOUT: 'A local client did not send a complete HTTP request head in time, so the web listener closed its connection; check the client (a stalled or hostile program holds connections this way).',
  HTTP_UPSTREAM_FAILED: 'The web service\'s answer could not be passed on (it broke off or was not valid HTTP); the message says what happened.',
  KEYCHAIN_UNAVAILABLE: 'The OS keychain (Secret Service) is not available; start a keyring daemon or unlock your desktop session.',
  KEYCHAIN_LOCKED: 'The OS keychain is locked; unlock it and try again.',
  KEYCHAIN_ITEM_MISSING: 'A secret this profile needs is missing from the OS keychain; enter it again.',
  CERTIFICATE_INVALID: 'The certificate or key could not be used; the message says why.',
  IMPORT_INVALID: 'The file could not be imported; the message says which entry is wrong.',
  IMPORT_TOO_LARGE: 'The file is larger than the 5 MB import limit; a profile, bundle or client.conf is far smaller, so check that it is the right file.',
  FILE_NOT_REGULAR: 'A file named for a profile or an import is a pipe, a device or a socket, not a regular file; name a file that holds the content.',
  IMPORT_SECRETS_NOT_CONFIRMED: 'The imported file names secrets to read from this computer (environment variables or files); check the list, and only if you trust the file import again with --read-secrets (the app asks).',
  BUNDLE_PASSPHRASE_WRONG: 'The passphrase does not open this bundle.',
  BUNDLE_PASSPHRASE_REQUIRED: 'The bundle is encrypted and no passphrase was given; give the passphrase it was exported with.',
  API_BAD_REQUEST: 'The request was not valid; the message names the field.',
  API_UNAUTHORIZED: 'The request lacks the session token; open the URL the tunnel printed.',
  API_UNREACHABLE: 'The app\'s engine did not answer; check that pulsar-tunnel is still running, then reload the page.',
  ENGINE_CRASHED: 'The tunnel engine stopped unexpectedly (or was ended for not answering); it is restarted on its own and its tunnels brought back, unless it could not start at all (the message says so); retry what you were doing, and report it with the log if it happens again.',
} as const;

/** A stable, machine-readable error code. */
export type ErrorCode = keyof typeof errorCatalog;

/** The shape an error takes when it crosses a process boundary (CLI JSON, IPC, HTTP). */
export interface SerializedError {
  code: ErrorCode;
  message: string;
}

/** An error with a stable code, a sentence a user can act on, and the original cause. */
export class AppError extends Error {
  readonly code: ErrorCode;

  /**
   * @param code the stable code
   * @param message what happened, in words a user can act on; defaults to the catalog sentence
   * @param options.cause the lower-level error, kept for diagnostics
   */
  constructor(code: ErrorCode, message?: string, options?: { cause?: unknown }) {
    super(message ?? errorCatalog[code], options);
    this.name = 'AppError';
    this.code = code;
  }

  /** The form used on the wire: code and message only (never the cause, which may hold secrets). */
  toJSON(): SerializedError {
    return { code: this.code, message: this.message };
  }
}

/** True when `value` is an AppError (also across realms, by shape). */
export function isAppError(value: unknown): value is AppError {
  return value instanceof AppError || (typeof value === 'object' && value !== null && (value as { name?: unknown }).name === 'AppError' && typeof (value as { code?: unknown }).code === 'string' && (value as { code: string }).code in errorCatalog);
}

/** Rebuilds an AppError from its serialized form, e.g. on the renderer side of an IPC call. */
export function deserializeError(error: SerializedError): AppError {
  return new AppError(error.code in errorCatalog ? error.code : 'TUNNEL_INTERNAL', error.message);
}
