/**
 * The Doctor: checks one profile's path to its cluster step by step, stops at the first failing
 * step and says in plain language what is wrong and what to change. The steps follow the path a
 * connection takes: profile → DNS of the proxy → TCP → TLS with the service name as SNI (where an
 * SNI proxy's misconfigurations show, docs/proxies.md "What a client sees") → the broker's certificate →
 * the client certificate → Pulsar CONNECT/CONNECTED → optionally a topic lookup and a connection to
 * the broker it names → optionally the proxy's idle timeout. Dials go through the tunnel's own
 * dialer, so the Doctor sees exactly what the tunnel would.
 */
import type tls from 'node:tls';
import { AppError } from '../../../shared/errors.ts';
import { doctorStepNames, type DoctorReport, type DoctorStep } from '../../../shared/model/doctor.ts';
import { certificateExpiringDays } from '../../../shared/model/certificate.ts';
import { tlsBrokerAddress } from '../../../shared/model/brokerUrl.ts';
import type { ConnectedInfo } from '../pulsar/commands.ts';
import type { TunnelConfig } from '../config/tunnelConfig.ts';
import { createDialer, type Dialer, type DialResult } from '../transport/dialer.ts';
import { formatHostPort, type DialTarget } from '../../../shared/model/endpoints.ts';
import { classifyQuietClose } from '../transport/tlsErrors.ts';
import { checkBrokers, parseBrokerList, uniqueBrokers } from './brokersCheck.ts';
import { certificateFacts, checkDns, checkProfile, checkTcp, idleTimeoutOutcome, waitForIdleClose } from './doctorChecks.ts';
import { fixFor, withFix } from './doctorFixes.ts';
import { allSteps, DoctorRun, StepFailure, titles } from './doctorRun.ts';
import { proxyConfigFor, type ProxyConfigOptions, type ProxyRoute } from './proxyConfig.ts';
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

/** Codes about the broker's certificate: the TLS answer came from a broker, its certificate is the problem. */
const certificateCodes = new Set<string>(['TUNNEL_TLS_UNTRUSTED', 'TUNNEL_TLS_HOSTNAME_MISMATCH', 'TUNNEL_TLS_CERT_EXPIRED']);

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
      return checkProfile(config);
    });

    // 2. DNS of the host the tunnel dials (the proxy, or the service host without one).
    await run.run('dns', serviceContext, () => checkDns(config));

    // 3. A bare TCP connection, so a refused port is told apart from a TLS problem.
    await run.run('tcp', serviceContext, () => checkTcp(config));

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
        return idleTimeoutOutcome(config, closed, maxSeconds);
      });
    }
  } finally {
    probe?.dispose();
    for (const socket of sockets) socket.destroy();
  }

  // Steps never reached (a failure skips the rest) are recorded in order by run.run; the report
  // has every step exactly once, in order.
  const steps = allSteps(run.steps);
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
