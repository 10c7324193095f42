// WindowData's load_batch (window_data_layer.cpp), run by the prefetch worker. A batch takes
// batch_size - num_fg background windows followed by num_fg foreground ones. Each window is drawn
// uniformly with the layer's own MT19937 (raw draw % count; then, when mirror is set, a draw % 2 for
// the flip), its image read as colour (cv::imread IMREAD_COLOR, or decoded from the cached file
// bytes), the window cropped (windowCrop: grown by context_pad, made square, clipped to the image),
// warped by cv::resize INTER_LINEAR, flipped, and written as (pixel - mean) * scale into the zeroed
// crop_size square at (pad_h, pad_w); the label is the window's class. A mean file is read at the same
// place of its centred crop_size square (offset (mean width - crop_size) / 2 for rows and columns
// alike), unflipped.
import * as fs from 'fs';
import { Rng } from '../core/rng';
import { decodeImage, readImage, type Image } from '../io/image';
import { resizeLinear } from '../io/resize';
import { WINDOW_FIELDS } from '../io/window_file';
import { fatal } from '../util/check';
import { CaffeError, errnoText } from '../util/errors';
import { legacyDim, type MeanBlob } from './transformer_base';
import type { WindowSourceSpec } from './prefetch_protocol';

const f32 = Math.fround;
/** images being decoded at once (libuv's default thread pool has 4 threads) */
const DECODE_AHEAD = 4;
/** C's round(): half away from zero. */
const cRound = (v: number) => (v < 0 ? -Math.floor(-v + 0.5) : Math.floor(v + 0.5));

/** Where a window is read from its image and where the warped pixels land in the crop_size square. */
export interface WindowCrop {
  /** the region read (cv::Rect): left, top, width, height */
  x: number;
  y: number;
  width: number;
  height: number;
  /** the size it is warped to (cv_crop_size) */
  outWidth: number;
  outHeight: number;
  /** its offset in the crop_size square */
  padW: number;
  padH: number;
}

/**
 * Caffe's window geometry, in its float (Dtype) arithmetic. Without context_pad and in warp mode the
 * window (x1, y1)-(x2, y2) is warped to crop x crop as it is. Otherwise it is scaled about its centre
 * by crop / (crop - 2 context_pad) (square mode first extends the shorter side to the longer), rounded
 * (C round), clipped to the image; the clipped part is warped with the scale the whole region would
 * have had, and placed after the padding its clipped-off left (right when mirrored) and top parts
 * would have taken, shrunk where rounding would overflow the square.
 */
export function windowCrop(
  win: readonly [number, number, number, number],
  cols: number,
  rows: number,
  crop: number,
  contextPad: number,
  square: boolean,
  mirror: boolean,
): WindowCrop {
  let [x1, y1, x2, y2] = win;
  let outWidth = crop,
    outHeight = crop,
    padW = 0,
    padH = 0;
  if (contextPad > 0 || square) {
    const contextScale = f32(crop / (crop - 2 * contextPad));
    let halfHeight = f32(y2 - y1 + 1) / 2,
      halfWidth = f32(x2 - x1 + 1) / 2;
    const centerX = f32(x1 + halfWidth),
      centerY = f32(y1 + halfHeight);
    if (square) {
      if (halfHeight > halfWidth) halfWidth = halfHeight;
      else halfHeight = halfWidth;
    }
    const dx = f32(halfWidth * contextScale),
      dy = f32(halfHeight * contextScale);
    x1 = cRound(f32(centerX - dx));
    x2 = cRound(f32(centerX + dx));
    y1 = cRound(f32(centerY - dy));
    y2 = cRound(f32(centerY + dy));
    const unclippedHeight = y2 - y1 + 1,
      unclippedWidth = x2 - x1 + 1;
    const padX1 = Math.max(0, -x1),
      padY1 = Math.max(0, -y1),
      padX2 = Math.max(0, x2 - cols + 1);
    x1 += padX1;
    x2 -= padX2;
    y1 += padY1;
    y2 -= Math.max(0, y2 - rows + 1);
    const scaleX = f32(crop / unclippedWidth),
      scaleY = f32(crop / unclippedHeight);
    outWidth = cRound(f32((x2 - x1 + 1) * scaleX));
    outHeight = cRound(f32((y2 - y1 + 1) * scaleY));
    padH = cRound(f32(padY1 * scaleY));
    padW = cRound(f32((mirror ? padX2 : padX1) * scaleX)); // the padding is mirrored too
    if (padH + outHeight > crop) outHeight = crop - padH;
    if (padW + outWidth > crop) outWidth = crop - padW;
  }
  return { x: x1, y: y1, width: x2 - x1 + 1, height: y2 - y1 + 1, outWidth, outHeight, padW, padH };
}

/** The batches of one WindowData layer, drawn in sequence from its own generator. */
export class WindowBatches {
  private readonly rng: Rng;
  private cache: Buffer[] | null = null;
  private readonly meanOff: number = 0;
  private readonly meanH: number = 0;
  private readonly meanW: number = 0;

  /** `checkStop` throws when the worker is asked to stop (checked between windows). */
  constructor(
    private readonly spec: WindowSourceSpec,
    private readonly mean: MeanBlob | null,
    private readonly who: string,
    private readonly checkStop: () => void,
  ) {
    this.rng = new Rng(spec.seed);
    if (mean) {
      this.meanH = legacyDim(mean.shape, 2);
      this.meanW = legacyDim(mean.shape, 3);
      this.meanOff = Math.trunc((this.meanW - spec.cropSize) / 2); // from the width, for rows too
    }
  }

  /** [1, C, crop, crop] */
  get itemShape(): number[] {
    return [1, this.spec.channels, this.spec.cropSize, this.spec.cropSize];
  }

  /** cache_images: every image file read into memory now (Caffe's ReadFileToDatum at set-up). */
  init(): void {
    if (!this.spec.cacheImages) return;
    this.cache = this.spec.images.map((p) => {
      try {
        return fs.readFileSync(p);
      } catch (e) {
        fatal(this.who, `Could not open or find file ${p} (${errnoText(e as NodeJS.ErrnoException)})`);
      }
    });
  }

  private async image(index: number): Promise<Image> {
    const path = this.spec.images[index];
    try {
      return this.cache ? await decodeImage(this.cache[index], true, path) : await readImage(path, true);
    } catch (e) {
      if (e instanceof CaffeError) fatal(this.who, e.message);
      throw e;
    }
  }

  /**
   * load_batch: batchSize windows and their classes into data / label. The draws are made first, in
   * Caffe's order; images are then decoded up to DECODE_AHEAD at a time (sharp's threads) and written in
   * order.
   */
  async fill(batchSize: number, data: Float32Array, label: Float32Array): Promise<void> {
    const { channels, cropSize: crop, numFg } = this.spec;
    data.fill(0, 0, batchSize * channels * crop * crop);
    const numSamples = [batchSize - numFg, numFg];
    const picks: { windows: Int32Array; w: number; mirror: boolean }[] = [];
    for (let isFg = 0; isFg < 2; isFg++) {
      const windows = isFg ? this.spec.fg : this.spec.bg;
      for (let k = 0; k < numSamples[isFg]; k++) {
        const w = (this.rng.u32() % (windows.length / WINDOW_FIELDS)) * WINDOW_FIELDS;
        picks.push({ windows, w, mirror: this.spec.mirror && this.rng.u32() % 2 === 1 });
      }
    }
    const decoding: (Promise<Image> | null)[] = [];
    const decode = (i: number) => {
      const p = this.image(picks[i].windows[picks[i].w]);
      p.catch(() => undefined); // awaited in turn below; a failure ahead of its turn is not unhandled
      decoding.push(p);
    };
    for (let item = 0; item < picks.length; item++) {
      this.checkStop();
      while (decoding.length < Math.min(picks.length, item + DECODE_AHEAD)) decode(decoding.length);
      const img = await decoding[item]!;
      decoding[item] = null;
      const { windows, w, mirror } = picks[item];
      const win = [windows[w + 2], windows[w + 3], windows[w + 4], windows[w + 5]] as const;
      this.put(img, this.spec.images[windows[w]], win, mirror, data, item);
      label[item] = windows[w + 1];
    }
  }

  /** Crops, warps, flips and writes one window as item `item` of `data`. */
  private put(
    img: Image,
    path: string,
    win: readonly [number, number, number, number],
    mirror: boolean,
    data: Float32Array,
    item: number,
  ): void {
    const { channels, cropSize: crop, contextPad, square } = this.spec;
    const g = windowCrop(win, img.width, img.height, crop, contextPad, square, mirror);
    this.checkCrop(g, win, img, path);
    const cn = img.channels,
      sub = new Uint8Array(g.width * g.height * cn);
    for (let y = 0; y < g.height; y++) {
      const from = ((g.y + y) * img.width + g.x) * cn;
      sub.set(img.data.subarray(from, from + g.width * cn), y * g.width * cn);
    }
    const out = resizeLinear({ channels: cn, height: g.height, width: g.width, data: sub }, g.outHeight, g.outWidth);
    const px = out.data,
      scale = this.spec.scale,
      mean = this.mean?.data,
      meanValues = this.spec.meanValues;
    for (let h = 0; h < g.outHeight; h++) {
      for (let w = 0; w < g.outWidth; w++) {
        const src = (h * g.outWidth + (mirror ? g.outWidth - 1 - w : w)) * cn;
        for (let c = 0; c < cn; c++) {
          const pixel = px[src + c];
          const top = ((item * channels + c) * crop + h + g.padH) * crop + w + g.padW;
          if (mean) {
            const m = mean[(c * this.meanH + h + this.meanOff + g.padH) * this.meanW + w + this.meanOff + g.padW];
            data[top] = f32(pixel - m) * scale;
          } else if (meanValues) {
            data[top] = f32(pixel - meanValues[c]) * scale;
          } else {
            data[top] = pixel * scale;
          }
        }
      }
    }
  }

  /** What OpenCV would assert on (a region outside the image, an empty size), as one line. */
  private checkCrop(g: WindowCrop, win: readonly number[], img: Image, path: string): void {
    const crop = this.spec.cropSize;
    const inside =
      g.x >= 0 && g.y >= 0 && g.width > 0 && g.height > 0 && g.x + g.width <= img.width && g.y + g.height <= img.height;
    const fits = g.outWidth > 0 && g.outHeight > 0 && g.padW + g.outWidth <= crop && g.padH + g.outHeight <= crop;
    if (inside && fits) return;
    const rule =
      this.spec.contextPad > 0 || this.spec.square
        ? 'a window must overlap its image, with x1 <= x2 and y1 <= y2'
        : 'without context_pad or square crop_mode, 0 <= x1 <= x2 < width and 0 <= y1 <= y2 < height';
    fatal(
      this.who,
      `the window ${win.join(' ')} (x1 y1 x2 y2) of ${path} ` +
        (inside
          ? `leaves nothing to warp into the ${crop}x${crop} crop (region ${g.width}x${g.height}, warped to ` +
            `${g.outWidth}x${g.outHeight} at ${g.padW},${g.padH}): ${rule}`
          : `is not inside the ${img.width}x${img.height} image (read region x ${g.x}, y ${g.y}, ` +
            `${g.width}x${g.height}): ${rule}`),
    );
  }
}
