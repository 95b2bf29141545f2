/**
 * Addresses the engine's layers pass to each other: where a connection is dialed (`DialTarget`), how
 * an address is written (`formatHostPort`), and a per-broker local port as the status shows it
 * (`BrokerPort`). Plain data, so the transport, routing, the web listener and the UI share one
 * definition without importing each other.
 */
import type { HostPort } from './profile.ts';

/** Where a connection goes: the broker (or service) host, which is the SNI and the name its certificate must carry. */
export type DialTarget = HostPort;

/**
 * Formats host:port, bracketing IPv6 hosts. Hosts come from parseServiceUrl (IPv6 without brackets),
 * so a colon in the host means IPv6; an already bracketed host is left as it is.
 */
export function formatHostPort({ host, port }: HostPort): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The port of a host:port address (IPv6 hosts bracketed); undefined when there is none. */
export function portOfAddress(address: string | undefined): number | undefined {
  const port = Number(address?.slice(address.lastIndexOf(':') + 1));
  return Number.isInteger(port) && port > 0 ? port : undefined;
}

/** A per-broker local listener created when a lookup first named that broker. */
export interface BrokerPort {
  /** The broker as the cluster names it, host:port. */
  broker: string;
  /** The SNI used for connections to it. */
  sni: string;
  /** Local address, host:port. */
  local: string;
}

/**
 * Where a profile's credential goes, in words, for the notice before a secret is read from this
 * computer: the broker (its host is the SNI) and the proxy the TLS connection passes through.
 */
export function credentialDestination(service: HostPort, proxy?: HostPort): string {
  const broker = `pulsar+ssl://${formatHostPort(service)}`;
  return proxy === undefined ? `${broker} (straight, no proxy)` : `${broker} through the proxy ${formatHostPort(proxy)} (SNI ${service.host})`;
}
