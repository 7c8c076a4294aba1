// Segmentation networks the trainer can build. Every model maps [batch, size, size,
// channels] images to [batch, size, size, 1] logits: the sigmoid lives in the losses
// (numerically stable BCE needs logits) and in whoever wants probabilities.
import type * as tf from '@tensorflow/tfjs';
import { modelConfigError, type ModelConfig } from './config';
import { buildTiramisu } from './tiramisu';
import { buildUnet } from './unet';

export { modelConfigError, type ModelConfig } from './config';

export function buildModel(config: ModelConfig): tf.LayersModel {
  const problem = modelConfigError(config);
  if (problem) throw new Error(problem);
  switch (config.model) {
    case 'unet':
      return buildUnet(config);
    case 'tiramisu':
      return buildTiramisu(config);
  }
}
