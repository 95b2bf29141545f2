/**
 * The desktop app's lifecycle, assembled once: single instance, one hardened window on the built
 * UI, background mode (closing the window keeps tunnels running in the tray; quitting stops them),
 * auto-start of marked profiles, the tray, and a notification when a running tunnel starts failing.
 * The engine is reached only through the app service; this file only wires Electron to it.
 */
import { app, BrowserWindow, ipcMain, Menu, nativeImage, Notification, session, Tray } from 'electron';
import { pathToFileURL } from 'node:url';
import type { OwnedAppService } from '../core/service/createAppService.ts';
import type { HealthChange } from '../core/service/appService.ts';
import { registerIpcHandlers } from './ipcHandlers.ts';
import { buildTrayMenu, trayHealth, trayTooltip } from './tray.ts';
import { trayIconDataUrls } from './trayIcons.ts';
import { hardenSession, hardenWebContents, mainWindowOptions } from './window.ts';

/** The app id of electron.config.ts, which Windows notifications need. */
export const appId = 'dev.pulsar-tunnel.app';

/** Options of {@link startDesktopApp}. */
export interface DesktopAppOptions {
  createService(): Promise<OwnedAppService>;
  /** out/renderer/index.html */
  pageFile: string;
  /** out/preload/preload.cjs */
  preloadFile: string;
  /** How often the tray re-reads the profile list (profiles may be created in the window or by the CLI). */
  trayRefreshMs?: number;
  /** The longest a quit waits for tunnels to close. */
  shutdownTimeoutMs?: number;
}

/** A running desktop app (for tests): its window, and what quitting does. */
export interface DesktopApp {
  window(): BrowserWindow | undefined;
  showWindow(): void;
  /** Stops every tunnel and releases the store; called on quit. */
  shutdown(): Promise<void>;
}

/**
 * Starts the app; resolves once the window is created and auto-start has been tried, or with
 * undefined when another instance already runs (that one shows its window instead).
 */
export async function startDesktopApp(options: DesktopAppOptions): Promise<DesktopApp | undefined> {
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return undefined;
  }
  const pageUrl = pathToFileURL(options.pageFile).href;
  let window: BrowserWindow | undefined;
  let tray: Tray | undefined;
  let quitting = false;
  let shutdownDone = false;
  // Set once the app is ready; read by shutdown(), which may run before (a quit during startup).
  const parts: { owned?: OwnedAppService; removeIpc?: () => void; refreshTimer?: NodeJS.Timeout } = {};

  const showWindow = (): void => {
    if (!window || window.isDestroyed()) window = createWindow();
    if (window.isMinimized()) window.restore();
    window.show();
    window.focus();
  };

  const createWindow = (): BrowserWindow => {
    const created = new BrowserWindow(mainWindowOptions(options.preloadFile));
    created.once('ready-to-show', () => created.show());
    created.on('close', (event) => {
      // Background mode: the window closes, the tunnels keep running in the tray.
      if (!quitting) {
        event.preventDefault();
        created.hide();
      }
    });
    void created.loadFile(options.pageFile);
    return created;
  };

  const shutdown = async (): Promise<void> => {
    if (parts.refreshTimer) clearInterval(parts.refreshTimer);
    parts.removeIpc?.();
    tray?.destroy();
    tray = undefined;
    if (parts.owned) {
      const owned = parts.owned;
      const timeout = options.shutdownTimeoutMs ?? 10_000;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([owned.dispose(), new Promise<void>((resolve) => (timer = setTimeout(resolve, timeout)))]);
      clearTimeout(timer);
    }
  };

  app.on('second-instance', () => showWindow());
  app.on('activate', () => showWindow());
  // Every webContents, including any a bug might create, gets the same lock-down.
  app.on('web-contents-created', (_event, contents) => hardenWebContents(contents, pageUrl));
  // Background mode: no window is not a reason to quit; the tray's Quit is.
  app.on('window-all-closed', () => undefined);
  app.on('before-quit', (event) => {
    quitting = true;
    if (shutdownDone) return;
    event.preventDefault();
    void shutdown().finally(() => {
      shutdownDone = true;
      app.quit();
    });
  });

  await app.whenReady();
  // Windows shows notifications only for an app with an AppUserModelID (electron.config.ts appId).
  if (process.platform === 'win32') app.setAppUserModelId(appId);
  hardenSession(session.defaultSession);
  parts.owned = await options.createService();
  const service = parts.owned.service;
  parts.removeIpc = registerIpcHandlers({ ipcMain, api: service, pageUrl });

  /** What the tray shows now (menu labels and states, tooltip, icon), to skip rebuilding it unchanged. */
  let trayShows: string | undefined;
  const refreshTray = async (): Promise<void> => {
    if (!tray) return;
    const [profiles, statuses] = await Promise.all([service.listProfiles().catch(() => []), service.tunnelStatus()]);
    if (!tray) return;
    const template = buildTrayMenu(
      profiles.map((view) => view.profile.name),
      statuses,
      {
        start: (name) => void service.startTunnel(name).catch(() => undefined),
        stop: (name) => void service.stopTunnel(name).catch(() => undefined),
        open: showWindow,
        quit: () => app.quit(),
      },
    );
    const tooltip = trayTooltip(statuses);
    const health = trayHealth(statuses);
    // The periodic refresh mostly finds nothing changed: no new native menu then. (The click
    // handlers are left out of the comparison; they follow from the labels' profile names.)
    const shows = JSON.stringify([template, tooltip, health]);
    if (shows === trayShows) return;
    trayShows = shows;
    tray.setContextMenu(Menu.buildFromTemplate(template));
    tray.setToolTip(tooltip);
    tray.setImage(nativeImage.createFromDataURL(trayIconDataUrls[health]));
  };

  tray = new Tray(nativeImage.createFromDataURL(trayIconDataUrls.idle));
  tray.on('click', showWindow);
  parts.refreshTimer = setInterval(() => void refreshTray(), options.trayRefreshMs ?? 3000);
  parts.refreshTimer.unref();
  service.onHealth((change) => {
    void refreshTray();
    notifyIfFailing(change, showWindow);
  });
  await refreshTray();

  window = createWindow();
  const { failed } = await service.autoStart();
  for (const failure of failed) {
    notify(`${failure.profile}: the tunnel did not start`, `${failure.error.code}: ${failure.error.message}`, showWindow);
  }
  return { window: () => window, showWindow, shutdown };
}

/** A desktop notification when a running tunnel turns failing (not on every failed connection). */
export function notifyIfFailing(change: HealthChange, onClick: () => void): void {
  if (change.previous !== 'running' || change.status.state !== 'failing') return;
  const error = change.status.lastError;
  notify(`${change.profile}: the tunnel is failing`, error ? `${error.code}: ${error.message}` : 'Connections through it fail; open pulsar-tunnel to see why.', onClick);
}

function notify(title: string, body: string, onClick: () => void): void {
  if (!Notification.isSupported()) return;
  const notification = new Notification({ title, body });
  notification.on('click', onClick);
  notification.show();
}
