/**
 * The brokers a tunnel has seen in lookups, each with a local listener of its own on the tunnel's
 * loopback address. A lookup answer names a broker by its own address (pulsar://broker-2:6650),
 * which a local tool cannot reach; the tunnel answers with the broker's local port instead, and a
 * connection to that port is sent through the proxy with the broker's host as SNI. Listeners are
 * created on first sight and kept for the tunnel's lifetime, at most {@link MAX_BROKERS} of them:
 * lookup answers come from the network, and each listener costs a file descriptor.
 */
import type net from 'node:net';
import { AppError, isAppError } from '../../../shared/errors.ts';
import type { BrokerPort } from '../../../shared/model/endpoints.ts';
import { tlsBrokerAddress } from '../../../shared/model/brokerUrl.ts';
import { isLoopbackHost, parseServiceUrl } from '../../../shared/model/profile.ts';
import { formatHostPort, type DialTarget } from '../../../shared/model/endpoints.ts';

/** The most brokers (local listeners) one tunnel opens; real clusters have far fewer. */
export const MAX_BROKERS = 256;

export interface BrokerEntry {
  /** The broker as dialed: its host (the SNI) and TLS port. */
  target: DialTarget;
  /** host:port of the broker as the cluster names it. */
  broker: string;
  /** The local listener's host:port. */
  local: string;
  /** pulsar://local, what rewritten lookups answer. */
  localUrl: string;
  localPort: number;
}

export interface BrokerRegistryOptions {
  /** Opens the local listener for a broker; resolves once it accepts connections. */
  openListener: (target: DialTarget) => Promise<net.Server>;
  /** Called once per new broker port. */
  onNewBroker?: (entry: BrokerEntry) => void;
  /** The most brokers; default {@link MAX_BROKERS}. */
  maxBrokers?: number;
}

export class BrokerRegistry {
  readonly #options: BrokerRegistryOptions;
  readonly #byAddress = new Map<string, BrokerEntry>();
  /**
   * The same entries keyed by the plain pulsar:// address the lookups named them by, if any: one per
   * broker, the latest (#plainOf), so answers naming ever new plain addresses cannot grow it past
   * the broker limit.
   */
  readonly #byPlainAddress = new Map<string, BrokerEntry>();
  readonly #plainOf = new Map<BrokerEntry, string>();
  readonly #byLocalPort = new Map<number, BrokerEntry>();
  readonly #opening = new Map<string, Promise<BrokerEntry>>();
  readonly #servers: net.Server[] = [];

  constructor(options: BrokerRegistryOptions) {
    this.#options = options;
  }

  /**
   * The broker named by a lookup answer (or an assigned/migrated broker URL): its entry at once when
   * known, or a promise while its listener opens. Undefined when the URLs name no broker a TLS
   * client can use: only the TLS URL counts (see shared/model/brokerUrl.ts, which the Doctor reads too).
   * @throws AppError TUNNEL_BROKER_LIMIT when the broker is new and the tunnel already has the
   *   most brokers it opens (nothing is opened)
   */
  ensure(brokerServiceUrl: string | undefined, brokerServiceUrlTls: string | undefined): BrokerEntry | Promise<BrokerEntry> | undefined {
    const address = tlsBrokerAddress(brokerServiceUrl, brokerServiceUrlTls);
    if (address === undefined || typeof address === 'string') return undefined;
    // Keyed by host and port: behind an SNI proxy the host alone routes, but without a proxy two
    // brokers may share a host (a local test cluster) and differ only by port.
    const key = `${address.host.toLowerCase()}:${address.port}`;
    // The plain address too, for a proxy-aware client that names the broker by it.
    const plain = brokerServiceUrl ? parseServiceUrl(brokerServiceUrl, ['pulsar:', 'pulsar+ssl:']) : undefined;
    const plainKey = plain !== undefined && typeof plain !== 'string' ? `${plain.host.toLowerCase()}:${plain.port}` : undefined;
    const known = this.#byAddress.get(key);
    if (known) {
      if (plainKey) this.#rememberPlain(plainKey, known);
      return known;
    }
    const opening = this.#opening.get(key);
    if (!opening) {
      const max = this.#options.maxBrokers ?? MAX_BROKERS;
      if (this.#byAddress.size + this.#opening.size >= max) {
        throw new AppError(
          'TUNNEL_BROKER_LIMIT',
          `A lookup answer named the broker ${formatHostPort(address)}, but this tunnel already has local ports for ${max} brokers, the most it opens; a cluster that big (or a broker answering with ever new addresses) needs a second tunnel, or restart this one.`,
        );
      }
    }
    const promise = opening ?? this.#open(key, address);
    if (!opening) this.#opening.set(key, promise);
    if (plainKey) void promise.then((entry) => this.#rememberPlain(plainKey, entry), () => undefined);
    return promise;
  }

  /** Names `entry` by the plain address `plainKey`, forgetting the plain address it had before. */
  #rememberPlain(plainKey: string, entry: BrokerEntry): void {
    const previous = this.#plainOf.get(entry);
    if (previous === plainKey) return;
    if (previous !== undefined && this.#byPlainAddress.get(previous) === entry) this.#byPlainAddress.delete(previous);
    this.#byPlainAddress.set(plainKey, entry);
    this.#plainOf.set(entry, plainKey);
  }

  async #open(key: string, target: DialTarget): Promise<BrokerEntry> {
    try {
      const server = await this.#options.openListener(target);
      this.#servers.push(server);
      const address = server.address() as net.AddressInfo;
      const local = formatHostPort({ host: address.address, port: address.port });
      const entry: BrokerEntry = { target, broker: formatHostPort(target), local, localUrl: `pulsar://${local}`, localPort: address.port };
      this.#byAddress.set(key, entry);
      this.#byLocalPort.set(address.port, entry);
      this.#options.onNewBroker?.(entry);
      return entry;
    } finally {
      this.#opening.delete(key);
    }
  }

  /**
   * Maps a CONNECT's proxy_to_broker_url (`host:port`) to the broker to dial: either one of our
   * local broker addresses (what a proxy-aware client picked from our rewritten lookup) or a broker
   * host seen in a lookup.
   * @throws AppError PULSAR_UNKNOWN_BROKER for anything else
   */
  resolveProxyTarget(hostPort: string): BrokerEntry {
    const match = /^\[?([^\]]+?)\]?:(\d+)$/.exec(hostPort.replace(/^pulsar(\+ssl)?:\/\//, ''));
    if (match) {
      const [, host, port] = match as unknown as [string, string, string];
      if (isLoopbackHost(host)) {
        const entry = this.#byLocalPort.get(Number(port));
        if (entry) return entry;
      }
      const wanted = host.toLowerCase();
      const exact = this.#byAddress.get(`${wanted}:${port}`) ?? this.#byPlainAddress.get(`${wanted}:${port}`);
      if (exact) return exact;
      // A port no lookup named (a client's own idea of the plain port): the host decides, but
      // only when one broker lives there; two brokers on one host differ only by port.
      const onHost = [...this.#byAddress.values()].filter((entry) => entry.target.host.toLowerCase() === wanted);
      if (onHost.length === 1) return onHost[0]!;
    }
    throw new AppError(
      'PULSAR_UNKNOWN_BROKER',
      `The client asked to be proxied to "${hostPort}", a broker no lookup through this tunnel has named; let the client look its topic up again through the tunnel.`,
    );
  }

  /** Every broker port, in the order they were opened. */
  list(sni: (target: DialTarget) => string | undefined): BrokerPort[] {
    return [...this.#byAddress.values()].map((entry) => ({ broker: entry.broker, sni: sni(entry.target) ?? '', local: entry.local }));
  }

  /** The address (host and Pulsar port) of every broker a lookup has named. */
  targets(): DialTarget[] {
    return [...this.#byAddress.values()].map((entry) => entry.target);
  }

  /** The listeners, for the tunnel to close. */
  get servers(): readonly net.Server[] {
    return this.#servers;
  }
}

/** A broker entry, or null when the tunnel is at its broker limit (TUNNEL_BROKER_LIMIT). */
export function ensureOrNull(ensure: () => BrokerEntry | Promise<BrokerEntry> | undefined): BrokerEntry | Promise<BrokerEntry> | undefined | null {
  try {
    return ensure();
  } catch (failure) {
    if (isAppError(failure) && failure.code === 'TUNNEL_BROKER_LIMIT') return null;
    throw failure;
  }
}
