// The compute backend: what layers call for heavy maths. The CPU backend (native addon over oneDNN)
// works on host Float32Arrays in place; a device backend (CUDA, tfjs-node-gpu) implements the same
// interface over its own buffers and syncs with host memory through SyncedMemory.

/** Convolution geometry, NCHW, 2-D (Caffe's ConvolutionParameter resolved to numbers). */
export interface ConvDesc {
  num: number; channels: number; height: number; width: number;
  numOutput: number; group: number;
  kernelH: number; kernelW: number; strideH: number; strideW: number;
  padH: number; padW: number; dilationH: number; dilationW: number;
  outH: number; outW: number; bias: boolean;
}

/** A convolution primitive created at reshape and executed every iteration. */
export interface ConvPrimitive {
  /** y = conv(x, w) (+ b) */
  forward(x: Float32Array, w: Float32Array, b: Float32Array | null, y: Float32Array): void;
  /** dx = conv_backward_data(dy, w) (overwrites dx) */
  backwardData(dy: Float32Array, w: Float32Array, dx: Float32Array): void;
  /** dw += conv_backward_weights(x, dy); db += sum(dy) when db is given */
  backwardWeights(x: Float32Array, dy: Float32Array, dw: Float32Array, db: Float32Array | null): void;
  dispose(): void;
}

/** Pooling geometry: windows start at -pad with `stride`; `outH x outW` by Caffe's ceil/floor rule. */
export interface PoolDesc {
  num: number; channels: number; height: number; width: number;
  kernelH: number; kernelW: number; strideH: number; strideW: number; padH: number; padW: number;
  outH: number; outW: number;
}

/** LRN geometry (Caffe's LRNParameter). */
export interface LRNDesc {
  num: number; channels: number; height: number; width: number;
  localSize: number; alpha: number; beta: number; k: number;
}

export interface DeviceInfo {
  backend: string;
  lines: string[];
}

export interface Backend {
  readonly name: string;
  /** Human-readable device description (device_query). */
  info(): DeviceInfo;
  /** Row-major C = alpha op(A) op(B) + beta C, Caffe's caffe_cpu_gemm argument order. */
  gemm(transA: boolean, transB: boolean, M: number, N: number, K: number, alpha: number,
    A: Float32Array, B: Float32Array, beta: number, C: Float32Array): void;
  convolution(d: ConvDesc): ConvPrimitive;
}
