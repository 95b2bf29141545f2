import { describe, expect, it, vi } from 'vitest';

// window.ts imports only types from electron; the mock keeps any accidental runtime import inert.
vi.mock('electron', () => ({}));

const { appContentSecurityPolicy, hardenSession, hardenWebContents, isAppPage, mainWindowOptions } = await import('../../src-main/electron/window.ts');

const pageUrl = 'file:///opt/pulsar-tunnel/out/renderer/index.html';

type Handler = (event: { preventDefault: () => void }, url?: string) => void;

function fakeContents() {
  const handlers = new Map<string, Handler>();
  let openHandler: (() => { action: string }) | undefined;
  const contents = {
    on: (name: string, handler: Handler) => {
      handlers.set(name, handler);
      return contents;
    },
    setWindowOpenHandler: (handler: () => { action: string }) => {
      openHandler = handler;
    },
  };
  const fire = (name: string, url?: string): boolean => {
    const event = { preventDefault: vi.fn() };
    handlers.get(name)!(event, url);
    return event.preventDefault.mock.calls.length > 0;
  };
  return { contents, fire, openHandler: () => openHandler };
}

describe('main window options', () => {
  it('isolate the page: context isolation, sandbox, no Node, no webview, the preload given', () => {
    const options = mainWindowOptions('/app/out/preload/preload.cjs');
    expect(options.show).toBe(false);
    expect(options.webPreferences).toMatchObject({
      preload: '/app/out/preload/preload.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      navigateOnDragDrop: false,
    });
  });
});

describe('web contents lock-down', () => {
  it('blocks navigation and redirects away from the app page', () => {
    const { contents, fire } = fakeContents();
    hardenWebContents(contents as never, pageUrl);
    expect(fire('will-navigate', 'https://evil.example/')).toBe(true);
    expect(fire('will-navigate', 'file:///etc/passwd')).toBe(true);
    expect(fire('will-redirect', 'http://127.0.0.1:8080/')).toBe(true);
    expect(fire('will-navigate', `${pageUrl}#/log`)).toBe(false);
  });

  it('denies every new window and refuses webviews', () => {
    const { contents, fire, openHandler } = fakeContents();
    hardenWebContents(contents as never, pageUrl);
    expect(openHandler()?.()).toEqual({ action: 'deny' });
    expect(fire('will-attach-webview')).toBe(true);
  });

  it('recognises only the app page itself', () => {
    expect(isAppPage(`${pageUrl}?x=1`, pageUrl)).toBe(true);
    expect(isAppPage('file:///opt/pulsar-tunnel/out/renderer/other.html', pageUrl)).toBe(false);
    expect(isAppPage('not a url', pageUrl)).toBe(false);
  });
});

describe('session lock-down', () => {
  function hardened() {
    let requestHandler: ((contents: unknown, permission: string, callback: (granted: boolean) => void) => void) | undefined;
    let checkHandler: ((contents: unknown, permission: string) => boolean) | undefined;
    let headersHandler: ((details: { responseHeaders?: Record<string, string[]> }, callback: (response: { responseHeaders?: Record<string, string[]> }) => void) => void) | undefined;
    hardenSession({
      setPermissionRequestHandler: (handler: typeof requestHandler) => (requestHandler = handler),
      setPermissionCheckHandler: (handler: typeof checkHandler) => (checkHandler = handler),
      webRequest: { onHeadersReceived: (handler: typeof headersHandler) => (headersHandler = handler) },
    } as never);
    return { requestHandler: requestHandler!, checkHandler: checkHandler!, headersHandler: headersHandler! };
  }

  it('denies permissions by default and allows only clipboard writes for the copy buttons', () => {
    const { requestHandler, checkHandler } = hardened();
    const answers: Record<string, boolean> = {};
    for (const permission of ['media', 'geolocation', 'notifications', 'openExternal', 'clipboard-read', 'clipboard-sanitized-write']) {
      requestHandler(undefined, permission, (granted) => (answers[permission] = granted));
    }
    expect(answers).toEqual({ media: false, geolocation: false, notifications: false, openExternal: false, 'clipboard-read': false, 'clipboard-sanitized-write': true });
    expect(checkHandler(undefined, 'media')).toBe(false);
  });

  it('adds the strict Content-Security-Policy to every response', () => {
    const { headersHandler } = hardened();
    let headers: Record<string, string[]> | undefined;
    headersHandler({ responseHeaders: { 'Content-Type': ['text/html'] } }, (response) => (headers = response.responseHeaders));
    expect(headers).toEqual({ 'Content-Type': ['text/html'], 'Content-Security-Policy': [appContentSecurityPolicy] });
    expect(appContentSecurityPolicy).toMatch(/default-src 'none'/);
    expect(appContentSecurityPolicy).toMatch(/script-src 'self'(;|$)/);
    expect(appContentSecurityPolicy).not.toMatch(/unsafe-(inline|eval)/);
  });
});
