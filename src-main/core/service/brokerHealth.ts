/**
 * Per-broker health of one running tunnel, read from its events: each connection is tied to the SNI
 * it was opened with (a broker's own name on its broker port), the broker's first answer or a clean
 * close makes that broker ok, and a connection that ends with an error (a failed dial, TLS
 * handshake or route, or an established connection cut with a non-routine error) makes it failing
 * and is kept as its last error. Also the brokers a profile's tunnels have named, across runs, for
 * the Doctor to check.
 */
import type { BrokerHealth, BrokerPort, BrokerStatus } from '../../../shared/ipc/contract.ts';
import type { TunnelEvent } from '../../../shared/model/events.ts';

/**
 * Errors that end an established connection routinely (ghostunnel treats resets as routine): a
 * client that hangs up is not a sign that the tunnel, or the broker, is failing.
 */
export const routineCloseCodes: ReadonlySet<string> = new Set(['TUNNEL_PEER_RESET', 'TUNNEL_CLOSE_TIMEOUT']);

interface Health {
  health: BrokerHealth;
  lastError?: { code: string; message: string; time: string };
}

/** Broker health for one run of a tunnel. */
export class BrokerHealthTracker {
  readonly #now: () => Date;
  /** Open connections: id → SNI (lower case). */
  readonly #sniOf = new Map<number, string>();
  /** Open connections whose TLS session to the broker came up. */
  readonly #secured = new Set<number>();
  /** By SNI (lower case). */
  readonly #health = new Map<string, Health>();

  constructor(now: () => Date) {
    this.#now = now;
  }

  /** Reads one event of the run. */
  onEvent(event: TunnelEvent): void {
    switch (event.event) {
      case 'connection.opened':
        if (event.sni) this.#sniOf.set(event.id, event.sni.toLowerCase());
        break;
      case 'connection.secured':
        this.#secured.add(event.id);
        break;
      case 'connection.progress':
        if (event.bytesDown > 0) this.#mark(event.id, 'ok');
        break;
      case 'pulsar.connected':
        this.#mark(event.id, 'ok');
        break;
      case 'connection.closed': {
        const secured = this.#secured.delete(event.id);
        if (!event.error) this.#mark(event.id, 'ok');
        else if (!secured || !routineCloseCodes.has(event.error.code)) this.#mark(event.id, 'failing', event.error);
        this.#sniOf.delete(event.id);
        break;
      }
      default:
        break;
    }
  }

  #mark(id: number, health: 'ok' | 'failing', error?: { code: string; message: string }): void {
    const sni = this.#sniOf.get(id);
    if (sni === undefined) return;
    const previous = this.#health.get(sni);
    const lastError = error ? { code: error.code, message: error.message, time: this.#now().toISOString() } : previous?.lastError;
    this.#health.set(sni, { health, ...(lastError ? { lastError } : {}) });
  }

  /** The broker rows with their health (unknown for a broker none of whose connections ended or was answered). */
  decorate(ports: readonly BrokerPort[]): BrokerStatus[] {
    return ports.map((port) => {
      const found = this.#health.get(port.sni.toLowerCase());
      return { ...port, health: found?.health ?? 'unknown', ...(found?.lastError ? { lastError: { ...found.lastError } } : {}) };
    });
  }
}

/** The brokers each profile's tunnels have named (host:port, as the cluster names them), across runs. */
export class KnownBrokers {
  readonly #byProfile = new Map<string, Set<string>>();

  /** Notes the brokers an event names (a new broker port, a lookup answer). */
  onEvent(profile: string, event: TunnelEvent): void {
    const broker = event.event === 'pulsar.brokerPort' ? event.broker : event.event === 'pulsar.lookup' ? event.broker : undefined;
    if (broker === undefined || broker === '') return;
    let known = this.#byProfile.get(profile);
    if (!known) this.#byProfile.set(profile, (known = new Set()));
    if (known.size < 256) known.add(broker);
  }

  /** The brokers `profile`'s tunnels have named, in the order first seen. */
  of(profile: string): string[] {
    return [...(this.#byProfile.get(profile) ?? [])];
  }

  /** Forgets a profile (removed, or renamed). */
  forget(profile: string): void {
    this.#byProfile.delete(profile);
  }
}
