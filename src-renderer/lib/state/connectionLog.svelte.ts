/**
 * The live connection log: one row per connection, merged from the engine's events
 * (connection.opened/secured/progress/closed and any pulsar.* events about the same id), newest
 * first, filtered, bounded, plus the latest lookup answer per topic. Batches are queued as they
 * arrive and applied once per animation frame, so 1,000 events/s cost one reactive update per frame
 * rather than one per event. The merging lives in log/rowStore.ts, the exports in log/logExport.ts.
 *
 * Clearing is remembered for the page's session (sessionStorage by default): a reload replays the
 * engine's recent history, and events the user cleared do not come back.
 */
import type { LogBatch } from '../../../shared/ipc/contract.ts';
import { toCsv, toJsonLines } from './log/logExport.ts';
import { emptyFilter, matchesFilter, type LogFilter, type LogRow } from './log/logRow.ts';
import { RowStore, type IncomingEvent, type LookupEntry } from './log/rowStore.ts';

export { matchesFilter, rowStates, type LogFilter, type LogRow, type RowState } from './log/logRow.ts';
export type { LookupEntry } from './log/rowStore.ts';

export interface ConnectionLogOptions {
  /** Rows kept; the oldest are dropped (and counted) beyond this. Default 10,000. */
  maxRows?: number;
  /** Runs the batch apply later; default requestAnimationFrame (setTimeout where there is none). */
  schedule?: (apply: () => void) => void;
  /** The clock for rows whose event has no time; injectable for tests. */
  now?: () => number;
  /** Where the "cleared up to" mark survives a reload; default sessionStorage where there is one. */
  storage?: Pick<Storage, 'getItem' | 'setItem'>;
}

/** The sessionStorage key of the clear mark: the last seq and time the user cleared. */
export const clearedStorageKey = 'pulsar-tunnel.log.cleared';

interface ClearedMark {
  seq: number;
  time: number;
}

function defaultSchedule(apply: () => void): void {
  if (typeof requestAnimationFrame === 'function') requestAnimationFrame(() => apply());
  else setTimeout(apply, 16);
}

function defaultStorage(): Pick<Storage, 'getItem' | 'setItem'> | undefined {
  try {
    return typeof sessionStorage === 'undefined' ? undefined : sessionStorage;
  } catch {
    return undefined; // Storage refused (e.g. sandboxed): clearing then lasts until a reload.
  }
}

export class ConnectionLog {
  readonly maxRows: number;
  readonly #schedule: (apply: () => void) => void;
  readonly #now: () => number;
  readonly #storage: Pick<Storage, 'getItem' | 'setItem'> | undefined;

  // Working set, outside reactivity: mutated per event, published once per frame.
  #pending: LogBatch[] = [];
  #scheduled = false;
  readonly #store: RowStore;
  #lastSeq = 0;
  #cleared: ClearedMark | undefined;

  // What the UI sees.
  #published = $state.raw<LogRow[]>([]);
  #lookups = $state.raw<LookupEntry[]>([]);
  #droppedByEngine = $state(0);
  #droppedRows = $state(0);
  #paused = $state(false);
  #eventsWhilePaused = $state(0);
  #profiles = $state.raw<string[]>([]);
  #brokers = $state.raw<string[]>([]);
  // Raw (not deeply reactive): it is replaced as a whole, and the filter loop below reads it
  // 10,000 times per frame, where a reactive proxy's per-read tracking would cost milliseconds.
  #filter = $state.raw<LogFilter>(emptyFilter);
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
    this.#storage = options.storage ?? defaultStorage();
    this.#store = new RowStore({ maxRows: this.maxRows, now: this.#now });
    this.#cleared = this.#readMark();
  }

  /** Rows matching the filter, newest first. */
  get visible(): readonly LogRow[] {
    return this.#visible;
  }
  /** Every kept row, oldest first. */
  get rows(): readonly LogRow[] {
    return this.#published;
  }
  /** The latest lookup answer per profile and topic, newest first. */
  get lookups(): readonly LookupEntry[] {
    return this.#lookups;
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
        if (this.#wasCleared(event as IncomingEvent)) continue;
        this.#store.apply(event as IncomingEvent);
        events += 1;
      }
    }
    this.#store.trim();
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

  /**
   * Removes every row and resets the counters, also for a reloaded page (the mark is stored);
   * connections still open reappear on their next event, with an unknown start time.
   */
  clear(): void {
    this.#pending = [];
    this.#store.clear();
    this.#droppedByEngine = 0;
    this.#eventsWhilePaused = 0;
    this.#cleared = { seq: this.#lastSeq, time: this.#now() };
    try {
      this.#storage?.setItem(clearedStorageKey, JSON.stringify(this.#cleared));
    } catch {
      // A full or refused storage only means the mark does not survive a reload.
    }
    this.#publish();
  }

  /** Changes part of the filter. */
  setFilter(change: Partial<LogFilter>): void {
    this.#filter = { ...this.#filter, ...change };
  }

  resetFilter(): void {
    this.#filter = emptyFilter;
  }

  /** The rows matching the filter, oldest first, one JSON object per line. */
  exportJsonLines(): string {
    return toJsonLines(this.#visible.toReversed());
  }

  /** The rows matching the filter, oldest first, as CSV with a header line. */
  exportCsv(): string {
    return toCsv(this.#visible.toReversed());
  }

  /** True for an event the user cleared (at or before the mark), also after a reload. */
  #wasCleared(event: IncomingEvent): boolean {
    const seq = typeof event.seq === 'number' ? event.seq : 0;
    const mark = this.#cleared;
    if (mark && seq <= mark.seq) {
      // A connection that opened after the clear with a seq below it: the engine was restarted and
      // counts from 1 again, so the mark no longer applies.
      const opened = event.event === 'connection.opened' ? Date.parse(String((event as { time?: unknown }).time)) : Number.NaN;
      if (!(opened > mark.time)) return true;
      this.#cleared = undefined;
    }
    this.#lastSeq = Math.max(this.#lastSeq, seq);
    return false;
  }

  #readMark(): ClearedMark | undefined {
    try {
      const raw = this.#storage?.getItem(clearedStorageKey);
      const mark = raw ? (JSON.parse(raw) as Partial<ClearedMark>) : undefined;
      return mark && typeof mark.seq === 'number' && typeof mark.time === 'number' ? { seq: mark.seq, time: mark.time } : undefined;
    } catch {
      return undefined;
    }
  }

  #publish(): void {
    this.#published = this.#store.snapshot();
    this.#droppedRows = this.#store.droppedRows;
    this.#lookups = this.#store.lookups().reverse();
    if (this.#profiles.length !== this.#store.profiles.size) this.#profiles = [...this.#store.profiles].sort();
    if (this.#brokers.length !== this.#store.brokers.size) this.#brokers = [...this.#store.brokers].sort();
  }
}
