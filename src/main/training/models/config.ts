// What a network is built from, and whether that shape can be built at all. Kept apart
// from the builders so the API and CLI can reject a bad config without loading tfjs.
import type { ModelId } from '#shared/ids';

export interface ModelConfig {
  model: ModelId;
  /** Square input side in pixels. */
  size: number;
  channels: number;
  /** Width of the first level; U-Net doubles it per level, Tiramisu layers each add a quarter of it. */
  baseFilters: number;
  /** Resolution levels: depth 4 means three 2x2 poolings, so size must divide by 2^(depth-1). */
  depth: number;
  batchNorm: boolean;
  upsampling?: 'transpose' | 'bilinear';
  /** Seeds every initializer, so the same config and seed give the same starting weights. */
  seed?: number;
}

/**
 * Why no network of this shape can be built, or null when one can. A training config
 * has no channels (the data decides them), so they are checked only when given.
 */
export function modelConfigError(
  config: Pick<ModelConfig, 'size' | 'baseFilters' | 'depth'> & Partial<ModelConfig>,
): string | null {
  const { size, baseFilters, depth, channels } = config;
  const counts = { size, ...(channels === undefined ? {} : { channels }), baseFilters, depth };
  for (const [name, value] of Object.entries(counts)) {
    if (!Number.isInteger(value) || value < 1) {
      return `Model ${name} must be a positive integer, got ${value}.`;
    }
  }
  const step = 2 ** (depth - 1);
  if (size % step !== 0) {
    return `Model size ${size} must be a multiple of ${step} for depth ${depth} (${depth - 1} poolings).`;
  }
  return null;
}
