// The annotator's tools on a plain mask, through the same ToolCanvas the Konva canvas
// hands them: what a press, a drag and the polygon's keys do to the pixels.
import { describe, expect, it } from 'vitest';
import { actionFor, BINDINGS } from '../../src/renderer/lib/annotate/keys';
import { isToolId, toolById, TOOLS } from '../../src/renderer/lib/annotate/tools';
import type {
  PointerInput,
  ToolCanvas,
  ToolHandlers,
} from '../../src/renderer/lib/annotate/tools/tool';
import type { Point } from '../../src/renderer/lib/raster/brush';
import { Mask } from '../../src/renderer/lib/raster/mask';
import { isEmpty, type Rect } from '../../src/renderer/lib/raster/rect';

/** A canvas at scale 1 (screen = image pixels) that counts committed undo steps. */
function fakeCanvas(mask: Mask, photo: Uint8ClampedArray | null = null) {
  let pending = false;
  const log = { commits: 0 };
  const canvas: ToolCanvas = {
    mask: () => mask,
    brushSize: () => 3,
    tolerance: () => 10,
    scale: () => 1,
    toScreen: (at) => at,
    photoPixels: () => photo,
    paint: (rect: Rect) => {
      if (!isEmpty(rect)) pending = true;
    },
    commit: () => {
      if (pending) log.commits++;
      pending = false;
    },
    edit: (rect) => {
      canvas.paint(rect);
      canvas.commit();
    },
  };
  return { canvas, log };
}

const press = (x: number, y: number, alt = false): PointerInput => ({
  at: { x, y },
  screen: { x, y },
  alt,
});

function drag(tool: ToolHandlers, canvas: ToolCanvas, path: Point[], alt = false): void {
  const first = path[0]!;
  const gesture = tool.down(canvas, press(first.x, first.y, alt));
  if (!gesture) throw new Error('the tool did not start a drag');
  for (const p of path.slice(1)) gesture.move(press(p.x, p.y, alt), () => [press(p.x, p.y, alt)]);
  gesture.up();
}

describe('annotation tools', () => {
  it('registers each tool once, with its own key, picked by that key', () => {
    const ids = TOOLS.map((tool) => tool.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(TOOLS.map((tool) => tool.key)).size).toBe(ids.length);
    for (const tool of TOOLS) {
      expect(isToolId(tool.id)).toBe(true);
      expect(toolById(tool.id)).toBe(tool);
      const event = { key: tool.key.toLowerCase(), ctrlKey: false, metaKey: false, altKey: false };
      expect(actionFor(event as KeyboardEvent)).toBe(tool.id);
      expect(BINDINGS.filter((b) => b.action === tool.id)).toHaveLength(1);
    }
    expect(isToolId('pan')).toBe(false);
  });

  it('brush paints along a drag as one undo step; Alt and the eraser take pixels away', () => {
    const mask = new Mask(20, 20);
    const { canvas, log } = fakeCanvas(mask);
    const brush = toolById('brush').handlers();
    drag(brush, canvas, [
      { x: 2, y: 10 },
      { x: 17, y: 10 },
    ]);
    expect(log.commits).toBe(1);
    expect(mask.get(2, 10)).toBe(1);
    expect(mask.get(10, 10)).toBe(1);
    expect(mask.get(17, 10)).toBe(1);
    expect(mask.get(10, 2)).toBe(0);
    drag(brush, canvas, [{ x: 10, y: 10 }], true);
    expect(mask.get(10, 10)).toBe(0);
    drag(toolById('eraser').handlers(), canvas, [{ x: 17, y: 10 }]);
    expect(mask.get(17, 10)).toBe(0);
    expect(mask.get(2, 10)).toBe(1);
    expect(log.commits).toBe(3);
  });

  it('polygon: clicked corners fill on Enter, Backspace takes one back, Esc drops it', () => {
    const mask = new Mask(20, 20);
    const { canvas, log } = fakeCanvas(mask);
    const polygon = toolById('polygon').handlers();
    const click = (x: number, y: number) => {
      const gesture = polygon.down(canvas, press(x, y));
      gesture?.up();
    };
    click(2, 2);
    click(16, 2);
    click(9, 9); // taken back below
    expect(polygon.back?.()).toBe(true);
    click(16, 16);
    click(2, 16);
    expect(polygon.outline?.({ x: 5, y: 5 })).toEqual({
      points: [
        { x: 2, y: 2 },
        { x: 16, y: 2 },
        { x: 16, y: 16 },
        { x: 2, y: 16 },
        { x: 5, y: 5 },
      ],
      closed: false,
    });
    expect(polygon.finish?.(canvas)).toBe(true);
    expect(log.commits).toBe(1);
    expect(mask.get(9, 9)).toBe(1);
    expect(mask.get(18, 18)).toBe(0);
    expect(polygon.finish?.(canvas)).toBe(false);
    click(0, 0);
    expect(polygon.cancel?.()).toBe(true);
    expect(polygon.outline?.(null)).toBeNull();
    expect(log.commits).toBe(1);
  });

  it('polygon: a click on the first corner closes it; a drag is a lasso that Alt cuts with', () => {
    const mask = new Mask(20, 20);
    const { canvas } = fakeCanvas(mask);
    const polygon = toolById('polygon').handlers();
    for (const [x, y] of [
      [1, 1],
      [18, 1],
      [18, 18],
      [1, 18],
      [2, 2],
    ] as const) {
      polygon.down(canvas, press(x, y))?.up();
    }
    expect(polygon.outline?.(null)).toBeNull();
    expect(mask.get(10, 10)).toBe(1);
    drag(
      polygon,
      canvas,
      [
        { x: 6, y: 6 },
        { x: 14, y: 6 },
        { x: 14, y: 14 },
        { x: 6, y: 14 },
      ],
      true,
    );
    expect(mask.get(10, 10)).toBe(0);
    expect(mask.get(3, 10)).toBe(1);
    expect(polygon.outline?.(null)).toBeNull();
  });

  it('flood flips the clicked region; the wand takes the similar colours around a click', () => {
    const mask = new Mask(10, 10);
    const { canvas, log } = fakeCanvas(mask);
    toolById('flood').handlers().down(canvas, press(5, 5));
    expect(mask.countForeground()).toBe(100);
    expect(log.commits).toBe(1);
    // A photo dark on the left half, bright on the right.
    const photo = new Uint8ClampedArray(10 * 10 * 4);
    for (let i = 0; i < 100; i++) photo.fill(i % 10 < 5 ? 20 : 230, i * 4, i * 4 + 3);
    const { canvas: withPhoto } = fakeCanvas(mask, photo);
    toolById('wand')
      .handlers()
      .down(withPhoto, press(8, 5, true));
    expect(mask.countForeground()).toBe(50);
    expect(mask.get(8, 5)).toBe(0);
    expect(mask.get(2, 5)).toBe(1);
  });
});
