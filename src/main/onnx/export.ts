// A tfjs LayersModel of the app's builders as an ONNX model (opset 13), so the network runs
// in ONNX Runtime here and in any ONNX tool elsewhere. Layer by layer, weights re-laid out
// from tfjs's channels-last kernels to ONNX's channels-first ones.
//
// The file takes and gives what the app's networks do, channels last: `image` is
// [batch, height, width, 3] RGB in [0, 1] and `probability` [batch, height, width, 1] the
// sigmoid of the logits. One Transpose at each end keeps the body in ONNX's native NCHW;
// batch, height and width are free (height and width must divide by 2^(depth-1)).
import type * as tf from '@tensorflow/tfjs';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

export const OPSET = 13;
/** ONNX IR version 7 is the first that opset 13 may be paired with. */
const IR_VERSION = 7;
export const INPUT_NAME = 'image';
export const OUTPUT_NAME = 'probability';

const FLOAT = 1;
const ATTR = { FLOAT: 1, INT: 2, STRING: 3, INTS: 7 } as const;

type Attribute = number | string | number[] | { float: number };

interface Node {
  op: string;
  inputs: string[];
  output: string;
  attributes?: Record<string, Attribute>;
}

interface Initializer {
  name: string;
  dims: number[];
  data: Float32Array;
}

interface LayerConfig {
  activation?: string;
  useBias?: boolean;
  padding?: string;
  strides?: number[];
  poolSize?: number[];
  kernelSize?: number[];
  dilationRate?: number | number[];
  dataFormat?: string;
  axis?: number | number[];
  epsilon?: number;
  center?: boolean;
  scale?: boolean;
  size?: number[];
  interpolation?: string;
  maxValue?: number | null;
  threshold?: number;
  negativeSlope?: number;
}

let modelType: protobuf.Type | undefined;

function onnxModelType(): protobuf.Type {
  modelType ??= protobuf
    .loadSync(fileURLToPath(new URL('./onnx.proto', import.meta.url)))
    .lookupType('onnx.ModelProto');
  return modelType;
}

export interface ExportInfo {
  /** Free text for the model's doc string: the run it came from, say. */
  description?: string;
  /** Key/value pairs stored as the model's metadata_props. */
  metadata?: Record<string, string>;
  producerVersion?: string;
}

/** The model as ONNX protobuf bytes. Rejects, naming the layer, on a layer it cannot write. */
export async function exportOnnx(
  model: tf.LayersModel,
  info: ExportInfo = {},
): Promise<Uint8Array> {
  const nodes: Node[] = [];
  const initializers: Initializer[] = [];
  // Every tensor inside the graph is channels first; a layer's output is '<layer>/out', which
  // no graph input, output or weight name can equal.
  const outputOf = new Map<string, string>();

  const weight = (name: string, dims: number[], data: Float32Array) => {
    initializers.push({ name, dims, data });
    return name;
  };

  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    throw new Error('Only models with one input and one output can be exported to ONNX.');
  }
  const channels = model.inputs[0]!.shape[3];
  if (typeof channels !== 'number') throw new Error('The model input has no channel count.');

  // Read asynchronously: a synchronous read throws on the webgpu backend in Node.
  const values = await Promise.all(
    model.layers.map((layer) =>
      Promise.all(layer.getWeights().map(async (w) => (await w.data()) as Float32Array)),
    ),
  );
  for (const [index, layer] of model.layers.entries()) {
    const config = layer.getConfig() as LayerConfig;
    const where = `layer "${layer.name}" (${layer.getClassName()})`;
    if (config.dataFormat !== undefined && config.dataFormat !== 'channelsLast') {
      throw new Error(`Cannot export ${where}: only channels-last layers are supported.`);
    }
    if (layer.inboundNodes.length !== 1) {
      throw new Error(`Cannot export ${where}: it is applied ${layer.inboundNodes.length} times.`);
    }
    const inputs = layer.inboundNodes[0]!.inboundLayers.map((l) => {
      const name = outputOf.get(l.name);
      if (name === undefined) throw new Error(`Cannot export ${where}: its input comes later.`);
      return name;
    });
    const out = `${layer.name}/out`;
    const add = (op: string, ins: string[], attributes?: Record<string, Attribute>, output = out) =>
      nodes.push({ op, inputs: ins, output, attributes });
    const params = weightsOf(layer, values[index]!);

    switch (layer.getClassName()) {
      case 'InputLayer':
        add('Transpose', [INPUT_NAME], { perm: [0, 3, 1, 2] });
        break;
      case 'Conv2D':
      case 'Conv2DTranspose': {
        const transpose = layer.getClassName() === 'Conv2DTranspose';
        const kernel = params.take('kernel');
        const [kh, kw, a, b] = kernel.shape as [number, number, number, number];
        const strides = config.strides ?? [1, 1];
        const dilation = pair(config.dilationRate ?? 1);
        if (dilation[0] !== 1 || dilation[1] !== 1) {
          throw new Error(`Cannot export ${where}: dilated convolutions are not supported.`);
        }
        const ins = [
          inputs[0]!,
          // tfjs kernels are [kh, kw, in, out] (conv) and [kh, kw, out, in] (transposed);
          // ONNX wants [out, in, kh, kw] and [in, out, kh, kw]: the same permutation.
          weight(`${layer.name}/weight`, [b, a, kh, kw], permute(kernel, [3, 2, 0, 1])),
        ];
        if (config.useBias) {
          const bias = params.take('bias');
          ins.push(weight(`${layer.name}/bias`, bias.shape, bias.data));
        }
        const attributes: Record<string, Attribute> = {
          kernel_shape: [kh, kw],
          strides,
          pads: samePads(config.padding, [kh, kw], strides, transpose, where),
        };
        const activation = config.activation ?? 'linear';
        const convOut = activation === 'linear' ? out : `${layer.name}/pre`;
        add(transpose ? 'ConvTranspose' : 'Conv', ins, attributes, convOut);
        if (activation !== 'linear') add(activationOp(activation, where), [convOut]);
        break;
      }
      case 'BatchNormalization': {
        const axis = config.axis ?? -1;
        if (axis !== -1 && axis !== 3) {
          throw new Error(`Cannot export ${where}: only channel-axis batch norm is supported.`);
        }
        const mean = params.take('moving_mean');
        const n = mean.data.length;
        const gamma =
          config.scale === false ? new Float32Array(n).fill(1) : params.take('gamma').data;
        const beta = config.center === false ? new Float32Array(n) : params.take('beta').data;
        const variance = params.take('moving_variance').data;
        add(
          'BatchNormalization',
          [
            inputs[0]!,
            weight(`${layer.name}/scale`, [n], gamma),
            weight(`${layer.name}/bias`, [n], beta),
            weight(`${layer.name}/mean`, [n], mean.data),
            weight(`${layer.name}/var`, [n], variance),
          ],
          { epsilon: { float: config.epsilon ?? 1e-3 } },
        );
        break;
      }
      case 'ReLU':
        if (config.maxValue != null || config.threshold || config.negativeSlope) {
          throw new Error(`Cannot export ${where}: only a plain ReLU is supported.`);
        }
        add('Relu', inputs);
        break;
      case 'Activation':
        add(activationOp(config.activation ?? 'linear', where), inputs);
        break;
      case 'MaxPooling2D': {
        const pool = config.poolSize ?? [2, 2];
        const strides = config.strides ?? pool;
        add('MaxPool', inputs, {
          kernel_shape: pool,
          strides,
          pads: samePads(config.padding, pool, strides, false, where),
        });
        break;
      }
      case 'UpSampling2D': {
        const interpolation = config.interpolation ?? 'nearest';
        const [sh, sw] = config.size ?? [2, 2];
        const scales = `${layer.name}/scales`;
        initializers.push({ name: scales, dims: [4], data: Float32Array.of(1, 1, sh!, sw!) });
        // tf.image's resizes without alignCorners or halfPixelCenters sample at
        // out / scale: ONNX's 'asymmetric'. Nearest floors that coordinate.
        add('Resize', [inputs[0]!, '', scales], {
          mode: interpolation === 'bilinear' ? 'linear' : 'nearest',
          coordinate_transformation_mode: 'asymmetric',
          nearest_mode: 'floor',
        });
        break;
      }
      case 'Concatenate': {
        const axis = config.axis ?? -1;
        if (axis !== -1 && axis !== 3) {
          throw new Error(`Cannot export ${where}: only channel-axis concatenation is supported.`);
        }
        add('Concat', inputs, { axis: 1 });
        break;
      }
      default:
        throw new Error(`Cannot export ${where}: no ONNX translation for this layer type.`);
    }
    params.done(where);
    outputOf.set(layer.name, out);
  }

  const last = outputOf.get(model.outputLayers[0]!.name)!;
  nodes.push({ op: 'Sigmoid', inputs: [last], output: 'probability/nchw' });
  nodes.push({
    op: 'Transpose',
    inputs: ['probability/nchw'],
    output: OUTPUT_NAME,
    attributes: { perm: [0, 2, 3, 1] },
  });
  const outChannels = model.outputs[0]!.shape[3] as number;

  return encode(nodes, initializers, channels, outChannels, model.name, info);
}

function encode(
  nodes: Node[],
  initializers: Initializer[],
  channels: number,
  outChannels: number,
  name: string,
  info: ExportInfo,
): Uint8Array {
  const type = onnxModelType();
  const valueInfo = (valueName: string, lastDim: number) => ({
    name: valueName,
    type: {
      tensorType: {
        elemType: FLOAT,
        shape: {
          dim: [
            { dimParam: 'batch' },
            { dimParam: 'height' },
            { dimParam: 'width' },
            { dimValue: lastDim },
          ],
        },
      },
    },
  });
  const message = type.fromObject({
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: OPSET }],
    producerName: 'jaccard',
    producerVersion: info.producerVersion ?? '',
    docString: info.description ?? '',
    metadataProps: Object.entries(info.metadata ?? {}).map(([key, value]) => ({ key, value })),
    graph: {
      name,
      node: nodes.map((n, i) => ({
        name: `${n.op}_${i}`,
        opType: n.op,
        input: n.inputs,
        output: [n.output],
        attribute: Object.entries(n.attributes ?? {}).map(([k, v]) => attribute(k, v)),
      })),
      initializer: initializers.map((t) => ({
        name: t.name,
        dims: t.dims,
        dataType: FLOAT,
        rawData: littleEndian(t.data),
      })),
      input: [valueInfo(INPUT_NAME, channels)],
      output: [valueInfo(OUTPUT_NAME, outChannels)],
    },
  });
  return type.encode(message).finish();
}

function attribute(name: string, value: Attribute) {
  if (typeof value === 'number') return { name, type: ATTR.INT, i: value };
  if (typeof value === 'string') return { name, type: ATTR.STRING, s: Buffer.from(value) };
  if (Array.isArray(value)) return { name, type: ATTR.INTS, ints: value };
  return { name, type: ATTR.FLOAT, f: value.float };
}

/** ONNX stores raw tensor data little-endian, whatever the host. */
function littleEndian(data: Float32Array): Uint8Array {
  const bytes = new Uint8Array(data.byteLength);
  const view = new DataView(bytes.buffer);
  data.forEach((v, i) => view.setFloat32(i * 4, v, true));
  return bytes;
}

interface Weight {
  shape: number[];
  data: Float32Array;
}

/** The layer's weights by their short name ('kernel', 'gamma'...), each to be used once. */
function weightsOf(layer: tf.layers.Layer, values: readonly Float32Array[]) {
  const left = new Map<string, Weight>();
  layer.weights.forEach((w, i) => {
    const short = w.originalName.split('/').pop()!;
    left.set(short, { shape: w.shape as number[], data: values[i]! });
  });
  return {
    take(name: string): Weight {
      const found = left.get(name);
      if (!found) throw new Error(`Layer "${layer.name}" has no weight "${name}".`);
      left.delete(name);
      return found;
    },
    done(where: string) {
      if (left.size > 0) {
        throw new Error(`Cannot export ${where}: unused weights ${[...left.keys()].join(', ')}.`);
      }
    },
  };
}

function pair(v: number | number[]): number[] {
  return typeof v === 'number' ? [v, v] : v;
}

/**
 * ONNX pads [top, left, bottom, right] for tfjs's padding. On a side that divides by the
 * stride (the builders' sizes do), 'same' pads k - s in total whatever the size, the odd
 * pixel at the end as TensorFlow does: constant pads, so height and width stay free.
 */
function samePads(
  padding: string | undefined,
  kernel: number[],
  strides: number[],
  transpose: boolean,
  where: string,
): number[] {
  if (padding === undefined || padding === 'valid') {
    if (transpose && kernel.some((k, i) => k !== strides[i])) {
      throw new Error(`Cannot export ${where}: 'valid' transposed convs need kernel = stride.`);
    }
    return [0, 0, 0, 0];
  }
  if (padding !== 'same') throw new Error(`Cannot export ${where}: padding '${padding}'.`);
  const total = kernel.map((k, i) => {
    const s = strides[i]!;
    // A transposed conv would need output_padding to reach in * s.
    if (transpose && k < s) {
      throw new Error(`Cannot export ${where}: 'same' transposed convs need kernel >= stride.`);
    }
    return Math.max(k - s, 0);
  });
  const begin = total.map((t) => Math.floor(t / 2));
  return [...begin, ...total.map((t, i) => t - begin[i]!)];
}

function activationOp(activation: string, where: string): string {
  switch (activation) {
    case 'relu':
      return 'Relu';
    case 'sigmoid':
      return 'Sigmoid';
    case 'tanh':
      return 'Tanh';
    default:
      throw new Error(`Cannot export ${where}: activation '${activation}'.`);
  }
}

/** Element (i0, i1, i2, i3) of a 4-D row-major array moved to position `perm` order. */
function permute(w: Weight, perm: [number, number, number, number]): Float32Array {
  const shape = w.shape;
  const outShape = perm.map((p) => shape[p]!);
  const inStrides = [shape[1]! * shape[2]! * shape[3]!, shape[2]! * shape[3]!, shape[3]!, 1];
  const strides = perm.map((p) => inStrides[p]!);
  const out = new Float32Array(w.data.length);
  let o = 0;
  for (let a = 0; a < outShape[0]!; a++)
    for (let b = 0; b < outShape[1]!; b++)
      for (let c = 0; c < outShape[2]!; c++)
        for (let d = 0; d < outShape[3]!; d++)
          out[o++] = w.data[a * strides[0]! + b * strides[1]! + c * strides[2]! + d * strides[3]!]!;
  return out;
}
