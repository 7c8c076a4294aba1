// The annotator's tools, one file each, in toolbar order. The toolbar's buttons, the keys
// that pick them (and the help overlay's lines, through keys.ts), the pointer over the
// canvas and what a press on the image does all come from here.
import { brush } from './brush';
import { eraser } from './eraser';
import { flood } from './flood';
import { polygon } from './polygon';
import type { Tool } from './tool';
import { wand } from './wand';

export const TOOLS = [brush, eraser, polygon, flood, wand] as const satisfies readonly Tool[];

export type ToolId = (typeof TOOLS)[number]['id'];

export function isToolId(value: string): value is ToolId {
  return TOOLS.some((tool) => tool.id === value);
}

export function toolById(id: ToolId): Tool<ToolId> {
  return TOOLS.find((tool) => tool.id === id)!;
}
