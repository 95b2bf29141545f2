/**
 * The live connection log: one row per connection, merged from the engine's events
 * (connection.opened/secured/progress/closed and any pulsar.* events about the same id), newest
 * first, filtered, bounded. Batches are queued as they arrive and applied once per animation frame,
 * so 1,000 events/s cost one reactive update per frame rather than one per event.
 */
import type { LogBatch, LogEvent } from '../../../shared/ipc/contract.ts';
import type { TlsSummary } from '../../../shared/model/events.ts';

/** What a row's connection is doing. */
export type RowState = 'connecting' | 'open' | 'closed' | 'failed';
export const rowStates: readonly RowState[] = ['connecting', 'open', 'closed', 'failed'];

/** One connection (or one listener error) as the log shows it. Rows are replaced, never mutated. */
export interface LogRow {
  key: string;
  /** The engine's connection id; null for listener errors. */
  id: number | null;
  profile: string;
  /** When the connection was accepted (ISO 8601). */
  time: string;
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
  bytesUp: number;
  bytesDown: number;
  /** Final duration once closed. */
  durationMs?: number;
  state: RowState;
  error?: { code: string; message: string };
}

export interface LogFilter {
  profile: string;
  broker: string;
  state: RowState | '';
  text: string;
}

export interface ConnectionLogOptions {
  /** Rows kept; the oldest are dropped (and counted) beyond this. Default 10,000. */
  maxRows?: number;
  /** Runs the batch apply later; default requestAnimationFrame (setTimeout where there is none). */
  schedule?: (apply: () => void) => void;
  /** The clock for rows whose event has no time; injectable for tests. */
  now?: () => number;
}

/** An engine event as it may arrive: the known union, or a newer kind this UI does not know yet. */
type IncomingEvent = LogEvent | { event: string; profile: string; seq: number; id?: number; [field: string]: unknown };

function defaultSchedule(apply: () => void): void {
  if (typeof requestAnimationFrame === 'function') requestAnimationFrame(() => apply());
  else setTimeout(apply, 16);
}

const csvColumns = [
  'time', 'profile', 'state', 'local', 'sni', 'broker', 'proxy', 'listener', 'tlsVersion', 'cipher',
  'client', 'authMethod', 'bytesUp', 'bytesDown', 'durationMs', 'errorCode', 'errorMessage',
] as const;

/** The flat form of a row used by both exports. */
function flatten(row: LogRow): Record<(typeof csvColumns)[number], string | number> {
  return {
    time: row.time,
    profile: row.profile,
    state: row.state,
    local: row.local,
    sni: row.sni,
    broker: row.broker ?? '',
    proxy: row.proxy,
    listener: row.listener,
    tlsVersion: row.tls?.version ?? '',
    cipher: row.tls?.cipher ?? '',
    client: row.client ?? '',
    authMethod: row.authMethod ?? '',
    bytesUp: row.bytesUp,
    bytesDown: row.bytesDown,
    durationMs: row.durationMs ?? '',
    errorCode: row.error?.code ?? '',
    errorMessage: row.error?.message ?? '',
  };
}

function csvCell(value: string | number): string {
  const text = String(value);
  // RFC 4180 quoting; a leading =,+,-,@ is prefixed so spreadsheets do not run it as a formula.
  const safe = /^[=+\-@]/.test(text) && typeof value === 'string' ? `'${text}` : text;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

/** True when `row` passes `filter` (free text matches any shown field, case-insensitive). */
export function matchesFilter(row: LogRow, filter: LogFilter): boolean {
  if (filter.profile && row.profile !== filter.profile) return false;
  if (filter.state && row.state !== filter.state) return false;
  if (filter.broker && row.sni !== filter.broker && row.broker !== filter.broker) return false;
  if (filter.text) {
    const needle = filter.text.toLowerCase();
    const haystack = [row.profile, row.local, row.sni, row.broker, row.proxy, row.tls?.version, row.client, row.authMethod, row.state, row.error?.code, row.error?.message]
      .filter(Boolean)
      .join(' ')
      .toLowerCase();
    if (!haystack.includes(needle)) return false;
  }
  return true;
}

export class ConnectionLog {
  readonly maxRows: number;
  readonly #schedule: (apply: () => void) => void;
  readonly #now: () => number;

  // Working set, outside reactivity: mutated per event, published once per frame.
  #pending: LogBatch[] = [];
  #scheduled = false;
  #rows: LogRow[] = [];
  #index = new Map<string, number>();
  #base = 0;
  #listenerErrors = 0;
  #knownProfiles = new Set<string>();
  #knownBrokers = new Set<string>();

  // What the UI sees.
  #published = $state.raw<LogRow[]>([]);
  #droppedByEngine = $state(0);
  #droppedRows = $state(0);
  #paused = $state(false);
  #eventsWhilePaused = $state(0);
  #profiles = $state.raw<string[]>([]);
  #brokers = $state.raw<string[]>([]);
  // Raw (not deeply reactive): it is replaced as a whole, and the filter loop below reads it
  // 10,000 times per frame, where a reactive proxy's per-read tracking would cost milliseconds.
  #filter = $state.raw<LogFilter>({ profile: '', broker: '', state: '', text: '' });
  #visible = $derived.by(() => {
    const rows = this.#published;
    const filter = this.#filter;
    if (!filter.profile && !filter.broker && !filter.state && !filter.text) return rows.toReversed();
    const out: LogRow[] = [];
    for (let i = rows.length - 1; i >= 0; i -= 1) {
      const row = rows[i] as LogRow;
      if (matchesFilter(row, filter)) out.push(row);
    }
    return out;
  });

  constructor(options: ConnectionLogOptions = {}) {
    this.maxRows = options.maxRows ?? 10_000;
    this.#schedule = options.schedule ?? defaultSchedule;
    this.#now = options.now ?? Date.now;
  }

  /** Rows matching the filter, newest first. */
  get visible(): readonly LogRow[] {
    return this.#visible;
  }
  /** Every kept row, oldest first. */
  get rows(): readonly LogRow[] {
    return this.#published;
  }
  get filter(): Readonly<LogFilter> {
    return this.#filter;
  }
  /** Events the engine discarded because the UI fell behind (LogBatch.dropped, summed). */
  get droppedByEngine(): number {
    return this.#droppedByEngine;
  }
  /** Oldest rows removed to stay within maxRows. */
  get droppedRows(): number {
    return this.#droppedRows;
  }
  get paused(): boolean {
    return this.#paused;
  }
  /** Events received since pause (applied, not yet shown). */
  get eventsWhilePaused(): number {
    return this.#eventsWhilePaused;
  }
  /** Profiles and brokers seen so far, for the filter menus. */
  get profiles(): readonly string[] {
    return this.#profiles;
  }
  get brokers(): readonly string[] {
    return this.#brokers;
  }

  /** Queues a batch; it is applied on the next frame. Safe to call at any rate. */
  receive(batch: LogBatch): void {
    this.#pending.push(batch);
    if (!this.#scheduled) {
      this.#scheduled = true;
      this.#schedule(() => this.flush());
    }
  }

  /** Applies every queued batch now and publishes the result (unless paused). */
  flush(): void {
    this.#scheduled = false;
    const batches = this.#pending;
    if (batches.length === 0) return;
    this.#pending = [];
    let dropped = 0;
    let events = 0;
    for (const batch of batches) {
      dropped += batch.dropped;
      for (const event of batch.events) {
        this.#apply(event as IncomingEvent);
        events += 1;
      }
    }
    this.#trim();
    if (dropped > 0) this.#droppedByEngine += dropped;
    if (this.#paused) this.#eventsWhilePaused += events;
    else this.#publish();
  }

  /** Freezes what is shown; events keep being merged (within maxRows) and appear on resume. */
  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    this.#paused = false;
    this.#eventsWhilePaused = 0;
    this.#publish();
  }

  togglePause(): void {
    if (this.#paused) this.resume();
    else this.pause();
  }

  /** Removes every row and resets the counters; connections still open reappear on their next event. */
  clear(): void {
    this.#pending = [];
    this.#rows = [];
    this.#index.clear();
    this.#base = 0;
    this.#knownProfiles.clear();
    this.#knownBrokers.clear();
    this.#droppedByEngine = 0;
    this.#droppedRows = 0;
    this.#eventsWhilePaused = 0;
    this.#publish();
  }

  /** Changes part of the filter. */
  setFilter(change: Partial<LogFilter>): void {
    this.#filter = { ...this.#filter, ...change };
  }

  resetFilter(): void {
    this.#filter = { profile: '', broker: '', state: '', text: '' };
  }

  /** The rows matching the filter, oldest first, one JSON object per line. */
  exportJsonLines(): string {
    return [...this.#visible].reverse().map((row) => JSON.stringify(flatten(row))).join('\n') + '\n';
  }

  /** The rows matching the filter, oldest first, as CSV with a header line. */
  exportCsv(): string {
    const lines = [csvColumns.join(',')];
    for (const row of [...this.#visible].reverse()) {
      const flat = flatten(row);
      lines.push(csvColumns.map((column) => csvCell(flat[column])).join(','));
    }
    return lines.join('\r\n') + '\r\n';
  }

  #publish(): void {
    this.#published = this.#rows.slice();
    if (this.#profiles.length !== this.#knownProfiles.size) this.#profiles = [...this.#knownProfiles].sort();
    if (this.#brokers.length !== this.#knownBrokers.size) this.#brokers = [...this.#knownBrokers].sort();
  }

  #trim(): void {
    const excess = this.#rows.length - this.maxRows;
    if (excess <= 0) return;
    for (const row of this.#rows.slice(0, excess)) this.#index.delete(row.key);
    this.#rows.splice(0, excess);
    this.#base += excess;
    this.#droppedRows += excess;
  }

  #get(key: string): LogRow | undefined {
    const at = this.#index.get(key);
    return at === undefined ? undefined : this.#rows[at - this.#base];
  }

  #put(row: LogRow): void {
    const at = this.#index.get(row.key);
    if (at === undefined) {
      this.#index.set(row.key, this.#base + this.#rows.length);
      this.#rows.push(row);
    } else {
      this.#rows[at - this.#base] = row;
    }
    this.#knownProfiles.add(row.profile);
    if (row.sni) this.#knownBrokers.add(row.sni);
    if (row.broker) this.#knownBrokers.add(row.broker);
  }

  /** The row for a connection id, created blank when its opened event was dropped or cleared. */
  #rowFor(event: IncomingEvent & { id: number }): LogRow {
    const key = `${event.profile}#${event.id}`;
    const existing = this.#get(key);
    if (existing) return existing;
    const now = this.#now();
    return {
      key, id: event.id, profile: event.profile, time: new Date(now).toISOString(), openedAtMs: now,
      listener: '', local: '', sni: '', proxy: '', bytesUp: 0, bytesDown: 0, state: 'connecting',
    };
  }

  #apply(event: IncomingEvent): void {
    // A listener's own trouble (an accept failure, or its connection cap reached) is a row of its own.
    if (event.event === 'listener.error' || event.event === 'listener.full') {
      const { listener, error } = event as Extract<LogEvent, { event: 'listener.error' | 'listener.full' }>;
      const now = this.#now();
      this.#listenerErrors += 1;
      this.#put({
        key: `${event.profile}#listener#${this.#listenerErrors}`, id: null, profile: event.profile,
        time: new Date(now).toISOString(), openedAtMs: now, listener, local: '', sni: '', proxy: '',
        bytesUp: 0, bytesDown: 0, state: 'failed', error: { code: error.code, message: error.message },
      });
      return;
    }
    if (!('id' in event) || typeof event.id !== 'number') return; // 'ready' and other tunnel-wide events: the status panel shows them.
    const row = this.#rowFor(event as IncomingEvent & { id: number });
    switch (event.event) {
      case 'connection.opened': {
        const opened = event as Extract<LogEvent, { event: 'connection.opened' }>;
        const at = Date.parse(opened.time);
        this.#put({
          ...row, time: opened.time, openedAtMs: Number.isNaN(at) ? row.openedAtMs : at,
          listener: opened.listener, local: opened.local, sni: opened.sni ?? '', proxy: opened.proxy,
        });
        return;
      }
      case 'connection.secured': {
        const secured = event as Extract<LogEvent, { event: 'connection.secured' }>;
        this.#put({ ...row, tls: secured.tls, handshakeMs: secured.handshakeMs, state: row.state === 'connecting' ? 'open' : row.state });
        return;
      }
      case 'connection.progress': {
        const bytesUp = Number(event.bytesUp);
        const bytesDown = Number(event.bytesDown);
        this.#put({ ...row, bytesUp: Number.isFinite(bytesUp) ? bytesUp : row.bytesUp, bytesDown: Number.isFinite(bytesDown) ? bytesDown : row.bytesDown });
        return;
      }
      case 'connection.closed': {
        const closed = event as Extract<LogEvent, { event: 'connection.closed' }>;
        this.#put({
          ...row, bytesUp: closed.bytesUp, bytesDown: closed.bytesDown, durationMs: closed.durationMs,
          tls: closed.tls ?? row.tls, state: closed.error ? 'failed' : 'closed',
          ...(closed.error ? { error: { code: closed.error.code, message: closed.error.message } } : {}),
        });
        return;
      }
      case 'http.request': {
        // A request through the web listener: the row shows the latest request and where it went.
        const request = event as Extract<LogEvent, { event: 'http.request' }>;
        this.#put({
          ...row,
          client: `${request.method} ${request.path} → ${request.status}`,
          broker: request.broker,
          ...(request.error ? { error: { code: request.error.code, message: request.error.message } } : {}),
        });
        return;
      }
      default: {
        if (!event.event.startsWith('pulsar.')) return;
        // Pulsar-level facts about a connection (CONNECT's client version and auth method, the
        // broker a lookup routed to): merged when present, whatever the exact event name.
        const extra = event as Record<string, unknown>;
        const text = (value: unknown) => (typeof value === 'string' && value ? value : undefined);
        const client = text(extra.clientVersion) ?? text(extra.client);
        const authMethod = text(extra.authMethod) ?? text(extra.authMethodName);
        // The broker a connection is bound to comes from its CONNECT; lookups on the same
        // connection name other brokers, which are not where this connection goes.
        const broker = event.event === 'pulsar.connect' ? text(extra.broker) : undefined;
        const error = typeof extra.error === 'object' ? (extra.error as { code?: unknown; message?: unknown } | undefined) : undefined;
        this.#put({
          ...row,
          ...(client ? { client } : {}),
          ...(authMethod ? { authMethod } : {}),
          ...(broker ? { broker } : {}),
          ...(error && typeof error.code === 'string' ? { error: { code: error.code, message: String(error.message ?? '') } } : {}),
        });
      }
    }
  }
}
