/**
 * Which pulsar-tunnel tunnels run on this machine, and on which local ports: one small file per
 * running tunnel in `<data folder>/running/` (process id, profile, listen addresses), written once
 * its listeners accept and removed when it stops. Entries of processes that died without removing
 * theirs (SIGKILL, a crash) are ignored and deleted when read. It serves one purpose: when a local
 * port is taken, say which profile holds it instead of guessing.
 */
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { AppError, type SerializedError } from '../../../shared/errors.ts';
import { portOfAddress } from '../../../shared/model/endpoints.ts';
import type { TunnelEvent } from '../../../shared/model/events.ts';
import type { TunnelConfig } from '../config/tunnelConfig.ts';
import type { RunningTunnel, TunnelStarter } from './ports.ts';
import { processAlive, writeFileAtomic } from '../profiles/storeFiles.ts';

/** One running tunnel as recorded. */
export interface RunningTunnelEntry {
  pid: number;
  profile: string;
  /** The listen addresses, host:port, as in the `ready` event. */
  listen: { pulsar: string; http?: string };
  startedAt: string;
}

/** The folder of the records, inside the data folder. */
export function runningTunnelsDir(dataDir: string): string {
  return path.join(dataDir, 'running');
}

function parseEntry(text: string): RunningTunnelEntry | undefined {
  try {
    const value = JSON.parse(text) as Partial<RunningTunnelEntry>;
    if (typeof value.pid !== 'number' || typeof value.profile !== 'string' || typeof value.listen?.pulsar !== 'string') return undefined;
    return value as RunningTunnelEntry;
  } catch {
    return undefined;
  }
}

/** The records of running tunnels in one data folder. */
export class RunningTunnels {
  readonly dir: string;
  #sequence = 0;

  constructor(dataDir: string) {
    this.dir = runningTunnelsDir(dataDir);
  }

  /**
   * Records a tunnel of this process; returns the function that removes the record (also removed
   * if the process exits first). Failing to write the record never stops the tunnel.
   */
  async record(profile: string, listen: RunningTunnelEntry['listen']): Promise<() => Promise<void>> {
    // A name per tunnel: one process (the app) may run several.
    const file = path.join(this.dir, `${process.pid}-${++this.#sequence}.json`);
    const entry: RunningTunnelEntry = { pid: process.pid, profile, listen, startedAt: new Date().toISOString() };
    const onExit = () => rmSync(file, { force: true });
    try {
      await mkdir(this.dir, { recursive: true, mode: 0o700 });
      await writeFileAtomic(file, `${JSON.stringify(entry)}\n`, 0o600);
      process.once('exit', onExit);
    } catch {
      return async () => undefined;
    }
    return async () => {
      process.removeListener('exit', onExit);
      await rm(file, { force: true });
    };
  }

  /** The tunnels that run now; records of dead processes are deleted on the way. */
  async list(): Promise<RunningTunnelEntry[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      return [];
    }
    const entries: RunningTunnelEntry[] = [];
    for (const name of names.filter((candidate) => candidate.endsWith('.json'))) {
      const file = path.join(this.dir, name);
      const entry = parseEntry(await readFile(file, 'utf8').catch(() => ''));
      if (entry === undefined) continue;
      if (processAlive(entry.pid)) entries.push(entry);
      else await rm(file, { force: true });
    }
    return entries;
  }

  /** The running tunnel that listens on `port` (its Pulsar or its web listener), if one does. */
  async holderOf(port: number): Promise<RunningTunnelEntry | undefined> {
    return (await this.list()).find((entry) => portOfAddress(entry.listen.pulsar) === port || portOfAddress(entry.listen.http) === port);
  }
}

/**
 * TUNNEL_LISTEN_IN_USE naming the pulsar-tunnel profile that holds one of the profile's ports, or
 * the error unchanged when no recorded tunnel does (another program holds it).
 */
export async function explainPortInUse(error: unknown, config: TunnelConfig, running: RunningTunnels): Promise<unknown> {
  if (!(error instanceof AppError) || error.code !== 'TUNNEL_LISTEN_IN_USE') return error;
  const fields: [string, number | undefined][] = [
    ['listen.port', config.listen.port],
    ['listen.webPort', config.listen.webPort],
  ];
  for (const [field, port] of fields) {
    if (port === undefined || port === 0) continue;
    const holder = await running.holderOf(port);
    if (holder === undefined) continue;
    const who = holder.pid === process.pid ? 'this process' : `process ${holder.pid}`;
    return new AppError(
      'TUNNEL_LISTEN_IN_USE',
      `Local port ${port} (${field} of profile "${config.name}") is already used by the running tunnel of pulsar-tunnel profile "${holder.profile}" (${who}); stop that tunnel, or give this one another port (pulsar-tunnel run --port N / --web-port N, or change ${field}).`,
      { cause: error },
    );
  }
  return error;
}

/**
 * Wraps a tunnel starter so every tunnel it starts is recorded in `running` while it runs, and a
 * port clash with another recorded tunnel names that tunnel's profile. The tunnel's events (its
 * `ready` first) are passed on once the record exists, so whoever sees `ready` and starts a second
 * tunnel on the same port is told which profile holds it. A tunnel that ended on its own
 * (`onEnded`) is forgotten then, and its end passed on after its events.
 * @throws what `start` throws, TUNNEL_LISTEN_IN_USE reworded by {@link explainPortInUse}
 */
export function recordingStarter(start: TunnelStarter, running: RunningTunnels): TunnelStarter {
  return async (config, options) => {
    let held: TunnelEvent[] | undefined = [];
    const release = () => {
      const events = held ?? [];
      held = undefined;
      for (const event of events) options.onEvent(event);
    };
    let recorded = false;
    /** It ended on its own before its record was made. */
    let endedEarly: SerializedError | undefined;
    const onEnded = (error: SerializedError) => {
      if (!recorded) endedEarly = error;
      else void forget().finally(() => options.onEnded?.(error));
    };
    let tunnel: RunningTunnel;
    try {
      tunnel = await start(config, { ...options, onEvent: (event) => (held ? held.push(event) : options.onEvent(event)), onEnded });
    } catch (error) {
      release();
      throw await explainPortInUse(error, config, running);
    }
    const forget = await running.record(config.name, tunnel.addresses);
    recorded = true;
    release();
    if (endedEarly !== undefined) onEnded(endedEarly);
    return {
      get addresses() {
        return tunnel.addresses;
      },
      status: () => tunnel.status(),
      async dispose() {
        try {
          await tunnel.dispose();
        } finally {
          await forget();
        }
      },
    };
  };
}
