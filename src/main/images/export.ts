// Writes a dataset's current masks out as STEM.png (8-bit, 0/255), the form the importer
// reads back. Stems repeat across splits (train/1.png and test/1.png), so a dataset with
// more than one split gets one subfolder per split.
import { mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ApiError } from '../../shared/errors';
import type { AppContext } from '../context';
import { absolutePath, ioError, writeFileAtomic } from '../files';
import { getDataset } from '../store/datasets';
import { listStoredImages } from '../store/images';

export async function exportMasks(
  ctx: AppContext,
  datasetId: number,
  folder: string,
): Promise<{ folder: string; count: number }> {
  const target = resolve(folder);
  const dataset = getDataset(ctx.db, datasetId);
  const bySplit = Object.values(dataset.splits).filter((n) => n > 0).length > 1;
  const masked = listStoredImages(ctx.db, datasetId).filter((image) => image.maskFile);

  const writes: { path: string; bytes: Uint8Array }[] = [];
  const clashes: string[] = [];
  for (const image of masked) {
    const name = bySplit ? `${image.split}/${image.stem}.png` : `${image.stem}.png`;
    const path = join(target, name);
    const source = absolutePath(ctx.dataDir, image.maskFile!);
    const bytes = await readFile(source).catch((error: unknown) => {
      throw ioError('read', source, error);
    });
    const existing = await readFile(path).catch(() => null);
    if (existing === null) writes.push({ path, bytes });
    else if (!existing.equals(bytes)) clashes.push(name);
  }
  // Checked before anything is written, so a refused export leaves the folder as it was.
  if (clashes.length > 0) {
    const shown = clashes.slice(0, 5).join(', ') + (clashes.length > 5 ? ', …' : '');
    throw new ApiError(
      'conflict',
      `${clashes.length} file(s) in ${target} differ from the masks and were not overwritten ` +
        `(${shown}). Export into an empty folder, or move those files away first.`,
    );
  }
  await mkdir(target, { recursive: true }).catch((error: unknown) => {
    throw ioError('create', target, error);
  });
  for (const { path, bytes } of writes) await writeFileAtomic(path, bytes);
  return { folder: target, count: masked.length };
}
