/**
 * Reads a tunnel CLI's JSON connection log (connection.opened / connection.closed / listener.error)
 * for one scenario: which tunnel connection id served which local client (by the client's own port),
 * and how and when each one closed.
 */
import type { CliProcess } from '../fixtures/cliProcess.ts';

type Event = Record<string, unknown>;

/** The events of `cli` from the moment this window was opened on. */
export class LogWindow {
  readonly #cli: CliProcess;
  readonly #from: number;

  /** From now on, or with `fromStart` from the process's first event. */
  constructor(cli: CliProcess, fromStart = false) {
    this.#cli = cli;
    this.#from = fromStart ? 0 : cli.events.length;
  }

  events(kind?: string): Event[] {
    const all = this.#cli.events.slice(this.#from);
    return kind === undefined ? all : all.filter((event) => event.event === kind);
  }

  /**
   * The id of the first connection the tunnel opened on `listener` for a local client on `port`
   * no earlier than `sinceMs` (wall clock): the earliest opened for it after it connected, never an
   * older connection that happened to use the same port.
   */
  idOf(listener: string, port: number, sinceMs: number): number | undefined {
    if (this.#index === undefined || this.#indexedUpTo !== this.#cli.events.length) {
      this.#indexedUpTo = this.#cli.events.length;
      this.#index = new Map();
      for (const event of this.events('connection.opened')) {
        const key = `${String(event.listener)} ${String(event.local).split(':').pop()}`;
        const list = this.#index.get(key) ?? [];
        list.push({ id: Number(event.id), time: Date.parse(String(event.time)) });
        this.#index.set(key, list);
      }
    }
    return this.#index.get(`${listener} ${port}`)?.find((candidate) => candidate.time >= sinceMs)?.id;
  }

  #index: Map<string, { id: number; time: number }[]> | undefined;
  #indexedUpTo = -1;

  /** connection.closed events in this window, by connection id. */
  closedById(): Map<number, Event> {
    const closed = new Map<number, Event>();
    for (const event of this.events('connection.closed')) closed.set(Number(event.id), event);
    return closed;
  }

  /** Ids opened in this window that have no connection.closed yet. */
  stillOpen(): number[] {
    const closed = this.closedById();
    return this.events('connection.opened')
      .map((event) => Number(event.id))
      .filter((id) => !closed.has(id));
  }
}

/** The error code a connection.closed event carries, or "none". */
export function closeCode(event: Event | undefined): string {
  if (event === undefined) return 'no connection.closed';
  const error = event.error as { code?: string } | undefined;
  return error?.code ?? 'none';
}
