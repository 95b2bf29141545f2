/**
 * The Doctor's check of every broker it knows of: the ones the caller names (the app passes the
 * brokers its tunnel saw in lookup answers) and the ones this run's lookup revealed. Each is dialed
 * through the proxy with its own name as SNI, its certificate verified as the tunnel verifies it,
 * and sent CONNECT with the profile's credential, so one broker that is down, unrouted or refusing
 * fails the check by name instead of hiding behind the service host that answered.
 */
import { AppError } from '../../../shared/errors.ts';
import { parseServiceUrl } from '../../../shared/model/profile.ts';
import { formatHostPort, type DialTarget } from '../../../shared/model/endpoints.ts';
import type { AuthConfig } from '../config/tunnelConfig.ts';
import type { DialResult } from '../transport/dialer.ts';
import { connectCredential, PulsarProbe } from './pulsarProbe.ts';

/** At most this many brokers are checked in one run (a cluster's brokers, not a list to scan). */
export const maxCheckedBrokers = 64;

/** One broker's outcome. */
export interface BrokerOutcome {
  target: DialTarget;
  /** The broker's server version when it answered CONNECTED. */
  serverVersion?: string;
  error?: AppError;
}

/**
 * Reads `host:port` entries as the cluster names brokers (IPv6 in brackets), dropping duplicates.
 * @throws AppError PROFILE_INVALID naming an entry that is not a host and port
 */
export function parseBrokerList(entries: readonly string[]): DialTarget[] {
  const targets = new Map<string, DialTarget>();
  for (const entry of entries) {
    const parsed = parseServiceUrl(`pulsar+ssl://${entry.trim()}`, ['pulsar+ssl:']);
    if (typeof parsed === 'string') throw new AppError('PROFILE_INVALID', `brokers: "${entry}" is not a broker address (host:port): ${parsed}`);
    targets.set(formatHostPort(parsed).toLowerCase(), { host: parsed.host, port: parsed.port });
  }
  return [...targets.values()];
}

/** Brokers in first-seen order without repeats (host names compare case-insensitively). */
export function uniqueBrokers(targets: readonly DialTarget[]): DialTarget[] {
  const seen = new Map<string, DialTarget>();
  for (const target of targets) {
    const key = formatHostPort(target).toLowerCase();
    if (!seen.has(key)) seen.set(key, target);
  }
  return [...seen.values()].slice(0, maxCheckedBrokers);
}

/**
 * Dials and connects to each broker in parallel; never rejects.
 * @param dial the run's dialer (its sockets are closed by the run)
 */
export async function checkBrokers(targets: readonly DialTarget[], dial: (target: DialTarget) => Promise<DialResult>, auth: AuthConfig, timeoutMs: number): Promise<BrokerOutcome[]> {
  return Promise.all(
    targets.map(async (target): Promise<BrokerOutcome> => {
      try {
        const result = await dial(target);
        const probe = new PulsarProbe(result.socket, result.sni, result.clientCertificate);
        const info = await probe.connect(await connectCredential(auth), timeoutMs);
        return { target, serverVersion: info.serverVersion };
      } catch (error) {
        const appError = error instanceof AppError ? error : new AppError('TUNNEL_INTERNAL', `Unexpected: ${(error as Error)?.message ?? String(error)}`, { cause: error });
        return { target, error: appError };
      }
    }),
  );
}
