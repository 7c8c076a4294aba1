// run.json, written beside an exported model (tfjs or ONNX): everything another program
// needs to feed the network as it was trained and read what comes out, and how it scored.
import type { Run } from '#shared/domain';
import { describeInput, inputOf } from '#shared/input';
import { INPUT_NAME, OPSET, OUTPUT_NAME } from './export';

export type ExportFormat = 'tfjs' | 'onnx';

export const EXPORT_FORMATS = ['tfjs', 'onnx'] as const satisfies readonly ExportFormat[];

export function modelCard(run: Run, format: ExportFormat): Record<string, unknown> {
  const { size } = run.config;
  const input = inputOf(run.config);
  const model =
    format === 'onnx'
      ? {
          format: 'onnx',
          file: 'model.onnx',
          opset: OPSET,
          input: `"${INPUT_NAME}": float32 [batch, height, width, 3], channels last (NHWC)`,
          output: `"${OUTPUT_NAME}": float32 [batch, height, width, 1], foreground probability (sigmoid applied)`,
          dynamicAxes:
            'batch, height and width; trained at ' +
            `${size}x${size}, other sides must be multiples of ${2 ** (run.config.depth - 1)}`,
        }
      : {
          format: 'tfjs-layers',
          files: ['model.json', 'weights.bin'],
          input: `float32 [batch, ${size}, ${size}, 3], channels last (NHWC)`,
          output: `float32 [batch, ${size}, ${size}, 1] logits; sigmoid gives the probability`,
        };
  return {
    name: run.name,
    run: run.id,
    dataset: run.datasetName,
    model,
    preprocessing: {
      size,
      mode: input,
      described: describeInput(input, size),
      channels: 'RGB (greyscale images repeated to three channels, alpha dropped)',
      normalisation: 'pixel / 255, so values in [0, 1]; no mean or std',
      resampling:
        "bilinear (sharp's 'linear' kernel); 'resize' centres the scaled image and pads with black",
    },
    postprocessing: {
      threshold: 0.5,
      meaning: 'foreground where probability >= threshold',
    },
    config: run.config,
    trainedOn: run.backend,
    bestValIou: run.bestValIou,
    test: run.test,
  };
}
