// What a tool is: its words and key (the toolbar, the key bindings and the help read
// them), how the pointer looks over the canvas, and its pointer handlers. The canvas
// owns the stage, the view and panning, and hands the active tool every press on the
// image; whatever the tool keeps between presses (an open polygon) lives in its handlers.
// The canvas redraws the tool's outline after every call into it.
import type { Point } from '../../raster/brush';
import type { Mask } from '../../raster/mask';
import type { Rect } from '../../raster/rect';

/** A pointer sample: where it is on the image and on the screen, and whether Alt is held. */
export interface PointerInput {
  at: Point;
  screen: Point;
  alt: boolean;
}

/** What the canvas offers a tool; read at the moment of use (a stroke sees a resize). */
export interface ToolCanvas {
  /** The mask being edited; null between images, when no input reaches the tool. */
  mask(): Mask | null;
  /** The brush diameter in image pixels. */
  brushSize(): number;
  /** The magic wand's colour tolerance, 0-255 per channel. */
  tolerance(): number;
  /** Screen pixels per image pixel. */
  scale(): number;
  toScreen(at: Point): Point;
  /** The photo's RGBA at the mask's size, or null when it cannot be read. */
  photoPixels(): Uint8ClampedArray | null;
  /** Shows pixels a gesture changed; they become an undo step at commit(). */
  paint(rect: Rect): void;
  /** The gesture's changes become one undo step. */
  commit(): void;
  /** A one-shot edit: paint(rect), then commit(). */
  edit(rect: Rect): void;
}

/** A press the tool follows until the pointer is released. */
export interface Drag {
  /** The pointer moved; `samples` are every position since the last event (coalesced). */
  move(input: PointerInput, samples: () => PointerInput[]): void;
  up(): void;
  /** What to draw over the mask while dragging (a lasso). */
  outline?(): Outline | null;
}

/** A line the canvas draws over the mask (a polygon being drawn). */
export interface Outline {
  points: Point[];
  closed: boolean;
}

export interface ToolHandlers {
  /** A primary-button press on the image; a returned Drag follows that pointer. */
  down(canvas: ToolCanvas, input: PointerInput): Drag | void;
  doubleClick?(canvas: ToolCanvas): void;
  /** What to draw over the mask when no drag is under way, given the hovered image point. */
  outline?(hover: Point | null): Outline | null;
  /** Enter: finishes what the tool has open; false when nothing is. */
  finish?(canvas: ToolCanvas): boolean;
  /** Backspace: takes back its last step; false when nothing is open. */
  back?(): boolean;
  /** Esc, another tool, another image: drops what is open; false when nothing is. */
  cancel?(): boolean;
}

export interface Tool<Id extends string = string> {
  id: Id;
  /** On its toolbar button. */
  label: string;
  /** The key that picks it, as the help writes it (the letter, pressed without modifiers). */
  key: string;
  /** In the help overlay. */
  description: string;
  /** 'brush': the pointer is hidden and a ring of the brush's size follows it. */
  pointer: 'brush' | 'crosshair';
  /** Handlers for one canvas: a tool's state between presses is its own per canvas. */
  handlers(): ToolHandlers;
}

/** Declares a tool, keeping its id a literal type for the registry's ToolId. */
export function defineTool<const Id extends string>(tool: Tool<Id>): Tool<Id> {
  return tool;
}
