// The seam between the predictor and whatever runs the network. The predictor decides
// what the network sees (resize, letterbox, sliding window, blending); a runtime only
// runs square RGB batches forward. TensorFlow.js is one runtime, ONNX Runtime another.

export interface Runtime {
  /** What ran the forward pass, recorded with predictions: 'tfjs-wasm', 'onnxruntime-cpu'… */
  readonly id: string;
  /** Side of the square input the network takes, in pixels. */
  readonly size: number;
  /**
   * `x` holds `n` images of size x size x 3, RGB in [0, 1], channels last (NHWC).
   * Resolves to n x size x size foreground probabilities in [0, 1].
   */
  forward(x: Float32Array, n: number): Promise<Float32Array>;
  /** Frees the model's memory; the runtime is not used afterwards. */
  dispose(): void;
}
