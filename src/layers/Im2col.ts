// Im2col: the column buffer a convolution multiplies by its weights, as a top. convolution_param gives
// the channel axis (`axis`) and, per spatial axis after it, kernel / stride / pad / dilation (read as
// Convolution reads them); num_output, group and the fillers are ignored. For bottom
// [N.., C, D_0, ..., D_{d-1}] the top is [N.., C * prod(k_i), O_0, ..., O_{d-1}] with
//   O_i = (D_i + 2 pad_i - (dilation_i (k_i - 1) + 1)) / stride_i + 1      (C's integer division)
// and entry (c, k.., o..) = the pixel at o_i stride_i - pad_i + k_i dilation_i (0 in the padding).
// Backward is col2im: each top entry's diff added back into the pixel it came from. Two spatial axes
// use the convolutions' native im2col, any other count (or force_nd_im2col) Caffe's N-D loops; both
// give the same values in the same summation order.
import { Blob } from '../core/blob';
import { Layer } from '../core/layer';
import { registerLayer } from '../core/layer_factory';
import { native, NativeIm2colGeometry } from '../native/addon';
import { Im2colNdGeometry, col2imNd, im2colNd } from '../backend/im2col_nd';
import { checkOp } from '../util/check';
import { ConvSpatialParams, readConvSpatialParams } from './base_conv';

export class Im2colLayer extends Layer {
  private forceNd = false;
  private channelAxis = 1;
  private numSpatialAxes = 2;
  private p!: ConvSpatialParams;
  private num = 0;
  private bottomDim = 0;
  private topDim = 0;
  private geo2d: NativeIm2colGeometry | null = null;
  private geoNd!: Im2colNdGeometry;

  override exactNumBottomBlobs(): number {
    return 1;
  }
  override exactNumTopBlobs(): number {
    return 1;
  }

  override layerSetUp(bottom: Blob[]): void {
    const cp = this.param('convolution_param');
    this.forceNd = cp.force_nd_im2col;
    this.channelAxis = bottom[0].canonicalAxisIndex(cp.axis);
    this.numSpatialAxes = bottom[0].numAxes - this.channelAxis - 1;
    checkOp(this, this.numSpatialAxes, '>=', 1, 'num_spatial_axes_ >= 1');
    this.p = readConvSpatialParams(this, cp, this.rawParam('convolution_param'), this.numSpatialAxes);
  }

  reshape(bottom: Blob[], top: Blob[]): void {
    const ca = this.channelAxis,
      nsa = this.numSpatialAxes,
      { kernel, stride, pad, dilation } = this.p;
    checkOp(
      this,
      bottom[0].numAxes,
      '==',
      ca + 1 + nsa,
      'bottom[0]->num_axes() == channel_axis_ + 1 + num_spatial_axes_',
      'bottom num_axes may not change.',
    );
    const shape = bottom[0].shape.slice();
    const input = shape.slice(ca + 1);
    const output = input.map(
      (d, i) => Math.trunc((d + 2 * pad[i] - (dilation[i] * (kernel[i] - 1) + 1)) / stride[i]) + 1,
    );
    shape[ca] *= kernel.reduce((a, b) => a * b, 1);
    top[0].reshape([...shape.slice(0, ca + 1), ...output]);
    this.num = bottom[0].countRange(0, ca);
    this.bottomDim = bottom[0].countRange(ca);
    this.topDim = top[0].countRange(ca);
    const channels = bottom[0].shape[ca];
    this.geoNd = { channels, input, output, kernel, pad, stride, dilation };
    this.geo2d =
      nsa === 2 && !this.forceNd
        ? [
            channels,
            input[0],
            input[1],
            kernel[0],
            kernel[1],
            pad[0],
            pad[1],
            stride[0],
            stride[1],
            dilation[0],
            dilation[1],
          ]
        : null;
  }

  protected forwardCpu(bottom: Blob[], top: Blob[]): void {
    const x = bottom[0].cpuData(),
      y = top[0].mutableCpuData();
    for (let n = 0; n < this.num; n++) {
      const im = x.subarray(n * this.bottomDim, (n + 1) * this.bottomDim),
        col = y.subarray(n * this.topDim, (n + 1) * this.topDim);
      if (this.geo2d) native().im2col(im, col, ...this.geo2d);
      else im2colNd(im, col, this.geoNd);
    }
  }

  protected override backwardCpu(top: Blob[], propagateDown: boolean[], bottom: Blob[]): void {
    if (!propagateDown[0]) return;
    const dy = top[0].cpuDiff(),
      dx = bottom[0].mutableCpuDiff();
    for (let n = 0; n < this.num; n++) {
      const col = dy.subarray(n * this.topDim, (n + 1) * this.topDim),
        im = dx.subarray(n * this.bottomDim, (n + 1) * this.bottomDim);
      if (this.geo2d) native().col2im(col, im, ...this.geo2d);
      else col2imNd(col, im, this.geoNd);
    }
  }
}

registerLayer('Im2col', Im2colLayer);
