// Autosave for the mask on screen: every finished edit goes to the write-ahead log at
// once, then to the store as a new revision after a short pause (or at once when the
// user leaves the image). A failed save keeps the log and retries; a save refused
// because another window saved meanwhile is stacked on top of that revision, which
// stays in the history, so neither version is lost.
import type { ImageRecord, MaskRevision } from '#shared/domain';
import { ApiError } from '#shared/errors';
import type { EditSource } from '#shared/ids';
import { api } from '../api';
import type { Mask } from '../raster/mask';
import { encodeRle } from '../raster/rle';
import { describeError, toasts } from '../stores/toasts.svelte';
import { encodeMaskPng } from './png';
import { dropWal, readWal, type WalEntry, writeWal } from './wal';

export type SaveState = 'saved' | 'pending' | 'saving' | 'error';

const SAVE_DELAY_MS = 800;
const RETRY_MS = 5000;
let lastStamp = 0;

/** Date.now(), nudged so no two writes in this tab share a stamp. */
function stamp(): number {
  lastStamp = Math.max(Date.now(), lastStamp + 1);
  return lastStamp;
}

export class Autosaver {
  state = $state<SaveState>('saved');
  error = $state<string | null>(null);
  /** The newest revision in the store that this editor knows of. */
  revision = $state<MaskRevision | null>(null);

  private edits = 0;
  private savedEdits = 0;
  private source: EditSource = 'annotation';
  private walStamp = 0;
  private walWrite: Promise<void> = Promise.resolve();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private saving: Promise<void> | null = null;
  private disposed = false;

  constructor(
    private readonly image: ImageRecord,
    private readonly mask: Mask,
  ) {
    this.revision = image.mask;
  }

  /** Call after every finished edit (stroke, fill, undo, redo, replace). */
  noteEdit(source: EditSource = 'annotation'): void {
    this.edits++;
    this.source = source;
    this.state = 'pending';
    const savedAt = stamp();
    this.walStamp = savedAt;
    const entry: WalEntry = {
      imageId: this.image.id,
      width: this.mask.width,
      height: this.mask.height,
      rle: encodeRle(this.mask.data),
      baseRevision: this.revision?.revision ?? 0,
      source,
      savedAt,
    };
    this.walWrite = writeWal(entry).catch((error: unknown) => {
      toasts.error('Could not keep a local copy of the mask', error);
    });
    this.schedule(SAVE_DELAY_MS);
  }

  get unsaved(): boolean {
    return this.edits > this.savedEdits;
  }

  /** Saves now if anything is unsaved and waits for it; throws when the save fails. */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    while (this.saving) await this.saving;
    if (this.unsaved) await this.save();
    if (this.state === 'error') throw new Error(this.error ?? 'The mask was not saved.');
  }

  /** Stops timers; whatever is unsaved stays in the write-ahead log. */
  dispose(): void {
    this.disposed = true;
    clearTimeout(this.timer);
  }

  private schedule(delay: number): void {
    clearTimeout(this.timer);
    if (!this.disposed) this.timer = setTimeout(() => void this.save().catch(() => {}), delay);
  }

  private async save(): Promise<void> {
    if (this.saving) return this.saving;
    const edits = this.edits;
    const walStamp = this.walStamp;
    const snapshot = this.mask.clone();
    this.state = 'saving';
    this.saving = (async () => {
      try {
        const png = await encodeMaskPng(snapshot);
        const revision = await this.store(png);
        this.revision = revision;
        this.savedEdits = Math.max(this.savedEdits, edits);
        this.error = null;
        if (edits === this.edits) {
          await this.walWrite;
          await dropWal(this.image.id, walStamp);
          this.state = 'saved';
        } else {
          this.state = 'pending';
          this.schedule(SAVE_DELAY_MS);
        }
      } catch (error) {
        this.state = 'error';
        this.error = describeError(error);
        this.schedule(RETRY_MS);
        throw error;
      } finally {
        this.saving = null;
      }
    })();
    return this.saving;
  }

  private async store(png: Uint8Array<ArrayBuffer>): Promise<MaskRevision> {
    const input = { imageId: this.image.id, png, source: this.source };
    try {
      return await api.call('masks.save', { ...input, baseRevision: this.revision?.revision ?? 0 });
    } catch (error) {
      if (!(error instanceof ApiError && error.code === 'conflict')) throw error;
      const latest = await api.call('images.get', { id: this.image.id });
      const saved = await api.call('masks.save', {
        ...input,
        baseRevision: latest.mask?.revision ?? 0,
      });
      toasts.info(
        `Another window saved the mask of ${this.image.stem} meanwhile; yours is now ` +
          `revision ${saved.revision} and theirs stays in the history.`,
      );
      return saved;
    }
  }
}

/**
 * The write-ahead entry to recover for an image, if any: one that is newer than the
 * store's mask (a save that never landed). Stale entries are dropped.
 */
export async function recoverableEdit(image: ImageRecord): Promise<WalEntry | null> {
  const entry = await readWal(image.id);
  if (!entry) return null;
  const current = image.mask;
  const fits = entry.width === image.width && entry.height === image.height;
  // A save in flight when the log was written may have landed (base + 1) with older
  // pixels, so that revision does not make the entry stale; a later one from another
  // window does unless the entry is younger still.
  const newer =
    !current ||
    current.revision <= entry.baseRevision + 1 ||
    entry.savedAt > Date.parse(current.createdAt);
  if (fits && newer) return entry;
  await dropWal(image.id, entry.savedAt);
  return null;
}
