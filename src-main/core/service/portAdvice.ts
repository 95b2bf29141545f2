/**
 * Which of a profile's local ports is taken, by whom, and a free port to use instead: what the UI
 * offers when a start fails with TUNNEL_LISTEN_IN_USE ("Use port N") and when a profile is
 * duplicated (a copy on the same fixed port could never run beside its original).
 */
import net from 'node:net';
import type { ListenPortAdvice } from '../../../shared/ipc/contract.ts';
import { portOfAddress } from '../../../shared/model/endpoints.ts';
import type { StoredProfile } from '../../../shared/model/storedProfile.ts';

/** The Pulsar listen port of a profile that sets none (shared/model/profile.ts listenSchema). */
export const defaultListenPort = 6650;

/** A running tunnel as far as port advice needs it: the recorded ones (runningTunnels.ts) and the app's own. */
export interface PortHolder {
  profile: string;
  pid: number;
  /** host:port addresses, as in the `ready` event. */
  listen: { pulsar: string; http?: string };
}

/** Options of {@link listenPortAdvice}. */
export interface PortAdviceInput {
  profile: StoredProfile;
  /** Every stored profile: a port another profile is set to is never offered. */
  profiles: readonly StoredProfile[];
  /** Tunnels that run now, in this process and others. */
  holders: readonly PortHolder[];
  /** Tells whether the port can be bound now on the host; a real bind by default. */
  canBind?: (host: string, port: number) => Promise<boolean>;
}

// Ports tried upwards from the taken one before asking the OS for any free port.
const maxCandidates = 200;

/** Binds `port` on `host` and releases it at once: true when that worked (nobody holds it). */
export function canBindPort(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** A port the OS gives for port 0 on `host` (free now). */
function anyFreePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen({ host, port: 0, exclusive: true }, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Looks at the profile's fixed ports (listen.port, 6650 when unset, then listen.webPort): the first
 * that cannot be bound now is reported with the pulsar-tunnel tunnel that holds it, if one does;
 * when none is taken, listen.port is reported with `inUse: false`. `freePort` counts up from the
 * reported port past every port a profile is set to or a tunnel holds, to one that binds now.
 */
export async function listenPortAdvice(input: PortAdviceInput): Promise<ListenPortAdvice> {
  const { profile } = input;
  const canBind = input.canBind ?? canBindPort;
  const host = profile.listen.host ?? '127.0.0.1';
  const fields: [ListenPortAdvice['field'], number | undefined][] = [
    ['listen.port', profile.listen.port ?? defaultListenPort],
    ['listen.webPort', profile.listen.webPort],
  ];
  let reported: { field: ListenPortAdvice['field']; port: number; inUse: boolean } | undefined;
  for (const [field, port] of fields) {
    if (port === undefined || port === 0) continue;
    if (!(await canBind(host, port))) {
      reported = { field, port, inUse: true };
      break;
    }
  }
  reported ??= { field: 'listen.port', port: profile.listen.port ?? defaultListenPort, inUse: false };
  const holder = reported.inUse ? input.holders.find((entry) => portOfAddress(entry.listen.pulsar) === reported.port || portOfAddress(entry.listen.http) === reported.port) : undefined;
  const taken = new Set<number>();
  for (const other of input.profiles) {
    taken.add(other.listen.port ?? defaultListenPort);
    if (other.listen.webPort !== undefined) taken.add(other.listen.webPort);
  }
  for (const entry of input.holders) {
    for (const address of [entry.listen.pulsar, entry.listen.http]) {
      const port = portOfAddress(address);
      if (port !== undefined) taken.add(port);
    }
  }
  // Counting up from a port below 1024 (or 0: any free port) would offer a privileged port.
  const freePort = await findFreePort(host, reported.port >= 1024 ? reported.port : defaultListenPort, taken, canBind);
  return {
    field: reported.field,
    port: reported.port,
    inUse: reported.inUse,
    ...(holder ? { holder: { profile: holder.profile, pid: holder.pid, thisApp: holder.pid === process.pid } } : {}),
    freePort,
  };
}

async function findFreePort(host: string, from: number, taken: ReadonlySet<number>, canBind: (host: string, port: number) => Promise<boolean>): Promise<number> {
  for (let port = from + 1, tried = 0; port <= 65535 && tried < maxCandidates; port += 1) {
    if (taken.has(port)) continue;
    tried += 1;
    if (await canBind(host, port)) return port;
  }
  return anyFreePort(host);
}
