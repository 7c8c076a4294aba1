// The annotator's tools, in one table: the toolbar's buttons, the keys that pick them (and
// the help overlay's lines, through keys.ts) and how the canvas shows the pointer all
// come from here. A tool's pointer input lives in canvas.ts under its id.

export const TOOLS = [
  { id: 'brush', label: 'Brush', key: 'B', description: 'Brush', pointer: 'brush' },
  { id: 'eraser', label: 'Eraser', key: 'E', description: 'Eraser', pointer: 'brush' },
  {
    id: 'polygon',
    label: 'Polygon',
    key: 'P',
    description: 'Polygon (click corners) or lasso (drag)',
    pointer: 'crosshair',
  },
  {
    id: 'flood',
    label: 'Flood',
    key: 'F',
    description: 'Flood fill: click a region to flip it (fill an enclosed area, delete an island)',
    pointer: 'crosshair',
  },
  {
    id: 'wand',
    label: 'Wand',
    key: 'W',
    description: "Magic wand: add the photo's similar colours around a click (Alt: remove them)",
    pointer: 'crosshair',
  },
] as const satisfies readonly {
  id: string;
  /** On its toolbar button. */
  label: string;
  /** The key that picks it, as the help writes it (the letter, pressed without modifiers). */
  key: string;
  /** In the help overlay. */
  description: string;
  /** 'brush': the pointer is hidden and a ring of the brush's size follows it. */
  pointer: 'brush' | 'crosshair';
}[];

export type ToolId = (typeof TOOLS)[number]['id'];

export function isToolId(value: string): value is ToolId {
  return TOOLS.some((tool) => tool.id === value);
}

/** Whether the tool paints with the brush (its size matters, its ring shows). */
export function isBrushTool(id: ToolId): boolean {
  return TOOLS.find((tool) => tool.id === id)?.pointer === 'brush';
}
