// The input side of caffets classify: Caffe's Classifier::SetMean and Preprocess (cv::imread
// IMREAD_UNCHANGED, cvtColor to the net's channels, INTER_LINEAR resize, the mean subtracted in
// float32) and what python/classify.py's caffe.io.Transformer adds: crops of an --images_dim
// resize, --raw_scale, --input_scale, --channel_swap.
import * as fs from 'fs';
import { Blob } from '../core/blob';
import { grayOpenCV } from '../io/gray';
import { decodeImage, Image } from '../io/image';
import { readBlobProtoFromFile } from '../io/proto_io';
import { resizeLinear } from '../io/resize';
import { CaffeError } from '../util/errors';

export type CropMode = 'resize' | 'center' | 'oversample';

export interface PreprocessOptions {
  /** a .binaryproto mean image; its per-channel mean is subtracted (Caffe's SetMean) */
  meanFile?: string;
  /** per-channel mean values in the net's channel order (one value: every channel) */
  meanValue?: number[];
  /** 'resize' (Caffe's example: whole image to the input size), 'center' or 'oversample' (classify.py) */
  mode?: CropMode;
  /** [height, width] images are resized to before cropping (classify.py's --images_dim) */
  imagesDim?: [number, number];
  /** classify.py: pixels are scaled to [0, rawScale] before the mean is subtracted (default 255) */
  rawScale?: number;
  /** multiplies the mean-subtracted input */
  inputScale?: number;
  /** classify.py's channel_swap: net channel c takes RGB channel swap[c] (2,1,0 = BGR, the default) */
  channelSwap?: number[];
}

const f32 = Math.fround;

/** Caffe's Classifier::SetMean and Preprocess for a net input of channels x height x width. */
export class Preprocessor {
  /** per net channel, already float32 */
  readonly mean: Float32Array | null;
  private readonly srcChannel: number[];

  constructor(
    private readonly o: PreprocessOptions,
    readonly channels: number,
    readonly height: number,
    readonly width: number,
  ) {
    this.mean = this.loadMean();
    this.srcChannel = this.channelOrder();
    const [ih, iw] = o.imagesDim ?? [256, 256];
    if ((o.mode ?? 'resize') !== 'resize' && !(ih >= this.height && iw >= this.width)) {
      throw new CaffeError(`--images_dim ${ih},${iw} is smaller than the net's input ${this.height}x${this.width}`);
    }
  }

  private loadMean(): Float32Array | null {
    const { meanFile, meanValue } = this.o,
      C = this.channels;
    if (meanFile !== undefined && meanValue !== undefined)
      throw new CaffeError('give either a mean file or --mean_value, not both');
    if (meanValue !== undefined) {
      if (meanValue.length !== 1 && meanValue.length !== C) {
        throw new CaffeError(`--mean_value has ${meanValue.length} values, the net's input has ${C} channels`);
      }
      return Float32Array.from({ length: C }, (_, c) => meanValue[meanValue.length === 1 ? 0 : c]);
    }
    if (meanFile === undefined) return null;
    const blob = new Blob();
    blob.fromProto(readBlobProtoFromFile(meanFile));
    if (blob.numAxes > 4 || blob.channels !== C) {
      throw new CaffeError(
        `mean file ${meanFile} has ` +
          `${blob.numAxes > 4 ? 'a ' + blob.numAxes + '-D blob, not' : blob.channels} channels, ` +
          `the net's input has ${C}`,
      );
    }
    // cv::mean of the merged mean image, then a constant CV_32F image of that value
    const d = blob.cpuData(),
      plane = blob.height * blob.width;
    return Float32Array.from({ length: C }, (_, c) => {
      let s = 0;
      for (let i = c * plane; i < (c + 1) * plane; i++) s += d[i];
      return plane ? s / plane : 0;
    });
  }

  /** The image (BGR) channel feeding each net channel. */
  private channelOrder(): number[] {
    const swap = this.o.channelSwap,
      C = this.channels;
    if (!swap || C === 1) return Array.from({ length: C }, (_, c) => c);
    const ok = swap.length === C && [...swap].sort().every((v, i) => v === i);
    if (!ok) throw new CaffeError(`--channel_swap=${swap.join(',')} is not a permutation of the ${C} input channels`);
    return swap.map((rgb) => 2 - rgb);
  }

  /** cv::imread(file, IMREAD_UNCHANGED), then Caffe's cvtColor to the net's channel count. */
  async loadImage(file: string): Promise<Image> {
    let buf: Buffer;
    try {
      buf = await fs.promises.readFile(file);
    } catch (e) {
      throw new CaffeError(
        `Could not open or find file ${file} (${(e as NodeJS.ErrnoException).code ?? 'unreadable'})`,
      );
    }
    return toChannels(await decodeImage(buf, undefined, file), this.channels);
  }

  /** The crops (top, left, mirrored) of an image, resized as the mode says. */
  crops(img: Image): { img: Image; crops: [number, number, boolean][] } {
    const { height: H, width: W } = this,
      mode = this.o.mode ?? 'resize';
    if (mode === 'resize')
      return { img: img.height === H && img.width === W ? img : resizeLinear(img, H, W), crops: [[0, 0, false]] };
    const [ih, iw] = this.o.imagesDim ?? [256, 256];
    const r = img.height === ih && img.width === iw ? img : resizeLinear(img, ih, iw);
    const cy = Math.floor((ih - H) / 2),
      cx = Math.floor((iw - W) / 2);
    if (mode === 'center') return { img: r, crops: [[cy, cx, false]] };
    const five: [number, number][] = [
      [0, 0],
      [0, iw - W],
      [ih - H, 0],
      [ih - H, iw - W],
      [cy, cx],
    ];
    return {
      img: r,
      crops: [
        ...five.map(([y, x]) => [y, x, false] as [number, number, boolean]),
        ...five.map(([y, x]) => [y, x, true] as [number, number, boolean]),
      ],
    };
  }

  /** One crop as float CHW: (pixel [* raw_scale/255] - mean) [* input_scale], all in float32. */
  fill(img: Image, [y0, x0, mirror]: [number, number, boolean], dst: Float32Array): void {
    const { channels: C, height: H, width: W, mean } = this,
      cn = img.channels,
      iw = img.width,
      src = img.data;
    const raw = this.o.rawScale !== undefined && this.o.rawScale !== 255 ? this.o.rawScale : undefined;
    const scale = this.o.inputScale === undefined ? undefined : f32(this.o.inputScale);
    for (let c = 0; c < C; c++) {
      const sc = this.srcChannel[c],
        m = mean ? f32(mean[c]) : 0;
      for (let y = 0; y < H; y++) {
        const row = ((y0 + y) * iw + x0) * cn + sc,
          o = (c * H + y) * W;
        for (let x = 0; x < W; x++) {
          let v = src[row + (mirror ? W - 1 - x : x) * cn];
          if (raw !== undefined) v = f32(f32(v / 255) * raw);
          if (mean) v = f32(v - m);
          if (scale !== undefined) v = f32(v * scale);
          dst[o + x] = v;
        }
      }
    }
  }
}

/** Caffe's cvtColor to the net's channels: BGR(A)→GRAY, BGRA→BGR, GRAY→BGR. */
export function toChannels(img: Image, C: number): Image {
  const n = img.height * img.width,
    cn = img.channels,
    s = img.data;
  if (cn === C) return img;
  const out = new Uint8Array(n * C);
  if (C === 1) for (let i = 0, p = 0; i < n; i++, p += cn) out[i] = grayOpenCV(s[p + 2], s[p + 1], s[p]);
  else if (cn === 1) for (let i = 0, q = 0; i < n; i++, q += 3) out[q] = out[q + 1] = out[q + 2] = s[i];
  else
    for (let i = 0, p = 0, q = 0; i < n; i++, p += cn, q += 3) {
      out[q] = s[p];
      out[q + 1] = s[p + 1];
      out[q + 2] = s[p + 2];
    }
  return { channels: C as 1 | 3, height: img.height, width: img.width, data: out };
}
