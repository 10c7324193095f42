// caffets classify: Caffe's examples/cpp_classification (Classifier: one input, one output; the
// image converted to the input's channels as cv::cvtColor does, resized with INTER_LINEAR, the
// per-channel mean of the mean file subtracted, top-N by std::partial_sort), plus what users of
// python/classify.py expect: --mean_value, --center_only / --oversample crops of an --images_dim
// resize, --raw_scale / --input_scale / --channel_swap, many images per batched forward.
import * as fs from 'fs';
import { Blob } from '../core/blob';
import { decodeImage, grayOpenCV, Image, resizeLinear } from '../io/image';
import { readBlobProtoFromFile, readNetParamsFromTextFile } from '../io/proto_io';
import { Net } from '../net';
import { CaffeError } from '../util/errors';
import { ProgressBar } from '../util/progress';

export type CropMode = 'resize' | 'center' | 'oversample';

export interface ClassifierOptions {
  deploy: string; weights: string;
  /** a .binaryproto mean image; its per-channel mean is subtracted (Caffe's SetMean) */
  meanFile?: string;
  /** per-channel mean values in the net's channel order (one value: every channel) */
  meanValue?: number[];
  labels?: string;
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
  /** net inputs per forward (crops count: an oversampled image is 10) */
  batchSize?: number;
}

export interface Prediction { index: number; label?: string; score: number }
export interface ClassifyResult { image: string; predictions?: Prediction[]; scores?: Float32Array; error?: string }

const f32 = Math.fround;
const IMAGE_EXT = /\.(jpe?g|jpe|png|webp|tiff?|bmp|p[bgpn]m)$/i;

export class Classifier {
  readonly net: Net;
  readonly channels: number; readonly height: number; readonly width: number;
  /** per net channel, already float32 */
  readonly mean: Float32Array | null;
  readonly labels: string[] | null;
  readonly outputName: string; readonly outputSize: number;
  private readonly input: Blob; private readonly output: Blob; private readonly srcChannel: number[];

  constructor(private readonly o: ClassifierOptions) {
    this.net = new Net(readNetParamsFromTextFile(o.deploy), { phase: 'TEST' });
    this.net.copyTrainedLayersFromFile(o.weights);
    if (this.net.numInputs !== 1) throw new CaffeError(`Network should have exactly one input (${o.deploy} has ${this.net.numInputs}).`);
    if (this.net.numOutputs !== 1) throw new CaffeError(`Network should have exactly one output (${o.deploy} has ${this.net.numOutputs}).`);
    this.input = this.net.inputBlobs[0];
    this.output = this.net.outputBlobs[0];
    this.outputName = this.net.blobNames[this.net.outputBlobIndices[0]];
    const C = this.channels = this.input.channels;
    if (C !== 1 && C !== 3) throw new CaffeError(`Input layer should have 1 or 3 channels (${o.deploy}'s has ${C}).`);
    [this.height, this.width] = [this.input.height, this.input.width];
    this.mean = this.loadMean();
    this.srcChannel = this.channelOrder();
    const [ih, iw] = o.imagesDim ?? [256, 256];
    if ((o.mode ?? 'resize') !== 'resize' && !(ih >= this.height && iw >= this.width)) {
      throw new CaffeError(`--images_dim ${ih},${iw} is smaller than the net's input ${this.height}x${this.width}`);
    }
    this.outputSize = this.output.channels;
    this.labels = o.labels === undefined ? null : readLabels(o.labels);
    if (this.labels && this.labels.length !== this.outputSize) {
      throw new CaffeError(`Number of labels is different from the output layer dimension. ` +
        `(${o.labels} has ${this.labels.length} lines, output ${this.outputName} has ${this.outputSize})`);
    }
  }

  private loadMean(): Float32Array | null {
    const { meanFile, meanValue } = this.o, C = this.channels;
    if (meanFile !== undefined && meanValue !== undefined) throw new CaffeError('give either a mean file or --mean_value, not both');
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
      throw new CaffeError(`mean file ${meanFile} has ${blob.numAxes > 4 ? 'a ' + blob.numAxes + '-D blob, not' : blob.channels} channels, the net's input has ${C}`);
    }
    // cv::mean of the merged mean image, then a constant CV_32F image of that value
    const d = blob.cpuData(), plane = blob.height * blob.width;
    return Float32Array.from({ length: C }, (_, c) => {
      let s = 0;
      for (let i = c * plane; i < (c + 1) * plane; i++) s += d[i];
      return plane ? s / plane : 0;
    });
  }

  /** The image (BGR) channel feeding each net channel. */
  private channelOrder(): number[] {
    const swap = this.o.channelSwap, C = this.channels;
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
      throw new CaffeError(`Could not open or find file ${file} (${(e as NodeJS.ErrnoException).code ?? 'unreadable'})`);
    }
    return toChannels(await decodeImage(buf, undefined, file), this.channels);
  }

  /** The crops (top, left, mirrored) of an image, resized as the mode says. */
  private crops(img: Image): { img: Image; crops: [number, number, boolean][] } {
    const { height: H, width: W } = this, mode = this.o.mode ?? 'resize';
    if (mode === 'resize') return { img: img.height === H && img.width === W ? img : resizeLinear(img, H, W), crops: [[0, 0, false]] };
    const [ih, iw] = this.o.imagesDim ?? [256, 256];
    const r = img.height === ih && img.width === iw ? img : resizeLinear(img, ih, iw);
    const cy = Math.floor((ih - H) / 2), cx = Math.floor((iw - W) / 2);
    if (mode === 'center') return { img: r, crops: [[cy, cx, false]] };
    const five: [number, number][] = [[0, 0], [0, iw - W], [ih - H, 0], [ih - H, iw - W], [cy, cx]];
    return { img: r, crops: [...five.map(([y, x]) => [y, x, false] as [number, number, boolean]), ...five.map(([y, x]) => [y, x, true] as [number, number, boolean])] };
  }

  /** One crop as float CHW: (pixel [* raw_scale/255] - mean) [* input_scale], all in float32. */
  private fill(img: Image, [y0, x0, mirror]: [number, number, boolean], dst: Float32Array): void {
    const { channels: C, height: H, width: W, mean } = this, cn = img.channels, iw = img.width, src = img.data;
    const raw = this.o.rawScale !== undefined && this.o.rawScale !== 255 ? this.o.rawScale : undefined;
    const scale = this.o.inputScale === undefined ? undefined : f32(this.o.inputScale);
    for (let c = 0; c < C; c++) {
      const sc = this.srcChannel[c], m = mean ? f32(mean[c]) : 0;
      for (let y = 0; y < H; y++) {
        const row = ((y0 + y) * iw + x0) * cn + sc, o = (c * H + y) * W;
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

  /** Runs every file through the net, calling onResult in order; unreadable images become error results. */
  async classifyFiles(files: string[], topK: number, onResult: (r: ClassifyResult) => void): Promise<void> {
    const per = (this.o.mode ?? 'resize') === 'oversample' ? 10 : 1;
    const imagesPerForward = Math.max(1, Math.floor((this.o.batchSize ?? 10) / per));
    type Loaded = { file: string; img?: Image; crops?: [number, number, boolean][]; error?: string; scores?: Float32Array };
    const load = (chunk: string[]) => Promise.all(chunk.map(async (file): Promise<Loaded> => {
      try { return { file, ...this.crops(await this.loadImage(file)) }; } catch (e) { return { file, error: (e as Error).message }; }
    }));
    const chunks: string[][] = [];
    for (let i = 0; i < files.length; i += imagesPerForward) chunks.push(files.slice(i, i + imagesPerForward));
    let next = chunks.length ? load(chunks[0]) : null;
    for (let k = 0; k < chunks.length; k++) {
      const loaded = await next!;
      next = k + 1 < chunks.length ? load(chunks[k + 1]) : null; // decoding overlaps the forward
      const ok = loaded.filter((l) => l.img);
      if (ok.length) {
        const n = ok.length * per, item = this.channels * this.height * this.width;
        this.input.reshape([n, this.channels, this.height, this.width]);
        this.net.reshape();
        const data = this.input.mutableCpuData();
        ok.forEach((l, i) => l.crops!.forEach((cr, j) => this.fill(l.img!, cr, data.subarray((i * per + j) * item, (i * per + j + 1) * item))));
        this.net.forward();
        const out = this.output.cpuData(), stride = this.output.count / this.output.num, D = this.outputSize;
        ok.forEach((l, i) => {
          const acc = new Float64Array(D);
          for (let j = 0; j < per; j++) for (let d = 0; d < D; d++) acc[d] += out[(i * per + j) * stride + d];
          l.scores = Float32Array.from(acc, (v) => v / per);
        });
      }
      for (const l of loaded) {
        const s = l.scores;
        if (!s) { onResult({ image: l.file, error: l.error }); continue; }
        const n = Math.min(this.labels ? this.labels.length : this.outputSize, topK);
        const predictions = topN(s, n).map((index) => ({ index, ...(this.labels ? { label: this.labels[index] } : {}), score: s[index] }));
        onResult({ image: l.file, predictions, scores: s });
      }
    }
  }
}

/** Caffe's cvtColor to the net's channels: BGR(A)→GRAY, BGRA→BGR, GRAY→BGR. */
export function toChannels(img: Image, C: number): Image {
  const n = img.height * img.width, cn = img.channels, s = img.data;
  if (cn === C) return img;
  const out = new Uint8Array(n * C);
  if (C === 1) for (let i = 0, p = 0; i < n; i++, p += cn) out[i] = grayOpenCV(s[p + 2], s[p + 1], s[p]);
  else if (cn === 1) for (let i = 0, q = 0; i < n; i++, q += 3) out[q] = out[q + 1] = out[q + 2] = s[i];
  else for (let i = 0, p = 0, q = 0; i < n; i++, p += cn, q += 3) { out[q] = s[p]; out[q + 1] = s[p + 1]; out[q + 2] = s[p + 2]; }
  return { channels: C as 1 | 3, height: img.height, width: img.width, data: out };
}

/** Lines as std::getline reads them (no trailing empty line; a CR before the LF dropped). */
export function readLabels(file: string): string[] {
  let text: string;
  try { text = fs.readFileSync(file, 'utf8'); } catch { throw new CaffeError(`Unable to open labels file ${file}`); }
  const lines = text.split('\n').map((l) => l.replace(/\r$/, ''));
  return lines[lines.length - 1] === '' ? lines.slice(0, -1) : lines;
}

/**
 * Indices of the n largest scores in the order Caffe's Argmax gives them: libstdc++'s
 * std::partial_sort (heap select, then sort_heap) with `a.score > b.score`, ties included.
 */
export function topN(v: ArrayLike<number>, n: number): number[] {
  const a: [number, number][] = Array.from({ length: v.length }, (_, i) => [v[i], i]);
  const comp = (x: [number, number], y: [number, number]) => x[0] > y[0];
  const adjust = (hole: number, len: number, value: [number, number]) => {
    const top = hole;
    let child = hole;
    while (child < Math.trunc((len - 1) / 2)) {
      child = 2 * (child + 1);
      if (comp(a[child], a[child - 1])) child--;
      a[hole] = a[child]; hole = child;
    }
    if ((len & 1) === 0 && child === Math.trunc((len - 2) / 2)) {
      child = 2 * (child + 1);
      a[hole] = a[child - 1]; hole = child - 1;
    }
    let parent = Math.trunc((hole - 1) / 2);
    while (hole > top && comp(a[parent], value)) { a[hole] = a[parent]; hole = parent; parent = Math.trunc((hole - 1) / 2); }
    a[hole] = value;
  };
  const pop = (len: number, result: number) => { const value = a[result]; a[result] = a[0]; adjust(0, len, value); };
  n = Math.max(0, Math.min(n, a.length));
  if (n >= 2) for (let parent = Math.trunc((n - 2) / 2); ; parent--) { adjust(parent, n, a[parent]); if (parent === 0) break; }
  for (let i = n; i < a.length; i++) if (n > 0 && comp(a[i], a[0])) pop(n, i);
  for (let last = n; last > 1;) { last--; pop(last, last); }
  return a.slice(0, n).map((p) => p[1]);
}

/** printf("%.4f") of a float32 value (exact: ties to even as glibc rounds the binary value). */
export function fixed4(x: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? (x < 0 ? '-nan' : 'nan') : x > 0 ? 'inf' : '-inf';
  const neg = x < 0 || Object.is(x, -0), y = Math.abs(x) * 10000;
  if (y >= 2 ** 52) return (neg ? '-' : '') + Math.abs(x).toFixed(4);
  const f = Math.floor(y), d = y - f, r = d > 0.5 || (d === 0.5 && f % 2 === 1) ? f + 1 : f;
  return `${neg ? '-' : ''}${Math.floor(r / 10000)}.${String(r % 10000).padStart(4, '0')}`;
}

/** The lines Caffe's classification example prints for one image. */
export function formatPrediction(r: ClassifyResult): string {
  const lines = [`---------- Prediction for ${r.image} ----------`];
  for (const p of r.predictions ?? []) lines.push(`${fixed4(p.score)} - ${p.label !== undefined ? `"${p.label}"` : p.index}`);
  return lines.join('\n') + '\n';
}

/** Image files from arguments: a file, a folder (its images, sorted), or @list (one path a line, an optional label after). */
export function expandImageArgs(args: string[]): string[] {
  const out: string[] = [];
  for (const a of args) {
    if (a.startsWith('@')) {
      const list = a.slice(1);
      let text: string;
      try { text = fs.readFileSync(list, 'utf8'); } catch { throw new CaffeError(`Unable to open image list ${list}`); }
      const dir = list.includes('/') ? list.slice(0, list.lastIndexOf('/') + 1) : '';
      for (const raw of text.split(/\r?\n/)) {
        const line = raw.trim();
        if (!line || line.startsWith('#')) continue;
        const file = /^(.*\S)\s+-?\d+$/.exec(line)?.[1] ?? line;
        out.push(file.startsWith('/') || fs.existsSync(file) || !dir ? file : dir + file);
      }
    } else if (fs.existsSync(a) && fs.statSync(a).isDirectory()) {
      const sep = a.endsWith('/') ? '' : '/';
      out.push(...fs.readdirSync(a).filter((f) => IMAGE_EXT.test(f) && fs.statSync(a + sep + f).isFile()).sort().map((f) => a + sep + f));
    } else out.push(a);
  }
  return out;
}

export interface ClassifyCommandOptions extends Omit<ClassifierOptions, 'meanFile' | 'labels' | 'deploy' | 'weights'> {
  /** DEPLOY WEIGHTS [MEAN] [LABELS] IMG...: MEAN is absent with --mean_value, LABELS with --labels; '-' or 'none' = none */
  positionals: string[];
  labels?: string; topK?: number; json?: boolean; progress?: boolean;
  /** where Caffe's lines / the JSON go (default stdout) */
  out?: (s: string) => void;
}

/** '-' or 'none' (yargs drops a lone '-' positional) stand for no mean file / no labels. */
const none = (v: string | undefined) => v === '-' || v === 'none' || v === '';

/** The CLI: resolves the positionals, prints Caffe's lines (or one JSON document); 1 when an image failed. */
export async function classifyCommand(o: ClassifyCommandOptions): Promise<number> {
  const rest = o.positionals.slice(2), out = o.out ?? ((s: string) => { process.stdout.write(s); });
  if (!o.out) process.stdout.on('error', (e: NodeJS.ErrnoException) => { if (e.code === 'EPIPE') process.exit(0); throw e; }); // `| head`
  const need = (what: string) => { if (!rest.length) throw new CaffeError(`classify: missing ${what} (usage: caffets classify DEPLOY WEIGHTS MEAN LABELS IMG...)`); return rest.shift()!; };
  let meanFile: string | undefined;
  if (o.meanValue === undefined) meanFile = need('MEAN (a .binaryproto, or none)');
  else if (rest[0] === '-' || rest[0] === 'none') rest.shift();
  else if (rest[0]?.endsWith('.binaryproto')) throw new CaffeError('give either a mean file or --mean_value, not both');
  const labels = o.labels === undefined ? need('LABELS (a labels file, or none)') : o.labels;
  const files = expandImageArgs(rest);
  if (!files.length) throw new CaffeError('classify: no images given');
  const [deploy, weights] = o.positionals;
  const c = new Classifier({ ...o, deploy, weights, meanFile: none(meanFile) ? undefined : meanFile, labels: none(labels) ? undefined : labels });
  const bar = new ProgressBar(files.length, 'classify', process.stderr, o.progress ?? true);
  const results: ClassifyResult[] = [];
  let failed = 0;
  try { // stdout lines wipe the bar first (it is redrawn on the next tick)
    await c.classifyFiles(files, o.topK ?? 5, (r) => {
      if (process.stderr.isTTY && o.progress !== false) process.stderr.write('\r\x1b[K');
      if (r.error) { failed++; if (!o.json) process.stderr.write(`caffets: ${r.error}\n`); }
      if (o.json) results.push(r); else if (!r.error) out(formatPrediction(r));
      bar.tick();
    });
  } finally { bar.finish(); }
  if (o.json) {
    out(JSON.stringify({
      deploy, weights, mean: c.mean ? (o.meanValue ?? meanFile) : null, labels: c.labels ? labels : null, output: c.outputName,
      mode: o.mode ?? 'resize', results: results.map((r) => (r.error ? { image: r.image, error: r.error } : { image: r.image, predictions: r.predictions })),
    }, null, 2) + '\n');
  }
  return failed ? 1 : 0;
}
