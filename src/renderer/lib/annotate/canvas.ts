// The annotator's canvas: a Konva stage with the photo on one layer, the mask overlay
// on another and the polygon preview on a third, so painting redraws only (part of) the
// mask layer and zoom/pan is one stage transform. The canvas pans; every other press on
// the image goes to the active tool (tools/), whose edits land on the MaskEditor; each
// finished edit is one undo step and is reported through onEdit.
import Konva from 'konva/lib/Core';
import { Image as KonvaImage } from 'konva/lib/shapes/Image';
import { Line } from 'konva/lib/shapes/Line';
import type { Point } from '../raster/brush';
import type { MaskEditor } from '../raster/editor';
import { fillHoles } from '../raster/holes';
import { inflate, isEmpty, type Rect, union } from '../raster/rect';
import { MaskOverlay } from './overlay';
import { TOOLS, toolById, type ToolId } from './tools';
import type { Drag, PointerInput, ToolCanvas, ToolHandlers } from './tools/tool';
import { fitView, toImage, type View, zoomAt } from './viewport';

export interface MaskLook {
  colour: string;
  opacity: number;
  outline: boolean;
  visible: boolean;
}

export interface CanvasCallbacks {
  /** The mask changed and the change is complete (a committed edit, an undo, a redo). */
  onEdit(): void;
  /** The image pixel under the pointer, at most once per frame; null off the image. */
  onCursor(pixel: Point | null): void;
  onView(view: View): void;
  /** Ctrl/Cmd + wheel asks for a brush this many times larger. */
  onBrushResize(factor: number): void;
}

type Gesture =
  | { kind: 'pan'; pointerId: number; start: Point; view: View }
  | { kind: 'tool'; pointerId: number; drag: Drag };

export class AnnotatorCanvas {
  private readonly stage: Konva.Stage;
  private readonly photoLayer = new Konva.Layer({ listening: false });
  private readonly maskLayer = new Konva.Layer({ listening: false, imageSmoothingEnabled: false });
  private readonly uiLayer = new Konva.Layer({ listening: false });
  /** The brush outline: a DOM element, so following the pointer redraws no canvas. */
  private readonly ring = document.createElement('div');
  private readonly outlinePath = new Line({
    stroke: '#ffffff',
    strokeWidth: 1.5,
    dash: [6, 4],
    strokeScaleEnabled: false,
    visible: false,
  });
  private readonly resizeObserver: ResizeObserver;
  private photo: KonvaImage | null = null;
  private overlay: MaskOverlay | null = null;
  private editor: MaskEditor | null = null;
  private view: View = { scale: 1, x: 0, y: 0 };
  /** Whether the user zoomed or panned; until then a resize refits the image. */
  private moved = false;
  private gesture: Gesture | null = null;
  private readonly handlers = new Map(TOOLS.map((tool) => [tool.id, tool.handlers()]));
  /** What the tools may read and change. */
  private readonly surface: ToolCanvas = {
    mask: () => this.editor?.mask ?? null,
    brushSize: () => this.brushSize,
    tolerance: () => this.tolerance,
    scale: () => this.view.scale,
    toScreen: (at) => ({
      x: at.x * this.view.scale + this.view.x,
      y: at.y * this.view.scale + this.view.y,
    }),
    photoPixels: () => this.pixels(),
    paint: (rect) => this.paint(rect),
    commit: () => this.commit(),
    edit: (rect) => this.edit(rect),
  };
  private hover: Point | null = null;
  private cursorFrame = 0;
  /** Mask pixels changed since the last frame, redrawn alone unless the whole layer is. */
  private maskDirty: Rect = { x: 0, y: 0, w: 0, h: 0 };
  private maskFrame = 0;
  private spaceHeld = false;
  private tool: ToolId = 'brush';
  private brushSize = 24;
  private tolerance = 24;
  private photoPixels: Uint8ClampedArray | null = null;
  private look: MaskLook = { colour: '#ff2d7a', opacity: 0.5, outline: false, visible: true };

  constructor(
    private readonly container: HTMLDivElement,
    private readonly callbacks: CanvasCallbacks,
  ) {
    this.stage = new Konva.Stage({
      container,
      width: Math.max(1, container.clientWidth),
      height: Math.max(1, container.clientHeight),
      listening: false,
    });
    this.uiLayer.add(this.outlinePath);
    Object.assign(this.ring.style, {
      position: 'absolute',
      left: '0',
      top: '0',
      borderRadius: '50%',
      border: '1px solid #fff',
      boxShadow: '0 0 0 1px rgb(0 0 0 / 0.6)',
      pointerEvents: 'none',
      willChange: 'transform',
      display: 'none',
    });
    container.append(this.ring);
    this.stage.add(this.photoLayer, this.maskLayer, this.uiLayer);
    container.addEventListener('pointerdown', this.onPointerDown);
    container.addEventListener('pointermove', this.onPointerMove);
    container.addEventListener('pointerup', this.onPointerUp);
    container.addEventListener('pointercancel', this.onPointerUp);
    container.addEventListener('pointerleave', this.onPointerLeave);
    container.addEventListener('wheel', this.onWheel, { passive: false });
    container.addEventListener('dblclick', this.onDoubleClick);
    container.addEventListener('contextmenu', preventDefault);
    this.resizeObserver = new ResizeObserver(() => this.resize());
    this.resizeObserver.observe(container);
    this.updateCursor();
  }

  destroy(): void {
    this.resizeObserver.disconnect();
    cancelAnimationFrame(this.cursorFrame);
    cancelAnimationFrame(this.maskFrame);
    this.ring.remove();
    this.container.removeEventListener('pointerdown', this.onPointerDown);
    this.container.removeEventListener('pointermove', this.onPointerMove);
    this.container.removeEventListener('pointerup', this.onPointerUp);
    this.container.removeEventListener('pointercancel', this.onPointerUp);
    this.container.removeEventListener('pointerleave', this.onPointerLeave);
    this.container.removeEventListener('wheel', this.onWheel);
    this.container.removeEventListener('dblclick', this.onDoubleClick);
    this.container.removeEventListener('contextmenu', preventDefault);
    this.stage.destroy();
  }

  /** Shows a new photo and the mask being edited on it, fitted to the box. */
  setImage(photo: CanvasImageSource & { width: number; height: number }, editor: MaskEditor): void {
    const { width, height } = editor.mask;
    if (photo.width !== width || photo.height !== height) {
      throw new Error(
        `The photo is ${photo.width}x${photo.height} but its mask is ${width}x${height}.`,
      );
    }
    this.gesture = null;
    this.active().cancel?.();
    this.photo?.destroy();
    this.overlay?.destroy();
    this.editor = editor;
    this.photo = new KonvaImage({ image: photo, width, height });
    this.photoPixels = null;
    this.photoLayer.add(this.photo);
    this.overlay = new MaskOverlay(editor.mask, this.overlayLook());
    this.maskLayer.add(this.overlay.group);
    this.fit();
  }

  /**
   * Stops editing (the next image is loading): the picture stays until setImage, but
   * input no longer reaches this mask, whose history and saver are being closed.
   */
  detach(): void {
    this.editor = null;
    this.gesture = null;
    this.active().cancel?.();
    this.drawPreview();
  }

  setTool(tool: ToolId): void {
    if (tool !== this.tool) this.cancel();
    this.tool = tool;
    this.updateCursor();
  }

  setBrushSize(size: number): void {
    this.brushSize = size;
    this.updateCursor();
  }

  setTolerance(tolerance: number): void {
    this.tolerance = tolerance;
  }

  /** The photo's RGBA at the mask's size, read once per image when the wand first needs it. */
  private pixels(): Uint8ClampedArray | null {
    if (this.photoPixels || !this.photo || !this.editor) return this.photoPixels;
    const { width, height } = this.editor.mask;
    const scratch = document.createElement('canvas');
    scratch.width = width;
    scratch.height = height;
    const context = scratch.getContext('2d', { willReadFrequently: true });
    if (!context) return null;
    context.drawImage(this.photo.image() as CanvasImageSource, 0, 0, width, height);
    try {
      this.photoPixels = context.getImageData(0, 0, width, height).data;
    } catch {
      return null; // a photo another origin did not allow to be read: the wand does nothing
    }
    return this.photoPixels;
  }

  setLook(look: MaskLook): void {
    const repaint = look.colour !== this.look.colour || look.outline !== this.look.outline;
    this.look = look;
    this.maskLayer.opacity(look.opacity);
    this.maskLayer.visible(look.visible);
    if (repaint) this.overlay?.setAppearance(this.overlayLook());
    this.maskLayer.batchDraw();
  }

  /** Space held turns dragging into panning. */
  setSpaceHeld(held: boolean): void {
    this.spaceHeld = held;
    this.updateCursor();
  }

  fit(): void {
    if (!this.editor) return;
    this.moved = false;
    this.setView(fitView(this.editor.mask, this.stage.size()));
  }

  /** One image pixel per screen pixel, around the middle of the box. */
  actualSize(): void {
    this.zoomBy(1 / this.view.scale, { x: this.stage.width() / 2, y: this.stage.height() / 2 });
  }

  zoomBy(factor: number, at: Point): void {
    if (!this.editor) return;
    this.moved = true;
    const min = fitView(this.editor.mask, this.stage.size()).scale / 4;
    this.setView(zoomAt(this.view, at, factor, Math.min(min, 1)));
  }

  // Whole-mask actions wait until the mouse is up: mid-stroke they would split the stroke
  // or change pixels under it.

  undo(): void {
    if (this.editor && !this.gesture) this.replay(this.editor.undo());
  }

  redo(): void {
    if (this.editor && !this.gesture) this.replay(this.editor.redo());
  }

  fillHoles(): void {
    if (this.editor && !this.gesture) this.edit(fillHoles(this.editor.mask));
  }

  clear(): void {
    if (this.editor && !this.gesture) this.edit(this.editor.mask.clear());
  }

  /**
   * Replaces the whole mask (a prediction, a revision) as one undo step; false if equal.
   * Not reported through onEdit: the caller reports it, knowing where the pixels came from.
   */
  replace(pixels: Uint8Array): boolean {
    if (!this.editor || this.gesture) return false;
    this.cancel();
    const rect = this.editor.replace(pixels);
    if (isEmpty(rect)) return false;
    this.repaint(rect);
    return true;
  }

  /** Finishes what the tool has open (closes a polygon); false when nothing is. */
  finish(): boolean {
    return this.toTool((tool) => tool.finish?.(this.surface) ?? false);
  }

  /** Drops what the tool has open; false when nothing is. */
  cancel(): boolean {
    return this.toTool((tool) => tool.cancel?.() ?? false);
  }

  /** Takes back the tool's last step (a polygon corner); false when nothing is open. */
  back(): boolean {
    return this.toTool((tool) => tool.back?.() ?? false);
  }

  private active(): ToolHandlers {
    return this.handlers.get(this.tool)!;
  }

  /** Calls into the active tool, then redraws what it outlines. */
  private toTool<T>(call: (tool: ToolHandlers) => T): T {
    const result = call(this.active());
    this.drawPreview();
    return result;
  }

  // ---- pointer input -------------------------------------------------------------

  private readonly onPointerDown = (event: PointerEvent): void => {
    if (!this.editor || this.gesture) return;
    const screen = this.screenPoint(event);
    const pan = event.button === 1 || (event.button === 0 && this.spaceHeld);
    if (!pan && event.button !== 0) return;
    event.preventDefault();
    this.container.setPointerCapture(event.pointerId);
    const { pointerId } = event;
    if (pan) {
      this.gesture = { kind: 'pan', pointerId, start: screen, view: this.view };
      this.updateCursor();
      return;
    }
    const input = { at: toImage(this.view, screen), screen, alt: event.altKey };
    const drag = this.toTool((tool) => tool.down(this.surface, input));
    if (drag) this.gesture = { kind: 'tool', pointerId, drag };
  };

  private readonly onPointerMove = (event: PointerEvent): void => {
    const box = this.container.getBoundingClientRect();
    const screen = this.screenPoint(event, box);
    this.hover = screen;
    const gesture = this.gesture;
    if (gesture?.pointerId === event.pointerId && this.editor) {
      if (gesture.kind === 'tool') {
        const input = (sample: MouseEvent, at = this.screenPoint(sample, box)): PointerInput => ({
          at: toImage(this.view, at),
          screen: at,
          alt: sample.altKey,
        });
        // Coalesced events carry every sample since the last frame.
        gesture.drag.move(input(event, screen), () =>
          (event.getCoalescedEvents?.() ?? [event]).map((sample) => input(sample)),
        );
      } else {
        this.moved = true;
        this.setView({
          scale: gesture.view.scale,
          x: gesture.view.x + screen.x - gesture.start.x,
          y: gesture.view.y + screen.y - gesture.start.y,
        });
      }
    }
    this.drawPreview();
    this.reportCursor();
  };

  private readonly onPointerUp = (event: PointerEvent): void => {
    const gesture = this.gesture;
    if (gesture?.pointerId !== event.pointerId) return;
    this.gesture = null;
    if (this.container.hasPointerCapture(event.pointerId)) {
      this.container.releasePointerCapture(event.pointerId);
    }
    if (gesture.kind === 'tool') gesture.drag.up();
    this.updateCursor();
    this.reportCursor();
  };

  private readonly onPointerLeave = (): void => {
    this.hover = null;
    this.drawPreview();
    this.reportCursor();
  };

  private readonly onDoubleClick = (): void => {
    this.toTool((tool) => tool.doubleClick?.(this.surface));
  };

  private readonly onWheel = (event: WheelEvent): void => {
    event.preventDefault();
    const delta = event.deltaY * (event.deltaMode === WheelEvent.DOM_DELTA_LINE ? 16 : 1);
    const factor = Math.exp(-delta * 0.0015);
    if (event.ctrlKey || event.metaKey) this.callbacks.onBrushResize(factor);
    else this.zoomBy(factor, this.screenPoint(event));
  };

  // ---- edits and drawing ---------------------------------------------------------

  /** A one-shot edit (fill, clear, polygon): paint it and make it one undo step. */
  private edit(rect: Rect): void {
    this.paint(rect);
    this.commit();
  }

  private paint(rect: Rect): void {
    if (isEmpty(rect) || !this.editor) return;
    this.editor.touch(rect);
    this.repaint(rect);
  }

  private repaint(rect: Rect): void {
    if (isEmpty(rect) || !this.overlay) return;
    this.overlay.paint(rect);
    this.maskDirty = union(this.maskDirty, rect);
    this.maskFrame ||= requestAnimationFrame(this.drawMaskDirty);
  }

  /**
   * Redraws only the screen area under the changed mask pixels: clear it and draw the
   * tiles there with the stage's transform, clipped to whole device pixels so the result
   * matches a full redraw. At "fit" on a 4000x3000 photo a full redraw resamples every
   * tile each frame; a brush dab touches a few of them.
   */
  private readonly drawMaskDirty = (): void => {
    this.maskFrame = 0;
    const rect = this.maskDirty;
    this.maskDirty = { x: 0, y: 0, w: 0, h: 0 };
    // A full redraw is coming anyway (zoom, pan, look), or there is nothing to show.
    if (this.maskLayer._waitingForDraw || !this.look.visible || !this.overlay) return;
    const context = this.maskLayer.getNativeCanvasElement().getContext('2d');
    if (!context) return;
    const ratio = this.maskLayer.getCanvas().getPixelRatio();
    const { scale, x, y } = this.view;
    const left = Math.max(0, Math.floor((rect.x * scale + x) * ratio));
    const top = Math.max(0, Math.floor((rect.y * scale + y) * ratio));
    const right = Math.ceil(((rect.x + rect.w) * scale + x) * ratio);
    const bottom = Math.ceil(((rect.y + rect.h) * scale + y) * ratio);
    if (right <= left || bottom <= top) return;
    context.save();
    context.setTransform(1, 0, 0, 1, 0, 0);
    context.beginPath();
    context.rect(left, top, right - left, bottom - top);
    context.clip();
    context.clearRect(left, top, right - left, bottom - top);
    context.setTransform(ratio * scale, 0, 0, ratio * scale, ratio * x, ratio * y);
    context.globalAlpha = this.look.opacity;
    context.imageSmoothingEnabled = false;
    // The device-pixel box reaches up to one screen pixel past rect.
    this.overlay.drawRegion(context, inflate(rect, Math.ceil(1 / scale)));
    context.restore();
  };

  private commit(): void {
    if (this.editor?.commit()) this.callbacks.onEdit();
  }

  private replay(rect: Rect | null): void {
    if (!rect) return;
    this.repaint(rect);
    this.callbacks.onEdit();
  }

  private setView(view: View): void {
    const outlineBefore = this.outlineWidth();
    this.view = view;
    this.stage.scale({ x: view.scale, y: view.scale });
    this.stage.position({ x: view.x, y: view.y });
    // Smooth when zoomed out, crisp pixels when zoomed in.
    this.photoLayer.imageSmoothingEnabled(view.scale < 2);
    if (this.look.outline && this.outlineWidth() !== outlineBefore) {
      this.overlay?.setAppearance(this.overlayLook());
    }
    this.stage.batchDraw();
    this.drawPreview();
    this.callbacks.onView(view);
  }

  private resize(): void {
    const width = Math.max(1, this.container.clientWidth);
    const height = Math.max(1, this.container.clientHeight);
    if (width === this.stage.width() && height === this.stage.height()) return;
    this.stage.size({ width, height });
    if (!this.moved) this.fit();
  }

  private overlayLook() {
    return { colour: this.look.colour, outline: this.look.outline ? this.outlineWidth() : 0 };
  }

  /** Outline thickness in image pixels: about 1.5 screen pixels at any zoom. */
  private outlineWidth(): number {
    return Math.max(1, Math.ceil(1.5 / this.view.scale));
  }

  private drawPreview(): void {
    const brush = toolById(this.tool).pointer === 'brush';
    const showRing =
      brush && this.hover !== null && this.gesture?.kind !== 'pan' && !this.spaceHeld;
    this.ring.style.display = showRing ? 'block' : 'none';
    if (showRing && this.hover) {
      const diameter = Math.max(1, this.brushSize * this.view.scale);
      this.ring.style.width = this.ring.style.height = `${diameter}px`;
      this.ring.style.transform = `translate(${this.hover.x - diameter / 2}px, ${this.hover.y - diameter / 2}px)`;
    }
    const outline =
      this.gesture?.kind === 'tool' && this.gesture.drag.outline
        ? this.gesture.drag.outline()
        : (this.active().outline?.(this.hover && toImage(this.view, this.hover)) ?? null);
    // Only a polygon in progress needs the preview layer redrawn.
    if (outline === null && !this.outlinePath.visible()) return;
    this.outlinePath.visible(outline !== null);
    if (outline) {
      this.outlinePath.points(outline.points.flatMap((p) => [p.x, p.y]));
      this.outlinePath.closed(outline.closed);
    }
    this.uiLayer.batchDraw();
  }

  private updateCursor(): void {
    const panning = this.gesture?.kind === 'pan';
    this.container.style.cursor = panning
      ? 'grabbing'
      : this.spaceHeld
        ? 'grab'
        : toolById(this.tool).pointer === 'brush'
          ? 'none'
          : 'crosshair';
    this.drawPreview();
  }

  private reportCursor(): void {
    // Not while painting or panning: a status bar relayout per frame costs latency.
    if (this.gesture) return;
    if (this.cursorFrame) return;
    this.cursorFrame = requestAnimationFrame(() => {
      this.cursorFrame = 0;
      const mask = this.editor?.mask;
      if (!mask || !this.hover) return this.callbacks.onCursor(null);
      const at = toImage(this.view, this.hover);
      const pixel = { x: Math.floor(at.x), y: Math.floor(at.y) };
      this.callbacks.onCursor(mask.contains(pixel.x, pixel.y) ? pixel : null);
    });
  }

  private screenPoint(event: MouseEvent, box = this.container.getBoundingClientRect()): Point {
    return { x: event.clientX - box.left, y: event.clientY - box.top };
  }
}

function preventDefault(event: Event): void {
  event.preventDefault();
}
