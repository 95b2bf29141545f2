/**
 * Connection ids as the app's live log shows them: one per connection of a profile for the life of
 * the app. A tunnel numbers its connections from 1 each time it starts (a new Tunnel after Stop and
 * Start, or in a restarted engine process), while the log (and the UI's rows) know a connection by
 * its profile and id; so the numbers of a tunnel that starts over go on from the highest one seen.
 * Also what the shell knows of the connections open in an engine process, to close them in the log
 * when that process dies without saying so.
 */
import type { SerializedError } from '../../../shared/errors.ts';
import type { TunnelEvent } from '../../../shared/model/events.ts';

/** Renumbers the connections of a tunnel that may start over from 1. */
export class ConnectionNumbering {
  #offset = 0;
  #highest = 0;

  /**
   * The event's connection id past every id before the last {@link startOver}, or past `offset`
   * (what the startOver of the event's own run returned, for an event that run says late);
   * undefined for an event without one.
   */
  idOf(event: TunnelEvent, offset = this.#offset): number | undefined {
    if (!('id' in event) || typeof event.id !== 'number') return undefined;
    const id = event.id + offset;
    if (id > this.#highest) this.#highest = id;
    return id;
  }

  /** The tunnel starts over from 1: its next ids come after every id seen so far (the offset returned). */
  startOver(): number {
    this.#offset = this.#highest;
    return this.#offset;
  }
}

/** The connections of one tunnel in an engine process, as its events tell them. */
export class EngineConnections {
  readonly #numbering = new ConnectionNumbering();
  readonly #open = new Map<number, { openedAt: number; bytesUp: number; bytesDown: number }>();

  /**
   * The event to pass on, renumbered past the connections of earlier engines (in place: it is the
   * shell's own copy, as it came over the channel), noting which connections are open.
   */
  observe(event: TunnelEvent): TunnelEvent {
    const id = this.#numbering.idOf(event);
    if (id === undefined) return event;
    const renumbered = event as TunnelEvent & { id: number };
    renumbered.id = id;
    switch (renumbered.event) {
      case 'connection.opened':
        this.#open.set(renumbered.id, { openedAt: Date.now(), bytesUp: 0, bytesDown: 0 });
        break;
      case 'connection.progress': {
        const open = this.#open.get(renumbered.id);
        if (open) {
          open.bytesUp = renumbered.bytesUp;
          open.bytesDown = renumbered.bytesDown;
        }
        break;
      }
      case 'connection.closed':
        this.#open.delete(renumbered.id);
        break;
      default:
        break;
    }
    return renumbered;
  }

  /**
   * The engine died with its connections: a closed event with `error` for each one open (the bytes
   * as last reported), and the next engine's connections numbered on from these.
   */
  lost(error: SerializedError): TunnelEvent[] {
    const now = Date.now();
    const closed: TunnelEvent[] = [...this.#open].map(([id, open]) => ({ event: 'connection.closed', id, bytesUp: open.bytesUp, bytesDown: open.bytesDown, durationMs: now - open.openedAt, error }));
    this.#open.clear();
    this.#numbering.startOver();
    return closed;
  }
}
