// Predicting a batch of images into a folder of the user's: a folder of new photos, or a
// dataset's stored images. One 0/255 PNG mask per image at the image's own size and
// orientation, named by its stem, and optionally its 8-bit probability map. Shared by
// `jaccard predict` and the app's "Predict folder…".
import { lstat, readdir, readFile, stat } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import type { PredictFolderReport, Run } from '#shared/domain';
import { ApiError } from '#shared/errors';
import { absolutePath, ioError, readRegularFile, writeFileAtomic } from '../files';
import { decodeImage, encodePng, IMAGE_EXTENSIONS } from '../images/decode';
import type { RawImage } from '../images/raw';
import type { Db } from '../store/database';
import { listStoredImages } from '../store/images';
import { predictOptionsOf, predictProbabilities, thresholdMask } from './predict';
import { openRuntime, type RuntimeChoice } from './runtimes';

export interface PredictSource {
  /** How the report names it: the file name, or the stored image's stem. */
  name: string;
  stem: string;
  read(): Promise<RawImage>;
}

const naturalOrder = new Intl.Collator('en', { numeric: true }).compare;

/**
 * The images directly in `folder`, by extension, in natural order. Anything named like
 * an image that is not a regular file (a folder, a pipe, a device, a link to one) is
 * reported, never read: opening a FIFO would block and /dev/zero never ends.
 */
export async function folderSources(
  folder: string,
): Promise<{ sources: PredictSource[]; problems: PredictFolderReport['problems'] }> {
  const root = resolve(folder);
  const entries = await readdir(root).catch((error: unknown) => {
    throw ioError('read', root, error);
  });
  const sources: PredictSource[] = [];
  const problems: PredictFolderReport['problems'] = [];
  for (const name of entries.sort(naturalOrder)) {
    if (!IMAGE_EXTENSIONS.has(extname(name).toLowerCase())) continue;
    const path = join(root, name);
    // After links: a link to /dev/zero is a device, not a file.
    const info = await stat(path).catch(() => null);
    if (!info?.isFile()) {
      problems.push({
        file: name,
        reason: info?.isDirectory() ? 'a folder, not an image' : 'not a regular file',
      });
      continue;
    }
    sources.push({
      name,
      stem: name.slice(0, -extname(name).length),
      read: async () => decodeImage(await readRegularFile(path)),
    });
  }
  return { sources, problems };
}

/** Every image of a dataset, from its stored copies (shaped as folderSources answers). */
export function datasetSources(
  db: Db,
  dataDir: string,
  datasetId: number,
): { sources: PredictSource[]; problems: PredictFolderReport['problems'] } {
  const sources = listStoredImages(db, datasetId).map((image) => ({
    name: image.originalName,
    stem: image.stem,
    read: async () => decodeImage(await readFile(absolutePath(dataDir, image.file))),
  }));
  return { sources, problems: [] };
}

export interface PredictFolderOptions {
  run: Run;
  dataDir: string;
  sources: readonly PredictSource[];
  /** Problems found while listing the sources, carried into the report. */
  problems?: PredictFolderReport['problems'];
  out: string;
  threshold: number;
  probabilities: boolean;
  overwrite: boolean;
  runtime?: RuntimeChoice;
  onProgress?(done: number, total: number, name: string): void;
}

export async function predictToFolder(options: PredictFolderOptions): Promise<PredictFolderReport> {
  const { run, sources } = options;
  if (run.status !== 'finished') {
    throw new ApiError('invalid', `Run ${run.id} is ${run.status}; only finished runs predict.`);
  }
  const out = resolve(options.out);
  await refuseNonEmpty(out, options.overwrite);
  const problems = [...(options.problems ?? [])];
  const started = performance.now();
  const runtime = await openRuntime(options.dataDir, run, options.runtime);
  const stems = new Map<string, string>();
  let images = 0;
  try {
    for (const [i, source] of sources.entries()) {
      const clash = stems.get(source.stem);
      if (clash !== undefined) {
        problems.push({ file: source.name, reason: `same name as ${clash}; predicted once` });
      } else {
        stems.set(source.stem, source.name);
        const image = await source.read().catch((error: unknown) => {
          problems.push({ file: source.name, reason: (error as Error).message });
          return null;
        });
        if (image) {
          const prob = await predictProbabilities(runtime, image, predictOptionsOf(run.config));
          const { width, height } = image;
          const mask = thresholdMask(prob, options.threshold);
          await writeFileAtomic(
            join(out, `${source.stem}.png`),
            await encodePng({ data: mask, width, height, channels: 1 }),
          );
          if (options.probabilities) {
            await writeFileAtomic(
              join(out, 'probabilities', `${source.stem}.png`),
              await encodePng({ data: prob, width, height, channels: 1 }),
            );
          }
          images++;
        }
      }
      options.onProgress?.(i + 1, sources.length, source.name);
    }
  } finally {
    runtime.dispose();
  }
  const seconds = (performance.now() - started) / 1000;
  return {
    runId: run.id,
    out,
    images,
    seconds,
    imagesPerSecond: seconds > 0 ? images / seconds : 0,
    runtime: runtime.id,
    threshold: options.threshold,
    problems,
  };
}

/** Predictions never land among a user's files unasked. */
async function refuseNonEmpty(out: string, overwrite: boolean): Promise<void> {
  const info = await lstat(out).catch(() => null);
  if (!info) return;
  if (!info.isDirectory()) {
    throw new ApiError(
      'invalid',
      `${out} is ${info.isSymbolicLink() ? 'a link' : 'a file'}, not a folder.`,
    );
  }
  if (!overwrite && (await readdir(out)).length > 0) {
    throw new ApiError(
      'conflict',
      `${out} is not empty. Choose an empty folder, or overwrite files of the same names.`,
    );
  }
}
