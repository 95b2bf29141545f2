/**
 * Keep-alive HTTP agents to the cluster's web hosts, one per host:port, whose connections are made
 * by the tunnel's dialer: TCP to the proxy, then TLS with the web host as SNI, the profile's CA,
 * hostname check and client certificate. Node's http module then speaks HTTP/1.1 over that TLS
 * socket, so parsing stays in llhttp and the TLS policy stays in one place (the dialer).
 */
import http from 'node:http';
import type net from 'node:net';
import type { Dialer } from '../transport/dialer.ts';
import { formatHostPort, type DialTarget } from '../../../shared/model/endpoints.ts';

export interface UpstreamAgentsOptions {
  dialer: Dialer;
  /** Connections per web host; a few suffice for an admin tool, and each costs a proxy tunnel. */
  maxSocketsPerHost?: number;
  /**
   * Idle keep-alive connections are closed after this long. Shorter than ATS's default 30 s
   * no-activity timeout, so the tunnel closes first and never reuses a connection the proxy is
   * closing at that moment.
   */
  idleTimeoutMs?: number;
}

/** The agents of one tunnel; `dispose()` closes every pooled connection. */
export class UpstreamAgents {
  readonly #options: UpstreamAgentsOptions;
  readonly #agents = new Map<string, http.Agent>();
  #disposed = false;

  constructor(options: UpstreamAgentsOptions) {
    this.#options = options;
  }

  /** The agent for `target`, created on first use. */
  agentFor(target: DialTarget): http.Agent {
    const key = formatHostPort(target).toLowerCase();
    const known = this.#agents.get(key);
    if (known) return known;
    const dialer = this.#options.dialer;
    const agent = new http.Agent({
      keepAlive: true,
      maxSockets: this.#options.maxSocketsPerHost ?? 4,
      maxFreeSockets: this.#options.maxSocketsPerHost ?? 4,
      // Node's Agent destroys a *free* socket on this timeout and leaves active ones alone.
      timeout: this.#options.idleTimeoutMs ?? 15_000,
      scheduling: 'lifo',
    });
    // Node calls createConnection(options, callback) and accepts the socket later through the
    // callback when nothing is returned: the dial (proxy TCP + TLS handshake) is asynchronous.
    (agent as unknown as { createConnection: (options: unknown, callback: (error: Error | null, socket?: net.Socket) => void) => undefined }).createConnection = (
      _options,
      callback,
    ) => {
      if (this.#disposed) {
        callback(new Error('The tunnel is stopping.'));
        return undefined;
      }
      dialer.dial(target).then(
        (dialed) => callback(null, dialed.socket),
        (error: unknown) => callback(error as Error),
      );
      return undefined;
    };
    this.#agents.set(key, agent);
    return agent;
  }

  /** Closes every pooled connection; later requests fail at once. */
  dispose(): void {
    this.#disposed = true;
    for (const agent of this.#agents.values()) agent.destroy();
    this.#agents.clear();
  }
}
