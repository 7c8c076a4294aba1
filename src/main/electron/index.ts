// Electron main: a thin shell around the engine. It owns the window, the menu, the
// single-instance lock and native dialogs; every API call goes to the engine process.
import { app, BrowserWindow, dialog, ipcMain, session } from 'electron';
import { fileURLToPath } from 'node:url';
import { systemCalls } from '#shared/api/system';
import type { Reply } from '#shared/api/transport';
import { defaultDataDir } from '../paths';
import { CALL_CHANNEL, EVENT_CHANNEL } from '#shared/api/transport';
import { spawnEngine, type EngineProcess } from './engine-process';
import { installMenu } from './menu';
import { createWindow, secureSession } from './window';

// The desktop app and the CLI share one data folder (JACCARD_HOME overrides both).
const dataDir = defaultDataDir();
app.setName('Jaccard');
app.setPath('userData', dataDir);

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    const window = BrowserWindow.getAllWindows()[0];
    if (window?.isMinimized()) window.restore();
    window?.focus();
  });
  app.whenReady().then(start, (error: unknown) => fail('Jaccard could not start', error));
}

async function start(): Promise<void> {
  const devServer = process.env.ELECTRON_RENDERER_URL;
  const engine = await spawnEngine(
    app.getAppPath(),
    dataDir,
    devServer && new URL(devServer).origin,
  );
  engine.onExit((reason) => fail('The Jaccard engine stopped', reason));
  app.on('before-quit', (event) => {
    // Let the engine close its store before the app goes; quit again once it has.
    event.preventDefault();
    void engine.stop().then(() => app.exit(0));
  });
  const options = {
    preload: fileURLToPath(new URL('../preload/index.cjs', import.meta.url)),
    pageUrl: devServer ?? `${engine.origin}/`,
    bridgeOrigin: engine.origin,
    bridgeToken: engine.token,
  };
  const pageOrigin = new URL(options.pageUrl).origin;
  ipcMain.handle(CALL_CHANNEL, (event, method: string, input: unknown) => {
    if (new URL(event.senderFrame?.url ?? 'about:blank').origin !== pageOrigin) {
      return { error: { code: 'invalid', message: 'Calls come only from the app page.' } };
    }
    return method === 'system.chooseFolder'
      ? chooseFolder(event.sender, input)
      : engine.call(method, input);
  });
  relayEvents(engine);
  secureSession(session.defaultSession, options);
  installMenu(dataDir);
  createWindow(options);
  app.on('window-all-closed', () => app.quit());
}

async function chooseFolder(sender: Electron.WebContents, input: unknown): Promise<Reply> {
  const parsed = systemCalls['system.chooseFolder'].input.safeParse(input ?? {});
  if (!parsed.success) return { error: { code: 'invalid', message: parsed.error.message } };
  const owner = BrowserWindow.fromWebContents(sender);
  const options: Electron.OpenDialogOptions = {
    title: parsed.data.title,
    properties: ['openDirectory', 'createDirectory'],
  };
  const choice = owner
    ? await dialog.showOpenDialog(owner, options)
    : await dialog.showOpenDialog(options);
  return { result: choice.canceled ? null : (choice.filePaths[0] ?? null) };
}

function relayEvents(engine: EngineProcess): void {
  engine.onEvent((event, payload) => {
    for (const window of BrowserWindow.getAllWindows()) {
      window.webContents.send(EVENT_CHANNEL, event, payload);
    }
  });
}

function fail(title: string, error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  console.error(`[jaccard] ${title}: ${message}`);
  dialog.showErrorBox(title, message);
  app.exit(1);
}
