/**
 * The outcome of the latest run of an asynchronous task, as a view shows it: whether a run is in
 * progress, and the last result or error. A run that finishes after a newer one started changes
 * nothing, so a slow answer never replaces a newer one. Rune state (Svelte 5 REPL style).
 */
export class LatestRun<T> {
  #running = $state(false);
  #result = $state<T | undefined>(undefined);
  #error = $state<unknown>(undefined);
  /** Counts runs, so an answer that arrives after a newer run started is ignored. */
  #generation = 0;

  get running(): boolean {
    return this.#running;
  }
  /** The last finished run's result (undefined after a failure). */
  get result(): T | undefined {
    return this.#result;
  }
  /** Why the last finished run gave no result. */
  get error(): unknown {
    return this.#error;
  }

  /**
   * Runs `task`; when it is still the latest run as it ends, its result (or error) is kept and
   * `settled` is called at once with it, in the same step, for state the caller keeps beside it.
   */
  async run(task: () => Promise<T>, settled?: (outcome: { result: T } | { error: unknown }) => void): Promise<void> {
    const generation = ++this.#generation;
    this.#running = true;
    this.#error = undefined;
    try {
      const result = await task();
      if (generation === this.#generation) {
        this.#result = result;
        settled?.({ result });
      }
    } catch (error) {
      if (generation === this.#generation) {
        this.#error = error;
        this.#result = undefined;
        settled?.({ error });
      }
    } finally {
      if (generation === this.#generation) this.#running = false;
    }
  }
}
