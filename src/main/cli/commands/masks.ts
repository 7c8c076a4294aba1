// `jaccard masks <folder> --dataset <d>` and `jaccard masks --accept --dataset <d>`: the
// annotator's saves, headless, for the label-train-correct loop in a terminal. Masks in
// the folder (STEM.png, any format masks import in) become the current masks of the
// dataset's images of the same stem, as the user's own; --accept takes every untouched
// pre-label as it is.
import { readRegularFile, UnreadableFile } from '../../files';
import { join } from 'node:path';
import type { ImportProblem } from '#shared/domain';
import { ApiError } from '#shared/errors';
import { saveMask } from '../../images/save-mask';
import { folderSources } from '../../predict/folder';
import { listStoredImages } from '../../store/images';
import { acceptPrelabels } from '../../store/masks';
import { resolveDatasetId } from '../../store/datasets';
import { printJson, UsageError, withContext, type Command } from '../command';
import { printable } from '../helpers';

export const masksCommand: Command = {
  usage: 'masks (<folder> | --accept) --dataset <name or id>',
  summary:
    "Set a dataset's masks from a folder of STEM.png files (your corrections), or accept its pre-labels as they are.",
  options: {
    dataset: { type: 'string', description: 'the dataset whose masks to set (name or id)' },
    accept: { type: 'boolean', description: 'accept every untouched pre-label as a mask' },
  },
  async run({ dataDir, json, positionals, values }) {
    if (typeof values.dataset !== 'string') {
      throw new UsageError('say which dataset: --dataset <name or id>.');
    }
    if ((positionals.length === 1) === (values.accept === true) || positionals.length > 1) {
      throw new UsageError('give one folder of masks, or --accept.');
    }
    const result = await withContext(dataDir, async (ctx) => {
      const datasetId = resolveDatasetId(ctx.db, values.dataset as string);
      const images = listStoredImages(ctx.db, datasetId);
      if (values.accept) {
        const accepted = acceptPrelabels(
          ctx.db,
          images.map((i) => i.id),
        );
        return { datasetId, saved: accepted.length, problems: [] as ImportProblem[] };
      }
      const byStem = new Map(images.map((i) => [i.stem, i]));
      const { sources, problems } = await folderSources(positionals[0]!);
      let saved = 0;
      for (const { name, stem } of sources) {
        const image = byStem.get(stem);
        if (!image) {
          problems.push({ file: name, reason: `no image "${stem}" in the dataset` });
          continue;
        }
        try {
          const png = await readRegularFile(join(positionals[0]!, name));
          await saveMask(ctx, { imageId: image.id, png, baseRevision: null, source: 'annotation' });
          saved++;
        } catch (error) {
          if (!(error instanceof ApiError || error instanceof UnreadableFile)) throw error;
          problems.push({ file: name, reason: error.message });
        }
      }
      return { datasetId, saved, problems };
    });
    if (json) {
      printJson(result);
      return;
    }
    for (const p of result.problems)
      process.stderr.write(`skipped ${printable(p.file)}: ${p.reason}\n`);
    process.stdout.write(
      `${values.accept ? 'Accepted' : 'Saved'} ${result.saved} mask(s) in dataset ${result.datasetId}.\n`,
    );
    if (result.saved === 0 && result.problems.length > 0) process.exitCode = 1;
  },
};
