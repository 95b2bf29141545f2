/**
 * The Doctor: checks one profile's path to its cluster step by step, stops at the first failing
 * step and says in plain language what is wrong and what to change. The steps follow the path a
 * connection takes: profile → DNS of the proxy → TCP → TLS with the service name as SNI (where an
 * SNI proxy's misconfigurations show, docs/proxies.md "What a client sees") → the broker's certificate →
 * the client certificate → Pulsar CONNECT/CONNECTED → optionally a topic lookup and a connection to
 * the broker it names → optionally the proxy's idle timeout. Dials go through the tunnel's own
 * dialer, so the Doctor sees exactly what the tunnel would.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import net from 'node:net';
import type tls from 'node:tls';
import { AppError } from '../../../shared/errors.ts';
import { doctorStepNames, type DoctorReport, type DoctorStep, type DoctorStepName, type DoctorStepStatus } from '../../../shared/model/doctor.ts';
import { certificateExpiringDays } from '../../../shared/model/certificate.ts';
import { tlsBrokerAddress } from '../../../shared/model/brokerUrl.ts';
import { formatRisk } from '../../../shared/model/risks.ts';
import type { ConnectedInfo } from '../pulsar/commands.ts';
import { configRisks, type TunnelConfig } from '../config/tunnelConfig.ts';
import { createDialer, keyExchangeGroups, type Dialer, type DialResult } from '../transport/dialer.ts';
import { formatHostPort, type DialTarget } from '../../../shared/model/endpoints.ts';
import { classifyDialError, classifyQuietClose } from '../transport/tlsErrors.ts';
import { proxyConfigFor, recommendedIdleTimeoutSeconds, type ProxyConfigOptions, type ProxyRoute } from './proxyConfig.ts';
import { checkBrokers, parseBrokerList, uniqueBrokers } from './brokersCheck.ts';
import { connectCredential, PulsarProbe } from './pulsarProbe.ts';

/** Options of {@link runDoctor}. */
export interface RunDoctorOptions {
  /** A topic to look up; the broker it names is then dialed and connected too. */
  topic?: string;
  /** Measure the proxy's idle timeout by holding a silent connection (up to `idleCheckMaxSeconds`). */
  idleCheck?: boolean;
  /** How long the idle check waits for the proxy to close; 40 s by default (ATS closes after 30 s). */
  idleCheckMaxSeconds?: number;
  /** Called with each step as soon as its outcome is known (and for every skipped step). */
  onStep?: (step: DoctorStep) => void;
  /**
   * Brokers to check besides those the lookup names (host:port as the cluster names them): each is
   * dialed with its own SNI and sent CONNECT, so a broker that is down fails the run by name.
   */
  brokers?: readonly string[];
  /** Passed to {@link proxyConfigFor} for the generated proxy configuration. */
  proxyConfig?: ProxyConfigOptions;
}

const titles: Record<DoctorStepName, string> = {
  profile: 'Profile is valid',
  dns: 'Proxy host resolves',
  tcp: 'TCP connection to the proxy',
  tls: 'TLS handshake with the service name (SNI)',
  certificate: 'Certificate chain and name',
  clientCertificate: 'Client certificate accepted',
  pulsarConnect: 'Pulsar CONNECT / CONNECTED',
  lookup: 'Topic lookup',
  brokerConnect: 'Connection to the broker the lookup named',
  brokers: 'Every known broker reachable',
  idleTimeout: 'Proxy idle timeout',
};

/** Codes about the broker's certificate: the TLS answer came from a broker, its certificate is the problem. */
const certificateCodes = new Set<string>(['TUNNEL_TLS_UNTRUSTED', 'TUNNEL_TLS_HOSTNAME_MISMATCH', 'TUNNEL_TLS_CERT_EXPIRED']);

/** A failure of a step: an AppError plus facts found on the way. */
class StepFailure extends Error {
  readonly error: AppError;
  readonly facts: DoctorStep['facts'];
  constructor(error: AppError, facts?: DoctorStep['facts']) {
    super(error.message);
    this.error = error;
    this.facts = facts;
  }
}

/**
 * What to change for a failure beyond what the error's own message says. The message already says
 * what happened and what to do, so this is only the further detail the Doctor knows (the proxy
 * configuration to add, other causes of the same symptom), or undefined: never the same advice twice.
 */
function fixFor(code: string, context: { sni: string; route: string; proxy: string }): string | undefined {
  const sniYaml = `- fqdn: '${context.sni}'\n  tunnel_route: '${context.route}'`;
  switch (code) {
    case 'PROXY_UNREACHABLE':
      return 'With ATS, the proxy listens on the ports in proxy.config.http.server_ports (records.config).';
    case 'PROXY_NO_ROUTE':
      return `The route to add, in ATS sni.yaml:\n${sniYaml}\nhaproxy: use_backend ... if { req.ssl_sni -i ${context.sni} }; nginx: an entry in map $ssl_preread_server_name (see the generated proxy configuration).`;
    case 'PROXY_ANSWERED_PLAINTEXT':
      return `ATS allows tunnels to port 443 only by default: list the route's port in proxy.config.http.connect_ports (records.config), and set proxy.config.hostdb.host_file.path so ATS resolves the tunnel_route host from /etc/hosts. The sni.yaml entry should read\n${sniYaml}`;
    case 'PROXY_ROUTE_DEAD':
      return `With haproxy or nginx this is also how a name without a route is refused: add "${context.sni}" to use_backend (req.ssl_sni) or the ssl_preread map.`;
    case 'TUNNEL_TLS_HANDSHAKE_TIMEOUT':
      return `No TLS answer at all: a firewall, a proxy port that is not TLS, or ATS 9.2 hanging on a ClientHello that arrived in pieces (pulsar-tunnel sends it in one write with groups ${keyExchangeGroups}; other clients with post-quantum key shares may not). Check the proxy port and its logs.`;
    case 'TUNNEL_TLS_UNTRUSTED':
      return `If the issuer shown is the proxy's own, the proxy terminates TLS for "${context.sni}" instead of tunnelling it: ATS has no tunnel_route for that name but a default certificate in ssl_multicert.config; add the route.`;
    case 'TUNNEL_TLS_HOSTNAME_MISMATCH':
      return `If the certificate names the proxy, the proxy terminates TLS for "${context.sni}" instead of tunnelling it (ATS: no tunnel_route for it, but a default certificate): add the route. If it names another broker, the route for "${context.sni}" points at the wrong broker.`;
    case 'PULSAR_AUTH_REJECTED':
      return 'Check the credential: the token (authParams, or the token in the app) must be valid for this cluster and not expired, or the client certificate\'s role must be known; then check the role\'s permissions.';
    case 'PULSAR_HTTP_RESPONSE':
      return `The route for "${context.sni}" should end at the broker's TLS port (6651), not its admin port (8080/8443).`;
    case 'PULSAR_CONNECT_FAILED':
      return 'Check that the route ends at a Pulsar broker\'s TLS port (brokerServicePortTls, 6651) and the broker logs.';
    case 'PULSAR_LOOKUP_FAILED':
      return 'Check the topic name (persistent://tenant/namespace/topic), that the namespace exists, and that the role may look it up.';
    default:
      // The message says it all (PROXY_DNS_FAILED, PROXY_CONNECT_TIMEOUT, TUNNEL_TLS_CERT_EXPIRED,
      // TUNNEL_TLS_CLIENT_CERT_REJECTED, PROFILE_*: each names the field or setting to change).
      return undefined;
  }
}

/** `{ fix }` when there is one, so a step without further advice has no `fix` at all. */
function withFix(fix: string | undefined): { fix?: string } {
  return fix === undefined ? {} : { fix };
}

function certificateFacts(certificate: tls.DetailedPeerCertificate | undefined): Record<string, string | string[]> {
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

/** Runs the steps and records them. */
class DoctorRun {
  readonly steps: DoctorStep[] = [];
  readonly #onStep: ((step: DoctorStep) => void) | undefined;
  #failed: DoctorStepName | undefined;

  constructor(onStep: ((step: DoctorStep) => void) | undefined) {
    this.#onStep = onStep;
  }

  get failed(): DoctorStepName | undefined {
    return this.#failed;
  }

  record(step: DoctorStep): DoctorStep {
    this.steps.push(step);
    if (step.status === 'failed') this.#failed ??= step.name;
    this.#onStep?.(step);
    return step;
  }

  skip(name: DoctorStepName, detail: string): void {
    this.record({ name, title: titles[name], status: 'skipped', durationMs: 0, detail });
  }

  /** Skips an optional step that was not asked for, or says it did not run after a failure. */
  skipOptional(name: DoctorStepName, reason: string): void {
    this.skip(name, this.#failed ? `Not run: the step "${titles[this.#failed]}" failed.` : reason);
  }

  fail(name: DoctorStepName, started: number, error: unknown, fixContext: Parameters<typeof fixFor>[1], facts?: DoctorStep['facts']): void {
    const failure = error instanceof StepFailure ? error : undefined;
    const appError = failure?.error ?? (error instanceof AppError ? error : new AppError('TUNNEL_INTERNAL', `Unexpected: ${(error as Error)?.message ?? String(error)}`, { cause: error }));
    const mergedFacts = { ...facts, ...failure?.facts };
    this.record({
      name,
      title: titles[name],
      status: 'failed',
      durationMs: Date.now() - started,
      detail: appError.message,
      code: appError.code,
      ...withFix(fixFor(appError.code, fixContext)),
      ...(Object.keys(mergedFacts).length > 0 ? { facts: mergedFacts } : {}),
    });
  }

  /**
   * Runs one step unless an earlier one failed; a thrown error fails it. `measuredMs`: the time of
   * work done before the step reports (the CONNECT), counted in its duration.
   */
  async run(
    name: DoctorStepName,
    fixContext: Parameters<typeof fixFor>[1],
    body: () => Promise<{ status?: DoctorStepStatus; detail: string; facts?: DoctorStep['facts']; code?: string; fix?: string }>,
    measuredMs = 0,
  ): Promise<boolean> {
    if (this.#failed) {
      this.skip(name, `Not run: the step "${titles[this.#failed]}" failed.`);
      return false;
    }
    const started = Date.now() - measuredMs;
    try {
      const outcome = await body();
      this.record({ name, title: titles[name], status: outcome.status ?? 'ok', durationMs: Date.now() - started, ...outcome });
      return outcome.status !== 'failed';
    } catch (error) {
      this.fail(name, started, error, fixContext);
      return false;
    }
  }
}

/** Waits until `socket` is ended or closed by the peer, or `maxMs` pass; returns the silent time before the close, or undefined. */
function waitForIdleClose(socket: tls.TLSSocket, maxMs: number): Promise<{ idleMs: number } | undefined> {
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

/**
 * Checks the profile's path to its cluster, step by step, stopping at the first failure. Never
 * rejects for a network problem: each one becomes a failed step with a code and a fix.
 * @throws AppError PROFILE_INVALID for an entry of `options.brokers` that is not host:port
 * @returns the report: every step of `doctorStepNames` (ok/failed/warning/skipped) and the proxy
 *   configuration this profile needs
 */
export async function runDoctor(config: TunnelConfig, options: RunDoctorOptions = {}): Promise<DoctorReport> {
  const startedAt = new Date();
  const callerBrokers = parseBrokerList(options.brokers ?? []);
  const run = new DoctorRun(options.onStep);
  const proxy = config.proxy ?? config.service;
  const proxyText = formatHostPort(proxy);
  const service: DialTarget = { host: config.service.host, port: config.service.port };
  const serviceContext = { sni: service.host, route: formatHostPort(service), proxy: proxyText };
  const timeoutMs = config.connectionTimeoutMs;
  const sockets: tls.TLSSocket[] = [];
  const discoveredBrokers: ProxyRoute[] = [];
  let dialer: Dialer | undefined;
  let secured: DialResult | undefined;
  let probe: PulsarProbe | undefined;
  let brokerTarget: DialTarget | undefined;

  const dial = async (target: DialTarget): Promise<DialResult> => {
    const result = await (dialer as Dialer).dial(target);
    sockets.push(result.socket);
    return result;
  };

  try {
    // 1. The profile: TLS material loads, credentials resolve, auth and certificate agree.
    await run.run('profile', serviceContext, async () => {
      dialer = createDialer(config);
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
      const route = config.proxy ? `through the SNI proxy ${proxyText}` : 'directly (no proxyServiceUrl)';
      return {
        status: warnings.length > 0 ? 'warning' : 'ok',
        detail: `Service pulsar+ssl://${formatHostPort(config.service)} reached ${route}; authentication: ${config.auth.kind}${config.tls.certPem ? ', with a client certificate' : ''}.${warnings.length > 0 ? ` Note: ${warnings.join('; ')}.` : ''}`,
        ...(fixes.length > 0 ? { fix: fixes.join('\n') } : {}),
        facts: { service: formatHostPort(config.service), proxy: config.proxy ? proxyText : '', auth: config.auth.kind, risks: risks.map((risk) => risk.code), keepAliveIntervalSeconds: config.keepAliveIntervalSeconds, connectionTimeoutMs: timeoutMs },
      };
    });

    // 2. DNS of the host the tunnel dials (the proxy, or the service host without one).
    await run.run('dns', serviceContext, async () => {
      if (net.isIP(proxy.host)) return { detail: `${proxy.host} is an IP address; nothing to resolve.`, facts: { addresses: [proxy.host] } };
      let timer: NodeJS.Timeout | undefined;
      try {
        const addresses = await Promise.race([
          dnsLookup(proxy.host, { all: true }),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(Object.assign(new Error('DNS timeout'), { code: 'EAI_AGAIN' })), timeoutMs);
          }),
        ]);
        const list = addresses.map((entry) => entry.address);
        return { detail: `${proxy.host} resolves to ${list.join(', ')}.`, facts: { addresses: list } };
      } catch (error) {
        throw classifyDialError(error, { stage: 'connect', dialed: proxyText, sni: undefined, bytesRead: 0 });
      } finally {
        clearTimeout(timer);
      }
    });

    // 3. A bare TCP connection, so a refused port is told apart from a TLS problem.
    await run.run('tcp', serviceContext, async () => {
      await new Promise<void>((resolve, reject) => {
        const socket = net.connect({ host: proxy.host, port: proxy.port });
        const timer = setTimeout(() => {
          socket.destroy();
          reject(new AppError('PROXY_CONNECT_TIMEOUT', `${proxyText} did not accept the TCP connection within ${timeoutMs} ms; check the address, your VPN and any firewall on the way.`));
        }, timeoutMs);
        socket.once('connect', () => {
          clearTimeout(timer);
          socket.destroy();
          resolve();
        });
        socket.once('error', (error) => {
          clearTimeout(timer);
          socket.destroy();
          reject(classifyDialError(error, { stage: 'connect', dialed: proxyText, sni: undefined, bytesRead: 0 }));
        });
      });
      return { detail: `${proxyText} accepts TCP connections.` };
    });

    // 4 + 5. TLS with the service host as SNI, through the same dialer the tunnel uses.
    let certificateError: AppError | undefined;
    let clientCertError: AppError | undefined;
    await run.run('tls', serviceContext, async () => {
      try {
        secured = await dial(service);
      } catch (error) {
        const appError = error as AppError;
        if (certificateCodes.has(appError.code)) certificateError = appError;
        else if (appError.code === 'TUNNEL_TLS_CLIENT_CERT_REJECTED') clientCertError = appError;
        else throw appError;
        return { detail: `The proxy routed "${service.host}" to a TLS server, which answered the handshake (the problem is in the next step).` };
      }
      return {
        detail: `The proxy routed "${service.host}" to a TLS server: ${secured.tls.version}, ${secured.tls.cipher}.`,
        facts: { sni: secured.sni ?? '', dialed: secured.dialed, version: secured.tls.version, cipher: secured.tls.cipher },
      };
    });

    await run.run('certificate', serviceContext, async () => {
      if (clientCertError) return { status: 'skipped', detail: 'Not checked: the broker ended the handshake over the client certificate before the certificate could be checked.' };
      if (certificateError) {
        // Look again without verification, only to show what the certificate says.
        let facts: DoctorStep['facts'] = { expectedName: service.host };
        try {
          const inspect = await createDialer({ ...config, tls: { ...config.tls, allowInsecure: true } }).dial(service);
          facts = { expectedName: service.host, ...certificateFacts(inspect.socket.getPeerCertificate(true)) };
          inspect.socket.destroy();
        } catch {
          // The failure itself is what matters; the facts are a bonus.
        }
        const names = Array.isArray(facts.names) ? facts.names.join(', ') : '';
        throw new StepFailure(
          new AppError(
            certificateError.code,
            `${certificateError.message} Expected name: "${service.host}"; the certificate (${String(facts.subject ?? '?')}, issued by ${String(facts.issuer ?? '?')}, valid to ${String(facts.validTo ?? '?')}) names: ${names || 'no subjectAltName'}.`,
          ),
          facts,
        );
      }
      const socket = (secured as DialResult).socket;
      const facts: Record<string, string | string[]> = { expectedName: service.host, ...certificateFacts(socket.getPeerCertificate(true)) };
      const names = Array.isArray(facts.names) ? facts.names.join(', ') : '';
      const daysLeft = Math.floor((Date.parse(String(facts.validTo)) - Date.now()) / 86_400_000);
      const verified = config.tls.allowInsecure ? 'NOT verified (tlsAllowInsecureConnection)' : config.tls.verifyHostname ? 'trusted and names the host' : 'trusted (hostname not checked)';
      const detail = `Certificate ${facts.subject} issued by ${facts.issuer}, names ${names || 'no subjectAltName'}, valid to ${String(facts.validTo).slice(0, 10)} (${daysLeft} ${daysLeft === 1 ? 'day' : 'days'} left): ${verified}; expected "${service.host}".`;
      if (daysLeft < certificateExpiringDays) {
        // Still valid: a warning with its own code, not the failure code of an expired certificate.
        return { status: 'warning', detail, facts, code: 'TUNNEL_TLS_CERT_EXPIRING', fix: `The certificate expires in ${daysLeft} ${daysLeft === 1 ? 'day' : 'days'}; renew it before then.` };
      }
      return { detail, facts };
    });

    // 6 + 7. CONNECT with the profile's credential, injected as the tunnel does. With TLS 1.3 a
    // broker rejects a client certificate only after the handshake, so the first read tells.
    let connected: ConnectedInfo | undefined;
    let connectError: unknown;
    let connectMs = 0;
    if (!run.failed && clientCertError === undefined && secured) {
      probe = new PulsarProbe(secured.socket, secured.sni, secured.clientCertificate);
      const started = Date.now();
      try {
        connected = await probe.connect(await connectCredential(config.auth), timeoutMs);
      } catch (error) {
        connectError = error;
      }
      connectMs = Date.now() - started;
      const code = (connectError as AppError | undefined)?.code;
      if (code === 'TUNNEL_TLS_CLIENT_CERT_REJECTED') clientCertError = connectError as AppError;
      else if ((code === 'PULSAR_CONNECT_FAILED' && probe.closed) || code === 'TUNNEL_PEER_RESET') {
        // The same reading of a close right after a TLS 1.3 handshake as the tunnel's.
        clientCertError = classifyQuietClose({ sni: secured.sni, clientCertificate: secured.clientCertificate, tlsVersion: secured.tls.version, bytesSent: probe.bytesSent, bytesReceived: probe.bytesReceived });
      }
    }
    await run.run('clientCertificate', serviceContext, async () => {
      if (clientCertError) throw clientCertError;
      if (config.tls.certPem === undefined) return { status: 'skipped', detail: 'The profile has no client certificate, and the broker did not ask for one.' };
      return { detail: 'The broker accepted the client certificate (it answered the CONNECT after the handshake).' };
      // One CONNECT, one duration: on the step that reports its outcome.
    }, clientCertError ? connectMs : 0);
    await run.run('pulsarConnect', serviceContext, async () => {
      if (connectError) throw connectError;
      const info = connected as ConnectedInfo;
      return {
        detail: `CONNECTED: broker ${info.serverVersion}, protocol version ${info.protocolVersion}${info.maxMessageSize ? `, max message size ${info.maxMessageSize} bytes` : ''}; authentication "${config.auth.kind}" accepted.`,
        facts: { serverVersion: info.serverVersion, protocolVersion: info.protocolVersion, ...(info.maxMessageSize ? { maxMessageSize: info.maxMessageSize } : {}), auth: config.auth.kind },
      };
    }, clientCertError ? 0 : connectMs);

    // 8 + 9. LOOKUP of a test topic, following redirects as the Java client does, then a connection
    // to the broker it names (another SNI name the proxy must route).
    const topic = options.topic;
    if (topic === undefined) {
      run.skipOptional('lookup', 'Not requested (give a topic to look up).');
      run.skipOptional('brokerConnect', 'Not requested (give a topic to look up).');
    } else {
      let lookupContext = serviceContext;
      await run.run('lookup', serviceContext, async () => {
        let current = probe as PulsarProbe;
        let authoritative = false;
        const hops: string[] = [];
        for (let hop = 0; hop < 5; hop++) {
          const response = await current.lookup(topic, hop + 1, authoritative, timeoutMs);
          // The same reading and words as the tunnel's routing (shared/model/brokerUrl.ts).
          const target = tlsBrokerAddress(response.brokerServiceUrl, response.brokerServiceUrlTls);
          if (typeof target !== 'object') {
            throw new AppError('PULSAR_LOOKUP_FAILED', `The lookup of "${topic}" cannot be served: ${target ?? 'the answer named no broker'}.`);
          }
          discoveredBrokers.push({ host: target.host, port: target.port });
          if (response.response !== 0) {
            brokerTarget = target;
            return {
              detail: `"${topic}" is served by ${response.brokerServiceUrlTls}${hops.length > 0 ? ` (after redirects via ${hops.join(', ')})` : ''}.`,
              facts: { brokerServiceUrlTls: response.brokerServiceUrlTls ?? '', brokerServiceUrl: response.brokerServiceUrl ?? '', redirects: hops, proxyThroughServiceUrl: response.proxyThroughServiceUrl },
            };
          }
          // Redirect: ask the named broker, authoritatively (as the Java client's lookup does).
          hops.push(formatHostPort(target));
          lookupContext = { sni: target.host, route: formatHostPort(target), proxy: proxyText };
          const next = await dial(target).catch((error: unknown) => {
            throw new AppError((error as AppError).code, `Following the redirect to ${formatHostPort(target)}: ${(error as AppError).message}`);
          });
          current = new PulsarProbe(next.socket, next.sni, next.clientCertificate);
          await current.connect(await connectCredential(config.auth), timeoutMs);
          authoritative = true;
        }
        throw new AppError('PULSAR_LOOKUP_FAILED', `The lookup of "${topic}" was redirected more than 5 times (${hops.join(' → ')}).`);
      }).then((ok) => {
        // A redirect target that failed needs the fix text for its own name.
        if (!ok && lookupContext !== serviceContext) {
          const step = run.steps.at(-1);
          if (step?.status === 'failed' && step.code) {
            const fix = fixFor(step.code, lookupContext);
            if (fix === undefined) delete step.fix;
            else step.fix = fix;
          }
        }
      });
      const brokerContext = brokerTarget ? { sni: brokerTarget.host, route: formatHostPort(brokerTarget), proxy: proxyText } : serviceContext;
      await run.run('brokerConnect', brokerContext, async () => {
        const target = brokerTarget as DialTarget;
        const result = await dial(target);
        const brokerProbe = new PulsarProbe(result.socket, result.sni, result.clientCertificate);
        const info = await brokerProbe.connect(await connectCredential(config.auth), timeoutMs);
        const facts = certificateFacts(result.socket.getPeerCertificate(true));
        return {
          detail: `The proxy routed "${target.host}" to the broker (${result.tls.version}, certificate ${facts.subject ?? '?'}), which answered CONNECTED (${info.serverVersion}).`,
          facts: { broker: formatHostPort(target), serverVersion: info.serverVersion, ...facts },
        };
      });
    }

    // 10. Every broker known: named by the caller (the tunnel's lookups) or by this run's lookup.
    // The one brokerConnect already reached is not dialed twice.
    const reached = run.steps.find((step) => step.name === 'brokerConnect')?.status === 'ok' ? brokerTarget : undefined;
    const known = uniqueBrokers([...callerBrokers, ...discoveredBrokers]);
    const toCheck = known.filter((target) => !reached || formatHostPort(target).toLowerCase() !== formatHostPort(reached).toLowerCase());
    if (known.length === 0) {
      run.skipOptional('brokers', 'No broker known yet: give a topic to look up, or start the tunnel so that its clients\' lookups name the brokers, then run the Doctor again.');
    } else if (toCheck.length === 0) {
      run.skipOptional('brokers', `The only broker known, ${formatHostPort(known[0] as DialTarget)}, was checked in the step before.`);
    } else {
      const brokersContext = { ...serviceContext };
      await run.run('brokers', brokersContext, async () => {
        const outcomes = await checkBrokers(toCheck, dial, config.auth, timeoutMs);
        const failing = outcomes.filter((outcome) => outcome.error !== undefined);
        const names = outcomes.map((outcome) => formatHostPort(outcome.target));
        const facts = { checked: names, failing: failing.map((outcome) => formatHostPort(outcome.target)) };
        if (failing.length === 0) {
          return { detail: `${names.length === 1 ? 'The broker' : `All ${names.length} brokers`} (${names.join(', ')}) answered CONNECTED through the proxy, each dialed with its own SNI and a verified certificate.`, facts };
        }
        const first = failing[0] as (typeof failing)[number];
        // The fix names the first failing broker's route.
        Object.assign(brokersContext, { sni: first.target.host, route: formatHostPort(first.target) });
        const reasons = failing.map((outcome) => `${formatHostPort(outcome.target)} (${(outcome.error as AppError).code}): ${(outcome.error as AppError).message}`);
        throw new StepFailure(
          new AppError((first.error as AppError).code, `${failing.length} of ${names.length} brokers failed. ${reasons.join(' ')}`),
          facts,
        );
      });
    }

    // 11. The proxy's idle timeout: a connected, silent session, and when it gets closed.
    if (!options.idleCheck) {
      run.skipOptional('idleTimeout', 'Not requested (a slow check: it holds an idle connection for up to 40 s).');
    } else {
      await run.run('idleTimeout', serviceContext, async () => {
        const maxSeconds = options.idleCheckMaxSeconds ?? 40;
        const result = await dial(service);
        const idleProbe = new PulsarProbe(result.socket, result.sni, result.clientCertificate);
        await idleProbe.connect(await connectCredential(config.auth), timeoutMs);
        const closed = await waitForIdleClose(result.socket, maxSeconds * 1000);
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
      });
    }
  } finally {
    probe?.dispose();
    for (const socket of sockets) socket.destroy();
  }

  // Steps never reached (a failure skips the rest) are recorded in order by run.run; make sure
  // every step appears exactly once, in order.
  const byName = new Map(run.steps.map((step) => [step.name, step]));
  const steps = doctorStepNames.map((name) => byName.get(name) ?? { name, title: titles[name], status: 'skipped' as const, durationMs: 0, detail: 'Not run.' });
  const failedStep = run.failed;
  return {
    profile: config.name,
    ok: failedStep === undefined,
    startedAt: startedAt.toISOString(),
    durationMs: Date.now() - startedAt.getTime(),
    steps,
    ...(failedStep ? { failedStep } : {}),
    proxyConfig: proxyConfigFor(config, discoveredBrokers, options.proxyConfig),
  };
}

/**
 * The report for a profile that could not even be loaded (unreadable file, invalid field, missing
 * secret): the profile step failed with the load error, every other step skipped.
 */
export function profileFailureReport(profile: string, error: unknown): DoctorReport {
  const appError = error instanceof AppError ? error : new AppError('PROFILE_INVALID', (error as Error)?.message ?? String(error), { cause: error });
  const steps: DoctorStep[] = doctorStepNames.map((name) =>
    name === 'profile'
      ? { name, title: titles[name], status: 'failed', durationMs: 0, detail: appError.message, code: appError.code, ...withFix(fixFor(appError.code, { sni: '', route: '', proxy: '' })) }
      : { name, title: titles[name], status: 'skipped', durationMs: 0, detail: `Not run: the step "${titles.profile}" failed.` },
  );
  return { profile, ok: false, startedAt: new Date().toISOString(), durationMs: 0, steps, failedStep: 'profile' };
}
