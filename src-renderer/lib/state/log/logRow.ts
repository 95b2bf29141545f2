/** A row of the connection log, the log's filter, and the test of one against the other. Plain TS. */
import type { TlsSummary } from '../../../../shared/model/events.ts';

/** What a row's connection is doing. */
export type RowState = 'connecting' | 'open' | 'closed' | 'failed';
export const rowStates: readonly RowState[] = ['connecting', 'open', 'closed', 'failed'];

/** One connection (or one listener error) as the log shows it. Rows are replaced, never mutated. */
export interface LogRow {
  key: string;
  /** The engine's connection id; null for listener errors. */
  id: number | null;
  profile: string;
  /**
   * When the connection was accepted (ISO 8601); empty when its opened event is not in the log (it
   * opened before the history the engine keeps, or before the log was cleared).
   */
  time: string;
  /** Milliseconds since the epoch; NaN when `time` is unknown. */
  openedAtMs: number;
  listener: string;
  /** The local client's address:port. */
  local: string;
  sni: string;
  /** The host:port dialed (the proxy, or the broker without a proxy). */
  proxy: string;
  /** The broker a pulsar.* event named, when the engine reports one. */
  broker?: string;
  tls?: TlsSummary;
  handshakeMs?: number;
  /** Pulsar client version from the CONNECT command, when reported. */
  client?: string;
  authMethod?: string;
  /** Topics this connection produces to (pulsar.producer), at most {@link maxTopicsPerRow}. */
  producers?: readonly string[];
  /** "topic (subscription)" this connection consumes from (pulsar.consumer), at most {@link maxTopicsPerRow}. */
  consumers?: readonly string[];
  bytesUp: number;
  bytesDown: number;
  /** Final duration once closed. */
  durationMs?: number;
  state: RowState;
  error?: { code: string; message: string };
}

/** Producers or consumers kept per row: a client multiplexing more topics shows the first ones. */
export const maxTopicsPerRow = 50;

export interface LogFilter {
  profile: string;
  broker: string;
  state: RowState | '';
  text: string;
}

export const emptyFilter: LogFilter = { profile: '', broker: '', state: '', text: '' };

/** True when `row` passes `filter` (free text matches any shown field or topic, case-insensitive). */
export function matchesFilter(row: LogRow, filter: LogFilter): boolean {
  if (filter.profile && row.profile !== filter.profile) return false;
  if (filter.state && row.state !== filter.state) return false;
  if (filter.broker && row.sni !== filter.broker && row.broker !== filter.broker) return false;
  if (filter.text) {
    const needle = filter.text.toLowerCase();
    const haystack = [row.profile, row.local, row.sni, row.broker, row.proxy, row.tls?.version, row.client, row.authMethod, row.state, row.error?.code, row.error?.message, ...(row.producers ?? []), ...(row.consumers ?? [])]
      .filter(Boolean)
      .join(' ')
      .toLowerCase();
    if (!haystack.includes(needle)) return false;
  }
  return true;
}
