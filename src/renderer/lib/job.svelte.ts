// One run of long work started from a dialog (an import, pre-labelling, predicting a
// folder): whether it is under way, its latest progress, and its report or why it failed.
import { describeError } from './stores/toasts.svelte';

export class Job<Report, Progress> {
  running = $state(false);
  progress = $state.raw<Progress | null>(null);
  report = $state.raw<Report | null>(null);
  error = $state<string | null>(null);

  /** What a dialog of this job shows: its form, the work under way, or the report. */
  get phase(): 'form' | 'running' | 'report' {
    return this.report ? 'report' : this.running ? 'running' : 'form';
  }

  /**
   * Runs the work unless this job already runs (then null). A failure answers null and is
   * kept in `error`, unless `handled` takes it (true: the caller shows it its own way).
   */
  async run(
    work: () => Promise<Report>,
    handled?: (error: unknown) => boolean,
  ): Promise<Report | null> {
    if (this.running) return null;
    this.running = true;
    this.progress = null;
    this.report = null;
    this.error = null;
    try {
      this.report = await work();
      return this.report;
    } catch (error) {
      if (!handled?.(error)) this.error = describeError(error);
      return null;
    } finally {
      this.running = false;
    }
  }
}
