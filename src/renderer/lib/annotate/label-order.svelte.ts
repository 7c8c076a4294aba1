// "Label next": the order the engine says a dataset's images need a person in (least
// certain pre-label first). Once the user starts it, the annotator's next/previous walk
// this order instead of the dataset's, until they leave it or it runs out. The order is
// the one fetched at the start, so a corrected image keeps its place for "previous"
// while "next" skips what no longer needs anyone.
import type { LabelQueue } from '#shared/domain';
import { api } from '../api';

type Entry = LabelQueue['images'][number];

class LabelOrder {
  /** The dataset whose order is followed, or null when the annotator walks the dataset. */
  datasetId = $state<number | null>(null);
  measure = $state('');
  images = $state.raw<Entry[]>([]);

  /** Fetches the dataset's order and follows it; answers the image to open first. */
  async start(datasetId: number): Promise<Entry | null> {
    const queue = await api.call('images.labelNext', { datasetId });
    this.datasetId = datasetId;
    this.measure = queue.measure;
    this.images = queue.images;
    return queue.images[0] ?? null;
  }

  stop(): void {
    this.datasetId = null;
    this.images = [];
  }

  /** This image's place in the order being followed, if it has one. */
  entry(datasetId: number, imageId: number): { at: number; entry: Entry } | null {
    if (this.datasetId !== datasetId) return null;
    const at = this.images.findIndex((e) => e.imageId === imageId);
    return at < 0 ? null : { at, entry: this.images[at]! };
  }

  /**
   * The image after (or before) this one in the order that still needs a person, or null
   * at the end; undefined when the order is not followed from this image.
   */
  async step(
    datasetId: number,
    imageId: number,
    direction: 1 | -1,
  ): Promise<Entry | null | undefined> {
    const place = this.entry(datasetId, imageId);
    if (!place) return undefined;
    if (direction < 0) return this.images[place.at - 1] ?? null;
    // Asked fresh: images accepted, corrected, excluded or deleted since drop out.
    const waiting = new Set(
      (await api.call('images.labelNext', { datasetId })).images.map((e) => e.imageId),
    );
    return this.images.slice(place.at + 1).find((e) => waiting.has(e.imageId)) ?? null;
  }
}

export const labelOrder = new LabelOrder();
