/**
 * One profile's tunnel as the app tracks it (a {@link Run}): its state, the connections that show
 * whether it is healthy, and the status the UI and tray read. The rules for "running" against
 * "failing" live here; the service drives the transitions (start, stop) and emits the changes.
 */
import type { TunnelStatus } from '../../../shared/ipc/contract.ts';
import { AppError, isAppError, type SerializedError } from '../../../shared/errors.ts';
import type { TunnelEvent } from '../../../shared/model/events.ts';
import { routineCloseCodes, type BrokerHealthTracker } from './brokerHealth.ts';
import type { RunningTunnel } from './ports.ts';

/** A profile's tunnel from its start to its stop (or its failed start). */
export interface Run {
  state: TunnelStatus['state'];
  tunnel?: RunningTunnel;
  startedAt?: string;
  lastError?: TunnelStatus['lastError'];
  /** Settles when the current start or stop finishes. */
  transition?: Promise<unknown>;
  /** Connections whose TLS session to the broker came up and that are still open. */
  secured: Set<number>;
  /** Health of each broker this run has a port for (absent for a run that never started). */
  brokerHealth?: BrokerHealthTracker;
  /** Secured connections the broker has not answered yet (not yet a sign of health). */
  unanswered: Set<number>;
  /** The saved profile the tunnel started with (JSON), to tell when the saved one differs. */
  startedWith?: string;
  /** The saved profile, or one of its secrets, changed since the tunnel started. */
  profileChanged?: boolean;
  /** The stored profile object profileChanged was last worked out for (the store's listing hands out the same frozen object while the file is unchanged). */
  comparedWith?: object;
  secretsChanged?: boolean;
}

/** A change of one tunnel's state, for the tray and notifications. */
export interface HealthChange {
  profile: string;
  previous: TunnelStatus['state'];
  status: TunnelStatus;
}

/** A run with no connections yet. */
export function newRun(state: TunnelStatus['state'], lastError?: TunnelStatus['lastError']): Run {
  return { state, secured: new Set(), unanswered: new Set(), ...(lastError ? { lastError } : {}) };
}

/** What one event says about a run's health: a success, a failure (with its error), or nothing. */
export interface HealthOutcome {
  outcome?: 'success' | 'failure';
  error?: SerializedError;
}

/**
 * Records `event` in the run's connection sets and says what it shows. A failure is a connection
 * that closed with an error before its TLS session came up (proxy, route, certificate...), an
 * established one that ended with a non-routine error, or a listener error. A success is a
 * connection the broker answered, one that closed cleanly, or the listeners ready again (a tunnel
 * brought back by a restarted engine; as at its first start, nothing is known against it then).
 */
export function observeHealth(run: Run, event: TunnelEvent): HealthOutcome {
  switch (event.event) {
    case 'connection.secured':
      // Not a success yet: with TLS 1.3 a broker judges the client certificate after the
      // handshake, so a refused certificate would flip the state to running and back to failing
      // (a notification each time) on every attempt. The broker's first answer is the success.
      run.secured.add(event.id);
      run.unanswered.add(event.id);
      return {};
    case 'connection.progress':
    case 'pulsar.connected':
      if ((event.event === 'pulsar.connected' || event.bytesDown > 0) && run.unanswered.delete(event.id)) return { outcome: 'success' };
      return {};
    case 'connection.closed': {
      run.unanswered.delete(event.id);
      const wasSecured = run.secured.delete(event.id);
      if (!event.error) return { outcome: 'success' };
      if (!wasSecured || !routineCloseCodes.has(event.error.code)) return { outcome: 'failure', error: event.error };
      return {};
    }
    case 'listener.error':
    case 'listener.full':
      return { outcome: 'failure', error: event.error };
    case 'ready':
      return { outcome: 'success' };
    default:
      return {};
  }
}

/** The status of a profile's tunnel; stopped when there is no run. */
export function runStatus(name: string, run: Run | undefined): TunnelStatus {
  if (!run) return { profile: name, state: 'stopped', brokers: [], openConnections: 0, totalConnections: 0 };
  const status: TunnelStatus = { profile: name, state: run.state, brokers: [], openConnections: 0, totalConnections: 0 };
  if (run.tunnel && run.state !== 'stopped') {
    status.listen = { ...run.tunnel.addresses };
    try {
      const live = run.tunnel.status();
      status.brokers = run.brokerHealth ? run.brokerHealth.decorate(live.brokers) : live.brokers.map((broker) => ({ ...broker, health: 'unknown' }));
      status.openConnections = live.openConnections;
      status.totalConnections = live.totalConnections;
    } catch {
      // A tunnel being torn down may refuse to report; the state already says so.
    }
  }
  if (run.lastError) status.lastError = { ...run.lastError };
  if (run.startedAt) status.startedAt = run.startedAt;
  if (run.state !== 'stopped' && (run.profileChanged || run.secretsChanged)) status.pendingChanges = true;
  return status;
}

/** Any thrown value as an AppError: unexpected ones become TUNNEL_INTERNAL with their cause. */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (isAppError(error)) return new AppError(error.code, error.message, { cause: error });
  const detail = error instanceof Error ? error.message : String(error);
  return new AppError('TUNNEL_INTERNAL', `An unexpected error occurred in the tunnel (${detail}); please report it with the log.`, { cause: error });
}

/** The code and message of an error, as the status and the contract carry them. */
export function serialize(error: AppError): SerializedError {
  return { code: error.code, message: error.message };
}

/** Which profiles {@link startEach} started, and why the others failed. */
export interface StartedEach {
  started: string[];
  failed: { profile: string; error: SerializedError }[];
}

/** Starts every profile of `names` at once with `start`; a failure does not stop the others. */
export async function startEach(names: string[], start: (name: string) => Promise<unknown>): Promise<StartedEach> {
  const result: StartedEach = { started: [], failed: [] };
  await Promise.all(
    names.map(async (name) => {
      try {
        await start(name);
        result.started.push(name);
      } catch (error) {
        result.failed.push({ profile: name, error: serialize(toAppError(error)) });
      }
    }),
  );
  return result;
}
