/**
 * The Doctor's self-contained checks: the profile's consistency, the proxy's DNS and TCP, what a
 * peer certificate says, and how the proxy's idle timeout compares with the tunnel's keepalive.
 * The steps that share a TLS session (certificate, CONNECT, lookup, brokers) are sequenced in doctor.ts.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import net from 'node:net';
import type tls from 'node:tls';
import { AppError } from '../../../shared/errors.ts';
import { formatHostPort } from '../../../shared/model/endpoints.ts';
import { formatRisk } from '../../../shared/model/risks.ts';
import { configRisks, type TunnelConfig } from '../config/tunnelConfig.ts';
import { classifyDialError } from '../transport/tlsErrors.ts';
import type { StepOutcome } from './doctorRun.ts';
import { recommendedIdleTimeoutSeconds } from './proxyConfig.ts';

/** The host the tunnel dials: the proxy, or the service host without one. */
function dialedHost(config: TunnelConfig): TunnelConfig['service'] {
  return config.proxy ?? config.service;
}

/**
 * Step 1: the TLS material and credentials agree with the auth method; risky settings and a
 * disabled keepalive are warnings.
 * @throws AppError PROFILE_INVALID, PROFILE_SECRET_UNAVAILABLE (or the token source's error)
 */
export async function checkProfile(config: TunnelConfig): Promise<StepOutcome> {
  const proxy = dialedHost(config);
  if ((config.tls.certPem === undefined) !== (config.tls.keyPem === undefined)) {
    throw new AppError('PROFILE_INVALID', 'The profile has a client certificate without its key, or a key without its certificate; give both (tlsCertificateFilePath and tlsKeyFilePath).');
  }
  if (config.auth.kind === 'tls' && config.tls.certPem === undefined) {
    throw new AppError('PROFILE_INVALID', 'The profile uses TLS authentication (AuthenticationTls) but has no client certificate; set tlsCertificateFilePath and tlsKeyFilePath.');
  }
  if (config.auth.kind === 'token') {
    const token = await config.auth.getToken();
    if (token.trim() === '') throw new AppError('PROFILE_SECRET_UNAVAILABLE', 'The profile\'s token is empty.');
  }
  const warnings: string[] = [];
  const fixes: string[] = [];
  // The same list, codes and words as import, `run` and the UI (shared/model/risks.ts).
  const risks = configRisks(config);
  for (const risk of risks) {
    warnings.push(`${risk.field} is risky (${risk.code})`);
    fixes.push(formatRisk(risk));
  }
  if (config.keepAliveIntervalSeconds === 0) {
    warnings.push('the tunnel sends no keepalive PINGs (keepAliveIntervalSeconds 0), so idle connections may be closed by the proxy');
    fixes.push('Set keepAliveIntervalSeconds below the proxy\'s idle timeout (ATS closes idle tunnels after 30 s by default); 20 is the default.');
  }
  const route = config.proxy ? `through the SNI proxy ${formatHostPort(proxy)}` : 'directly (no proxyServiceUrl)';
  return {
    status: warnings.length > 0 ? 'warning' : 'ok',
    detail: `Service pulsar+ssl://${formatHostPort(config.service)} reached ${route}; authentication: ${config.auth.kind}${config.tls.certPem ? ', with a client certificate' : ''}.${warnings.length > 0 ? ` Note: ${warnings.join('; ')}.` : ''}`,
    ...(fixes.length > 0 ? { fix: fixes.join('\n') } : {}),
    facts: { service: formatHostPort(config.service), proxy: config.proxy ? formatHostPort(proxy) : '', auth: config.auth.kind, risks: risks.map((risk) => risk.code), keepAliveIntervalSeconds: config.keepAliveIntervalSeconds, connectionTimeoutMs: config.connectionTimeoutMs },
  };
}

/**
 * Step 2: the dialed host resolves within the connection timeout.
 * @throws AppError PROXY_DNS_FAILED (classified as the dialer does)
 */
export async function checkDns(config: TunnelConfig): Promise<StepOutcome> {
  const proxy = dialedHost(config);
  if (net.isIP(proxy.host)) return { detail: `${proxy.host} is an IP address; nothing to resolve.`, facts: { addresses: [proxy.host] } };
  let timer: NodeJS.Timeout | undefined;
  try {
    const addresses = await Promise.race([
      dnsLookup(proxy.host, { all: true }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(Object.assign(new Error('DNS timeout'), { code: 'EAI_AGAIN' })), config.connectionTimeoutMs);
      }),
    ]);
    const list = addresses.map((entry) => entry.address);
    return { detail: `${proxy.host} resolves to ${list.join(', ')}.`, facts: { addresses: list } };
  } catch (error) {
    throw classifyDialError(error, { stage: 'connect', dialed: formatHostPort(proxy), sni: undefined, bytesRead: 0 });
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Step 3: a bare TCP connection, so a refused port is told apart from a TLS problem.
 * @throws AppError PROXY_UNREACHABLE, PROXY_CONNECT_TIMEOUT
 */
export async function checkTcp(config: TunnelConfig): Promise<StepOutcome> {
  const proxy = dialedHost(config);
  await new Promise<void>((resolve, reject) => {
    const socket = net.connect({ host: proxy.host, port: proxy.port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new AppError('PROXY_CONNECT_TIMEOUT', `${formatHostPort(proxy)} did not accept the TCP connection within ${config.connectionTimeoutMs} ms; check the address, your VPN and any firewall on the way.`));
    }, config.connectionTimeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.destroy();
      resolve();
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(classifyDialError(error, { stage: 'connect', dialed: formatHostPort(proxy), sni: undefined, bytesRead: 0 }));
    });
  });
  return { detail: `${formatHostPort(proxy)} accepts TCP connections.` };
}

/**
 * The idle-timeout step's verdict: an idle connection's fate against the tunnel's keepalive interval.
 * @param closed the silent time before the close, or undefined when it stayed open `maxSeconds`
 */
export function idleTimeoutOutcome(config: TunnelConfig, closed: { idleMs: number } | undefined, maxSeconds: number): StepOutcome {
  const keepAlive = config.keepAliveIntervalSeconds;
  const recommended = recommendedIdleTimeoutSeconds(config);
  if (!closed) {
    return {
      detail: `An idle connection stayed open for ${maxSeconds} s; the proxy's idle timeout is longer${keepAlive > 0 ? `, so the tunnel's keepalive every ${keepAlive} s keeps connections open` : ''}.`,
      facts: { idleTimeoutSeconds: `>${maxSeconds}`, keepAliveIntervalSeconds: keepAlive },
    };
  }
  const seconds = Math.round(closed.idleMs / 100) / 10;
  const facts = { idleTimeoutSeconds: seconds, keepAliveIntervalSeconds: keepAlive };
  const below = keepAlive > 0 && keepAlive < seconds;
  const detail = `An idle connection was closed after ${seconds} s of silence (by the proxy, or by the broker). The tunnel's keepalive interval is ${keepAlive > 0 ? `${keepAlive} s` : 'off'}: ${below ? 'below it, so tunnelled connections stay open' : 'not below it, so idle tunnelled connections will be cut'}.`;
  if (below && seconds > 30) return { detail, facts };
  return {
    status: 'warning',
    detail: below ? `${detail} Clients that bypass the tunnel keep Pulsar's default 30 s keepalive, which races a timeout of ${seconds} s.` : detail,
    facts,
    code: 'PROXY_IDLE_TIMEOUT_SHORT',
    fix: `${below ? '' : `Set keepAliveIntervalSeconds below ${Math.max(1, Math.floor(seconds))} s in the profile, or better, `}raise the proxy's idle timeout above Pulsar's 30 s keepalive (e.g. ${recommended} s): ATS proxy.config.http.transaction_no_activity_timeout_in and _out; haproxy timeout client/server; nginx proxy_timeout.`,
  };
}

/** What the Doctor shows of a peer certificate: subject, names, issuer, validity and the chain by name. */
export function certificateFacts(certificate: tls.DetailedPeerCertificate | undefined): Record<string, string | string[]> {
  if (!certificate || Object.keys(certificate).length === 0) return {};
  const names = (certificate.subjectaltname ?? '')
    .split(',')
    .map((name) => name.trim().replace(/^DNS:|^IP Address:/, ''))
    .filter((name) => name !== '');
  const chain: string[] = [];
  let current: tls.DetailedPeerCertificate | undefined = certificate;
  const seen = new Set<string>();
  while (current && Object.keys(current).length > 0 && !seen.has(current.fingerprint256)) {
    seen.add(current.fingerprint256);
    chain.push(current.subject?.CN ? `CN=${String(current.subject.CN)}` : String(current.fingerprint256).slice(0, 23));
    current = current.issuerCertificate;
  }
  return {
    subject: certificate.subject?.CN ? `CN=${String(certificate.subject.CN)}` : '',
    names,
    issuer: certificate.issuer?.CN ? `CN=${String(certificate.issuer.CN)}` : '',
    validFrom: new Date(certificate.valid_from).toISOString(),
    validTo: new Date(certificate.valid_to).toISOString(),
    chain,
  };
}

/** Waits until `socket` is ended or closed by the peer, or `maxMs` pass; returns the silent time before the close, or undefined. */
export function waitForIdleClose(socket: tls.TLSSocket, maxMs: number): Promise<{ idleMs: number } | undefined> {
  return new Promise((resolve) => {
    let lastActivity = Date.now();
    const onData = () => {
      lastActivity = Date.now();
    };
    const finish = (result: { idleMs: number } | undefined) => {
      clearTimeout(timer);
      socket.removeListener('data', onData);
      socket.removeListener('close', onClose);
      socket.removeListener('end', onClose);
      resolve(result);
    };
    const onClose = () => finish({ idleMs: Date.now() - lastActivity });
    const timer = setTimeout(() => finish(undefined), maxMs);
    socket.on('data', onData);
    // ATS ends an idle tunnel with a FIN (the dialer's sockets allow half-open), so 'end' counts.
    socket.once('end', onClose);
    socket.once('close', onClose);
    if (socket.destroyed) onClose();
  });
}
