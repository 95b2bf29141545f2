/**
 * Keeps one direction's output in stream order while some of it is still being computed: a frame
 * whose rewrite must wait (a new broker's local listener is opening) holds its place, and every
 * byte after it waits behind it. The direction's source is paused meanwhile (see `pending`), so the
 * queue holds at most what one read delivered.
 */
interface Slot {
  value?: Buffer;
  done: boolean;
}

export class OrderedOutput {
  #write: ((out: Buffer) => void) | undefined;
  readonly #queue: (Buffer | Slot)[] = [];
  #waiters: { resolve: () => void; reject: (error: unknown) => void }[] = [];
  #failure: unknown;

  /** Sets where output goes (the join's writer for this direction). */
  bind(write: (out: Buffer) => void): void {
    this.#write = write;
  }

  /** Queues bytes behind anything still pending, or writes them at once. */
  emit(out: Buffer): void {
    if (this.#queue.length === 0 && this.#write) this.#write(out);
    else this.#queue.push(out);
  }

  /** Reserves a place for bytes that `promise` computes. */
  defer(promise: Promise<Buffer>): void {
    const slot: Slot = { done: false };
    this.#queue.push(slot);
    promise.then(
      (value) => {
        slot.value = value;
        slot.done = true;
        this.#flush();
      },
      (error: unknown) => this.#fail(error),
    );
  }

  /** Resolves when nothing is pending any more; undefined when nothing is pending now. */
  pending(): Promise<void> | undefined {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    if (this.#queue.length === 0) return undefined;
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  #flush(): void {
    while (this.#queue.length > 0) {
      const head = this.#queue[0]!;
      if (Buffer.isBuffer(head)) this.#write?.(head);
      else if (head.done) this.#write?.(head.value!);
      else return;
      this.#queue.shift();
    }
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) waiter.resolve();
  }

  #fail(error: unknown): void {
    this.#failure = error;
    this.#queue.length = 0;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) waiter.reject(error);
  }
}
