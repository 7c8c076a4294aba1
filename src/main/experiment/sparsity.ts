// The sparsity sweep: from one dataset, derive tasks whose foreground fraction is set on
// purpose, by eroding (sparser) or dilating (denser) every mask by one radius, so "does
// the IoU loss gain more when the foreground is sparse?" is asked on the same images.
// Derived tasks are ordinary datasets in the store (e.g. face-erode-24): they can be
// browsed, trained on and compared like any other. Images are shared with the source
// (rows point at the same content-addressed files); only the masks are new.
//
// Erosion treats the outside of the image as background, so objects cut by the border
// shrink from it too. Radii are in pixels of the stored (original) images.
import { readFile } from 'node:fs/promises';
import type { GridDataset } from '#shared/api/experiments';
import { ApiError } from '#shared/errors';
import type { AppContext, DataContext } from '../context';
import { absolutePath, storeContent, withStoreErrors } from '../files';
import { decodeMask, encodeMask, foregroundFraction } from '../images/mask';
import { writeTransaction } from '../store/database';
import { createDataset, findDatasetId } from '../store/datasets';
import { insertImage, listStoredImages, type StoredImage } from '../store/images';
import { insertMask } from '../store/masks';

export type Operation = 'erode' | 'dilate';

/**
 * Squared Euclidean distance from every pixel to the nearest site (Felzenszwalb &
 * Huttenlocher, "Distance transforms of sampled functions", 2012): exact, linear time,
 * one pass along rows then one along columns. Without any site, distances are Infinity.
 */
export function squaredDistances(sites: Uint8Array, width: number, height: number): Float64Array {
  const FAR = 1e20;
  const grid = new Float64Array(width * height);
  for (let i = 0; i < grid.length; i++) grid[i] = sites[i] ? 0 : FAR;
  const n = Math.max(width, height);
  const f = new Float64Array(n);
  const d = new Float64Array(n);
  const v = new Int32Array(n);
  const z = new Float64Array(n + 1);
  for (let x = 0; x < width; x++) {
    for (let y = 0; y < height; y++) f[y] = grid[y * width + x]!;
    lowerEnvelope(f, height, d, v, z);
    for (let y = 0; y < height; y++) grid[y * width + x] = d[y]!;
  }
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) f[x] = grid[y * width + x]!;
    lowerEnvelope(f, width, d, v, z);
    for (let x = 0; x < width; x++) grid[y * width + x] = d[x]!;
  }
  for (let i = 0; i < grid.length; i++) if (grid[i]! >= FAR) grid[i] = Infinity;
  return grid;
}

/** d[q] = min over p of (q − p)² + f[p], by the lower envelope of parabolas. */
function lowerEnvelope(
  f: Float64Array,
  n: number,
  d: Float64Array,
  v: Int32Array,
  z: Float64Array,
): void {
  const meet = (q: number, p: number) => (f[q]! + q * q - (f[p]! + p * p)) / (2 * q - 2 * p);
  let k = 0;
  v[0] = 0;
  z[0] = -Infinity;
  z[1] = Infinity;
  for (let q = 1; q < n; q++) {
    let s = meet(q, v[k]!);
    while (s <= z[k]!) {
      k--;
      s = meet(q, v[k]!);
    }
    k++;
    v[k] = q;
    z[k] = s;
    z[k + 1] = Infinity;
  }
  k = 0;
  for (let q = 0; q < n; q++) {
    while (z[k + 1]! < q) k++;
    const p = v[k]!;
    d[q] = (q - p) * (q - p) + f[p]!;
  }
}

/**
 * For one mask, the radius at which each pixel changes: a foreground pixel survives
 * erosion by r while r < its distance to the background (or the border); a background
 * pixel joins a dilation by r once r >= its distance to the foreground.
 */
export interface MaskProfile {
  width: number;
  height: number;
  /** Per pixel, squared distance to the nearest pixel of the other class (0 never). */
  inside: Float64Array;
  outside: Float64Array;
  mask: Uint8Array;
}

export function maskProfile(mask: Uint8Array, width: number, height: number): MaskProfile {
  // Erosion: background sites on a one-pixel frame around the image.
  const pw = width + 2;
  const ph = height + 2;
  const padded = new Uint8Array(pw * ph).fill(1);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) padded[(y + 1) * pw + x + 1] = mask[y * width + x] ? 0 : 1;
  }
  const framed = squaredDistances(padded, pw, ph);
  const inside = new Float64Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) inside[y * width + x] = framed[(y + 1) * pw + x + 1]!;
  }
  const fg = Uint8Array.from(mask, (m) => (m ? 1 : 0));
  return { width, height, inside, outside: squaredDistances(fg, width, height), mask };
}

/** The mask eroded or dilated by a disc of this radius, 0/255. */
export function transformMask(
  profile: MaskProfile,
  operation: Operation,
  radius: number,
): Uint8Array {
  const r2 = radius * radius;
  const { mask, inside, outside } = profile;
  const out = new Uint8Array(mask.length);
  for (let i = 0; i < out.length; i++) {
    const on =
      operation === 'erode' ? mask[i] !== 0 && inside[i]! > r2 : mask[i] !== 0 || outside[i]! <= r2;
    out[i] = on ? 255 : 0;
  }
  return out;
}

/** Mean foreground fraction over the masks after the operation, for radii 0..maxRadius. */
export function fractionsByRadius(
  profiles: readonly MaskProfile[],
  operation: Operation,
  maxRadius: number,
): number[] {
  const sums = new Float64Array(maxRadius + 1);
  for (const p of profiles) {
    // hist[k]: pixels whose change radius is k (ceil of the distance), capped.
    const hist = new Float64Array(maxRadius + 2);
    const n = p.mask.length;
    let base = 0;
    for (let i = 0; i < n; i++) {
      if (operation === 'erode') {
        if (!p.mask[i]) continue;
        hist[Math.min(maxRadius + 1, Math.ceil(Math.sqrt(p.inside[i]!)))]! += 1;
      } else if (p.mask[i]) base++;
      else if (Number.isFinite(p.outside[i]!)) {
        const k = Math.ceil(Math.sqrt(p.outside[i]!));
        if (k <= maxRadius) hist[k]! += 1;
      }
    }
    if (operation === 'erode') {
      // Survivors at r: pixels whose change radius is above r.
      let above = 0;
      for (let r = maxRadius; r >= 0; r--) {
        above += hist[r + 1]!;
        sums[r]! += above / n;
      }
    } else {
      let joined = base;
      for (let r = 0; r <= maxRadius; r++) {
        joined += hist[r]!;
        sums[r]! += joined / n;
      }
    }
  }
  return Array.from(sums, (s) => s / profiles.length);
}

export interface SweepLevel {
  operation: Operation;
  radius: number;
  /** Mean foreground fraction the derived masks have. */
  foreground: number;
}

/**
 * The radius that brings the mean foreground fraction nearest the target, compared on
 * a log scale (30% vs 10% vs 3% are equal steps). Null when no radius of at least one
 * pixel gets closer than the source itself.
 */
export function chooseLevel(profiles: readonly MaskProfile[], target: number): SweepLevel | null {
  if (profiles.length === 0) return null;
  const maxRadius = Math.ceil(Math.max(...profiles.map((p) => Math.hypot(p.width, p.height))));
  const source = fractionsByRadius(profiles, 'erode', 0)[0]!;
  const operation: Operation = target < source ? 'erode' : 'dilate';
  const fractions = fractionsByRadius(profiles, operation, maxRadius);
  const miss = (f: number) => (f > 0 ? Math.abs(Math.log(f / target)) : Infinity);
  let best: SweepLevel | null = null;
  for (let r = 1; r <= maxRadius; r++) {
    const f = fractions[r]!;
    if (miss(f) < miss(best?.foreground ?? source)) best = { operation, radius: r, foreground: f };
  }
  return best;
}

/**
 * Derives one task per level from the named dataset and imports each as a dataset named
 * `<source>-<erode|dilate>-<radius>`. A derived dataset already in the store (the same
 * images) is reused, so an experiment that restarts does not duplicate them.
 */
export async function deriveSparsityTasks(
  ctx: DataContext,
  sourceName: string,
  levels: readonly number[],
): Promise<GridDataset[]> {
  const sourceId = findDatasetId(ctx.db, sourceName);
  if (sourceId === null) {
    throw new ApiError(
      'not-found',
      `There is no dataset named "${sourceName}" to derive the sparsity sweep from; ` +
        'import it first with `jaccard import <folder> --name ' +
        sourceName +
        '`.',
    );
  }
  const images = listStoredImages(ctx.db, sourceId).filter((i) => i.maskFile);
  if (images.length === 0) {
    throw new ApiError('invalid', `Dataset "${sourceName}" has no masks to derive tasks from.`);
  }
  const profiles = await Promise.all(images.map((image) => profileOf(ctx.dataDir, image)));

  const chosen = new Map<string, SweepLevel>();
  for (const target of levels) {
    const level = chooseLevel(profiles, target);
    if (level) chosen.set(`${sourceName}-${level.operation}-${level.radius}`, level);
  }
  const out: GridDataset[] = [];
  for (const [name, level] of chosen) {
    const id =
      reusable(ctx, name, images) ?? (await importDerived(ctx, name, images, profiles, level));
    out.push({
      id,
      name,
      derivedFrom: { dataset: sourceName, operation: level.operation, radius: level.radius },
    });
  }
  return out;
}

async function profileOf(dataDir: string, image: StoredImage): Promise<MaskProfile> {
  const bytes = await readFile(absolutePath(dataDir, image.maskFile!)).catch((error: unknown) => {
    throw new ApiError('io', `The mask of "${image.stem}" cannot be read: ${String(error)}`);
  });
  const mask = await decodeMask(bytes);
  return maskProfile(mask.data, mask.width, mask.height);
}

const imageKey = (i: StoredImage) => `${i.split}/${i.stem}/${i.sha256}`;

/** The id of a same-named dataset holding exactly the source's images, else null. */
function reusable(
  ctx: Pick<AppContext, 'db'>,
  name: string,
  images: readonly StoredImage[],
): number | null {
  const id = findDatasetId(ctx.db, name);
  if (id === null) return null;
  const held = listStoredImages(ctx.db, id);
  const want = new Set(images.map(imageKey));
  if (held.length === want.size && held.every((i) => want.has(imageKey(i)) && i.maskFile)) {
    return id;
  }
  throw new ApiError(
    'conflict',
    `A dataset named "${name}" exists but is not the derived task the sweep needs; rename or delete it.`,
  );
}

async function importDerived(
  ctx: DataContext,
  name: string,
  images: readonly StoredImage[],
  profiles: readonly MaskProfile[],
  level: SweepLevel,
): Promise<number> {
  const masks: { file: string; foreground: number }[] = [];
  for (const profile of profiles) {
    const data = transformMask(profile, level.operation, level.radius);
    const png = await encodeMask({ data, width: profile.width, height: profile.height });
    masks.push({
      file: await storeContent(ctx.dataDir, 'masks', png, 'png'),
      foreground: foregroundFraction(data),
    });
  }
  return withStoreErrors(ctx.db, () =>
    writeTransaction(ctx.db, () => {
      const dataset = createDataset(ctx.db, name);
      images.forEach((image, i) => {
        const imageId = insertImage(ctx.db, dataset.id, {
          stem: image.stem,
          split: image.split,
          file: image.file,
          originalName: image.originalName,
          width: image.width,
          height: image.height,
          sha256: image.sha256,
        });
        insertMask(ctx.db, { imageId, ...masks[i]!, source: 'import' });
      });
      return dataset.id;
    }),
  );
}
