// Shared base of Convolution and Deconvolution (Caffe's BaseConvolutionLayer): reads
// ConvolutionParameter (kernel/stride/pad/dilation once or per spatial axis, or the 2-D *_h/*_w
// forms), checks groups, creates and fills the weights [conv_out, conv_in / group, kh, kw] and the
// bias [num_output], shapes the tops, and keeps one native convolution primitive per geometry.
// Deconvolution is the transposed convolution: it "reverses dimensions", i.e. its bottom plays the
// part of the underlying convolution's output and its top that of the convolution's input.
import { Blob } from '../core/blob';
import { Layer, LayerMemory, LayerParamView } from '../core/layer';
import { backend } from '../backend';
import { ConvDesc, ConvPrimitive } from '../backend/backend';
import { DeviceConvPrimitive, DevicePtr } from '../backend/device';
import { currentDevice, mode } from '../backend/mode';
import { CaffeError } from '../util/errors';
import { checkFailed, checkOp, fatal } from '../util/check';
import { setUpWeightAndBias } from './param_blobs';
import type { ConvolutionParameter } from '../proto/caffe';

/** Caffe keeps the geometry in ints: a uint32 field of 2^31 or more reads as a negative number. */
const int32 = (x: number | bigint): number => Number(x) | 0;

/** The repeated per-spatial-axis fields, and their 2-D *_h/*_w forms. */
type PerAxis = 'kernel_size' | 'stride' | 'pad' | 'dilation';
type Axis2D = keyof ConvolutionParameter & `${string}_${'h' | 'w'}`;

/** Kernel, stride, pad and dilation of each spatial axis. */
export interface ConvSpatialParams {
  kernel: number[];
  stride: number[];
  pad: number[];
  dilation: number[];
}

/**
 * Caffe's reading of ConvolutionParameter's spatial fields for `nsa` spatial axes (shared by
 * BaseConvolutionLayer and Im2colLayer): kernel_h/kernel_w (2-D only) or kernel_size once or once per
 * axis; stride and pad the same way (defaults 1 and 0); dilation once or per axis (default 1).
 * `cp` is read through its defaults, `set` as written (for has_ checks).
 */
export function readConvSpatialParams(
  layer: Layer,
  cp: LayerParamView<'convolution_param'>,
  set: ConvolutionParameter,
  nsa: number,
): ConvSpatialParams {
  const len = (f: PerAxis): number => cp[f].length;
  const perAxis = (field: PerAxis, def: number | null, what: string, hw: [Axis2D, Axis2D]): number[] => {
    if (set[hw[0]] !== undefined || set[hw[1]] !== undefined) {
      checkOp(
        layer,
        nsa,
        '==',
        2,
        'num_spatial_axes_ == 2',
        `${hw[0]} & ${hw[1]} can only be used for 2D convolution.`,
      );
      checkOp(
        layer,
        0,
        '==',
        len(field),
        `0 == conv_param.${field}_size()`,
        `Either ${field} or ${what}/w should be specified; not both.`,
      );
      return [int32(cp[hw[0]]), int32(cp[hw[1]])];
    }
    const n = len(field);
    if (!(n === 1 || n === nsa || (def !== null && n === 0))) {
      const once = def === null ? 'num_kernel_dims == 1' : `num_${field}_dims == 0 || num_${field}_dims == 1`;
      const name = field === 'kernel_size' ? 'kernel' : field;
      checkFailed(
        layer,
        `${once} || num_${name}_dims == num_spatial_axes_`,
        `${field} must be specified once, or once per spatial dimension ` +
          `(${field} specified ${n} times; ${nsa} spatial dims).`,
      );
    }
    const v = cp[field];
    return Array.from({ length: nsa }, (_, i) => (n === 0 ? (def as number) : int32(v[n === 1 ? 0 : i])));
  };
  const kernel = perAxis('kernel_size', null, 'kernel_h', ['kernel_h', 'kernel_w']);
  for (const k of kernel) {
    checkOp(layer, k, '>', 0, 'kernel_shape_data[i] > 0', 'Filter dimensions must be nonzero.');
  }
  const stride = perAxis('stride', 1, 'stride_h', ['stride_h', 'stride_w']);
  for (const s of stride) checkOp(layer, s, '>', 0, 'stride_data[i] > 0', 'Stride dimensions must be nonzero.');
  const pad = perAxis('pad', 0, 'pad_h', ['pad_h', 'pad_w']);
  const nd = len('dilation');
  if (!(nd === 0 || nd === 1 || nd === nsa)) {
    checkFailed(
      layer,
      'num_dilation_dims == 0 || num_dilation_dims == 1 || num_dilation_dims == num_spatial_axes_',
      'dilation must be specified once, or once per spatial dimension ' +
        `(dilation specified ${nd} times; ${nsa} spatial dims).`,
    );
  }
  const dil = cp.dilation;
  const dilation = Array.from({ length: nsa }, (_, i) => (nd === 0 ? 1 : int32(dil[nd === 1 ? 0 : i])));
  for (const d of dilation) {
    checkOp(layer, d, '>', 0, 'dilation_data[i] > 0', 'Dilation dimensions must be nonzero.');
  }
  return { kernel, stride, pad, dilation };
}

export abstract class BaseConvolutionLayer extends Layer {
  protected kernel: number[] = [];
  protected stride: number[] = [];
  protected pad: number[] = [];
  protected dilation: number[] = [];
  protected channelAxis = 1;
  protected numSpatialAxes = 2;
  protected channels = 0;
  protected numOutput = 0;
  protected group = 1;
  protected biasTerm = true;
  /** images per bottom: the product of the axes before the channel axis */
  protected num = 0;
  /** spatial size of a top (Caffe's output_shape_) */
  protected outputShape: number[] = [];
  /** the primitive for the current geometry; null when a blob is empty */
  protected prim: ConvPrimitive | null = null;
  private primKey = '';
  private desc: ConvDesc | null = null;
  /** the device primitive for the current geometry (GPU mode), made on first use */
  private devPrim: DeviceConvPrimitive | null = null;
  /** forward-only options of the CPU primitive (ConvDesc.reluSlope, .inference), where the backend has them */
  protected forwardOptions: Pick<ConvDesc, 'reluSlope' | 'inference'> = {};
  /** spatial ones (Caffe's bias_multiplier_) */
  private ones = new Float32Array(0);

  /** Whether the underlying convolution runs from top to bottom (true for Deconvolution). */
  protected abstract reverseDimensions(): boolean;
  /** The spatial output size for a bottom of spatial size `input`. */
  protected abstract computeOutputShape(input: readonly number[]): number[];

  override minBottomBlobs(): number {
    return 1;
  }
  override minTopBlobs(): number {
    return 1;
  }
  override equalNumBottomTopBlobs(): boolean {
    return true;
  }

  override layerSetUp(bottom: Blob[]): void {
    const cp = this.param('convolution_param');
    this.channelAxis = bottom[0].canonicalAxisIndex(cp.axis);
    const nsa = (this.numSpatialAxes = bottom[0].numAxes - this.channelAxis - 1);
    ({
      kernel: this.kernel,
      stride: this.stride,
      pad: this.pad,
      dilation: this.dilation,
    } = readConvSpatialParams(this, cp, this.rawParam('convolution_param'), nsa));

    // output channels and groups
    this.channels = bottom[0].shape[this.channelAxis];
    this.numOutput = int32(cp.num_output);
    checkOp(this, this.numOutput, '>', 0, 'num_output_ > 0');
    this.group = int32(cp.group);
    checkOp(this, this.group, '>', 0, 'group_ > 0');
    checkOp(this, this.channels % this.group, '==', 0, 'channels_ % group_ == 0');
    checkOp(
      this,
      this.numOutput % this.group,
      '==',
      0,
      'num_output_ % group_ == 0',
      'Number of output should be multiples of group.',
    );
    if (nsa !== 2) {
      throw new CaffeError(
        `${this.type} layer ${this.name}: only 2-D convolution is supported ` +
          `(${nsa} spatial axes after channel axis ${this.channelAxis} of a ${bottom[0].numAxes}-D bottom)`,
      );
    }
    this.setUpParameters(cp);
  }

  // weights: conv_out_channels x (conv_in_channels / group) x kernel; bias: num_output
  private setUpParameters(cp: LayerParamView<'convolution_param'>): void {
    const [convOut, convIn] = this.reverseDimensions()
      ? [this.channels, this.numOutput]
      : [this.numOutput, this.channels];
    const wShape = [convOut, convIn / this.group, ...this.kernel];
    this.biasTerm = this.param('convolution_param').bias_term;
    if (this.blobs.length > 0) {
      const want = 1 + (this.biasTerm ? 1 : 0);
      if (this.blobs.length !== want) {
        checkFailed(
          this,
          `1 + bias_term_ == this->blobs_.size() (${want} vs. ${this.blobs.length})`,
          'Incorrect number of weight blobs.',
        );
      }
      const same = (b: Blob, s: number[]) => b.shape.length === s.length && s.every((d, i) => d === b.shape[i]);
      if (!same(this.blobs[0], wShape)) {
        throw new CaffeError(
          `Incorrect weight shape: expected shape ${new Blob(wShape).shapeString()}; ` +
            `instead, shape was ${this.blobs[0].shapeString()}`,
        );
      }
      if (this.biasTerm && !same(this.blobs[1], [this.numOutput])) {
        throw new CaffeError(
          `Incorrect bias shape: expected shape ${new Blob([this.numOutput]).shapeString()}; ` +
            `instead, shape was ${this.blobs[1].shapeString()}`,
        );
      }
    }
    setUpWeightAndBias(this, cp, wShape, this.biasTerm ? [this.numOutput] : undefined);
  }

  reshape(bottom: Blob[], top: Blob[]): void {
    const first = this.channelAxis + 1;
    checkOp(
      this,
      bottom[0].numAxes,
      '==',
      first + this.numSpatialAxes,
      'bottom[0]->num_axes() == first_spatial_axis + num_spatial_axes_',
      'bottom num_axes may not change.',
    );
    this.num = bottom[0].countRange(0, this.channelAxis);
    checkOp(
      this,
      bottom[0].shape[this.channelAxis],
      '==',
      this.channels,
      'bottom[0]->shape(channel_axis_) == channels_',
      'Input size incompatible with convolution kernel.',
    );
    for (let i = 1; i < bottom.length; i++) {
      const s = bottom[i].shape;
      if (s.length !== bottom[0].numAxes || s.some((d, j) => d !== bottom[0].shape[j]))
        checkFailed(
          this,
          'bottom[0]->shape() == bottom[bottom_id]->shape()',
          `shape mismatch - bottom[0]: ${bottom[0].shapeString()} vs. bottom[${i}]: ${bottom[i].shapeString()}`,
        );
    }
    const input = bottom[0].shape.slice(first);
    this.outputShape = this.computeOutputShape(input);
    const topShape = [...bottom[0].shape.slice(0, this.channelAxis), this.numOutput, ...this.outputShape];
    for (const t of top) t.reshape(topShape);
    // the underlying convolution: from `src` (conv input) to `dst` (conv output)
    const rev = this.reverseDimensions();
    const [src, dst] = rev ? [this.outputShape, input] : [input, this.outputShape];
    const desc: ConvDesc = {
      num: this.num,
      channels: rev ? this.numOutput : this.channels,
      height: src[0],
      width: src[1],
      numOutput: rev ? this.channels : this.numOutput,
      group: this.group,
      kernelH: this.kernel[0],
      kernelW: this.kernel[1],
      strideH: this.stride[0],
      strideW: this.stride[1],
      padH: this.pad[0],
      padW: this.pad[1],
      dilationH: this.dilation[0],
      dilationW: this.dilation[1],
      outH: dst[0],
      outW: dst[1],
      bias: this.biasTerm && !rev,
    };
    const key = JSON.stringify(desc);
    if (key === this.primKey) return;
    this.prim?.dispose();
    this.prim = null;
    this.devPrim?.dispose();
    this.devPrim = null;
    this.primKey = key;
    this.desc = bottom[0].count > 0 && top[0].count > 0 ? desc : null;
    // the CPU primitive is made here in CPU mode only (a GPU run that falls back makes it then)
    if (this.desc && mode() === 'CPU') this.prim = this.primitive(desc);
  }

  /** Sets the forward options; the CPU primitive is rebuilt at the next reshape. */
  protected setForwardOptions(o: Pick<ConvDesc, 'reluSlope' | 'inference'>): void {
    this.forwardOptions = o;
    this.prim?.dispose();
    this.prim = null;
  }

  /** The CPU primitive for the current geometry (null when a blob is empty). */
  protected cpuPrim(): ConvPrimitive | null {
    if (!this.prim && this.desc) this.prim = this.primitive(this.desc);
    return this.prim;
  }

  /** The device primitive for the current geometry (null when a blob is empty). */
  protected gpuPrim(): DeviceConvPrimitive | null {
    if (!this.devPrim && this.desc) this.devPrim = currentDevice().kernels.convolution(this.desc);
    return this.devPrim;
  }

  /** The backend's primitive; a geometry it cannot run (oneDNN refuses some, as negative padding) is
   *  this layer's one-line error. */
  private primitive(desc: ConvDesc): ConvPrimitive {
    try {
      const b = backend();
      return b.convolution(b.fusesConvReLU ? { ...desc, ...this.forwardOptions } : desc);
    } catch (e) {
      const msg = (e as Error)?.message ?? '';
      if (/^(oneDNN convolution|Conv\(desc\))/.test(msg)) fatal(this, `unsupported convolution geometry: ${msg}`);
      throw e;
    }
  }

  /** Spatial size of one top/bottom channel image. */
  protected spatial(b: Blob): number {
    return b.countRange(this.channelAxis + 1);
  }

  /** y[n, c, :] += bias[c] over `num` images of `numOutput` channels. */
  protected addBias(y: Float32Array, spatial: number): void {
    const b = this.blobs[1].cpuData();
    for (let n = 0, o = 0; n < this.num; n++) {
      for (let c = 0; c < this.numOutput; c++) {
        const v = b[c];
        for (let e = o + spatial; o < e; o++) y[o] += v;
      }
    }
  }

  /** bias_diff += dy[n] 1 image by image (a gemv each, accumulating, as Caffe). */
  protected accumulateBiasDiff(dy: Float32Array, spatial: number): void {
    const db = this.blobs[1].mutableCpuDiff(),
      dim = this.numOutput * spatial;
    if (this.ones.length !== spatial) this.ones = new Float32Array(spatial).fill(1);
    for (let n = 0; n < this.num; n++)
      backend().gemv(false, this.numOutput, spatial, 1, dy.subarray(n * dim, (n + 1) * dim), this.ones, 1, db);
  }

  /** y[n] += bias 1^T per image on the device (a ones GEMM per image, batched: Caffe's forward_gpu_bias). */
  protected addBiasGpu(y: DevicePtr, spatial: number): void {
    const dev = currentDevice(),
      dim = this.numOutput * spatial,
      b = this.blobs[1].gpuData(),
      ones = dev.kernels.ones(spatial);
    dev.math.gemmStridedBatched(false, false, this.numOutput, spatial, 1, 1, b, 0, ones, 0, 1, y, dim, this.num);
  }

  /** bias_diff += dy[n] 1 per image on the device (Caffe's backward_gpu_bias). */
  protected accumulateBiasDiffGpu(dy: DevicePtr, spatial: number): void {
    currentDevice().kernels.channelSum(this.num, this.numOutput, spatial, dy, this.blobs[1].mutableGpuDiff());
  }

  /** The primitive's buffers too: the CAFFE engine's columns, or oneDNN's scratch (shared by all). */
  override internalMemory(propagateDown?: readonly boolean[]): LayerMemory {
    const m = super.internalMemory();
    const data = !!propagateDown?.some(Boolean),
      weights = !!propagateDown && this.paramPropagate(0);
    return {
      blobs: m.blobs,
      bytes: m.bytes + (this.prim?.bufferBytes?.(data, weights) ?? 0),
      scratch: this.prim?.scratchBytes?.(data, weights) ?? 0,
    };
  }

  override dispose(): void {
    this.prim?.dispose();
    this.prim = null;
    this.devPrim?.dispose();
    this.devPrim = null;
    this.primKey = '';
  }
}
