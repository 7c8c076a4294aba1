// Segmentation networks the trainer can build. Every model maps [batch, size, size,
// channels] images to [batch, size, size, 1] logits: the sigmoid lives in the losses
// (numerically stable BCE needs logits) and in whoever wants probabilities.
import type * as tf from '@tensorflow/tfjs';
import type { ModelId } from '../../../shared/ids';
import { buildTiramisu } from './tiramisu';
import { buildUnet } from './unet';

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

export function buildModel(config: ModelConfig): tf.LayersModel {
  validate(config);
  switch (config.model) {
    case 'unet':
      return buildUnet(config);
    case 'tiramisu':
      return buildTiramisu(config);
  }
}

function validate(config: ModelConfig): void {
  const { size, channels, baseFilters, depth } = config;
  for (const [name, value] of Object.entries({ size, channels, baseFilters, depth })) {
    if (!Number.isInteger(value) || value < 1) {
      throw new Error(`Model ${name} must be a positive integer, got ${value}.`);
    }
  }
  const step = 2 ** (depth - 1);
  if (size % step !== 0) {
    throw new Error(
      `Model size ${size} must be a multiple of ${step} for depth ${depth} (${depth - 1} poolings).`,
    );
  }
}
