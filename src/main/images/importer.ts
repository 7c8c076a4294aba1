// Folder import: everything is decoded, checked and copied into the data folder first,
// then all rows go in with one transaction. A crash before the commit leaves no rows,
// only content-addressed files that the next import of the same folder reuses.
import { readFile, stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { basename, resolve } from 'node:path';
import type { ImportProblem, ImportReport } from '../../shared/domain';
import { ApiError } from '../../shared/errors';
import type { Split } from '../../shared/ids';
import type { AppContext } from '../context';
import { fsReason, sha256, storeContent, sweepStaleTempFiles, withStoreErrors } from '../files';
import { writeTransaction } from '../store/database';
import { createDataset, findDatasetId, getDataset } from '../store/datasets';
import {
  addImageKey,
  imageKeys,
  insertImage,
  type ImageKeys,
  type NewImage,
} from '../store/images';
import { insertMask } from '../store/masks';
import { DecodeError, decodeImage, displayCopy } from './decode';
import { scanFolder, type Candidate } from './layout';
import { encodeMask, foregroundFraction, normalizeMask } from './mask';

export interface ImportOptions {
  folder: string;
  /** Import into this dataset... */
  datasetId?: number;
  /** ...or into the dataset of this name, created if there is none (default: folder name). */
  name?: string;
}

interface Prepared {
  candidate: Candidate;
  image: NewImage | null;
  mask: { file: string; foreground: number } | null;
  problems: ImportProblem[];
}

export async function importFolder(ctx: AppContext, options: ImportOptions): Promise<ImportReport> {
  const folder = resolve(options.folder);
  const info = await stat(folder).catch((error: unknown) => {
    throw new ApiError('not-found', `Cannot open ${folder}: ${fsReason(error)}.`);
  });
  if (!info.isDirectory()) throw new ApiError('invalid', `${folder} is not a folder.`);

  const name = options.name?.trim() || basename(folder);
  const datasetId =
    options.datasetId === undefined
      ? findDatasetId(ctx.db, name)
      : getDataset(ctx.db, options.datasetId).id;

  const plan = await scanFolder(folder).catch((error: unknown) => {
    throw new ApiError('io', `Cannot read ${folder}: ${fsReason(error)}.`);
  });
  if (plan.candidates.length === 0) {
    throw new ApiError(
      'invalid',
      `No images found in ${folder}. Expected train/ and test/ with images/ and masks/, ` +
        'images/ with masks/, or a folder of PNG, JPEG, BMP, TIFF or WebP files.',
    );
  }

  // A killed import's half-written files would otherwise stay forever; its complete
  // ones are content-addressed and get reused below.
  await sweepStaleTempFiles(ctx.dataDir);
  let done = 0;
  const total = plan.candidates.length;
  const prepared = await mapLimit(plan.candidates, availableParallelism(), async (candidate) => {
    const result = await prepare(ctx.dataDir, candidate);
    done += 1;
    // A dataset that is created by this import has no id until the commit: 0 until then.
    ctx.events.emit('import.progress', {
      datasetId: datasetId ?? 0,
      done,
      total,
      file: candidate.imageName,
    });
    return result;
  });

  const existing: ImageKeys =
    datasetId === null ? { stems: new Map(), hashes: new Map() } : imageKeys(ctx.db, datasetId);
  const problems = [...plan.problems];
  const accepted: Prepared[] = [];
  for (const item of prepared) {
    problems.push(...item.problems);
    const { image, candidate } = item;
    if (!image) continue;
    const check = checkDuplicate(image, existing);
    if (check) problems.push({ file: candidate.imageName, reason: check.reason });
    if (check?.skip) continue;
    addImageKey(existing, image.split, image.stem, image.sha256, image.originalName);
    accepted.push(item);
  }

  const id = withStoreErrors(ctx.db, () =>
    writeTransaction(ctx.db, () => {
      const target = datasetId ?? createDataset(ctx.db, name).id;
      for (const { image, mask } of accepted) {
        const imageId = insertImage(ctx.db, target, image!);
        if (mask) insertMask(ctx.db, { imageId, ...mask, source: 'import' });
      }
      return target;
    }),
  );

  const splits: Record<Split, number> = { train: 0, test: 0, unassigned: 0 };
  for (const { image } of accepted) splits[image!.split] += 1;
  return {
    dataset: getDataset(ctx.db, id),
    images: accepted.length,
    masks: accepted.filter((a) => a.mask).length,
    splits,
    problems,
  };
}

/** A duplicate within a split is skipped; the same file in another split is flagged. */
function checkDuplicate(
  image: NewImage,
  existing: ImageKeys,
): { skip: boolean; reason: string } | null {
  const sameStem = existing.stems.get(`${image.split}/${image.stem}`);
  if (sameStem !== undefined) {
    return {
      skip: true,
      reason: `image skipped: the ${image.split} split already has an image named "${image.stem}" (${sameStem})`,
    };
  }
  const splits = existing.hashes.get(image.sha256);
  const sameSplit = splits?.get(image.split);
  if (sameSplit !== undefined) {
    return { skip: true, reason: `image skipped: the same file as ${sameSplit}` };
  }
  const [otherSplit, other] = splits?.entries().next().value ?? [];
  if (otherSplit === undefined) return null;
  // train vs test: a test image seen in training.
  const leak =
    otherSplit !== 'unassigned' && image.split !== 'unassigned'
      ? ': scores on the test split are not independent of training'
      : '';
  return {
    skip: false,
    reason: `imported, but it is the same file as ${other} in the ${otherSplit} split${leak}`,
  };
}

/**
 * Reads, decodes and stores one image and its mask. Problems with the user's files are
 * reported; failing to write the data folder throws, since nothing else would succeed.
 */
async function prepare(dataDir: string, candidate: Candidate): Promise<Prepared> {
  const result: Prepared = { candidate, image: null, mask: null, problems: [] };
  const problem = (file: string, reason: string) => result.problems.push({ file, reason });

  const bytes = await readSource(candidate.image, candidate.imageName, 'image', problem);
  if (!bytes) return result;
  let decoded;
  try {
    decoded = await decodeImage(bytes);
  } catch (error) {
    if (!(error instanceof DecodeError)) throw error;
    const andMask = candidate.mask ? ' (so its mask was not imported either)' : '';
    problem(candidate.imageName, `image skipped: ${error.message}${andMask}`);
    return result;
  }
  const hash = sha256(bytes);
  const copy = await displayCopy(bytes, decoded);
  result.image = {
    stem: candidate.stem,
    split: candidate.split,
    file: await storeContent(dataDir, 'images', copy.bytes, copy.ext, hash),
    originalName: candidate.imageName,
    width: decoded.width,
    height: decoded.height,
    sha256: hash,
  };

  if (candidate.mask && candidate.maskName) {
    const maskBytes = await readSource(candidate.mask, candidate.maskName, 'mask', problem);
    if (!maskBytes) return result;
    let mask;
    try {
      mask = normalizeMask(await decodeImage(maskBytes));
    } catch (error) {
      if (!(error instanceof DecodeError)) throw error;
      problem(candidate.maskName, `mask skipped: ${error.message}`);
      return result;
    }
    if (mask.width !== decoded.width || mask.height !== decoded.height) {
      problem(
        candidate.maskName,
        `mask skipped: it is ${mask.width}x${mask.height} but its image is ` +
          `${decoded.width}x${decoded.height}`,
      );
      return result;
    }
    const png = await encodeMask(mask);
    result.mask = {
      file: await storeContent(dataDir, 'masks', png, 'png'),
      foreground: foregroundFraction(mask.data),
    };
  }
  return result;
}

async function readSource(
  path: string,
  name: string,
  kind: 'image' | 'mask',
  problem: (file: string, reason: string) => void,
): Promise<Uint8Array | null> {
  try {
    return await readFile(path);
  } catch (error) {
    problem(name, `${kind} skipped: cannot read the file (${fsReason(error)})`);
    return null;
  }
}

/** Maps with at most `limit` calls in flight; the first failure stops new calls. */
async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      const index = next++;
      try {
        results[index] = await fn(items[index]!);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}
