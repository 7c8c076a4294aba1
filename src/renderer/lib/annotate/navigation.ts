// Which image the annotator opens next: a dataset's first, or the one before or after the
// image on screen, in the "Label next" order while it is followed, else in the dataset's.
import { isPrelabel } from '#shared/domain';
import { api } from '../api';
import { labelOrder } from './label-order.svelte';

/**
 * The image to open for a dataset: its first that needs a mask, else its first pre-label
 * no person has checked, else its first; null when it has none.
 */
export async function firstImage(datasetId: number): Promise<number | null> {
  const needing = await api.call('images.list', { datasetId, filter: 'needs-mask' });
  if (needing[0]) return needing[0].id;
  const all = await api.call('images.list', { datasetId });
  return (all.find((i) => isPrelabel(i.mask)) ?? all[0])?.id ?? null;
}

/**
 * The image `direction` steps from this one (with `needsMaskOnly`, only images without
 * a mask count), or why there is none, in words for the user.
 */
export async function neighbour(
  datasetId: number,
  imageId: number,
  direction: 1 | -1,
  needsMaskOnly: boolean,
): Promise<{ imageId: number } | { none: string }> {
  const queued = await labelOrder.step(datasetId, imageId, direction);
  if (queued !== undefined) {
    if (queued) return { imageId: queued.imageId };
    return { none: direction > 0 ? 'Every image in the order is done.' : 'This is the first.' };
  }
  const all = await api.call('images.list', { datasetId });
  const at = all.findIndex((i) => i.id === imageId);
  for (let k = at + direction; k >= 0 && k < all.length; k += direction) {
    const candidate = all[k]!;
    if (!needsMaskOnly || candidate.mask === null) return { imageId: candidate.id };
  }
  const which = needsMaskOnly ? ' that needs a mask' : '';
  return { none: direction > 0 ? `No next image${which}.` : `No previous image${which}.` };
}
