// The one index mapping of every DataTransformer path (crop window, mirror, mean, scale) for one item:
// its 9-int32 geometry record, shared with native/transform.cc, and the TypeScript loop over it.

/**
 * The geometry of one item, 9 int32s (native/transform.cc takes the same record): offset (into out),
 * channels, source height, source width, height, width, hOff, wOff (the crop window), mirror (0/1).
 */
export function setItemGeometry(
  g: Int32Array,
  offset: number,
  channels: number,
  srcH: number,
  srcW: number,
  height: number,
  width: number,
  hOff: number,
  wOff: number,
  mirror: boolean,
): Int32Array {
  g[0] = offset;
  g[1] = channels;
  g[2] = srcH;
  g[3] = srcW;
  g[4] = height;
  g[5] = width;
  g[6] = hOff;
  g[7] = wOff;
  g[8] = mirror ? 1 : 0;
  return g;
}

/**
 * Caffe's DataTransformer arithmetic on one item, the one index mapping of every transform path
 * (native/transform.cc is the same mapping for uint8 CHW datums, the batch fast path): output element
 * (c, h, w) of the channels x height x width item, with w' = mirror ? width - 1 - w : w,
 *   out[offset + (c * height + h) * width + w'] = fround(fround(x - m) * scale),
 *   x = src[srcOffset + c * sC + (hOff + h) * sH + (wOff + w) * sW] as a float,
 *   m = mean[(c * srcH + hOff + h) * srcW + wOff + w] (mean file, CHW at the source's size), else
 *       meanValues[c], else no subtraction (out = fround(x * scale));
 * (sC, sH, sW) = (srcH * srcW, srcW, 1) for CHW planes (Datum, Blob), (1, srcW * channels, channels)
 * for HWC pixels (cv::Mat).
 */
export function transformItem(
  src: ArrayLike<number>,
  srcOffset: number,
  hwc: boolean,
  g: Int32Array,
  mean: Float32Array | null,
  meanValues: ArrayLike<number> | null,
  scale: number,
  out: Float32Array,
): void {
  const offset = g[0],
    C = g[1],
    sh = g[2],
    sw = g[3],
    H = g[4],
    W = g[5],
    hOff = g[6],
    wOff = g[7];
  const mirror = g[8] !== 0,
    step = mirror ? -1 : 1;
  const sC = hwc ? 1 : sh * sw,
    sH = hwc ? sw * C : sw,
    sW = hwc ? C : 1;
  for (let c = 0; c < C; c++) {
    const mv = meanValues ? meanValues[c] : 0;
    for (let h = 0; h < H; h++) {
      let si = srcOffset + c * sC + (hOff + h) * sH + wOff * sW;
      let ti = offset + (c * H + h) * W + (mirror ? W - 1 : 0);
      const mi = (c * sh + hOff + h) * sw + wOff;
      if (mean) {
        for (let w = 0; w < W; w++, si += sW, ti += step) {
          out[ti] = Math.fround(Math.fround(Math.fround(src[si]) - mean[mi + w]) * scale);
        }
      } else if (meanValues) {
        for (let w = 0; w < W; w++, si += sW, ti += step) {
          out[ti] = Math.fround(Math.fround(Math.fround(src[si]) - mv) * scale);
        }
      } else {
        for (let w = 0; w < W; w++, si += sW, ti += step) out[ti] = Math.fround(Math.fround(src[si]) * scale);
      }
    }
  }
}
