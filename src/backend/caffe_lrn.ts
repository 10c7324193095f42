// LRN ACROSS_CHANNELS as Caffe's CPU code computes it (lrn_layer.cpp), for the CAFFE engine: the
// running window sum of squares through BLAS axpy (fused on most CPUs), then scale^-beta with powf.
//   scale = k + alpha/size * sum over the window of x^2;  y = x * scale^-beta
//   dx = dy * scale^-beta - (2 alpha beta / size) * x * sum over the window of dy * y / scale
import { Backend, LRNDesc } from './backend';

export function lrnAcrossForward(be: Backend, d: LRNDesc, x: Float32Array, scale: Float32Array, y: Float32Array): void {
  const { num, channels: C, localSize: size } = d,
    HW = d.height * d.width,
    pre = (size - 1) / 2;
  const aos = Math.fround(d.alpha / size);
  scale.fill(Math.fround(d.k));
  const sq = new Float32Array((C + size - 1) * HW); // Caffe's padded_square
  for (let n = 0; n < num; n++) {
    const xn = x.subarray(n * C * HW, (n + 1) * C * HW),
      sn = scale.subarray(n * C * HW, (n + 1) * C * HW);
    for (let i = 0; i < C * HW; i++) sq[pre * HW + i] = xn[i] * xn[i];
    const plane = (a: Float32Array, c: number) => a.subarray(c * HW, (c + 1) * HW);
    for (let c = 0; c < size; c++) be.axpy(aos, plane(sq, c), plane(sn, 0));
    for (let c = 1; c < C; c++) {
      plane(sn, c).set(plane(sn, c - 1));
      be.axpy(aos, plane(sq, c + size - 1), plane(sn, c)); // head
      be.axpy(-aos, plane(sq, c - 1), plane(sn, c)); // tail
    }
  }
  be.powx(scale, -d.beta, y);
  for (let i = 0; i < y.length; i++) y[i] = y[i] * x[i];
}

export function lrnAcrossBackward(
  be: Backend,
  d: LRNDesc,
  x: Float32Array,
  y: Float32Array,
  scale: Float32Array,
  dy: Float32Array,
  dx: Float32Array,
): void {
  const { num, channels: C, localSize: size } = d,
    HW = d.height * d.width;
  const ratio = new Float32Array((C + size - 1) * HW),
    accum = new Float32Array(HW),
    times = new Float32Array(HW);
  const crv = Math.fround((2 * d.alpha * d.beta) / size); // Caffe computes it in double
  be.powx(scale, -d.beta, dx);
  for (let i = 0; i < dx.length; i++) dx[i] = dy[i] * dx[i];
  const inv = (size - (size + 1) / 2) | 0;
  const plane = (a: Float32Array, c: number) => a.subarray(c * HW, (c + 1) * HW);
  for (let n = 0, o = 0; n < num; n++, o += C * HW) {
    for (let i = 0; i < C * HW; i++) ratio[inv * HW + i] = Math.fround(dy[o + i] * y[o + i]) / scale[o + i];
    accum.fill(0);
    for (let c = 0; c < size - 1; c++) be.axpy(1, plane(ratio, c), accum);
    for (let c = 0; c < C; c++) {
      be.axpy(1, plane(ratio, c + size - 1), accum);
      const xc = x.subarray(o + c * HW, o + (c + 1) * HW);
      for (let i = 0; i < HW; i++) times[i] = xc[i] * accum[i];
      be.axpy(-crv, times, dx.subarray(o + c * HW, o + (c + 1) * HW));
      be.axpy(-1, plane(ratio, c), accum);
    }
  }
}
