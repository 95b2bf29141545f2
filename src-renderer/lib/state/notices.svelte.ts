/**
 * Short messages for the user (saved, copied, failed), shown in a polite live region. Errors stay
 * until dismissed; the rest disappear after a few seconds.
 */
import { describeError, type ErrorDescription } from '../format.ts';

export interface Notice {
  id: number;
  kind: 'info' | 'error';
  text: string;
  error?: ErrorDescription;
}

export class Notices {
  #items = $state<Notice[]>([]);
  #next = 1;
  readonly #timeoutMs: number;

  constructor(options: { timeoutMs?: number } = {}) {
    this.#timeoutMs = options.timeoutMs ?? 4_000;
  }

  get items(): readonly Notice[] {
    return this.#items;
  }

  /** Shows an informational message that goes away by itself. */
  info(text: string): void {
    const id = this.#next++;
    this.#items.push({ id, kind: 'info', text });
    setTimeout(() => this.dismiss(id), this.#timeoutMs);
  }

  /** Shows a failure with its code; it stays until dismissed. */
  error(context: string, error: unknown): void {
    const id = this.#next++;
    this.#items.push({ id, kind: 'error', text: context, error: describeError(error) });
  }

  dismiss(id: number): void {
    this.#items = this.#items.filter((notice) => notice.id !== id);
  }
}
