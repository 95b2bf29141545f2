/**
 * The dialer: one TCP connection to the proxy, then TLS with the target broker's host as SNI. Built
 * once per tunnel from a TunnelConfig (the secure context is made once, not per dial); each dial
 * runs under a connect timeout and a separate handshake timeout, since an SNI proxy can hang on a
 * ClientHello forever (ATS 9.2, split ClientHello).
 */
import net from 'node:net';
import tls from 'node:tls';
import { AppError } from '../../../shared/errors.ts';
import { summarizePem } from '../certificates/pemCertificates.ts';
import type { TlsSummary } from '../../../shared/model/events.ts';
import { formatHostPort, type DialTarget } from '../../../shared/model/endpoints.ts';
import type { TunnelConfig } from '../config/tunnelConfig.ts';
import { trackCloseKind } from './closeKind.ts';
import { TlsSessionCache, type PeerCertificateSummary } from './sessionCache.ts';
import { classifyDialError, type ClientCertificateName } from './tlsErrors.ts';

/** Key-exchange groups offered in the ClientHello. Pinned so the ClientHello stays small and fits in
 * one TCP segment: post-quantum key shares push it past 1.5 KB, and ATS 9.2 hangs on a ClientHello
 * that arrives in pieces. */
export const keyExchangeGroups = 'X25519:P-256:P-384';


export interface DialResult {
  socket: tls.TLSSocket;
  tls: TlsSummary;
  /** The SNI actually sent (undefined for an IP target, RFC 6066 section 3). */
  sni: string | undefined;
  /** host:port that was dialed. */
  dialed: string;
  /** The client certificate presented in the handshake, if the profile has one. */
  clientCertificate: ClientCertificateName | undefined;
}

export interface Dialer {
  /** Where a dial for `target` goes (the proxy, or the target itself without one). */
  route(target: DialTarget): { dialed: string; sni: string | undefined };
  /** Opens TCP + TLS to `target` through the proxy. Rejects with an AppError saying what failed. */
  dial(target: DialTarget, signal?: AbortSignal): Promise<DialResult>;
}

function describeName(fields: Record<string, string | string[]> | undefined): string {
  if (!fields) return '';
  return Object.entries(fields)
    .map(([key, value]) => `${key}=${Array.isArray(value) ? value.join('+') : value}`)
    .join(', ');
}

/** Subject and expiry of a certificate from getPeerCertificate(); undefined for the empty object a resumed session gives. */
function summarizePeer(peer: tls.PeerCertificate | undefined): PeerCertificateSummary | undefined {
  if (!peer?.subject || !peer.valid_to) return undefined;
  return { subject: describeName(peer.subject as unknown as Record<string, string>), validTo: new Date(peer.valid_to).toISOString() };
}

/** The certificate a connection's log entry names: the one shown, else (a resumed session shows none) the one its session began with. */
function peerOf(socket: tls.TLSSocket, sessionPeer: PeerCertificateSummary | undefined): PeerCertificateSummary | undefined {
  return summarizePeer(socket.getPeerCertificate()) ?? (socket.isSessionReused() ? sessionPeer : undefined);
}

/**
 * Keeps every session ticket `socket` is given (TLS 1.3 sends them after the handshake, so the
 * listener stays for the socket's life). A function of its own: a listener made inside dial() would
 * keep the whole dial's state (timers, callbacks) alive with every open connection.
 */
function rememberSessions(socket: tls.TLSSocket, sessions: TlsSessionCache, sni: string, sessionPeer: PeerCertificateSummary | undefined): void {
  socket.on('session', (ticket: Buffer) => sessions.set(sni, ticket, peerOf(socket, sessionPeer)));
}

/**
 * Offers `ticket` for resumption, as tls.connect does with its `session` option (it calls this same
 * method), but without keeping the ticket: connect's options stay with the socket for its life, and
 * each connection is dialed with a ticket of its own (a new one arrives with every handshake), so
 * each idle connection would hold one (~850 bytes).
 */
function offerSession(socket: tls.TLSSocket, ticket: Buffer): void {
  (socket as unknown as { setSession(session: Buffer): void }).setSession(ticket);
}

/** The identity check of a profile that does not verify host names. */
const noIdentityCheck = (): undefined => undefined;

/**
 * The check of the broker certificate's host name: against the broker's host (not the proxy's).
 * Made outside dial(): the socket keeps it for its life, and with it whatever scope it was made in.
 */
function identityCheck(verify: boolean, host: string): (name: string, cert: tls.PeerCertificate) => Error | undefined {
  return verify ? (_name, cert) => tls.checkServerIdentity(host, cert) : noIdentityCheck;
}

/**
 * Creates a dialer for one tunnel.
 * @throws AppError CERTIFICATE_INVALID when the CA, certificate or key cannot be loaded.
 */
export function createDialer(config: Pick<TunnelConfig, 'proxy' | 'tls' | 'connectionTimeoutMs'>): Dialer {
  let secureContext: tls.SecureContext;
  try {
    secureContext = tls.createSecureContext({
      ca: config.tls.caPem,
      cert: config.tls.certPem,
      key: config.tls.keyPem,
      passphrase: config.tls.keyPassphrase,
      minVersion: 'TLSv1.2',
      ecdhCurve: keyExchangeGroups,
    });
  } catch (error) {
    throw new AppError('CERTIFICATE_INVALID', `The profile's TLS material cannot be used: ${(error as Error).message}.`, { cause: error });
  }
  // Named in the errors of a broker that refuses it.
  const leaf = config.tls.certPem === undefined ? undefined : summarizePem(config.tls.certPem, 'tlsCertificateFilePath')[0];
  const clientCertificate = leaf ? { subject: leaf.subject, issuer: leaf.issuer } : undefined;
  const sessions = new TlsSessionCache();
  const timeoutMs = config.connectionTimeoutMs;

  function route(target: DialTarget) {
    const to = config.proxy ?? target;
    return { dialed: formatHostPort(to), sni: net.isIP(target.host) ? undefined : target.host };
  }

  function dial(target: DialTarget, signal?: AbortSignal): Promise<DialResult> {
    const { dialed, sni } = route(target);
    const to = config.proxy ?? target;
    return new Promise<DialResult>((resolve, reject) => {
      let stage: 'connect' | 'handshake' = 'connect';
      let settled = false;
      const cached = sni ? sessions.get(sni) : undefined;
      // TLS creates the TCP socket itself: wrapping an existing net.Socket (tls.connect({socket}))
      // leaves a second socket object over the same handle, and costs CPU on every read.
      const secure = tls.connect({
        host: to.host,
        port: to.port,
        // Passed on to the socket by tls.connect (missing from @types/node's ConnectionOptions).
        ...({ allowHalfOpen: true } as object),
        secureContext,
        servername: sni,
        rejectUnauthorized: !config.tls.allowInsecure,
        checkServerIdentity: identityCheck(config.tls.verifyHostname && !config.tls.allowInsecure, target.host),
      });
      // Now, before the TCP connection is up (so before the ClientHello), as tls.connect would.
      if (cached) offerSession(secure, cached.ticket);
      secure.setNoDelay(true);
      // Before any byte is read: how the broker side ends tells a proxy that died from a TLS close.
      trackCloseKind(secure);

      const fail = (error: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        const appError = classifyDialError(error, { stage, dialed, sni, bytesRead: secure.bytesRead, clientCertificate });
        secure.destroy();
        reject(appError);
      };
      const onAbort = () => fail(new AppError('TUNNEL_INTERNAL', 'The connection was cancelled.'));
      signal?.addEventListener('abort', onAbort, { once: true });

      let timer = setTimeout(() => {
        fail(new AppError('PROXY_CONNECT_TIMEOUT', `${dialed} did not accept the TCP connection within ${timeoutMs} ms; check the address, your VPN and any firewall.`));
      }, timeoutMs);

      if (sni) rememberSessions(secure, sessions, sni, cached?.peer);
      secure.once('error', fail);
      const onEarlyClose = () => fail(Object.assign(new Error('Client network socket disconnected before secure TLS connection was established'), { code: 'ECONNRESET' }));
      secure.once('close', onEarlyClose);
      secure.once('connect', () => {
        stage = 'handshake';
        clearTimeout(timer);
        timer = setTimeout(() => {
          fail(
            new AppError(
              'TUNNEL_TLS_HANDSHAKE_TIMEOUT',
              `No TLS answer from ${dialed} for ${sni ? `server name "${sni}"` : 'this address'} within ${timeoutMs} ms: a firewall, a proxy that hangs on the ClientHello, or a wrong port.`,
            ),
          );
        }, timeoutMs);
      });
      secure.once('secureConnect', () => {
        if (settled) return;
        const peer = peerOf(secure, cached?.peer);
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        secure.removeListener('error', fail);
        secure.removeListener('close', onEarlyClose);
        resolve({
          socket: secure,
          sni,
          dialed,
          clientCertificate,
          tls: {
            version: secure.getProtocol() ?? 'unknown',
            cipher: secure.getCipher()?.name ?? 'unknown',
            peerSubject: peer?.subject ?? '',
            peerValidTo: peer?.validTo ?? '',
          },
        });
      });
    });
  }

  return { route, dial };
}
