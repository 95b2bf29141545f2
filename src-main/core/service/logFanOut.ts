/**
 * The live connection log as the app serves it: every tunnel event numbered once, kept in a bounded
 * history for late subscribers (a reopened window, a reloaded page), and fanned out to each
 * subscriber in bounded batches. A subscriber that falls behind keeps a bounded queue whose oldest
 * events are dropped and counted, so the engine never waits on a UI.
 */
import type { LogBatch, LogEvent, TunnelApi } from '../../../shared/ipc/contract.ts';
import { LogQueue } from './logQueue.ts';

/** Options of {@link AppService.subscribeLog} beyond the contract's listener. */
export interface SubscribeOptions {
  /**
   * Flow control: while it returns false, batches stay queued (bounded, oldest dropped and counted)
   * instead of being delivered; e.g. a WebSocket whose send buffer is full, or an IPC channel with
   * unacknowledged batches. Polled on every flush.
   */
  ready?: () => boolean;
  /** Replay the recent history first; true by default. */
  replay?: boolean;
}

/** The TunnelApi as the shells serve it: with flow control on the log subscription. */
export type HostedApi = Omit<TunnelApi, 'subscribeLog'> & {
  subscribeLog(listener: (batch: LogBatch) => void, options?: SubscribeOptions): () => void;
};

/** Sizes and pace of a {@link LogFanOut}; see AppServiceOptions for each default. */
export interface LogFanOutOptions {
  subscriberCapacity: number;
  historySize: number;
  flushIntervalMs: number;
  maxBatch: number;
}

interface Subscriber {
  listener: (batch: LogBatch) => void;
  queue: LogQueue;
  ready: () => boolean;
}

/** The history and the subscribers of the live log. Call {@link dispose} to deliver the last events and stop. */
export class LogFanOut {
  readonly #subscriberCapacity: number;
  readonly #flushIntervalMs: number;
  readonly #maxBatch: number;
  readonly #history: LogQueue;
  readonly #subscribers = new Set<Subscriber>();
  #timer: NodeJS.Timeout | undefined;
  #immediate: NodeJS.Immediate | undefined;
  #disposed = false;

  constructor(options: LogFanOutOptions) {
    this.#subscriberCapacity = options.subscriberCapacity;
    this.#flushIntervalMs = options.flushIntervalMs;
    this.#maxBatch = options.maxBatch;
    this.#history = new LogQueue(Math.max(1, options.historySize));
  }

  /** Keeps `event` in the history and queues it for every subscriber; a full batch is sent at once. */
  publish(event: LogEvent): void {
    this.#history.push(event);
    let full = false;
    for (const subscriber of this.#subscribers) {
      subscriber.queue.push(event);
      if (subscriber.queue.size >= this.#maxBatch) full = true;
    }
    if (this.#subscribers.size > 0) this.#scheduleFlush(full);
  }

  /**
   * Adds a subscriber, first replaying the history unless `options.replay` is false.
   * @returns the unsubscribe function
   */
  subscribe(listener: (batch: LogBatch) => void, options: SubscribeOptions = {}): () => void {
    const subscriber: Subscriber = { listener, queue: new LogQueue(this.#subscriberCapacity), ready: options.ready ?? (() => true) };
    if (options.replay !== false) {
      for (const event of this.#history.snapshot()) subscriber.queue.push(event);
      if (subscriber.queue.size > 0) this.#scheduleFlush(true);
    }
    this.#subscribers.add(subscriber);
    return () => {
      this.#subscribers.delete(subscriber);
    };
  }

  /** Delivers queued events now to every subscriber that is ready. */
  flush(): void {
    let pending = false;
    for (const subscriber of this.#subscribers) {
      while (subscriber.queue.size > 0 || subscriber.queue.dropped > 0) {
        if (!safeReady(subscriber)) {
          pending = true;
          break;
        }
        const batch = subscriber.queue.take(this.#maxBatch);
        if (!batch) break;
        try {
          subscriber.listener(batch);
        } catch {
          // One broken subscriber must not starve the others or the engine.
        }
      }
    }
    // A subscriber that was not ready is polled again: its queue is bounded, so waiting is safe.
    if (pending && !this.#disposed) this.#scheduleFlush(false);
  }

  /** Delivers the last events, cancels pending flushes and drops every subscriber. */
  dispose(): void {
    this.#disposed = true;
    this.flush();
    if (this.#timer) clearTimeout(this.#timer);
    if (this.#immediate) clearImmediate(this.#immediate);
    this.#timer = undefined;
    this.#immediate = undefined;
    this.#subscribers.clear();
  }

  #scheduleFlush(now: boolean): void {
    if (now) {
      this.#immediate ??= setImmediate(() => {
        this.#immediate = undefined;
        this.flush();
      });
      return;
    }
    this.#timer ??= setTimeout(() => {
      this.#timer = undefined;
      this.flush();
    }, this.#flushIntervalMs);
  }
}

function safeReady(subscriber: Subscriber): boolean {
  try {
    return subscriber.ready();
  } catch {
    return false;
  }
}
