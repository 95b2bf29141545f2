/**
 * Merges engine events into connection rows (one per `profile#id`) and keeps them bounded, plus the
 * latest lookup answer per topic. Plain TypeScript outside Svelte's reactivity: ConnectionLog
 * feeds it per event and publishes snapshots once per frame.
 *
 * Order: rows whose `connection.opened` was seen are kept in the order they opened. A row first
 * seen through a later event (its opened event is older than the engine's replayed history, or it
 * was cleared) is older than all of those, so it goes before them, with an unknown time; that keeps
 * a reloaded page's history in time order.
 */
import type { LogEvent } from '../../../../shared/ipc/contract.ts';
import { maxTopicsPerRow, type LogRow } from './logRow.ts';

/** An engine event as it may arrive: the known union, or a newer kind this UI does not know yet. */
export type IncomingEvent = LogEvent | { event: string; profile: string; seq: number; id?: number; [field: string]: unknown };

/** The latest lookup of a topic through one profile's tunnel: topic → broker → local port. */
export interface LookupEntry {
  key: string;
  profile: string;
  /** The connection that asked. */
  id: number;
  /** When the UI received the answer (ISO 8601). */
  time: string;
  topic: string;
  response: string;
  /** The broker the cluster named, host:port. */
  broker?: string;
  /** The tunnel's local address that replaced it in the answer. */
  local?: string;
  error?: string;
}

/** Lookup entries kept (one per profile and topic, the oldest dropped beyond this). */
export const maxLookups = 2_000;

const text = (value: unknown) => (typeof value === 'string' && value ? value : undefined);

export class RowStore {
  readonly #maxRows: number;
  readonly #now: () => number;
  // Maps keep insertion order and keep a key's place when its row is replaced.
  readonly #orphans = new Map<string, LogRow>();
  readonly #rows = new Map<string, LogRow>();
  readonly #lookups = new Map<string, LookupEntry>();
  readonly profiles = new Set<string>();
  readonly brokers = new Set<string>();
  #listenerErrors = 0;
  #droppedRows = 0;

  constructor(options: { maxRows: number; now: () => number }) {
    this.#maxRows = options.maxRows;
    this.#now = options.now;
  }

  get size(): number {
    return this.#orphans.size + this.#rows.size;
  }
  /** Rows removed to stay within maxRows since the last clear. */
  get droppedRows(): number {
    return this.#droppedRows;
  }

  /** Every row, oldest first. */
  snapshot(): LogRow[] {
    return this.#orphans.size === 0 ? [...this.#rows.values()] : [...this.#orphans.values(), ...this.#rows.values()];
  }

  /** Lookup answers, oldest first. */
  lookups(): LookupEntry[] {
    return [...this.#lookups.values()];
  }

  clear(): void {
    this.#orphans.clear();
    this.#rows.clear();
    this.#lookups.clear();
    this.profiles.clear();
    this.brokers.clear();
    this.#droppedRows = 0;
  }

  /** Drops the oldest rows beyond maxRows. */
  trim(): void {
    let excess = this.size - this.#maxRows;
    for (const from of [this.#orphans, this.#rows]) {
      for (const key of from.keys()) {
        if (excess <= 0) return;
        from.delete(key);
        excess -= 1;
        this.#droppedRows += 1;
      }
    }
  }

  apply(event: IncomingEvent): void {
    // A listener's own trouble (an accept failure, or its connection cap reached) is a row of its own.
    if (event.event === 'listener.error' || event.event === 'listener.full') {
      const { listener, error } = event as Extract<LogEvent, { event: 'listener.error' | 'listener.full' }>;
      const now = this.#now();
      this.#listenerErrors += 1;
      this.#put({
        key: `${event.profile}#listener#${this.#listenerErrors}`, id: null, profile: event.profile,
        time: new Date(now).toISOString(), openedAtMs: now, listener, local: '', sni: '', proxy: '',
        bytesUp: 0, bytesDown: 0, state: 'failed', error: { code: error.code, message: error.message },
      }, true);
      return;
    }
    if (!('id' in event) || typeof event.id !== 'number') return; // 'ready' and other tunnel-wide events: the status panel shows them.
    const key = `${event.profile}#${event.id}`;
    if (event.event === 'connection.opened') {
      const opened = event as Extract<LogEvent, { event: 'connection.opened' }>;
      const at = Date.parse(opened.time);
      const earlier = this.#get(key);
      this.#orphans.delete(key);
      this.#put({
        ...(earlier ?? blankRow(key, event.id, event.profile)),
        time: opened.time, openedAtMs: at, listener: opened.listener, local: opened.local, sni: opened.sni ?? '', proxy: opened.proxy,
      }, true);
      return;
    }
    const row = this.#get(key) ?? blankRow(key, event.id, event.profile);
    const merged = this.#merge(row, event);
    if (merged) this.#put(merged);
  }

  #merge(row: LogRow, event: IncomingEvent): LogRow | undefined {
    switch (event.event) {
      case 'connection.secured': {
        const secured = event as Extract<LogEvent, { event: 'connection.secured' }>;
        return { ...row, tls: secured.tls, handshakeMs: secured.handshakeMs, state: row.state === 'connecting' ? 'open' : row.state };
      }
      case 'connection.progress': {
        const bytesUp = Number(event.bytesUp);
        const bytesDown = Number(event.bytesDown);
        return { ...row, bytesUp: Number.isFinite(bytesUp) ? bytesUp : row.bytesUp, bytesDown: Number.isFinite(bytesDown) ? bytesDown : row.bytesDown };
      }
      case 'connection.closed': {
        const closed = event as Extract<LogEvent, { event: 'connection.closed' }>;
        return {
          ...row, bytesUp: closed.bytesUp, bytesDown: closed.bytesDown, durationMs: closed.durationMs,
          tls: closed.tls ?? row.tls, state: closed.error ? 'failed' : 'closed',
          ...(closed.error ? { error: { code: closed.error.code, message: closed.error.message } } : {}),
        };
      }
      case 'http.request': {
        // A request through the web listener: the row shows the latest request and where it went.
        const request = event as Extract<LogEvent, { event: 'http.request' }>;
        return {
          ...row,
          client: `${request.method} ${request.path} → ${request.status}`,
          broker: request.broker,
          ...(request.error ? { error: { code: request.error.code, message: request.error.message } } : {}),
        };
      }
      case 'pulsar.producer':
        return { ...row, producers: withTopic(row.producers, text(event.topic)) };
      case 'pulsar.consumer': {
        const topic = text(event.topic);
        const subscription = text(event.subscription);
        return { ...row, consumers: withTopic(row.consumers, topic && (subscription ? `${topic} (${subscription})` : topic)) };
      }
      case 'pulsar.lookup': {
        // The lookup names other brokers, not where this connection goes; a failed one is the
        // connection's error (PULSAR_LOOKUP_FAILED with the broker's reason).
        const error = this.#lookup(row, event);
        return error ? { ...row, error } : undefined;
      }
      default: {
        if (!event.event.startsWith('pulsar.')) return undefined;
        // Pulsar-level facts about a connection (CONNECT's client version and auth method): merged
        // when present, whatever the exact event name.
        const extra = event as Record<string, unknown>;
        const client = text(extra.clientVersion) ?? text(extra.client);
        const authMethod = text(extra.authMethod) ?? text(extra.authMethodName);
        // The broker a connection is bound to comes from its CONNECT.
        const broker = event.event === 'pulsar.connect' ? text(extra.broker) : undefined;
        const error = typeof extra.error === 'object' ? (extra.error as { code?: unknown; message?: unknown } | undefined) : undefined;
        return {
          ...row,
          ...(client ? { client } : {}),
          ...(authMethod ? { authMethod } : {}),
          ...(broker ? { broker } : {}),
          ...(error && typeof error.code === 'string' ? { error: { code: error.code, message: String(error.message ?? '') } } : {}),
        };
      }
    }
  }

  /** Records a lookup answer; returns its error, if it failed. */
  #lookup(row: LogRow, incoming: IncomingEvent): { code: string; message: string } | undefined {
    const event = incoming as Record<string, unknown>;
    const failure = event.error && typeof event.error === 'object' ? (event.error as { code?: unknown; message?: unknown }) : undefined;
    const rowError = failure && typeof failure.code === 'string' ? { code: failure.code, message: String(failure.message ?? '') } : undefined;
    const topic = text(event.topic);
    if (!topic || row.id === null) return rowError;
    const key = `${row.profile}#${topic}`;
    const broker = text(event.broker);
    const local = text(event.local);
    const error = rowError?.message ?? text(event.error);
    this.#lookups.delete(key); // Re-inserted at the end: the newest answer is last.
    this.#lookups.set(key, {
      key, profile: row.profile, id: row.id, time: new Date(this.#now()).toISOString(), topic, response: text(event.response) ?? '',
      ...(broker ? { broker } : {}), ...(local ? { local } : {}), ...(error ? { error } : {}),
    });
    if (broker) this.brokers.add(broker);
    for (const oldest of this.#lookups.keys()) {
      if (this.#lookups.size <= maxLookups) break;
      this.#lookups.delete(oldest);
    }
    return rowError;
  }

  #get(key: string): LogRow | undefined {
    return this.#rows.get(key) ?? this.#orphans.get(key);
  }

  /** Stores a row; `known` rows (opened seen, or a listener error) keep time order, others go first. */
  #put(row: LogRow, known = false): void {
    if (this.#rows.has(row.key) || known) this.#rows.set(row.key, row);
    else this.#orphans.set(row.key, row);
    this.profiles.add(row.profile);
    if (row.sni) this.brokers.add(row.sni);
    if (row.broker) this.brokers.add(row.broker);
  }
}

/** A row for a connection whose opened event the log has not seen: its time is unknown. */
function blankRow(key: string, id: number, profile: string): LogRow {
  return { key, id, profile, time: '', openedAtMs: Number.NaN, listener: '', local: '', sni: '', proxy: '', bytesUp: 0, bytesDown: 0, state: 'connecting' };
}

function withTopic(topics: readonly string[] | undefined, topic: string | undefined): readonly string[] | undefined {
  if (!topic || topics?.includes(topic)) return topics;
  if ((topics?.length ?? 0) >= maxTopicsPerRow) return topics;
  return [...(topics ?? []), topic];
}
