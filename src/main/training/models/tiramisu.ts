// A small FC-DenseNet ("Tiramisu", Jégou et al. 2017), the second network van Beers et
// al. trained. Dense blocks of pre-activation layers (BN, ReLU, 3x3 conv producing
// `growth` channels) each see every earlier layer's output; transitions down are
// BN-ReLU-1x1 conv + 2x2 max-pool; going up, only the features a block created are
// upsampled (3x3 stride-2 transposed conv) and concatenated with the skip. Dropout is
// left out: it would make runs depend on the dropout RNG and costs time on CPU.
import * as tf from '@tensorflow/tfjs';
import { Layers, type Symbolic } from './blocks';
import type { ModelConfig } from './index';

/** Layers per dense block, as in FC-DenseNet56. */
const LAYERS_PER_BLOCK = 4;

export function buildTiramisu(config: ModelConfig): tf.LayersModel {
  const { size, channels, baseFilters, depth, batchNorm } = config;
  const upsampling = config.upsampling ?? 'transpose';
  // FC-DenseNet56 pairs a 48-filter stem with growth 12; keeping that 4:1 ratio, base
  // 48 and depth 6 rebuild it (without dropout), and the default base 16 costs about
  // half the U-Net's FLOPs.
  const growth = Math.max(1, Math.round(baseFilters / 4));
  const layers = new Layers(config.seed, batchNorm);

  /** Returns the block's input with its new features appended, and the new features alone. */
  const denseBlock = (x: Symbolic, name: string): { all: Symbolic; added: Symbolic } => {
    const added: Symbolic[] = [];
    for (let n = 1; n <= LAYERS_PER_BLOCK; n++) {
      const h = layers.normRelu(x, `${name}_l${n}`);
      const features = layers.conv(h, growth, 3, `${name}_l${n}_conv`);
      added.push(features);
      x = layers.concat([x, features], `${name}_l${n}_concat`);
    }
    return { all: x, added: layers.concat(added, `${name}_added`) };
  };

  const input = tf.input({ shape: [size, size, channels], name: 'image' });
  let x = layers.conv(input, baseFilters, 3, 'stem');
  let width = baseFilters;
  const skips: Symbolic[] = [];
  for (let level = 0; level < depth - 1; level++) {
    x = denseBlock(x, `down${level}`).all;
    width += LAYERS_PER_BLOCK * growth;
    skips.push(x);
    x = layers.normRelu(x, `down${level}_td`);
    x = layers.conv(x, width, 1, `down${level}_td_conv`);
    x = layers.pool(x, `down${level}_td_pool`);
  }
  let block = denseBlock(x, 'bottom');
  for (let level = depth - 2; level >= 0; level--) {
    const up = layers.up(block.added, upsampling, LAYERS_PER_BLOCK * growth, 3, `up${level}_tu`);
    x = layers.concat([skips[level] as Symbolic, up], `up${level}_concat`);
    block = denseBlock(x, `up${level}`);
  }
  return tf.model({ inputs: input, outputs: layers.head(block.all), name: 'tiramisu' });
}
