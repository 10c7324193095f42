// cv::resize INTER_LINEAR on 8-bit images as OpenCV 4.5 computes it, reproduced bit for bit
// (Caffe's ReadImageToCVMat and the classification example resize with it). The kernel is native
// (native/image.cc resizeLinear); its maths:
//  - per output position d of a side: f = float((d + 0.5) * (1 / (dst / src)) - 0.5), s = floor(f),
//    weights cvRound((1 - f') * 2048) and cvRound(f' * 2048) on pixels s and s + 1 (f' = f - s; along
//    x, s clamped into the image with f' = 0, and past the last full pair one pixel * 2048);
//  - a horizontal pass into int rows, then per output row
//    ((b0 * (r0 >> 4)) >> 16) + ((b1 * (r1 >> 4)) >> 16) + 2) >> 2, saturated to 255;
//  - exactly half size takes INTER_AREA's path instead: (a + b + c + d + 2) >> 2 over 2x2 blocks.
import { native } from '../native/addon';
import { CaffeError } from '../util/errors';
import type { Image } from './image';

/** cv::resize(src, dst, Size(width, height)) with INTER_LINEAR on 8-bit HWC images. */
export function resizeLinear(img: Image, height: number, width: number): Image {
  const { width: sw, height: sh, channels: cn } = img;
  if (height <= 0 || width <= 0) throw new CaffeError(`resize: bad size ${width}x${height}`);
  if (sw === width && sh === height) return { ...img, data: img.data.slice() };
  const out = new Uint8Array(height * width * cn);
  native().resizeLinear(img.data, cn, sh, sw, out, height, width);
  return { channels: cn, height, width, data: out };
}
