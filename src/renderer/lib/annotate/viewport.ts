// Zoom and pan as one transform: screen = image * scale + offset. The stage applies it,
// so a 4000x3000 photo is never resampled into a new bitmap while the user moves around.

export interface View {
  scale: number;
  x: number;
  y: number;
}

export interface Size {
  width: number;
  height: number;
}

export const MAX_SCALE = 32;
const FIT_MARGIN = 0.96;

/** The whole image centred in the box. */
export function fitView(image: Size, box: Size): View {
  const scale = Math.max(
    1e-3,
    Math.min(box.width / image.width, box.height / image.height) * FIT_MARGIN,
  );
  return {
    scale,
    x: (box.width - image.width * scale) / 2,
    y: (box.height - image.height * scale) / 2,
  };
}

/** Scales by factor around a screen point, which keeps pointing at the same pixel. */
export function zoomAt(
  view: View,
  point: { x: number; y: number },
  factor: number,
  min: number,
): View {
  const scale = Math.min(MAX_SCALE, Math.max(min, view.scale * factor));
  const k = scale / view.scale;
  return { scale, x: point.x - (point.x - view.x) * k, y: point.y - (point.y - view.y) * k };
}

export function toImage(view: View, screen: { x: number; y: number }): { x: number; y: number } {
  return { x: (screen.x - view.x) / view.scale, y: (screen.y - view.y) / view.scale };
}
