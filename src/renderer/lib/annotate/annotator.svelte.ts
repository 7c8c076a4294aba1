// The annotator's state for one view: the canvas, the image on it with its editor and
// autosaver, opening an image (photo, stored mask, edits recovered from the local log),
// leaving it (history parked, edits saved) and stepping to another. The view composes
// this with the toolbar, dialogs and keys.
import type { ImageRecord } from '#shared/domain';
import type { EditSource } from '#shared/ids';
import { api } from '../api';
import { dateTime } from '../format';
import { MaskEditor } from '../raster/editor';
import { Mask } from '../raster/mask';
import { decodeRle } from '../raster/rle';
import { router } from '../router.svelte';
import { describeError, toasts } from '../stores/toasts.svelte';
import { Autosaver, recoverableEdit } from './autosave.svelte';
import { AnnotatorCanvas } from './canvas';
import { firstImage, neighbour } from './navigation';
import { loadBitmap, loadStoredMask } from './png';
import { session } from './session.svelte';
import { dropWal } from './wal';

export interface OpenImage {
  image: ImageRecord;
  editor: MaskEditor;
  saver: Autosaver;
}

export class Annotator {
  canvas = $state.raw<AnnotatorCanvas | null>(null);
  current = $state.raw<OpenImage | null>(null);
  loading = $state(false);
  loadError = $state<string | null>(null);
  emptyDataset = $state(false);
  /** The dataset's images, for the status bar's "n of m". */
  list = $state.raw<ImageRecord[]>([]);
  /** Share of the mask's pixels that are foreground. */
  foreground = $state(0);
  zoom = $state(1);
  /** Bumped on every edit: undo/redo availability and the pixel under the cursor are read through it. */
  private edits = $state(0);
  private cursor = $state<{ x: number; y: number } | null>(null);
  private shownPhoto: ImageBitmap | null = null;
  private loadToken = 0;

  readonly position = $derived.by(() => {
    const at = this.current ? this.list.findIndex((i) => i.id === this.current?.image.id) : -1;
    return at < 0 ? null : { index: at + 1, total: this.list.length };
  });
  // The editor is plain data, so these re-read it whenever an edit bumps `edits`.
  readonly history = $derived.by(() => {
    void this.edits;
    const h = this.current?.editor.history;
    return { canUndo: h?.canUndo ?? false, canRedo: h?.canRedo ?? false };
  });
  readonly cursorInfo = $derived.by(() => {
    void this.edits;
    const { cursor, current } = this;
    return cursor && current
      ? { ...cursor, value: current.editor.mask.get(cursor.x, cursor.y) }
      : null;
  });

  /** Puts the canvas in this element; the returned function saves, closes and removes it. */
  mount(element: HTMLDivElement): () => void {
    const canvas = new AnnotatorCanvas(element, {
      onEdit: () => this.edited('annotation'),
      onCursor: (pixel) => (this.cursor = pixel),
      onView: (view) => (this.zoom = view.scale),
      onBrushResize: (factor) => session.resizeBrush(factor),
    });
    this.canvas = canvas;
    return () => {
      void this.leave();
      this.canvas = null;
      canvas.destroy();
      this.shownPhoto?.close();
      this.shownPhoto = null;
    };
  }

  /** Opens the dataset's first image that needs a mask (else its first). */
  async openFirst(datasetId: number): Promise<void> {
    this.emptyDataset = false;
    try {
      const first = await firstImage(datasetId);
      if (first !== null) router.navigate(`/annotate/${datasetId}/${first}`, { replace: true });
      else this.emptyDataset = true;
    } catch (error) {
      this.loadError = describeError(error);
    }
  }

  async open(datasetId: number, id: number): Promise<void> {
    const canvas = this.canvas;
    if (!canvas) return;
    const token = ++this.loadToken;
    this.loading = true;
    this.loadError = null;
    await this.leave();
    try {
      const image = await api.call('images.get', { id });
      if (image.datasetId !== datasetId) {
        router.navigate(`/annotate/${image.datasetId}/${id}`, { replace: true });
        return;
      }
      const [photo, mask] = await Promise.all([
        loadBitmap(api.mediaUrl({ kind: 'image', imageId: id })),
        image.mask
          ? loadStoredMask(
              api.mediaUrl({ kind: 'mask', maskId: image.mask.id }),
              image.width,
              image.height,
            )
          : new Mask(image.width, image.height),
      ]);
      if (token !== this.loadToken) {
        photo.close();
        return;
      }
      const editor = new MaskEditor(mask, session.historyFor(id, mask));
      session.fitBrushTo(mask.width, mask.height);
      canvas.setImage(photo, editor);
      this.shownPhoto?.close();
      this.shownPhoto = photo;
      this.current = { image, editor, saver: new Autosaver(image, mask) };
      this.measure();
      this.loading = false;
      await this.recover(image);
      this.list = await api.call('images.list', { datasetId });
    } catch (error) {
      if (token !== this.loadToken) return;
      this.loadError = describeError(error);
      this.loading = false;
    }
  }

  /** Opens the image before or after this one; says so when there is none. */
  async step(datasetId: number, direction: 1 | -1): Promise<void> {
    const now = this.current;
    if (!now) return;
    try {
      const next = await neighbour(datasetId, now.image.id, direction, session.needsMaskOnly);
      if ('imageId' in next) router.navigate(`/annotate/${datasetId}/${next.imageId}`);
      else toasts.info(next.none);
    } catch (error) {
      toasts.error('Could not list the images', error);
    }
  }

  /** Replaces the whole mask (a prediction, a revision) as one undoable edit. */
  replaceMask(pixels: Uint8Array, source: EditSource): void {
    if (this.canvas?.replace(pixels)) this.edited(source);
    else toasts.info('The mask already looks exactly like that.');
  }

  /** Leaving the page (close, reload, crash-prone background tab): save what is pending. */
  saveNow(): void {
    void this.current?.saver.flush().catch(() => {
      // The write-ahead log still has it; the next load recovers it.
    });
  }

  private edited(source: EditSource): void {
    const now = this.current;
    if (!now) return;
    now.saver.noteEdit(source);
    this.measure();
  }

  private measure(): void {
    const mask = this.current?.editor.mask;
    if (mask) this.foreground = mask.countForeground() / mask.data.length;
    this.edits++;
  }

  /** Brings back edits a crash or closed window kept from reaching the store. */
  private async recover(image: ImageRecord): Promise<void> {
    try {
      const entry = await recoverableEdit(image);
      if (!entry || this.current?.image.id !== image.id) return;
      if (this.canvas?.replace(decodeRle(entry.rle, image.width * image.height))) {
        this.edited(entry.source);
        toasts.info(
          `Recovered unsaved edits of ${image.stem} from ${dateTime(entry.savedAt)}; ` +
            'saving them now (undo goes back to the stored mask).',
        );
      } else {
        await dropWal(image.id, entry.savedAt);
      }
    } catch (error) {
      toasts.error(`Could not read the local copy of unsaved edits of ${image.stem}`, error);
    }
  }

  /** Closes the image on screen: its history is parked for later, its edits saved. */
  private async leave(): Promise<void> {
    const was = this.current;
    if (!was) return;
    this.current = null;
    this.canvas?.detach();
    was.editor.commit();
    session.park(was.image.id, was.editor.history, was.editor.mask);
    try {
      await was.saver.flush();
    } catch (error) {
      toasts.error(
        `The mask of ${was.image.stem} is not in the store yet (it is kept on this computer ` +
          'and comes back when you open the image)',
        error,
      );
    } finally {
      was.saver.dispose();
    }
  }
}
