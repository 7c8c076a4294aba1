// The mask as the user sees it: tinted RGBA in canvas tiles shown as Konva images. An
// edit repaints only the touched part of the touched tiles (putImageData of that rect),
// and a tile's backing store is small, so the browser never copies a 48 MB bitmap
// because a brush dab changed a few hundred pixels.
import Konva from 'konva/lib/Core';
import { Image as KonvaImage } from 'konva/lib/shapes/Image';
import type { Mask } from '../raster/mask';
import { outlineRect } from '../raster/outline';
import { inflate, intersect, isEmpty, type Rect } from '../raster/rect';

const TILE = 512;

interface Tile {
  rect: Rect;
  context: CanvasRenderingContext2D;
  node: KonvaImage;
}

export interface Appearance {
  /** '#rrggbb' */
  colour: string;
  /** 0 fills the mask; n > 0 draws only pixels within n of its edge. */
  outline: number;
}

export class MaskOverlay {
  readonly group = new Konva.Group({ listening: false });
  private readonly tiles: Tile[] = [];
  private readonly buffer = new ImageData(TILE, TILE);
  private readonly pixels = new Uint32Array(this.buffer.data.buffer);
  private readonly bits = new Uint8Array(TILE * TILE);
  private colour = 0;
  private outline = 0;

  constructor(
    readonly mask: Mask,
    appearance: Appearance,
  ) {
    for (let y = 0; y < mask.height; y += TILE) {
      for (let x = 0; x < mask.width; x += TILE) {
        const rect = {
          x,
          y,
          w: Math.min(TILE, mask.width - x),
          h: Math.min(TILE, mask.height - y),
        };
        const canvas = document.createElement('canvas');
        canvas.width = rect.w;
        canvas.height = rect.h;
        const context = canvas.getContext('2d');
        if (!context) throw new Error('This browser cannot create a 2D canvas.');
        const node = new KonvaImage({ image: canvas, x, y, width: rect.w, height: rect.h });
        this.group.add(node);
        this.tiles.push({ rect, context, node });
      }
    }
    this.setAppearance(appearance);
  }

  /** Changes colour or outline and repaints everything. */
  setAppearance({ colour, outline }: Appearance): void {
    this.colour = packColour(colour);
    this.outline = outline;
    this.paint(this.mask.bounds);
  }

  /** Repaints the pixels of rect (after an edit changed them). */
  paint(rect: Rect): void {
    // In outline mode a changed pixel changes its neighbours' outline too.
    const area = this.outline > 0 ? inflate(rect, Math.ceil(this.outline)) : rect;
    for (const tile of this.tiles) {
      const part = intersect(area, tile.rect);
      if (!isEmpty(part)) this.paintTile(tile, part);
    }
  }

  /**
   * Draws the tiles under rect (image pixels) on a context already transformed to image
   * space and clipped; the stroke path uses it to refresh only the screen area it changed.
   */
  drawRegion(context: CanvasRenderingContext2D, rect: Rect): void {
    for (const tile of this.tiles) {
      if (!isEmpty(intersect(rect, tile.rect))) {
        context.drawImage(tile.context.canvas, tile.rect.x, tile.rect.y);
      }
    }
  }

  destroy(): void {
    this.group.destroy();
  }

  private paintTile(tile: Tile, part: Rect): void {
    const { mask, pixels, bits, colour } = this;
    if (this.outline > 0) outlineRect(mask, part, this.outline, bits);
    const lx = part.x - tile.rect.x;
    const ly = part.y - tile.rect.y;
    for (let j = 0; j < part.h; j++) {
      const src = (part.y + j) * mask.width + part.x;
      const dst = (ly + j) * TILE + lx;
      if (this.outline > 0) {
        for (let i = 0; i < part.w; i++) pixels[dst + i] = bits[j * part.w + i] ? colour : 0;
      } else {
        for (let i = 0; i < part.w; i++) pixels[dst + i] = mask.data[src + i] ? colour : 0;
      }
    }
    tile.context.putImageData(this.buffer, 0, 0, lx, ly, part.w, part.h);
  }
}

/** '#rrggbb' as an opaque RGBA word in memory order (little-endian: ABGR). */
function packColour(hex: string): number {
  const match = /^#([0-9a-f]{6})$/i.exec(hex);
  const rgb = match ? parseInt(match[1]!, 16) : 0xff2d7a;
  const r = (rgb >> 16) & 255;
  const g = (rgb >> 8) & 255;
  const b = rgb & 255;
  return ((255 << 24) | (b << 16) | (g << 8) | r) >>> 0;
}
