// Writes a dataset's current masks out as STEM.png (8-bit, 0/255), the form the importer
// reads back. Stems repeat across splits (train/1.png and test/1.png), so a dataset with
// more than one split gets one subfolder per split.
import { readFile } from 'node:fs/promises';
import type { AppContext } from '../context';
import { absolutePath, exportToFolder, ioError, type ExportFile } from '../files';
import { getDataset } from '../store/datasets';
import { listStoredImages } from '../store/images';

export async function exportMasks(
  ctx: AppContext,
  datasetId: number,
  folder: string,
  options: { overwrite?: boolean } = {},
): Promise<{ folder: string; count: number }> {
  const dataset = getDataset(ctx.db, datasetId);
  const bySplit = Object.values(dataset.splits).filter((n) => n > 0).length > 1;
  const masked = listStoredImages(ctx.db, datasetId).filter((image) => image.maskFile);

  const files: ExportFile[] = [];
  for (const image of masked) {
    const source = absolutePath(ctx.dataDir, image.maskFile!);
    const bytes = await readFile(source).catch((error: unknown) => {
      throw ioError('read', source, error);
    });
    files.push({ name: bySplit ? `${image.split}/${image.stem}.png` : `${image.stem}.png`, bytes });
  }
  const { folder: target } = await exportToFolder(folder, files, options);
  return { folder: target, count: masked.length };
}
