import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AppError } from '../../shared/errors.ts';
import { AppService } from '../../src-main/core/service/appService.ts';
import { eventually } from '../fixtures/deadline.ts';
import { connectionEvents, MemoryStore, sampleProfile, ScriptedRunner } from '../unit/core/service/memoryStore.ts';

/** A scripted stand-in for the parts of Electron the desktop app uses. */
const electron = await vi.hoisted(async () => {
  // vi.hoisted runs before the imports above: load the emitter here.
  const { EventEmitter: Emitter } = await import('node:events');
  class FakeWindow extends Emitter {
    static created: FakeWindow[] = [];
    visible = false;
    destroyed = false;
    loaded: string | undefined;
    constructor(readonly options: unknown) {
      super();
      FakeWindow.created.push(this);
    }
    loadFile(file: string) {
      this.loaded = file;
      return Promise.resolve();
    }
    show() {
      this.visible = true;
    }
    hide() {
      this.visible = false;
    }
    focus() {}
    restore() {}
    isMinimized() {
      return false;
    }
    isDestroyed() {
      return this.destroyed;
    }
    /** What a click on the window's close button does. */
    tryClose(): boolean {
      const event = { defaultPrevented: false, preventDefault() {
        this.defaultPrevented = true;
      } };
      this.emit('close', event);
      if (!event.defaultPrevented) this.destroyed = true;
      return !event.defaultPrevented;
    }
  }
  class FakeTray extends Emitter {
    static latest: FakeTray | undefined;
    menu: unknown[] = [];
    tooltip = '';
    destroyed = false;
    constructor() {
      super();
      FakeTray.latest = this;
    }
    menuSets = 0;
    setContextMenu(menu: { template: unknown[] }) {
      this.menu = menu.template;
      this.menuSets += 1;
    }
    setToolTip(text: string) {
      this.tooltip = text;
    }
    setImage() {}
    destroy() {
      this.destroyed = true;
    }
  }
  const notifications: { title: string; body: string }[] = [];
  class FakeNotification extends Emitter {
    static isSupported() {
      return true;
    }
    constructor(readonly options: { title: string; body: string }) {
      super();
    }
    show() {
      notifications.push(this.options);
    }
  }
  const app = Object.assign(new Emitter(), {
    lock: true,
    quitCalls: 0,
    requestSingleInstanceLock: () => app.lock,
    whenReady: () => Promise.resolve(),
    quit: () => {
      app.quitCalls += 1;
      const event = { defaultPrevented: false, preventDefault() {
        this.defaultPrevented = true;
      } };
      app.emit('before-quit', event);
    },
    exit: () => undefined,
  });
  return {
    FakeWindow,
    FakeTray,
    notifications,
    app,
    module: {
      app,
      BrowserWindow: FakeWindow,
      Tray: FakeTray,
      Notification: FakeNotification,
      Menu: { buildFromTemplate: (template: unknown[]) => ({ template }) },
      nativeImage: { createFromDataURL: (url: string) => ({ url }) },
      ipcMain: { handle() {}, removeHandler() {}, on() {}, removeListener() {} },
      session: {
        defaultSession: {
          setPermissionRequestHandler() {},
          setPermissionCheckHandler() {},
          webRequest: { onHeadersReceived() {} },
        },
      },
    },
  };
});

vi.mock('electron', () => electron.module);

const { startDesktopApp } = await import('../../src-main/electron/desktopApp.ts');

let service: AppService;
let runner: ScriptedRunner;
let disposed = 0;

beforeEach(async () => {
  electron.FakeWindow.created.length = 0;
  electron.notifications.length = 0;
  electron.app.removeAllListeners();
  electron.app.lock = true;
  electron.app.quitCalls = 0;
  runner = new ScriptedRunner();
  service = new AppService({ store: new MemoryStore(), startTunnel: runner.start });
  disposed = 0;
});

afterEach(async () => {
  await service.dispose();
});

async function start(trayRefreshMs = 60_000) {
  const desktop = await startDesktopApp({
    createService: async () => ({
      service,
      dispose: async () => {
        disposed += 1;
        await service.dispose();
      },
    }),
    pageFile: '/opt/pt/out/renderer/index.html',
    preloadFile: '/opt/pt/out/preload/preload.cjs',
    trayRefreshMs,
  });
  return desktop;
}

describe('desktop app', () => {
  it('quits at once when another instance holds the lock', async () => {
    electron.app.lock = false;
    expect(await start()).toBeUndefined();
    expect(electron.FakeWindow.created).toHaveLength(0);
    expect(electron.app.quitCalls).toBe(1);
  });

  it('opens one hardened window on the built page and shows it when ready', async () => {
    await start();
    const [window] = electron.FakeWindow.created;
    expect(electron.FakeWindow.created).toHaveLength(1);
    expect(window!.loaded).toBe('/opt/pt/out/renderer/index.html');
    expect(window!.options).toMatchObject({ show: false, webPreferences: { preload: '/opt/pt/out/preload/preload.cjs', contextIsolation: true, sandbox: true, nodeIntegration: false } });
    window!.emit('ready-to-show');
    expect(window!.visible).toBe(true);
    expect(electron.app.listenerCount('web-contents-created')).toBe(1);
  });

  it('keeps tunnels running when the window closes, and a second launch shows it again', async () => {
    await service.saveProfile(sampleProfile('alpha'));
    await start();
    await service.startTunnel('alpha');
    const [window] = electron.FakeWindow.created;
    window!.show();
    expect(window!.tryClose()).toBe(false);
    expect(window!.visible).toBe(false);
    expect(service.statusOf('alpha').state).toBe('running');
    electron.app.emit('second-instance');
    expect(window!.visible).toBe(true);
    expect(electron.FakeWindow.created).toHaveLength(1);
  });

  it('rebuilds the tray menu only when what it shows changed, however often it refreshes', async () => {
    await service.saveProfile(sampleProfile('alpha'));
    const listings = vi.spyOn(service, 'listProfiles');
    await start(10);
    const tray = electron.FakeTray.latest!;
    expect(tray.menuSets).toBe(1);
    await eventually(() => listings.mock.calls.length >= 6 || undefined, { timeoutMs: 5000, what: 'five periodic tray refreshes' });
    expect(tray.menuSets).toBe(1);
    await service.startTunnel('alpha');
    await eventually(() => tray.tooltip === 'pulsar-tunnel: 1 tunnel running' || undefined, { timeoutMs: 5000, what: 'the tray of a running tunnel' });
    const sets = tray.menuSets;
    const calls = listings.mock.calls.length;
    await eventually(() => listings.mock.calls.length >= calls + 5 || undefined, { timeoutMs: 5000, what: 'five more tray refreshes' });
    expect(tray.menuSets).toBe(sets);
    // A profile created elsewhere (the CLI) appears at the next periodic refresh.
    await service.saveProfile(sampleProfile('beta'));
    await eventually(() => JSON.stringify(tray.menu).includes('beta') || undefined, { timeoutMs: 5000, what: 'beta in the tray menu' });
    expect(tray.menuSets).toBe(sets + 1);
  });

  it('stops every tunnel on quit, then quits for real', async () => {
    await service.saveProfile(sampleProfile('alpha'));
    await start();
    await service.startTunnel('alpha');
    electron.app.quit();
    await eventually(() => electron.app.quitCalls === 2, { timeoutMs: 5000, what: 'the second quit after shutdown' });
    expect(disposed).toBe(1);
    expect(runner.latest('alpha').disposed).toBe(true);
    expect(electron.FakeTray.latest!.destroyed).toBe(true);
    expect(electron.FakeWindow.created[0]!.tryClose()).toBe(true);
  });

  it('auto-starts the marked profiles and notifies about those that fail', async () => {
    await service.saveProfile(sampleProfile('auto', { autoStart: true }));
    await service.saveProfile(sampleProfile('broken', { autoStart: true }));
    await service.saveProfile(sampleProfile('manual'));
    runner.failFor.set('broken', new AppError('TUNNEL_LISTEN_IN_USE', 'port 6650 is in use'));
    await start();
    expect(service.statusOf('auto').state).toBe('running');
    expect(service.statusOf('manual').state).toBe('stopped');
    expect(service.statusOf('broken')).toMatchObject({ state: 'stopped', lastError: { code: 'TUNNEL_LISTEN_IN_USE' } });
    expect(electron.notifications).toEqual([{ title: 'broken: the tunnel did not start', body: 'TUNNEL_LISTEN_IN_USE: port 6650 is in use' }]);
  });

  it('shows the tunnels in the tray and notifies when a running tunnel turns failing', async () => {
    await service.saveProfile(sampleProfile('alpha'));
    await start();
    await service.startTunnel('alpha');
    await eventually(() => electron.FakeTray.latest!.tooltip === 'pulsar-tunnel: 1 tunnel running', { timeoutMs: 5000, what: 'the tray tooltip' });
    for (const event of connectionEvents('alpha', { code: 'PROXY_NO_ROUTE', message: 'no route for pulsar.example.test' })) runner.latest('alpha').emit(event);
    expect(electron.notifications).toEqual([{ title: 'alpha: the tunnel is failing', body: 'PROXY_NO_ROUTE: no route for pulsar.example.test' }]);
    await eventually(() => electron.FakeTray.latest!.tooltip.endsWith('1 failing'), { timeoutMs: 5000, what: 'the tray to show the failure' });
    // Further failures while already failing do not notify again.
    for (const event of connectionEvents('alpha', { code: 'PROXY_NO_ROUTE', message: 'again' })) runner.latest('alpha').emit(event);
    expect(electron.notifications).toHaveLength(1);
  });
});
