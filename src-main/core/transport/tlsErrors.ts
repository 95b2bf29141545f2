/**
 * Turns what Node's net and tls layers report into AppErrors a user can act on. The SNI-proxy cases
 * follow what a client sees through Apache Traffic Server (docs/proxies.md, "What a client sees"): an
 * alert 40 for a name without a route, a plaintext HTML page for a route it cannot follow, and a
 * close without any TLS answer for a route to a dead port.
 */
import { AppError } from '../../../shared/errors.ts';

/** The profile's client certificate, as error messages name it. */
export interface ClientCertificateName {
  /** e.g. "CN=developer" */
  subject: string;
  /** e.g. "CN=Example Corp CA" */
  issuer: string;
}

/** What the dialer knew when the failure happened. */
export interface DialFailureContext {
  stage: 'connect' | 'handshake';
  /** host:port dialed */
  dialed: string;
  /** Server name sent (and checked), or undefined for an IP target. */
  sni: string | undefined;
  /** Raw bytes received from the proxy before the failure. */
  bytesRead: number;
  /** The client certificate presented, if the profile has one. */
  clientCertificate?: ClientCertificateName;
}

interface NodeError extends Error {
  code?: string;
  reason?: string;
  host?: string;
  cert?: { subject?: Record<string, string>; subjectaltname?: string };
}

const untrustedCodes = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
]);

const clientCertRejectedCodes = new Set([
  'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED',
  'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE',
  'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA',
  'ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN',
  'ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED',
  'ERR_SSL_SSLV3_ALERT_CERTIFICATE_REVOKED',
  'ERR_SSL_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE',
  'ERR_SSL_TLSV1_ALERT_ACCESS_DENIED',
]);

function names(context: { sni: string | undefined }): string {
  return context.sni ? `server name "${context.sni}"` : 'this address';
}

/** Classifies a failure of the TCP connect or the TLS handshake to the proxy. */
export function classifyDialError(error: unknown, context: DialFailureContext): AppError {
  if (error instanceof AppError) return error;
  const err = (error ?? {}) as NodeError;
  const code = err.code ?? '';
  const cause = { cause: error };
  if (context.stage === 'connect') {
    switch (code) {
      case 'ENOTFOUND':
      case 'EAI_AGAIN':
        return new AppError('PROXY_DNS_FAILED', `The proxy host in ${context.dialed} does not resolve; check proxyServiceUrl and your DNS or VPN.`, cause);
      case 'ECONNREFUSED':
        return new AppError('PROXY_UNREACHABLE', `Nothing accepts connections at ${context.dialed}; check proxyServiceUrl (host and port) and that the proxy is running.`, cause);
      case 'ETIMEDOUT':
        return new AppError('PROXY_CONNECT_TIMEOUT', `${context.dialed} did not accept the TCP connection in time; check the address, your VPN and any firewall.`, cause);
      case 'EMFILE':
      case 'ENFILE':
        // Our own limit, not the proxy's fault: the socket for the dial could not even be made.
        return new AppError(
          'TUNNEL_FILE_LIMIT',
          `The tunnel could not open a connection to ${context.dialed}: the ${code === 'EMFILE' ? 'tunnel' : 'system'} has no file descriptor left (${code}); close idle clients, or raise the limit (ulimit -n) before starting the tunnel.`,
          cause,
        );
      case 'EHOSTUNREACH':
      case 'ENETUNREACH':
        return new AppError('PROXY_UNREACHABLE', `There is no network route to ${context.dialed}; check your VPN or network.`, cause);
      default:
        return new AppError('PROXY_UNREACHABLE', `Could not connect to ${context.dialed}: ${err.message}`, cause);
    }
  }
  if (code === 'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE') {
    return new AppError(
      'PROXY_NO_ROUTE',
      `The proxy at ${context.dialed} refused the TLS handshake for ${names(context)} (alert 40): it has no route for that name; add it to the proxy's SNI routes (ATS sni.yaml tunnel_route, haproxy use_backend, nginx map).`,
      cause,
    );
  }
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || code === 'ERR_SSL_PACKET_LENGTH_TOO_LONG' || code === 'ERR_SSL_HTTP_REQUEST' || code === 'ERR_SSL_RECORD_LAYER_FAILURE') {
    return new AppError(
      'PROXY_ANSWERED_PLAINTEXT',
      `The proxy at ${context.dialed} answered ${names(context)} in plain text instead of TLS (an HTTP error page): for ATS, the tunnel_route host does not resolve or its port is missing from proxy.config.http.connect_ports.`,
      cause,
    );
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    const certNames = err.cert?.subjectaltname ?? (err.cert?.subject?.CN ? `CN=${err.cert.subject.CN}` : 'other names');
    return new AppError(
      'TUNNEL_TLS_HOSTNAME_MISMATCH',
      `The broker's certificate does not name "${context.sni ?? err.host ?? '?'}" (it names ${certNames}); fix the service URL or the certificate, or set tlsHostnameVerificationEnable to false.`,
      cause,
    );
  }
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') {
    return new AppError('TUNNEL_TLS_CERT_EXPIRED', `The certificate presented for ${names(context)} ${code === 'CERT_HAS_EXPIRED' ? 'has expired' : 'is not valid yet'}; renew it or check this computer's clock.`, cause);
  }
  if (untrustedCodes.has(code)) {
    return new AppError(
      'TUNNEL_TLS_UNTRUSTED',
      `The certificate presented for ${names(context)} is not signed by a trusted CA (${code}); set tlsTrustCertsFilePath to the CA that issued the brokers' certificates.`,
      cause,
    );
  }
  if (clientCertRejectedCodes.has(code)) {
    return clientCertRejected(err, context);
  }
  if (code === 'ECONNRESET' || code === 'EPIPE' || /socket disconnected before secure TLS/.test(err.message ?? '')) {
    if (context.bytesRead === 0) {
      return new AppError(
        'PROXY_ROUTE_DEAD',
        `The proxy at ${context.dialed} accepted the connection for ${names(context)} and closed it without a TLS answer: its route for that name points at a port where nothing listens; check the tunnel_route target and that the broker is up.`,
        cause,
      );
    }
    return new AppError('TUNNEL_PEER_RESET', `The connection to ${context.dialed} was reset during the TLS handshake for ${names(context)}.`, cause);
  }
  return new AppError('TUNNEL_TLS_FAILED', `The TLS handshake with ${context.dialed} for ${names(context)} failed: ${err.reason ?? err.message ?? String(error)}.`, cause);
}

/** What is known about the connection whose client certificate the broker refused. */
export interface ClientCertContext {
  sni: string | undefined;
  clientCertificate?: ClientCertificateName;
}

function describeCertificate(certificate: ClientCertificateName | undefined): string {
  return certificate ? `the client certificate ${certificate.subject} issued by ${certificate.issuer}` : 'the client certificate';
}

/** The broker refused our client certificate (or the lack of one), by a TLS alert. */
export function clientCertRejected(error: unknown, context: ClientCertContext): AppError {
  const code = (error as NodeError | undefined)?.code ?? '';
  if (code === 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED' || !context.clientCertificate) {
    return new AppError('TUNNEL_TLS_CLIENT_CERT_REJECTED', `The broker for ${names(context)} requires a client certificate; set tlsCertificateFilePath and tlsKeyFilePath.`, { cause: error });
  }
  return new AppError(
    'TUNNEL_TLS_CLIENT_CERT_REJECTED',
    `The broker for ${names(context)} rejected ${describeCertificate(context.clientCertificate)} (${code}); check tlsCertificateFilePath/tlsKeyFilePath and that the broker trusts their CA.`,
    { cause: error },
  );
}

/** A TLS connection the broker closed (FIN or reset) without a TLS alert. */
export interface QuietCloseContext extends ClientCertContext {
  /** The negotiated protocol, e.g. "TLSv1.3". */
  tlsVersion: string | null;
  /** Application bytes sent to the broker before it closed. */
  bytesSent: number;
  /** Application bytes received from the broker before it closed. */
  bytesReceived: number;
}

/**
 * Recognises a client certificate refused after the handshake. In TLS 1.3 the client's certificate
 * goes in its last handshake flight (RFC 8446 section 2), so the client has finished the handshake
 * before the server judges it, and the server's alert may never arrive: some servers close without
 * one, and through ATS 9.2 the tunnel sees a plain FIN (measured with a Node broker that refuses an
 * unknown CA). Nothing else makes a broker close a fresh connection that presented a certificate
 * and sent it a request before answering a single byte. Undefined when the close does not look like
 * that (nothing was sent, an answer came, TLS 1.2, or no certificate was presented).
 */
export function classifyQuietClose(context: QuietCloseContext): AppError | undefined {
  if (context.tlsVersion !== 'TLSv1.3' || !context.clientCertificate || context.bytesSent === 0 || context.bytesReceived > 0) return undefined;
  return new AppError(
    'TUNNEL_TLS_CLIENT_CERT_REJECTED',
    `The broker for ${names(context)} closed the connection right after the TLS 1.3 handshake without answering: it most likely rejected ${describeCertificate(context.clientCertificate)}; check that the broker trusts that CA and that the certificate has not expired.`,
  );
}

/**
 * The broker's side of an established connection broke: a reset (ECONNRESET) or a write into a
 * connection the far end had dropped (EPIPE). A broker or proxy that closes on purpose ends TLS with
 * close_notify and a FIN; a reset means the proxy or the broker died, restarted or was cut off, so
 * it is reported (the local client going away stays routine).
 */
export function proxyConnectionLost(error: unknown, context: { sni: string | undefined }): AppError {
  const code = (error as NodeError | undefined)?.code ?? 'closed';
  return new AppError(
    'PROXY_CONNECTION_LOST',
    `The connection to the proxy for ${names(context)} broke (${code}) while the local client was still connected: the proxy or the broker stopped, restarted or was cut off; check that the proxy is running and its logs, then reconnect the client.`,
    { cause: error },
  );
}

/**
 * The proxy's side of an established connection ended with a TCP FIN and no TLS close_notify (see
 * closeKind.ts) while the local client was still connected. A broker that closes on purpose ends
 * TLS with close_notify first; a bare FIN comes from the proxy: it stopped or restarted (the kernel
 * closes a killed process's sockets with a FIN), or it closed a tunnel it found idle (ATS:
 * proxy.config.http.transaction_no_activity_timeout_in, 30 s by default), or from a broker that
 * dropped the connection without closing TLS.
 */
export function proxyClosedWithoutTlsClose(context: { sni: string | undefined }): AppError {
  return new AppError(
    'PROXY_CONNECTION_LOST',
    `The proxy closed the connection for ${names(context)} without a TLS close from the broker while the local client was still connected: the proxy stopped or restarted, closed a tunnel it found idle (for ATS, proxy.config.http.transaction_no_activity_timeout_in, 30 s by default), or the broker dropped the connection without closing TLS; check that the proxy is running and its logs, raise its idle timeout if connections sit idle, then reconnect the client.`,
  );
}

/** True for errors that merely mean a peer went away: routine, not worth an error in the log. */
export function isRoutineDisconnect(error: unknown): boolean {
  const code = (error as NodeError | undefined)?.code;
  return code === 'ECONNRESET' || code === 'EPIPE' || code === 'ECONNABORTED' || code === 'ERR_STREAM_PREMATURE_CLOSE';
}

/** True when a post-handshake TLS error is the broker rejecting our client certificate. */
export function isClientCertRejection(error: unknown): boolean {
  return clientCertRejectedCodes.has((error as NodeError | undefined)?.code ?? '');
}
