/**
 * The settings a running tunnel started with, beside the saved profile: comparing them (a restart
 * is pending) and keeping a port-0 tunnel's port across a restart. Pure functions for the app service.
 */
import { portOfAddress } from '../../../shared/model/endpoints.ts';
import type { TunnelConfig } from '../config/tunnelConfig.ts';

/** Local addresses of a running tunnel, host:port. */
export interface TunnelAddresses {
  pulsar: string;
  http?: string;
}

/** JSON with object keys sorted, so two equal profiles compare equal whatever their key order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner && typeof inner === 'object' && !Array.isArray(inner) ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : inner,
  );
}

/** The config with listen port 0 (any free port) replaced by the port a previous run had. */
export function keptPorts(config: TunnelConfig, addresses: TunnelAddresses | undefined): TunnelConfig {
  if (!addresses) return config;
  const listen = { ...config.listen };
  if (listen.port === 0) listen.port = portOfAddress(addresses.pulsar) ?? 0;
  if (listen.webPort === 0) listen.webPort = portOfAddress(addresses.http) ?? 0;
  return { ...config, listen };
}
