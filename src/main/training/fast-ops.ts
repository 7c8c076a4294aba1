// Jaccard trains batch norm with its own passes on every backend, and on native
// TensorFlow runs TensorFlow's fused kernels and a two-op ReLU step, where TensorFlow.js
// composes each from many passes over the tensor (docs/bench.md). JACCARD_FAST_OPS=0
// trains with TensorFlow.js's own ops instead: the bench's comparison, or a way round a
// backend that gets one of ours wrong.
export const fastOps = (): boolean => process.env.JACCARD_FAST_OPS !== '0';
