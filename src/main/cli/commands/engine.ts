// `jaccard engine --ipc`: the engine as the desktop app runs it. Electron spawns it with
// an IPC channel, relays its window's calls over that channel and reads the bridge
// address from the first message; the data folder comes from JACCARD_HOME.
import { startEngine, stopOnSignals } from '../../engine';
import { reportStartFailure, serveIpc } from '../../engine/ipc';

export async function runEngineIpc(dataDir: string): Promise<void> {
  if (!process.send) {
    throw new Error(
      '`jaccard engine --ipc` is started by the desktop app. For a browser, run `jaccard serve`.',
    );
  }
  try {
    const engine = await startEngine({ dataDir, nativeDialogs: true });
    serveIpc(engine);
    stopOnSignals(engine.close);
  } catch (error) {
    reportStartFailure(error);
    process.exitCode = 1;
    process.disconnect();
  }
}
