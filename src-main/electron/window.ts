/**
 * The window and its security settings, following Electron's security checklist: context
 * isolation, the sandbox, no Node integration, a strict CSP, navigation and new windows blocked,
 * webviews refused and permissions denied by default.
 */
import type { BrowserWindowConstructorOptions, Session, WebContents } from 'electron';
import { contentSecurityPolicyHeader } from '../../shared/csp.ts';

/**
 * The Content-Security-Policy of the app: scripts and styles only from the app itself. The page is
 * loaded from file://, which has no response headers, so there the built page's meta tag (same
 * policy, vite.config.ts) applies; the header is added to any http(s) response the session sees,
 * as defence in depth should anything ever be loaded that way.
 */
export const appContentSecurityPolicy = contentSecurityPolicyHeader;

/**
 * Permissions the UI needs: writing to the clipboard for its copy buttons. Everything else
 * (camera, geolocation, notifications from the page, ...) is denied (checklist item 5).
 */
export const allowedPermissions: ReadonlySet<string> = new Set(['clipboard-sanitized-write']);

/** The BrowserWindow options of the one app window. */
export function mainWindowOptions(preloadFile: string): BrowserWindowConstructorOptions {
  return {
    width: 1280,
    height: 820,
    minWidth: 760,
    minHeight: 480,
    title: 'pulsar-tunnel',
    // Shown on 'ready-to-show', so the window never flashes an empty frame.
    show: false,
    autoHideMenuBar: true,
    webPreferences: {
      preload: preloadFile,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      safeDialogs: true,
      spellcheck: false,
    },
  };
}

/** True when `url` is the app page itself (file URL of index.html, query and hash aside). */
export function isAppPage(url: string, pageUrl: string): boolean {
  try {
    const target = new URL(url);
    const page = new URL(pageUrl);
    return target.protocol === page.protocol && target.host === page.host && target.pathname === page.pathname;
  } catch {
    return false;
  }
}

/**
 * Locks down one webContents: no navigation away from the app page (checklist 13), no new windows
 * (14), no webviews (12). Applied to every webContents Electron creates.
 */
export function hardenWebContents(contents: Pick<WebContents, 'on' | 'setWindowOpenHandler'>, pageUrl: string): void {
  contents.on('will-navigate', (event, url) => {
    if (!isAppPage(url, pageUrl)) event.preventDefault();
  });
  contents.on('will-redirect', (event, url) => {
    if (!isAppPage(url, pageUrl)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
}

/** Denies permission requests and checks except {@link allowedPermissions}, and adds the CSP header to http(s) responses. */
export function hardenSession(session: Pick<Session, 'setPermissionRequestHandler' | 'setPermissionCheckHandler' | 'webRequest'>): void {
  session.setPermissionRequestHandler((_contents, permission, callback) => callback(allowedPermissions.has(permission)));
  session.setPermissionCheckHandler((_contents, permission) => allowedPermissions.has(permission));
  session.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [appContentSecurityPolicy] } });
  });
}
