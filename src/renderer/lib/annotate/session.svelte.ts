// What the annotator keeps while the app runs: tool settings (also remembered across
// launches) and each image's undo history, so undo still works after switching images.
import { History } from '../raster/history';
import type { Mask } from '../raster/mask';
import { diagonal, rescaleBrush } from './brush-scale';
import type { ToolId } from './tools';

const PREFS_KEY = 'jaccard.annotate';
/** Images whose history is kept; the least recently edited go first. */
const KEPT_HISTORIES = 200;

export const BRUSH_MIN = 1;
export const BRUSH_MAX = 500;

interface Prefs {
  tool: ToolId;
  brushSize: number;
  /** The diagonal (px) of the image the brush size was last set on: sizes are relative to it. */
  brushImage: number;
  colour: string;
  opacity: number;
  outline: boolean;
  needsMaskOnly: boolean;
  threshold: number;
  /** The magic wand's colour tolerance, 0-255 per channel. */
  tolerance: number;
}

const DEFAULTS: Prefs = {
  tool: 'brush',
  brushSize: 24,
  brushImage: 0,
  colour: '#ff2d7a',
  opacity: 0.5,
  outline: false,
  needsMaskOnly: false,
  threshold: 0.5,
  tolerance: 24,
};

class AnnotateSession {
  tool = $state<ToolId>(DEFAULTS.tool);
  brushSize = $state(DEFAULTS.brushSize);
  brushImage = $state(DEFAULTS.brushImage);
  colour = $state(DEFAULTS.colour);
  opacity = $state(DEFAULTS.opacity);
  outline = $state(DEFAULTS.outline);
  needsMaskOnly = $state(DEFAULTS.needsMaskOnly);
  threshold = $state(DEFAULTS.threshold);
  tolerance = $state(DEFAULTS.tolerance);
  /** Not remembered: a hidden mask on the next launch would look like a lost one. */
  showMask = $state(true);

  private readonly histories = new Map<number, { history: History; fingerprint: string }>();

  constructor() {
    Object.assign(this, readPrefs());
    $effect.root(() => {
      $effect(() => {
        const prefs: Prefs = {
          tool: this.tool,
          brushSize: this.brushSize,
          brushImage: this.brushImage,
          colour: this.colour,
          opacity: this.opacity,
          outline: this.outline,
          needsMaskOnly: this.needsMaskOnly,
          threshold: this.threshold,
          tolerance: this.tolerance,
        };
        localStorage.setItem(PREFS_KEY, JSON.stringify(prefs));
      });
    });
  }

  /** The brush diameter in image pixels, whatever was typed into the size field. */
  get brush(): number {
    const size = Number(this.brushSize);
    if (!Number.isFinite(size)) return DEFAULTS.brushSize;
    return Math.min(BRUSH_MAX, Math.max(BRUSH_MIN, Math.round(size)));
  }

  /**
   * An image of this size is shown: the brush becomes the same share of it as it was of
   * the image before (150 px on a 4000x3000 photo is about 9 px on a 182x256 one).
   */
  fitBrushTo(width: number, height: number): void {
    const to = diagonal(width, height);
    this.brushSize = rescaleBrush(this.brush, this.brushImage, to, BRUSH_MIN, BRUSH_MAX);
    this.brushImage = to;
  }

  resizeBrush(factor: number): void {
    const next = Math.round(this.brush * factor);
    // Small brushes still change by at least one pixel per step.
    const stepped = next === this.brush ? this.brush + Math.sign(factor - 1) : next;
    this.brushSize = Math.min(BRUSH_MAX, Math.max(BRUSH_MIN, stepped));
  }

  /** The image's history if it was recorded on exactly these pixels, else a new one. */
  historyFor(imageId: number, mask: Mask): History {
    const kept = this.histories.get(imageId);
    this.histories.delete(imageId);
    return kept && kept.fingerprint === mask.fingerprint() ? kept.history : new History();
  }

  /** Keeps an image's history when the user moves on, with the pixels it ends on. */
  park(imageId: number, history: History, mask: Mask): void {
    this.histories.delete(imageId);
    this.histories.set(imageId, { history, fingerprint: mask.fingerprint() });
    for (const id of this.histories.keys()) {
      if (this.histories.size <= KEPT_HISTORIES) break;
      this.histories.delete(id);
    }
  }
}

function readPrefs(): Partial<Prefs> {
  try {
    const stored = JSON.parse(localStorage.getItem(PREFS_KEY) ?? '{}') as Record<string, unknown>;
    const prefs: Partial<Prefs> = {};
    for (const key of Object.keys(DEFAULTS) as (keyof Prefs)[]) {
      if (typeof stored[key] === typeof DEFAULTS[key]) Object.assign(prefs, { [key]: stored[key] });
    }
    return prefs;
  } catch {
    return {}; // unreadable preferences fall back to the defaults
  }
}

export const session = new AnnotateSession();
