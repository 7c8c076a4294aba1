// The brush size carries over between images relative to the image (issue 14, item 4).
import { describe, expect, it } from 'vitest';
import { diagonal, rescaleBrush } from '../../src/renderer/lib/annotate/brush-scale';

describe('brush size between images', () => {
  it('keeps its share of the image', () => {
    const photo = diagonal(4000, 3000);
    const face = diagonal(182, 256);
    // 150 px covered 3% of the photo's diagonal; on the face it is 9 px, not most of it.
    expect(rescaleBrush(150, photo, face, 1, 500)).toBe(9);
    expect(rescaleBrush(9, face, photo, 1, 500)).toBe(143);
    expect(rescaleBrush(24, face, face, 1, 500)).toBe(24);
  });

  it('stays within bounds and keeps the size when there is nothing to relate it to', () => {
    expect(rescaleBrush(2, diagonal(4000, 3000), diagonal(20, 20), 1, 500)).toBe(1);
    expect(rescaleBrush(400, diagonal(20, 20), diagonal(4000, 3000), 1, 500)).toBe(500);
    expect(rescaleBrush(24, 0, diagonal(20, 20), 1, 500)).toBe(24);
  });
});
