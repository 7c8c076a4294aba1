// What the engine says about this machine: version, data folder, training backends, and
// whether native dialogs exist (Electron) or paths must be typed (browser mode).
import type { SystemInfo } from '#shared/api';
import { api } from '../api';
import { describeError } from './toasts.svelte';

class SystemStore {
  info = $state<SystemInfo | null>(null);
  error = $state<string | null>(null);

  async load(): Promise<void> {
    try {
      this.info = await api.call('system.info', {});
      this.error = null;
    } catch (error) {
      this.error = describeError(error);
    }
  }
}

export const system = new SystemStore();
