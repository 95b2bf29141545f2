/**
 * TLS sessions per server name, so reconnects resume instead of running a full handshake (as
 * undici's session cache does), together with the summary of the certificate the full handshake
 * verified: a resumed handshake carries no certificate (Node's getPeerCertificate() returns an
 * empty object), yet every connection's log entry should still name the broker's certificate.
 */

/** The broker certificate as a log entry shows it. */
export interface PeerCertificateSummary {
  /** e.g. "CN=broker1.test" */
  subject: string;
  /** ISO 8601 */
  validTo: string;
}

/** A remembered session: the ticket to offer, and the certificate verified when the session began. */
export interface CachedSession {
  ticket: Buffer;
  peer: PeerCertificateSummary | undefined;
}

/** Server names remembered at most (undici's default); the least recently used is dropped. */
export const SESSION_CACHE_SIZE = 100;

/** A bounded least-recently-used cache of TLS sessions keyed by server name. */
export class TlsSessionCache {
  readonly #entries = new Map<string, CachedSession>();
  readonly #capacity: number;

  constructor(capacity = SESSION_CACHE_SIZE) {
    this.#capacity = capacity;
  }

  /** The session to offer for `serverName`, and the certificate it was established with. */
  get(serverName: string): CachedSession | undefined {
    const entry = this.#entries.get(serverName);
    if (entry) {
      // Map keeps insertion order: re-inserting marks the entry as the most recently used.
      this.#entries.delete(serverName);
      this.#entries.set(serverName, entry);
    }
    return entry;
  }

  /** Remembers a session ticket the server issued, with the certificate of that session. */
  set(serverName: string, ticket: Buffer, peer: PeerCertificateSummary | undefined): void {
    this.#entries.delete(serverName);
    this.#entries.set(serverName, { ticket, peer });
    if (this.#entries.size > this.#capacity) {
      const oldest = this.#entries.keys().next().value as string;
      this.#entries.delete(oldest);
    }
  }

  get size(): number {
    return this.#entries.size;
  }
}
