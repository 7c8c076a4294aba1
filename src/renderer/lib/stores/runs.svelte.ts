// Every training run and what it is doing right now, shared by the Train, Runs and
// Compare views. The engine's events keep it current: 'run.updated' replaces a row,
// 'run.progress' carries the batch-level state of the training run, 'run.epoch' appends
// to a run's curves, 'run.deleted' drops it. Writes go through here as well.
import type { Input } from '#shared/api';
import type { EpochMetrics, Run, TrainProgress } from '#shared/domain';
import { RESUMABLE, type RunStatus } from '#shared/ids';
import { api } from '../api';
import { ListStore } from './list.svelte';

/** Statuses the queue shows: waiting, working, or cut short and resumable. */
export const ACTIVE: readonly RunStatus[] = ['queued', 'running'];
// The run views take it from here with the rest of the run state.
export { RESUMABLE };

class RunsStore extends ListStore<Run> {
  /** The latest batch-level report of each run that is training. */
  progress = $state<Record<number, TrainProgress>>({});
  /** Per-epoch metrics of the runs whose curves were asked for (see loadEpochs). */
  epochs = $state<Record<number, EpochMetrics[]>>({});
  private listening = false;
  private epochLoads = new Map<number, Promise<void>>();

  /** Subscribes to the engine's events once, on first use. */
  private listen(): void {
    if (this.listening) return;
    this.listening = true;
    api.on('run.updated', (run) => {
      this.put(run);
      if (!ACTIVE.includes(run.status)) delete this.progress[run.id];
    });
    api.on('run.progress', (p) => {
      // A report can trail the row that ended the run; a settled run shows no progress.
      // (The row still says 'queued' while the trainer loads, before its first update.)
      const status = this.get(p.runId)?.status;
      if (status && ACTIVE.includes(status)) this.progress[p.runId] = p;
    });
    api.on('run.epoch', ({ runId, metrics }) => {
      const list = this.epochs[runId];
      if (!list) return;
      // A resumed run recomputes from its checkpoint: later epochs are replaced.
      const kept = list.filter((e) => e.epoch < metrics.epoch);
      kept.push(metrics);
      this.epochs[runId] = kept;
    });
    api.on('run.deleted', ({ id }) => this.drop(id));
  }

  protected fetch(): Promise<Run[]> {
    this.listen();
    return api.call('runs.list', {});
  }

  /**
   * Adds a run a call returned unless an event brought it first: events and replies
   * travel separately, and the event may already carry a newer state.
   */
  private add(run: Run): void {
    if (!this.get(run.id)) this.items.push(run);
  }

  private drop(id: number): void {
    this.items = this.items.filter((r) => r.id !== id);
    delete this.progress[id];
    delete this.epochs[id];
    this.epochLoads.delete(id);
  }

  /** Fetches a run's curves (and row, if unknown); live epochs are appended from then on. */
  loadEpochs(id: number, options: { force?: boolean } = {}): Promise<void> {
    this.listen();
    let load = this.epochLoads.get(id);
    if (!load || options.force) {
      // Epochs that arrive while the request is out are kept and merged below.
      if (options.force || !this.epochs[id]) this.epochs[id] = [];
      load = api.call('runs.get', { id }).then(({ epochs, ...run }) => {
        this.add(run);
        const last = epochs.at(-1)?.epoch ?? 0;
        const live = (this.epochs[id] ?? []).filter((e) => e.epoch > last);
        this.epochs[id] = [...epochs, ...live];
      });
      // A failed load may be retried by the next caller.
      load.catch(() => this.epochLoads.delete(id));
      this.epochLoads.set(id, load);
    }
    return load;
  }

  async start(input: Input<'runs.start'>): Promise<Run> {
    this.listen();
    const run = await api.call('runs.start', input);
    this.add(run);
    return run;
  }

  async startPaired(input: Input<'runs.startPaired'>): Promise<Run[]> {
    this.listen();
    const runs = await api.call('runs.startPaired', input);
    for (const run of runs) this.add(run);
    return runs;
  }

  // Stop, resume and rename announce the changed row as 'run.updated'; their replies
  // are not applied, as they could land after a newer event (e.g. 'cancelled').
  async stop(id: number): Promise<void> {
    await api.call('runs.stop', { id });
  }

  async resume(id: number): Promise<void> {
    await api.call('runs.resume', { id });
    // Resuming drops epochs newer than the checkpoint; refetch what is kept.
    if (this.epochs[id]) await this.loadEpochs(id, { force: true });
  }

  async rerun(id: number): Promise<Run> {
    const run = await api.call('runs.rerun', { id });
    this.add(run);
    return run;
  }

  async rename(id: number, name: string): Promise<void> {
    await api.call('runs.rename', { id, name });
  }

  async remove(id: number): Promise<void> {
    await api.call('runs.delete', { id });
    this.drop(id);
  }
}

export const runs = new RunsStore();
