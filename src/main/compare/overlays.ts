// Small error overlays for the HTML report: for the images where two arms disagree most,
// each arm's prediction (its first run's) over the photo in the Compare view's colours,
// true positives green, false positives red, false negatives blue. Embedded as data URLs
// so the report stays one file.
import sharp from 'sharp';
import type { ComparisonResult } from '#shared/api/compare';
import { errorColour } from '#shared/error-colours';
import { foregroundTable } from '#shared/metrics';
import { absolutePath } from '../files';
import type { Db } from '../store/database';
import { getStoredImage } from '../store/images';
import { findPredictionFile } from '../store/runs';

export interface OverlayImage {
  stem: string;
  /** Per arm of the pair: its label, its IoU on this image, and the overlay's data URL. */
  arms: { label: string; iou: number; src: string }[];
}

/** Per test of the result (arm pair), the overlays of its most disagreed-upon images. */
export async function disagreementOverlays(
  ctx: { db: Db; dataDir: string },
  result: ComparisonResult,
  options: { images?: number; side?: number } = {},
): Promise<OverlayImage[][]> {
  const { images = 3, side = 160 } = options;
  const table = foregroundTable(result.threshold);
  const out: OverlayImage[][] = [];
  for (const test of result.tests) {
    const shown: OverlayImage[] = [];
    for (const d of test.disagreements.slice(0, images)) {
      const image = getStoredImage(ctx.db, d.imageId);
      if (!image.maskFile) continue;
      const arms: OverlayImage['arms'] = [];
      for (const [index, iou] of [
        [test.a, d.a],
        [test.b, d.b],
      ] as const) {
        const arm = result.arms[index]!;
        const prediction = findPredictionFile(ctx.db, arm.runIds[0]!, d.imageId);
        if (!prediction) break;
        const src = await overlay(
          absolutePath(ctx.dataDir, image.file),
          absolutePath(ctx.dataDir, image.maskFile),
          absolutePath(ctx.dataDir, prediction),
          table,
          side,
        ).catch(() => null);
        if (!src) break;
        arms.push({ label: arm.label, iou, src });
      }
      if (arms.length === 2) shown.push({ stem: d.stem, arms });
    }
    out.push(shown);
  }
  return out;
}

async function overlay(
  photoFile: string,
  maskFile: string,
  predictionFile: string,
  table: Uint8Array,
  side: number,
): Promise<string> {
  const meta = await sharp(maskFile).metadata();
  const scale = Math.min(1, side / Math.max(meta.width!, meta.height!));
  const width = Math.max(1, Math.round(meta.width! * scale));
  const height = Math.max(1, Math.round(meta.height! * scale));
  const grey = (file: string, kernel: 'nearest' | 'lanczos3') =>
    sharp(file).resize(width, height, { fit: 'fill', kernel }).extractChannel(0).raw().toBuffer();
  const [photo, truth, prob] = await Promise.all([
    sharp(photoFile)
      .resize(width, height, { fit: 'fill' })
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer(),
    grey(maskFile, 'nearest'),
    grey(predictionFile, 'lanczos3'),
  ]);
  const rgb = Buffer.alloc(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    const colour = errorColour(truth[i] !== 0, table[prob[i]!] === 1);
    for (let c = 0; c < 3; c++) {
      const p = photo[i * 3 + c]!;
      rgb[i * 3 + c] = colour ? Math.round(p * 0.35 + colour[c]! * 0.65) : p;
    }
  }
  const png = await sharp(rgb, { raw: { width, height, channels: 3 } })
    .png({ compressionLevel: 9, palette: true })
    .toBuffer();
  return `data:image/png;base64,${png.toString('base64')}`;
}
