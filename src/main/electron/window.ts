// The app window and the rules its session runs under: sandboxed, isolated renderer;
// one CSP; no navigation away from the app, no new windows, no permissions; the bridge
// token added to the window's media requests here so the renderer never holds it.
import { BrowserWindow, shell, type Session } from 'electron';
import { contentSecurityPolicy } from '../engine/csp';
import { BRIDGE_ARG } from '#shared/api/transport';

export interface WindowOptions {
  preload: string;
  /** Where the renderer is served: the bridge, or electron-vite's dev server. */
  pageUrl: string;
  bridgeOrigin: string;
  bridgeToken: string;
}

export function secureSession(session: Session, options: WindowOptions): void {
  const pageOrigin = new URL(options.pageUrl).origin;
  const csp = contentSecurityPolicy({
    bridgeOrigin: options.bridgeOrigin,
    devServer: pageOrigin !== options.bridgeOrigin,
  });
  session.webRequest.onBeforeSendHeaders(
    { urls: [`${options.bridgeOrigin}/*`] },
    ({ requestHeaders }, callback) => {
      requestHeaders.Authorization = `Bearer ${options.bridgeToken}`;
      callback({ requestHeaders });
    },
  );
  session.webRequest.onHeadersReceived(({ resourceType, responseHeaders }, callback) => {
    if (resourceType !== 'mainFrame') return callback({});
    const headers = Object.fromEntries(
      Object.entries(responseHeaders ?? {}).filter(
        ([name]) => name.toLowerCase() !== 'content-security-policy',
      ),
    );
    callback({ responseHeaders: { ...headers, 'Content-Security-Policy': [csp] } });
  });
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
}

export function createWindow(options: WindowOptions): BrowserWindow {
  const pageOrigin = new URL(options.pageUrl).origin;
  const window = new BrowserWindow({
    width: 1360,
    height: 900,
    minWidth: 900,
    minHeight: 600,
    show: false,
    title: 'Jaccard',
    webPreferences: {
      preload: options.preload,
      contextIsolation: true,
      nodeIntegration: false,
      sandbox: true,
      additionalArguments: [`${BRIDGE_ARG}${options.bridgeOrigin}`],
    },
  });
  window.once('ready-to-show', () => window.show());
  // A page that cannot load shows Chromium's error page rather than no window at all.
  window.webContents.once('did-fail-load', () => window.show());
  window.webContents.setWindowOpenHandler(({ url }) => {
    if (url.startsWith('https://')) void shell.openExternal(url);
    return { action: 'deny' };
  });
  window.webContents.on('will-navigate', (event, url) => {
    if (new URL(url).origin !== pageOrigin) event.preventDefault();
  });
  void window.loadURL(options.pageUrl);
  return window;
}
