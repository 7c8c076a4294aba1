// Every key the annotator answers to, in one table: the view dispatches from it and the
// help overlay lists it, so the two cannot disagree.

import { TOOLS, type ToolId } from './tools';

export type Action =
  | ToolId
  | 'fill-holes'
  | 'clear'
  | 'undo'
  | 'redo'
  | 'brush-smaller'
  | 'brush-larger'
  | 'previous'
  | 'next'
  | 'outline'
  | 'toggle-mask'
  | 'fit'
  | 'actual-size'
  | 'help'
  | 'close-polygon'
  | 'cancel'
  | 'remove-vertex';

export interface Binding {
  action: Action;
  /** How the help overlay writes the keys. */
  keys: string[];
  description: string;
  matches(event: KeyboardEvent): boolean;
}

const primary = (event: KeyboardEvent) => event.ctrlKey || event.metaKey;
const plain = (key: string) => (event: KeyboardEvent) =>
  !primary(event) && !event.altKey && event.key.toLowerCase() === key;

export const BINDINGS: Binding[] = [
  // Picking a tool: its key and words come with the tool (tools/).
  ...TOOLS.map((tool) => ({
    action: tool.id,
    keys: [tool.key],
    description: tool.description,
    matches: plain(tool.key.toLowerCase()),
  })),
  { action: 'fill-holes', keys: ['H'], description: 'Fill holes in the mask', matches: plain('h') },
  { action: 'clear', keys: ['Delete'], description: 'Clear the mask', matches: plain('delete') },
  {
    action: 'undo',
    keys: ['Ctrl/⌘ + Z'],
    description: 'Undo',
    matches: (e) => primary(e) && !e.shiftKey && e.key.toLowerCase() === 'z',
  },
  {
    action: 'redo',
    keys: ['Ctrl/⌘ + Shift + Z', 'Ctrl + Y'],
    description: 'Redo',
    matches: (e) =>
      primary(e) &&
      ((e.shiftKey && e.key.toLowerCase() === 'z') || (!e.shiftKey && e.key.toLowerCase() === 'y')),
  },
  { action: 'brush-smaller', keys: ['['], description: 'Smaller brush', matches: plain('[') },
  { action: 'brush-larger', keys: [']'], description: 'Larger brush', matches: plain(']') },
  {
    action: 'previous',
    keys: ['←'],
    description: 'Previous image (respects the “needs mask” filter)',
    matches: plain('arrowleft'),
  },
  { action: 'next', keys: ['→'], description: 'Next image', matches: plain('arrowright') },
  { action: 'outline', keys: ['O'], description: 'Outline or filled mask', matches: plain('o') },
  { action: 'toggle-mask', keys: ['M'], description: 'Show or hide the mask', matches: plain('m') },
  { action: 'fit', keys: ['0'], description: 'Zoom to fit', matches: plain('0') },
  { action: 'actual-size', keys: ['1'], description: 'Zoom 1:1', matches: plain('1') },
  {
    action: 'close-polygon',
    keys: ['Enter'],
    description: 'Close the polygon (or double-click, or click its first corner)',
    matches: plain('enter'),
  },
  {
    action: 'remove-vertex',
    keys: ['Backspace'],
    description: 'Remove the last polygon corner',
    matches: plain('backspace'),
  },
  {
    action: 'cancel',
    keys: ['Esc'],
    description: 'Cancel the polygon, close this help',
    matches: plain('escape'),
  },
  { action: 'help', keys: ['?'], description: 'This help', matches: (e) => e.key === '?' },
];

/** Mouse gestures, listed in the help next to the keys. */
export const GESTURES: { keys: string; description: string }[] = [
  { keys: 'Wheel', description: 'Zoom at the pointer' },
  { keys: 'Ctrl/⌘ + wheel', description: 'Brush size' },
  { keys: 'Space + drag, middle drag', description: 'Pan' },
  { keys: 'Alt + paint', description: 'Inverse: brush erases, eraser paints, polygon cuts' },
];

export function actionFor(event: KeyboardEvent): Action | null {
  return BINDINGS.find((b) => b.matches(event))?.action ?? null;
}

/** Whether the focused control needs this key itself (typing, sliders, checkboxes). */
export function ownsKey(target: EventTarget | null, key: string): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable || target instanceof HTMLTextAreaElement) return true;
  if (target instanceof HTMLSelectElement) return true;
  if (!(target instanceof HTMLInputElement)) return false;
  if (['text', 'number', 'search'].includes(target.type)) return true;
  return key.startsWith('Arrow') || key === ' ';
}
