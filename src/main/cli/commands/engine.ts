// `jaccard engine --ipc`: the engine as the desktop app runs it. Electron spawns it with
// an IPC channel, relays its window's calls over that channel and reads the bridge
// address from the first message; the data folder comes from JACCARD_HOME.
import { startEngine, stopOnSignals } from '../../engine';
import { reportStartFailure, serveIpc } from '../../engine/ipc';
import { UsageError, type Command } from '../command';

export const engineCommand: Command = {
  usage: 'engine --ipc [--media-origin <origin>]',
  summary: 'The engine process the desktop app starts (for a browser, use `jaccard serve`).',
  options: {
    ipc: { type: 'boolean', description: 'talk to the parent process over its IPC channel' },
    'media-origin': {
      type: 'string',
      description: "a page origin that may read media across origins (electron-vite's dev server)",
    },
  },
  async run({ dataDir, values }) {
    if (!values.ipc || !process.send) {
      throw new UsageError('the desktop app starts this with an IPC channel; use `jaccard serve`.');
    }
    try {
      const engine = await startEngine({
        dataDir,
        nativeDialogs: true,
        mediaOrigin: values['media-origin'] as string | undefined,
      });
      serveIpc(engine);
      stopOnSignals(engine.close);
    } catch (error) {
      reportStartFailure(error);
      process.exitCode = 1;
      process.disconnect();
    }
  },
};
