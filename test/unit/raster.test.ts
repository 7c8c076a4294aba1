import { describe, expect, it } from 'vitest';
import { type Point, stampSegment } from '../../src/renderer/lib/raster/brush';
import { MaskEditor } from '../../src/renderer/lib/raster/editor';
import { floodFill } from '../../src/renderer/lib/raster/flood';
import { magicWand } from '../../src/renderer/lib/raster/wand';
import { History } from '../../src/renderer/lib/raster/history';
import { fillHoles } from '../../src/renderer/lib/raster/holes';
import { Mask } from '../../src/renderer/lib/raster/mask';
import { outlineRect } from '../../src/renderer/lib/raster/outline';
import { fillPolygon } from '../../src/renderer/lib/raster/polygon';
import type { Rect } from '../../src/renderer/lib/raster/rect';
import { decodeRle, encodeRle } from '../../src/renderer/lib/raster/rle';

/** Rows of '#' (foreground) and '.' (background). */
function draw(rows: string[]): Mask {
  const mask = new Mask(rows[0]!.length, rows.length);
  rows.forEach((row, y) =>
    [...row].forEach((c, x) => (mask.data[y * mask.width + x] = c === '#' ? 1 : 0)),
  );
  return mask;
}

function picture(mask: Mask): string[] {
  const rows: string[] = [];
  for (let y = 0; y < mask.height; y++) {
    let row = '';
    for (let x = 0; x < mask.width; x++) row += mask.get(x, y) ? '#' : '.';
    rows.push(row);
  }
  return rows;
}

function distanceToSegment(p: Point, a: Point, b: Point): number {
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const len2 = dx * dx + dy * dy;
  const t = len2 === 0 ? 0 : Math.max(0, Math.min(1, ((p.x - a.x) * dx + (p.y - a.y) * dy) / len2));
  return Math.hypot(p.x - a.x - t * dx, p.y - a.y - t * dy);
}

describe('brush', () => {
  it('stamps a disc of pixel centres within the radius', () => {
    const mask = new Mask(9, 9);
    const rect = stampSegment(mask, { x: 4.5, y: 4.5 }, { x: 4.5, y: 4.5 }, 4, 1);
    expect(picture(mask)).toEqual([
      '.........',
      '.........',
      '....#....',
      '...###...',
      '..#####..',
      '...###...',
      '....#....',
      '.........',
      '.........',
    ]);
    expect(rect).toEqual({ x: 2, y: 2, w: 5, h: 5 });
  });

  it('covers the capsule between two points, edges included', () => {
    const mask = new Mask(10, 5);
    const rect = stampSegment(mask, { x: 2, y: 2.5 }, { x: 8, y: 2.5 }, 3, 1);
    expect(picture(mask)).toEqual([
      '..........',
      '.########.',
      '##########',
      '.########.',
      '..........',
    ]);
    expect(rect).toEqual({ x: 0, y: 1, w: 10, h: 3 });
  });

  it('matches a per-pixel distance check for any segment', () => {
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 30;
    const wrong: { trial: number; x: number; y: number }[] = [];
    for (let trial = 0; trial < 200; trial++) {
      const a = { x: random(), y: random() };
      const b = trial % 5 === 0 ? { ...a } : { x: random(), y: random() };
      const size = 2 + random() / 3;
      const mask = new Mask(30, 30);
      stampSegment(mask, a, b, size, 1);
      for (let y = 0; y < 30; y++) {
        for (let x = 0; x < 30; x++) {
          const d = distanceToSegment({ x: x + 0.5, y: y + 0.5 }, a, b);
          // Pixels within a hair of the rim may go either way with rounding.
          if (Math.abs(d - size / 2) > 1e-9 && mask.get(x, y) !== (d < size / 2 ? 1 : 0)) {
            wrong.push({ trial, x, y });
          }
        }
      }
    }
    expect(wrong).toEqual([]);
  });

  it('draws a gapless one-pixel line', () => {
    const mask = new Mask(6, 4);
    stampSegment(mask, { x: 0.5, y: 0.5 }, { x: 5.5, y: 3.5 }, 1, 1);
    expect(picture(mask)).toEqual(['#.....', '.##...', '...##.', '.....#']);
  });

  it('erases and clips at the border', () => {
    const mask = draw(['#####', '#####', '#####']);
    const rect = stampSegment(mask, { x: 0, y: 0 }, { x: 0, y: 0 }, 3, 0);
    expect(picture(mask)).toEqual(['.####', '#####', '#####']);
    expect(rect).toEqual({ x: 0, y: 0, w: 1, h: 1 });
    stampSegment(mask, { x: 4.5, y: 1.5 }, { x: 4.5, y: 1.5 }, 3, 0);
    expect(picture(mask)).toEqual(['.##..', '###..', '###..']);
  });
});

describe('polygon fill', () => {
  it('fills pixels whose centres are inside', () => {
    const mask = new Mask(8, 8);
    const rect = fillPolygon(
      mask,
      [
        { x: 1, y: 1 },
        { x: 6, y: 1 },
        { x: 6, y: 4 },
        { x: 1, y: 4 },
      ],
      1,
    );
    expect(rect).toEqual({ x: 1, y: 1, w: 5, h: 3 });
    expect(mask.countForeground()).toBe(15);
  });

  it('fills a triangle exactly', () => {
    const mask = new Mask(7, 5);
    fillPolygon(
      mask,
      [
        { x: 0, y: 0 },
        { x: 7, y: 0 },
        { x: 0, y: 5 },
      ],
      1,
    );
    expect(picture(mask)).toEqual(['######.', '#####..', '###....', '##.....', '#......']);
  });

  it('fills a self-crossing lasso by nonzero winding and cuts with 0', () => {
    const mask = new Mask(8, 6);
    // A loop drawn twice around the same square still fills it (even-odd would not).
    const square = [
      { x: 2, y: 1 },
      { x: 6, y: 1 },
      { x: 6, y: 5 },
      { x: 2, y: 5 },
    ];
    fillPolygon(mask, [...square, ...square], 1);
    expect(mask.countForeground()).toBe(16);
    fillPolygon(
      mask,
      [
        { x: 0, y: 0 },
        { x: 8, y: 0 },
        { x: 8, y: 3 },
        { x: 0, y: 3 },
      ],
      0,
    );
    expect(picture(mask)).toEqual([
      '........',
      '........',
      '........',
      '..####..',
      '..####..',
      '........',
    ]);
  });
});

describe('flood fill', () => {
  it('fills the enclosed 4-connected region only', () => {
    const mask = draw(['#####..', '#...#..', '#...#..', '#####..', '.......']);
    const rect = floodFill(mask, 2, 1);
    expect(picture(mask)).toEqual(['#####..', '#####..', '#####..', '#####..', '.......']);
    expect(rect).toEqual({ x: 1, y: 1, w: 3, h: 2 });
  });

  it('leaks through a 4-gap but not through a diagonal one', () => {
    const diagonal = draw(['.#...', '#.#..', '.#...', '.....']);
    floodFill(diagonal, 1, 1);
    expect(picture(diagonal)).toEqual(['.#...', '###..', '.#...', '.....']);
    const open = draw(['###', '#..', '###']);
    floodFill(open, 1, 1);
    expect(picture(open)).toEqual(['###', '###', '###']);
  });

  it('deletes a foreground island when clicked on it', () => {
    const mask = draw(['##...', '##..#', '....#']);
    floodFill(mask, 0, 0);
    expect(picture(mask)).toEqual(['.....', '....#', '....#']);
  });

  it('fills a large region without recursion limits', () => {
    const mask = new Mask(2000, 1500);
    const rect = floodFill(mask, 10, 10);
    expect(mask.countForeground()).toBe(2000 * 1500);
    expect(rect).toEqual({ x: 0, y: 0, w: 2000, h: 1500 });
  });
});

describe('magic wand', () => {
  /** A photo from rows of letters: a grey level each (a=0, b=10 … z=250), '.' 200. */
  function photo(rows: string[]): Uint8ClampedArray {
    const out = new Uint8ClampedArray(rows.length * rows[0]!.length * 4);
    rows
      .join('')
      .split('')
      .forEach((ch, p) => {
        const v = ch === '.' ? 200 : (ch.charCodeAt(0) - 97) * 10;
        out.set([v, v, v, 255], p * 4);
      });
    return out;
  }
  const rows = ['aab.a', 'abb.a', 'z...a'];

  it('adds the connected pixels within the tolerance of the clicked colour', () => {
    const mask = new Mask(5, 3);
    // Tolerance 10: a and b join; z, the dots and the a's beyond them do not.
    const rect = magicWand(mask, photo(rows), 0, 0, 10, 1);
    expect(picture(mask)).toEqual(['###..', '###..', '.....']);
    expect(rect).toEqual({ x: 0, y: 0, w: 3, h: 2 });
  });

  it('leaves similar colours that are not connected, and tolerance 0 takes one colour', () => {
    const mask = new Mask(5, 3);
    magicWand(mask, photo(rows), 0, 0, 0, 1);
    expect(picture(mask)).toEqual(['##...', '#....', '.....']);
  });

  it('removes with value 0 and ignores a click outside the mask', () => {
    const mask = draw(['#####', '#####', '#####']);
    magicWand(mask, photo(rows), 4, 0, 0, 0);
    expect(picture(mask)).toEqual(['####.', '####.', '####.']);
    expect(magicWand(mask, photo(rows), 9, 9, 10, 1)).toEqual({ x: 0, y: 0, w: 0, h: 0 });
  });
});

describe('fill holes', () => {
  it('fills background that cannot reach the border', () => {
    const mask = draw([
      '.........',
      '.#####...',
      '.#..##.#.',
      '.#####.#.',
      '.......#.',
      '#####....',
      '#...#....',
    ]);
    const rect = fillHoles(mask);
    expect(picture(mask)).toEqual([
      '.........',
      '.#####...',
      '.#####.#.',
      '.#####.#.',
      '.......#.',
      '#####....',
      '#...#....',
    ]);
    expect(rect).toEqual({ x: 2, y: 2, w: 2, h: 1 });
  });

  it('treats a diagonal gap as closed', () => {
    const mask = draw(['.#.', '#.#', '.#.']);
    fillHoles(mask);
    expect(picture(mask)).toEqual(['.#.', '###', '.#.']);
  });
});

describe('outline', () => {
  const shape = ['.......', '.#####.', '.#####.', '.#####.', '.#####.', '.#####.', '......#'];
  const render = (mask: Mask, rect: Rect, radius: number) => {
    const out = new Uint8Array(rect.w * rect.h);
    outlineRect(mask, rect, radius, out);
    return picture(new Mask(rect.w, rect.h, out));
  };

  it('keeps foreground pixels with background within the radius', () => {
    const mask = draw(shape);
    expect(render(mask, mask.bounds, 1)).toEqual([
      '.......',
      '.#####.',
      '.#...#.',
      '.#...#.',
      '.#...#.',
      '.#####.',
      '......#',
    ]);
    expect(render(mask, mask.bounds, 2)).toEqual([
      '.......',
      '.#####.',
      '.#####.',
      '.##.##.',
      '.#####.',
      '.#####.',
      '......#',
    ]);
  });

  it('computes a sub-rect from pixels outside it', () => {
    const mask = draw(shape);
    expect(render(mask, { x: 2, y: 2, w: 3, h: 3 }, 1)).toEqual(['...', '...', '...']);
    expect(render(mask, { x: 1, y: 1, w: 2, h: 2 }, 1)).toEqual(['##', '#.']);
  });
});

describe('clear', () => {
  it('empties the mask and reports where foreground was', () => {
    const mask = draw(['.....', '..#..', '...#.', '.....']);
    expect(mask.clear()).toEqual({ x: 2, y: 1, w: 2, h: 2 });
    expect(mask.countForeground()).toBe(0);
    expect(mask.clear()).toEqual({ x: 0, y: 0, w: 0, h: 0 });
  });
});

describe('RLE', () => {
  it('round-trips and starts with a zero run', () => {
    const pixels = Uint8Array.from([1, 1, 0, 0, 0, 1, 0, 255]);
    const rle = encodeRle(pixels);
    expect([...rle]).toEqual([0, 2, 3, 1, 1, 1]);
    expect([...decodeRle(rle, 8)]).toEqual([1, 1, 0, 0, 0, 1, 0, 1]);
  });

  it('round-trips long runs through multi-byte varints', () => {
    const pixels = new Uint8Array(4000 * 3000);
    pixels.fill(1, 1000, 1000 + 300_000);
    pixels[pixels.length - 1] = 1;
    const rle = encodeRle(pixels);
    expect(rle.length).toBeLessThan(16);
    expect(Buffer.compare(decodeRle(rle, pixels.length), pixels)).toBe(0);
  });

  it('rejects runs that do not match the size', () => {
    const rle = encodeRle(new Uint8Array([0, 1, 1]));
    expect(() => decodeRle(rle, 4)).toThrow(/3 of 4/);
    expect(() => decodeRle(rle, 2)).toThrow(/more than 2/);
    expect(() => decodeRle(Uint8Array.from([0x80]), 1)).toThrow(/ends inside/);
  });
});

describe('undo and redo', () => {
  it('walks strokes back and forth exactly', () => {
    const editor = new MaskEditor(new Mask(12, 8));
    const states: string[][] = [picture(editor.mask)];
    editor.touch(stampSegment(editor.mask, { x: 2, y: 2 }, { x: 9, y: 2 }, 2, 1));
    editor.touch(stampSegment(editor.mask, { x: 9, y: 2 }, { x: 9, y: 6 }, 2, 1));
    expect(editor.commit()).toBe(true);
    states.push(picture(editor.mask));
    editor.touch(stampSegment(editor.mask, { x: 9, y: 4 }, { x: 9, y: 4 }, 4, 0));
    editor.commit();
    states.push(picture(editor.mask));
    editor.touch(
      fillPolygon(
        editor.mask,
        [
          { x: 0, y: 5 },
          { x: 5, y: 5 },
          { x: 5, y: 8 },
        ],
        1,
      ),
    );
    editor.commit();
    states.push(picture(editor.mask));
    expect(new Set(states.map((s) => s.join('\n'))).size).toBe(4);

    for (let i = 2; i >= 0; i--) {
      expect(editor.undo()).not.toBeNull();
      expect(picture(editor.mask)).toEqual(states[i]);
    }
    expect(editor.undo()).toBeNull();
    for (let i = 1; i <= 3; i++) {
      editor.redo();
      expect(picture(editor.mask)).toEqual(states[i]);
    }
    expect(editor.redo()).toBeNull();
  });

  it('drops the redo branch on a new edit and skips no-op commits', () => {
    const editor = new MaskEditor(new Mask(5, 5));
    editor.touch(stampSegment(editor.mask, { x: 1.5, y: 1.5 }, { x: 1.5, y: 1.5 }, 1, 1));
    editor.commit();
    editor.undo();
    editor.touch(stampSegment(editor.mask, { x: 3.5, y: 3.5 }, { x: 3.5, y: 3.5 }, 1, 1));
    expect(editor.redo()).toBeNull();
    expect(picture(editor.mask)).toEqual(['.....', '.....', '.....', '...#.', '.....']);
    // Erasing background changes nothing and must not become a step.
    editor.touch(stampSegment(editor.mask, { x: 0.5, y: 0.5 }, { x: 0.5, y: 0.5 }, 1, 0));
    expect(editor.commit()).toBe(false);
    expect(editor.history.undoDepth).toBe(1);
  });

  it('keeps at least 100 steps of a 4000x3000 mask within the memory cap', () => {
    const editor = new MaskEditor(new Mask(4000, 3000));
    const before = editor.mask.data.slice();
    for (let i = 0; i < 120; i++) {
      const y = 20 + i * 24;
      editor.touch(stampSegment(editor.mask, { x: 100, y }, { x: 3900, y: y + 10 }, 20, 1));
      editor.commit();
    }
    expect(editor.history.undoDepth).toBe(120);
    expect(editor.history.bytes).toBeLessThan(1024 * 1024);
    while (editor.undo());
    expect(Buffer.compare(editor.mask.data, before)).toBe(0);
  });

  it('evicts the oldest steps past the step or byte limit', () => {
    const editor = new MaskEditor(new Mask(10, 10), new History({ maxSteps: 3, maxBytes: 1e9 }));
    for (let i = 0; i < 5; i++) {
      editor.touch(stampSegment(editor.mask, { x: i + 0.5, y: 0.5 }, { x: i + 0.5, y: 0.5 }, 1, 1));
      editor.commit();
    }
    expect(editor.history.undoDepth).toBe(3);
    while (editor.undo());
    expect(picture(editor.mask)[0]).toBe('##........');
    const tight = new History({ maxSteps: 100, maxBytes: 150 });
    const small = new MaskEditor(new Mask(10, 10), tight);
    for (let i = 0; i < 5; i++) {
      small.touch(stampSegment(small.mask, { x: i + 0.5, y: 0.5 }, { x: i + 0.5, y: 0.5 }, 1, 1));
      small.commit();
    }
    expect(tight.bytes).toBeLessThanOrEqual(150);
    expect(tight.undoDepth).toBe(2);
  });

  it('fingerprints pixels, not identity', () => {
    const a = draw(['#..', '.#.']);
    expect(a.fingerprint()).toBe(a.clone().fingerprint());
    expect(a.fingerprint()).not.toBe(draw(['#..', '..#']).fingerprint());
    expect(a.fingerprint()).not.toBe(new Mask(2, 3, a.data.slice()).fingerprint());
  });

  it('makes replace one undoable step', () => {
    const editor = new MaskEditor(draw(['#..', '...']));
    const rect = editor.replace(Uint8Array.from([0, 0, 255, 0, 1, 0]));
    expect(rect).toEqual({ x: 0, y: 0, w: 3, h: 2 });
    expect(picture(editor.mask)).toEqual(['..#', '.#.']);
    editor.undo();
    expect(picture(editor.mask)).toEqual(['#..', '...']);
  });
});
