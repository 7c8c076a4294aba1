// U-Net (Ronneberger et al. 2015) with 'same' padding so the mask matches the input:
// per level two 3x3 conv + ReLU, 2x2 max-pool down, 2x2 transposed conv (or bilinear
// resize) up, skips concatenated, 1x1 head. Filters double per level.
import * as tf from '@tensorflow/tfjs';
import { Layers, type Symbolic } from './blocks';
import type { ModelConfig } from './index';

export function buildUnet(config: ModelConfig): tf.LayersModel {
  const { size, channels, baseFilters, depth, batchNorm } = config;
  const upsampling = config.upsampling ?? 'transpose';
  const layers = new Layers(config.seed, batchNorm);
  const filters = (level: number) => baseFilters * 2 ** level;

  const doubleConv = (x: Symbolic, level: number, name: string): Symbolic => {
    for (const n of [1, 2]) {
      // Batch norm's beta makes a conv bias redundant.
      x = layers.conv(x, filters(level), 3, `${name}_conv${n}`, !batchNorm);
      x = layers.normRelu(x, `${name}_conv${n}`);
    }
    return x;
  };

  const input = tf.input({ shape: [size, size, channels], name: 'image' });
  const skips: Symbolic[] = [];
  let x: Symbolic = input;
  for (let level = 0; level < depth - 1; level++) {
    x = doubleConv(x, level, `enc${level}`);
    skips.push(x);
    x = layers.pool(x, `enc${level}_pool`);
  }
  x = doubleConv(x, depth - 1, 'bottom');
  for (let level = depth - 2; level >= 0; level--) {
    x = layers.up(x, upsampling, filters(level), 2, `dec${level}_up`);
    x = layers.concat([skips[level] as Symbolic, x], `dec${level}_concat`);
    x = doubleConv(x, level, `dec${level}`);
  }
  return tf.model({ inputs: input, outputs: layers.head(x), name: 'unet' });
}
