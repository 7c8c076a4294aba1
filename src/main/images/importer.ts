// Folder import: everything is decoded, checked and copied into the data folder first,
// then all rows go in with one transaction. A crash before the commit leaves no rows,
// only content-addressed files that the next import of the same folder reuses (and that
// garbage collection removes if none does).
import { stat } from 'node:fs/promises';
import { availableParallelism, totalmem } from 'node:os';
import { basename, resolve } from 'node:path';
import type { ImportProblem, ImportReport } from '#shared/domain';
import { ApiError } from '#shared/errors';
import type { Split } from '#shared/ids';
import type { AppContext } from '../context';
import {
  fsReason,
  readRegularFile,
  sha256,
  storeContent,
  sweepStaleTempFiles,
  UnreadableFile,
  withStoreErrors,
} from '../files';
import { registerWriter } from '../gc';
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
import { DecodeError, decodedSize, decodeImage, describeScaling, displayCopy } from './decode';
import { scanFolder, type Candidate } from './layout';
import { encodeMask, readMask } from './mask';

export interface ImportOptions {
  folder: string;
  /** Import into this dataset... */
  datasetId?: number;
  /** ...or into the dataset of this name, created if there is none (default: folder name). */
  name?: string;
  /** Bytes that decoding may hold at once (default: decodeBudget()). */
  memoryBudget?: number;
}

/**
 * What decoding may hold at once: an eighth of the machine's memory, within 512 MiB and
 * 2 GiB. Decoders run as many as fit (and at most one per core); an image larger than
 * the whole budget decodes alone. A 16000x16000 PNG decodes to 768 MB however small
 * its file, so counting cores alone let a 16-core machine hold 12 GB.
 */
export function decodeBudget(): number {
  return Math.min(2 * 1024 ** 3, Math.max(512 * 1024 ** 2, Math.floor(totalmem() / 8)));
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
  // Until the rows are in, the files this import stores are referenced by nothing.
  const unregister = await registerWriter(ctx.dataDir);
  try {
    let done = 0;
    const total = plan.candidates.length;
    const gate = new MemoryGate(options.memoryBudget ?? decodeBudget());
    const prepared = await mapLimit(plan.candidates, availableParallelism(), async (candidate) => {
      const result = await prepare(ctx.dataDir, candidate, gate);
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
    const committed = commit(ctx, datasetId, name, prepared);
    const splits: Record<Split, number> = { train: 0, test: 0, unassigned: 0 };
    for (const { image } of committed.accepted) splits[image!.split] += 1;
    return {
      dataset: getDataset(ctx.db, committed.id),
      images: committed.accepted.length,
      masks: committed.accepted.filter((a) => a.mask).length,
      splits,
      problems: [...plan.problems, ...committed.problems],
    };
  } finally {
    await unregister();
  }
}

/**
 * Inserts the prepared images in one transaction. Duplicates are checked inside it, under
 * the write lock: another import of the same files (the CLI and the app at once) may
 * have committed since this one started, and its rows must count as duplicates, not
 * fail the insert on the UNIQUE constraint.
 */
function commit(
  ctx: AppContext,
  datasetId: number | null,
  name: string,
  prepared: Prepared[],
): { id: number; accepted: Prepared[]; problems: ImportProblem[] } {
  return withStoreErrors(ctx.db, () =>
    writeTransaction(ctx.db, () => {
      const id = datasetId ?? findDatasetId(ctx.db, name) ?? createDataset(ctx.db, name).id;
      const existing: ImageKeys = imageKeys(ctx.db, id);
      const problems: ImportProblem[] = [];
      const accepted: Prepared[] = [];
      for (const item of prepared) {
        problems.push(...item.problems);
        const { image, mask, candidate } = item;
        if (!image) continue;
        const check = checkDuplicate(image, existing);
        if (check) problems.push({ file: candidate.imageName, reason: check.reason });
        if (check?.skip) continue;
        addImageKey(existing, image.split, image.stem, image.sha256, image.originalName);
        const imageId = insertImage(ctx.db, id, image);
        if (mask) insertMask(ctx.db, { imageId, ...mask, source: 'import' });
        accepted.push(item);
      }
      return { id, accepted, problems };
    }),
  );
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
 * reported, and so is every file imported otherwise than as it was (values rescaled, a
 * mask read by its alpha) or that holds nothing (an empty or full mask, a flat image);
 * failing to write the data folder throws, since nothing else would succeed.
 */
async function prepare(dataDir: string, candidate: Candidate, gate: MemoryGate): Promise<Prepared> {
  const result: Prepared = { candidate, image: null, mask: null, problems: [] };
  const problem = (file: string, reason: string) => result.problems.push({ file, reason });

  const bytes = await readSource(candidate.image, candidate.imageName, 'image', problem);
  if (!bytes) return result;
  const size = await gate.run(bytes.length + (await decodedSize(bytes)), async () => {
    let decoded;
    try {
      decoded = await decodeImage(bytes);
    } catch (error) {
      if (!(error instanceof DecodeError)) throw error;
      const andMask = candidate.mask ? ' (so its mask was not imported either)' : '';
      problem(candidate.imageName, `image skipped: ${error.message}${andMask}`);
      return null;
    }
    if (decoded.scaled) {
      problem(candidate.imageName, `imported as 8-bit: its ${describeScaling(decoded.scaled)}`);
    } else if (isFlat(decoded.data)) {
      problem(candidate.imageName, 'imported, but every pixel has the same value');
    }
    const hash = sha256(bytes);
    const copy = await displayCopy(bytes, decoded);
    const { width, height } = decoded;
    result.image = {
      stem: candidate.stem,
      split: candidate.split,
      file: await storeContent(dataDir, 'images', copy.bytes, copy.ext, hash),
      originalName: candidate.imageName,
      width,
      height,
      sha256: hash,
    };
    return { width, height };
  });
  if (!size || !candidate.mask || !candidate.maskName) return result;
  const maskName = candidate.maskName;
  const maskBytes = await readSource(candidate.mask, maskName, 'mask', problem);
  if (!maskBytes) return result;
  // The decoded samples, plus the two one-byte readings normalizeMask keeps.
  const cost = maskBytes.length + (await decodedSize(maskBytes)) + 2 * size.width * size.height;
  result.mask = await gate.run(cost, async () => {
    let read;
    try {
      read = await readMask(maskBytes);
    } catch (error) {
      if (!(error instanceof DecodeError)) throw error;
      problem(maskName, `mask skipped: ${error.message}`);
      return null;
    }
    const { mask, byAlpha, foreground } = read;
    if (mask.width !== size.width || mask.height !== size.height) {
      problem(
        maskName,
        `mask skipped: it is ${mask.width}x${mask.height} but its image is ` +
          `${size.width}x${size.height}`,
      );
      return null;
    }
    if (byAlpha) {
      problem(
        maskName,
        'mask read by its alpha channel: every visible pixel has the same colour, so ' +
          'opaque is foreground and transparent background',
      );
    }
    if (foreground === 0) {
      problem(maskName, 'imported, but the mask is empty: no foreground pixels');
    } else if (foreground === 1) {
      problem(maskName, 'imported, but the mask is all foreground');
    }
    const png = await encodeMask(mask);
    return {
      file: await storeContent(dataDir, 'masks', png, 'png'),
      foreground,
    };
  });
  return result;
}

function isFlat(data: Uint8Array): boolean {
  for (let i = 1; i < data.length; i++) if (data[i] !== data[0]) return false;
  return true;
}

async function readSource(
  path: string,
  name: string,
  kind: 'image' | 'mask',
  problem: (file: string, reason: string) => void,
): Promise<Uint8Array | null> {
  try {
    return await readRegularFile(path);
  } catch (error) {
    if (!(error instanceof UnreadableFile)) throw error;
    problem(name, `${kind} skipped: ${error.message}`);
    return null;
  }
}

/**
 * Admits work by the memory it will hold: entries wait while the budget is taken, except
 * that one always runs when nothing else does, however large (so nothing waits forever).
 * Waiters enter in order, so a large one is not starved by a stream of small ones.
 */
export class MemoryGate {
  private used = 0;
  private readonly queue: { bytes: number; admit: () => void }[] = [];
  peak = 0;

  constructor(readonly budget: number) {}

  /** Runs fn once `bytes` fit, and frees them when it settles. */
  async run<T>(bytes: number, fn: () => Promise<T>): Promise<T> {
    if (this.queue.length > 0 || !this.fits(bytes)) {
      await new Promise<void>((admit) => this.queue.push({ bytes, admit }));
    } else this.take(bytes);
    try {
      return await fn();
    } finally {
      this.used -= bytes;
      this.admitWaiting();
    }
  }

  private fits(bytes: number): boolean {
    return this.used === 0 || this.used + bytes <= this.budget;
  }

  private take(bytes: number): void {
    this.used += bytes;
    this.peak = Math.max(this.peak, this.used);
  }

  private admitWaiting(): void {
    while (this.queue.length > 0 && this.fits(this.queue[0]!.bytes)) {
      const next = this.queue.shift()!;
      this.take(next.bytes);
      next.admit();
    }
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
