// cv::resize INTER_LINEAR on 8-bit images as OpenCV 4.5 computes it, reproduced bit for bit
// (Caffe's ReadImageToCVMat and the classification example resize with it).
import { CaffeError } from '../util/errors';
import type { Image } from './image';

/** cvRound on a float: round half to even (SSE cvtss2si in the default rounding mode). */
function roundEven(v: number): number {
  const f = Math.floor(v),
    d = v - f;
  return d > 0.5 ? f + 1 : d < 0.5 ? f : f % 2 === 0 ? f : f + 1;
}

const f32 = Math.fround;
const COEF_SCALE = 2048; // INTER_RESIZE_COEF_SCALE = 1 << 11

/** Source index and fixed-point weights of each output position, as cv::resize computes them. */
function linearTaps(srcLen: number, dstLen: number, clampFrac: boolean) {
  const scale = 1 / (dstLen / srcLen); // OpenCV: inv_scale = dst/src, scale = 1/inv_scale
  const ofs = new Int32Array(dstLen),
    w0 = new Int32Array(dstLen),
    w1 = new Int32Array(dstLen);
  let max = dstLen;
  for (let d = 0; d < dstLen; d++) {
    let f = f32((d + 0.5) * scale - 0.5);
    let s = Math.floor(f);
    f = f32(f - s);
    if (clampFrac) {
      if (s < 0) {
        f = 0;
        s = 0;
      }
      if (s + 1 >= srcLen) {
        max = Math.min(max, d);
        if (s >= srcLen - 1) {
          f = 0;
          s = srcLen - 1;
        }
      }
    }
    ofs[d] = s;
    w0[d] = roundEven(f32(1 - f) * COEF_SCALE);
    w1[d] = roundEven(f * COEF_SCALE);
  }
  return { ofs, w0, w1, max };
}

/** cv::resize INTER_AREA's fast path for exactly half size, which INTER_LINEAR takes too. */
function halve(img: Image, height: number, width: number): Image {
  const cn = img.channels,
    s = img.data,
    rowIn = img.width * cn,
    out = new Uint8Array(height * width * cn);
  for (let y = 0, o = 0; y < height; y++) {
    const r0 = 2 * y * rowIn,
      r1 = r0 + rowIn;
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < cn; c++, o++) {
        const i = 2 * x * cn + c;
        out[o] = (s[r0 + i] + s[r0 + i + cn] + s[r1 + i] + s[r1 + i + cn] + 2) >> 2;
      }
    }
  }
  return { channels: cn, height, width, data: out };
}

/**
 * cv::resize(src, dst, Size(width, height)) with INTER_LINEAR on 8-bit images, bit-exact with
 * OpenCV 4.5: 11-bit weights, a horizontal pass into int rows, then the vertical pass
 * ((b0*(r0>>4))>>16) + ((b1*(r1>>4))>>16) + 2) >> 2 that OpenCV's SIMD and scalar code share.
 */
export function resizeLinear(img: Image, height: number, width: number): Image {
  const { width: sw, height: sh, channels: cn } = img;
  if (height <= 0 || width <= 0) throw new CaffeError(`resize: bad size ${width}x${height}`);
  if (sw === width && sh === height) return { ...img, data: img.data.slice() };
  const sx = 1 / (width / sw),
    sy = 1 / (height / sh);
  if (Math.abs(sx - 2) < Number.EPSILON && Math.abs(sy - 2) < Number.EPSILON) return halve(img, height, width);
  const X = linearTaps(sw, width, true),
    Y = linearTaps(sh, height, false);
  const rowLen = width * cn;
  // per output element: the two source offsets in a row and their weights; past X.max OpenCV takes
  // S[sx] * 2048, i.e. weights (2048, 0) on one pixel
  const o0 = new Int32Array(rowLen),
    o1 = new Int32Array(rowLen),
    a0 = new Int32Array(rowLen),
    a1 = new Int32Array(rowLen);
  for (let d = 0, x = 0; d < width; d++) {
    for (let c = 0; c < cn; c++, x++) {
      o0[x] = X.ofs[d] * cn + c;
      const inside = d < X.max;
      o1[x] = inside ? o0[x] + cn : o0[x];
      a0[x] = inside ? X.w0[d] : COEF_SCALE;
      a1[x] = inside ? X.w1[d] : 0;
    }
  }
  const src = img.data,
    out = new Uint8Array(height * rowLen),
    srcRow = sw * cn;
  let r0 = new Int32Array(rowLen),
    r1 = new Int32Array(rowLen),
    y0 = -1,
    y1 = -1;
  const hpass = (sy: number, dst: Int32Array) => {
    const base = sy * srcRow;
    for (let x = 0; x < rowLen; x++) dst[x] = src[base + o0[x]] * a0[x] + src[base + o1[x]] * a1[x];
  };
  for (let dy = 0; dy < height; dy++) {
    const s0 = Math.min(Math.max(Y.ofs[dy], 0), sh - 1),
      s1 = Math.min(Math.max(Y.ofs[dy] + 1, 0), sh - 1);
    if (s0 !== y0) {
      if (s0 === y1) {
        const t = r0;
        r0 = r1;
        r1 = t;
        y1 = y0;
      } else hpass(s0, r0);
      y0 = s0;
    }
    if (s1 !== y1) {
      if (s1 === y0) r1.set(r0);
      else hpass(s1, r1);
      y1 = s1;
    }
    const b0 = Y.w0[dy],
      b1 = Y.w1[dy],
      o = dy * rowLen;
    for (let x = 0; x < rowLen; x++) {
      const v = (((b0 * (r0[x] >> 4)) >> 16) + ((b1 * (r1[x] >> 4)) >> 16) + 2) >> 2;
      out[o + x] = v > 255 ? 255 : v;
    }
  }
  return { channels: cn, height, width, data: out };
}
