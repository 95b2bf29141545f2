/**
 * Assembles the app service the shells use: the profile store in the default data folder (or the
 * one given) with the OS keychain, and the engine's Tunnel, in this process or in an engine process. One place, so the Electron main process
 * and `pulsar-tunnel ui` run the same objects.
 */
import { profileImportExport } from '../profiles/importExport.ts';
import { openDefaultStore, ProfileStore } from '../profiles/store.ts';
import type { Keychain } from '../secrets/keychain.ts';
import { Tunnel } from '../tunnel/tunnel.ts';
import { AppService } from './appService.ts';
import { recordingStarter, RunningTunnels } from './runningTunnels.ts';
import type { EngineTransport } from './engineProtocol.ts';
import { createRemoteTunnels, type RemoteTunnelsOptions } from './remoteTunnels.ts';
import type { AppServiceOptions } from './appService.ts';
import { storeAdapter } from './storeAdapter.ts';
import type { ImportExport } from './storeAdapter.ts';

/** Options of {@link createAppService}. */
export interface CreateAppServiceOptions extends Partial<Omit<AppServiceOptions, 'store' | 'startTunnel'>> {
  /** The store's data folder; default PULSAR_TUNNEL_HOME or the per-user config folder. */
  dataDir?: string;
  /** The keychain; default the OS keychain. */
  keychain?: Keychain;
  /** File import and export; default the profiles module's importers. */
  importExport?: ImportExport;
  /**
   * Starts an engine process to run the tunnels in (see remoteTunnels.ts), so this process's event
   * loop never waits on the data path; absent: the tunnels run in this process.
   */
  spawnEngine?: () => EngineTransport;
  /** The engine process's other options (see remoteTunnels.ts), with spawnEngine. */
  engine?: Omit<RemoteTunnelsOptions, 'spawn'>;
}

/** A service with the store it owns; dispose() stops every tunnel, then releases the store. */
export interface OwnedAppService {
  service: AppService;
  dispose(): Promise<void>;
}

/**
 * Opens the store and builds the service over the real engine.
 * @throws AppError PROFILE_UNREADABLE when the data folder cannot be created.
 */
export async function createAppService(options: CreateAppServiceOptions = {}): Promise<OwnedAppService> {
  const { dataDir, keychain, importExport, spawnEngine, engine: engineOptions, ...serviceOptions } = options;
  const store =
    dataDir === undefined && keychain === undefined
      ? await openDefaultStore()
      : await ProfileStore.open({ ...(dataDir === undefined ? {} : { dir: dataDir }), ...(keychain === undefined ? {} : { keychain }) });
  const engine = spawnEngine === undefined ? undefined : createRemoteTunnels({ ...engineOptions, spawn: spawnEngine });
  const running = new RunningTunnels(store.dir);
  const service = new AppService({
    otherTunnels: () => running.list(),
    ...serviceOptions,
    store: storeAdapter(store, importExport ?? profileImportExport),
    // Recorded in the data folder while they run, so a port clash names the profile holding the port.
    startTunnel: recordingStarter(engine?.startTunnel ?? ((config, tunnelOptions) => Tunnel.start(config, tunnelOptions)), running),
  });
  return {
    service,
    async dispose() {
      // Starts waiting for an engine that is not ready end now, instead of holding the stops up.
      engine?.shutDown();
      await service.dispose();
      store.dispose();
      await engine?.dispose();
    },
  };
}
