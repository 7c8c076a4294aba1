// The engine: the one backend process. It holds the data folder's lock, the store and
// services (AppContext) and the loopback bridge; `jaccard serve` runs it for a browser,
// Electron spawns it (`jaccard engine --ipc`) and relays its window's calls to it.
import { startBridge, type Bridge } from '../bridge';
import { createContext, type AppContext } from '../context';
import { formatBytes } from '../files';
import { collectGarbage } from '../gc';
import { ensureDataDir } from '../paths';
import { runManager, type RunManager } from '../training/run-manager';
import { lockDataDir } from './lock';

export interface EngineOptions {
  dataDir: string;
  /** Bridge port; 0 or absent picks a free one. */
  port?: number;
  /** True under Electron, which answers folder pickers natively. */
  nativeDialogs?: boolean;
  /** The built renderer the bridge serves; null for none, absent for out/renderer. */
  rendererDir?: string | null;
  /** See BridgeOptions.mediaOrigin. */
  mediaOrigin?: string;
}

export interface Engine {
  ctx: AppContext;
  bridge: Bridge;
  close(): Promise<void>;
}

export async function startEngine(options: EngineOptions): Promise<Engine> {
  ensureDataDir(options.dataDir);
  const lock = lockDataDir(options.dataDir);
  let ctx: AppContext | undefined;
  let runs: RunManager | undefined;
  try {
    ctx = createContext(options.dataDir, { nativeDialogs: options.nativeDialogs ?? false });
    const store = ctx;
    // Housekeeping in the background: a big data folder must not delay the window.
    collectGarbage(ctx).then(
      ({ files, bytes, tempFiles }) => {
        if (files + tempFiles > 0) {
          console.error(
            `[engine] removed ${files + tempFiles} unreferenced files (${formatBytes(bytes)})`,
          );
        }
      },
      (error: unknown) => {
        if (store.db.open) console.error('[engine] garbage collection failed:', error);
      },
    );
    // Started now, not on the first runs call: it settles runs a crash left 'running'
    // and resumes the queue the last session left.
    runs = runManager(ctx);
    const bridge = await startBridge({
      ctx,
      port: options.port,
      rendererDir: options.rendererDir,
      mediaOrigin: options.mediaOrigin,
    });
    let closing: Promise<void> | undefined;
    const [opened, started] = [ctx, runs];
    return {
      ctx: opened,
      bridge,
      close: () =>
        (closing ??= (async () => {
          await bridge.close();
          await started.close();
          opened.db.close();
          lock.release();
        })()),
    };
  } catch (error) {
    await runs?.close();
    ctx?.db.close();
    lock.release();
    throw error;
  }
}

/**
 * Runs `close` (the engine's, plus whatever else the command started) when asked to
 * stop (Ctrl-C, SIGTERM) or when the Electron parent goes away, then exits; a second
 * signal exits at once.
 */
export function stopOnSignals(close: () => Promise<void>): void {
  let stopping = false;
  const stop = (): void => {
    if (stopping) process.exit(1);
    stopping = true;
    close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error('[engine] shutdown failed:', error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  process.on('disconnect', stop);
}
