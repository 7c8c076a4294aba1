// The geometry of a Conv2DBackpropFilter call, as every backend's kernel needs it first.
import * as tf from '@tensorflow/tfjs';

/** Conv2D info of the forward convolution whose filter gradient `attrs` asks for. */
export function filterGradientInfo(
  x: tf.TensorInfo,
  attrs?: tf.NamedAttrMap,
): tf.backend_util.Conv2DInfo {
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } =
    attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  return tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    tf.backend_util.convertConv2DDataFormat(dataFormat),
  );
}
