/**
 * A bounded first-in-first-out queue of log events for one subscriber. When the subscriber falls
 * behind and the queue is full, the oldest event is dropped and counted, so the engine never waits
 * on a UI and memory stays bounded whatever the UI does.
 */
import type { LogBatch, LogEvent } from '../../../shared/ipc/contract.ts';

export class LogQueue {
  readonly #capacity: number;
  // A ring buffer: O(1) push, drop and take, without shifting arrays of thousands of events.
  readonly #slots: (LogEvent | undefined)[];
  #head = 0;
  #size = 0;
  #dropped = 0;

  /** @param capacity most events held; must be at least 1 */
  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
    this.#capacity = capacity;
    this.#slots = new Array<LogEvent | undefined>(capacity);
  }

  /** Events waiting. */
  get size(): number {
    return this.#size;
  }

  /** Events dropped since the last {@link take}. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Appends an event, dropping (and counting) the oldest when full. */
  push(event: LogEvent): void {
    if (this.#size === this.#capacity) {
      this.#slots[this.#head] = undefined;
      this.#head = (this.#head + 1) % this.#capacity;
      this.#size -= 1;
      this.#dropped += 1;
    }
    this.#slots[(this.#head + this.#size) % this.#capacity] = event;
    this.#size += 1;
  }

  /**
   * Removes up to `max` of the oldest events as a batch carrying the drop count since the last
   * take; undefined when there is nothing to report (no events and no drops).
   */
  take(max: number): LogBatch | undefined {
    if (this.#size === 0 && this.#dropped === 0) return undefined;
    const count = Math.min(max, this.#size);
    const events: LogEvent[] = new Array<LogEvent>(count);
    for (let index = 0; index < count; index += 1) {
      events[index] = this.#slots[this.#head] as LogEvent;
      this.#slots[this.#head] = undefined;
      this.#head = (this.#head + 1) % this.#capacity;
    }
    this.#size -= count;
    const batch = { events, dropped: this.#dropped };
    this.#dropped = 0;
    return batch;
  }

  /** The held events, oldest first, without removing them. */
  snapshot(): LogEvent[] {
    const events: LogEvent[] = [];
    for (let index = 0; index < this.#size; index += 1) events.push(this.#slots[(this.#head + index) % this.#capacity] as LogEvent);
    return events;
  }

  /** Empties the queue and the drop count. */
  clear(): void {
    this.#slots.fill(undefined);
    this.#head = 0;
    this.#size = 0;
    this.#dropped = 0;
  }
}
