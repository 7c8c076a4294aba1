// What a dialog's button sets off: busy while it runs (buttons disabled, the dialog not
// dismissable), and if it fails, the reason kept as a sentence to show in place.
import { describeError } from './stores/toasts.svelte';

export class Action {
  busy = $state(false);
  error = $state<string | null>(null);

  /** Runs `work`; true if it finished without throwing. */
  async run(work: () => unknown): Promise<boolean> {
    this.busy = true;
    this.error = null;
    try {
      await work();
      return true;
    } catch (e) {
      this.error = describeError(e);
      return false;
    } finally {
      this.busy = false;
    }
  }
}
