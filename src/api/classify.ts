// caffets classify: Caffe's examples/cpp_classification (Classifier: one input, one output; the
// image converted to the input's channels as cv::cvtColor does, resized with INTER_LINEAR, the
// per-channel mean of the mean file subtracted, top-N by std::partial_sort), plus what users of
// python/classify.py expect: --mean_value, --center_only / --oversample crops of an --images_dim
// resize, --raw_scale / --input_scale / --channel_swap, many images per batched forward.
// The input side (mean, channels, crops, scales) is classify_input.ts, the command classify_command.ts.
import * as fs from 'fs';
import { Blob } from '../core/blob';
import { Image } from '../io/image';
import { readNetParamsFromTextFile } from '../io/proto_io';
import { Net } from '../net';
import { CaffeError } from '../util/errors';
import { PreprocessOptions, Preprocessor } from './classify_input';

export interface ClassifierOptions extends PreprocessOptions {
  deploy: string;
  weights: string;
  labels?: string;
  /** net inputs per forward (crops count: an oversampled image is 10) */
  batchSize?: number;
}

export interface Prediction {
  index: number;
  label?: string;
  score: number;
}
export interface ClassifyResult {
  image: string;
  predictions?: Prediction[];
  scores?: Float32Array;
  error?: string;
}

export class Classifier {
  readonly net: Net;
  readonly channels: number;
  readonly height: number;
  readonly width: number;
  /** per net channel, already float32 */
  readonly mean: Float32Array | null;
  readonly labels: string[] | null;
  readonly outputName: string;
  readonly outputSize: number;
  private readonly input: Blob;
  private readonly output: Blob;
  private readonly pre: Preprocessor;

  constructor(private readonly o: ClassifierOptions) {
    this.net = new Net(readNetParamsFromTextFile(o.deploy), { phase: 'TEST' });
    this.net.copyTrainedLayersFromFile(o.weights);
    if (this.net.numInputs !== 1)
      throw new CaffeError(`Network should have exactly one input (${o.deploy} has ${this.net.numInputs}).`);
    if (this.net.numOutputs !== 1)
      throw new CaffeError(`Network should have exactly one output (${o.deploy} has ${this.net.numOutputs}).`);
    this.input = this.net.inputBlobs[0];
    this.output = this.net.outputBlobs[0];
    this.outputName = this.net.blobNames[this.net.outputBlobIndices[0]];
    const C = (this.channels = this.input.channels);
    if (C !== 1 && C !== 3) throw new CaffeError(`Input layer should have 1 or 3 channels (${o.deploy}'s has ${C}).`);
    [this.height, this.width] = [this.input.height, this.input.width];
    this.pre = new Preprocessor(o, C, this.height, this.width);
    this.mean = this.pre.mean;
    this.outputSize = this.output.channels;
    this.labels = o.labels === undefined ? null : readLabels(o.labels);
    if (this.labels && this.labels.length !== this.outputSize) {
      throw new CaffeError(
        `Number of labels is different from the output layer dimension. ` +
          `(${o.labels} has ${this.labels.length} lines, output ${this.outputName} has ${this.outputSize})`,
      );
    }
  }

  /** cv::imread(file, IMREAD_UNCHANGED), then Caffe's cvtColor to the net's channel count. */
  async loadImage(file: string): Promise<Image> {
    return this.pre.loadImage(file);
  }

  /** Runs every file through the net, calling onResult in order; unreadable images become error results. */
  async classifyFiles(files: string[], topK: number, onResult: (r: ClassifyResult) => void): Promise<void> {
    const per = (this.o.mode ?? 'resize') === 'oversample' ? 10 : 1;
    const imagesPerForward = Math.max(1, Math.floor((this.o.batchSize ?? 10) / per));
    type Loaded = {
      file: string;
      img?: Image;
      crops?: [number, number, boolean][];
      error?: string;
      scores?: Float32Array;
    };
    const load = (chunk: string[]) =>
      Promise.all(
        chunk.map(async (file): Promise<Loaded> => {
          try {
            return { file, ...this.pre.crops(await this.loadImage(file)) };
          } catch (e) {
            return { file, error: (e as Error).message };
          }
        }),
      );
    const chunks: string[][] = [];
    for (let i = 0; i < files.length; i += imagesPerForward) chunks.push(files.slice(i, i + imagesPerForward));
    let next = chunks.length ? load(chunks[0]) : null;
    for (let k = 0; k < chunks.length; k++) {
      const loaded = await next!;
      next = k + 1 < chunks.length ? load(chunks[k + 1]) : null; // decoding overlaps the forward
      const ok = loaded.filter((l) => l.img);
      if (ok.length) {
        const n = ok.length * per,
          item = this.channels * this.height * this.width;
        this.input.reshape([n, this.channels, this.height, this.width]);
        this.net.reshape();
        const data = this.input.mutableCpuData();
        ok.forEach((l, i) =>
          l.crops!.forEach((cr, j) =>
            this.pre.fill(l.img!, cr, data.subarray((i * per + j) * item, (i * per + j + 1) * item)),
          ),
        );
        this.net.forward();
        const out = this.output.cpuData(),
          stride = this.output.count / this.output.num,
          D = this.outputSize;
        ok.forEach((l, i) => {
          const acc = new Float64Array(D);
          for (let j = 0; j < per; j++) for (let d = 0; d < D; d++) acc[d] += out[(i * per + j) * stride + d];
          l.scores = Float32Array.from(acc, (v) => v / per);
        });
      }
      for (const l of loaded) {
        const s = l.scores;
        if (!s) {
          onResult({ image: l.file, error: l.error });
          continue;
        }
        const n = Math.min(this.labels ? this.labels.length : this.outputSize, topK);
        const predictions = topN(s, n).map((index) => ({
          index,
          ...(this.labels ? { label: this.labels[index] } : {}),
          score: s[index],
        }));
        onResult({ image: l.file, predictions, scores: s });
      }
    }
  }
}

/** Lines as std::getline reads them (no trailing empty line; a CR before the LF dropped). */
export function readLabels(file: string): string[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new CaffeError(`Unable to open labels file ${file}`);
  }
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
      a[hole] = a[child];
      hole = child;
    }
    if ((len & 1) === 0 && child === Math.trunc((len - 2) / 2)) {
      child = 2 * (child + 1);
      a[hole] = a[child - 1];
      hole = child - 1;
    }
    let parent = Math.trunc((hole - 1) / 2);
    while (hole > top && comp(a[parent], value)) {
      a[hole] = a[parent];
      hole = parent;
      parent = Math.trunc((hole - 1) / 2);
    }
    a[hole] = value;
  };
  const pop = (len: number, result: number) => {
    const value = a[result];
    a[result] = a[0];
    adjust(0, len, value);
  };
  n = Math.max(0, Math.min(n, a.length));
  if (n >= 2)
    for (let parent = Math.trunc((n - 2) / 2); ; parent--) {
      adjust(parent, n, a[parent]);
      if (parent === 0) break;
    }
  for (let i = n; i < a.length; i++) if (n > 0 && comp(a[i], a[0])) pop(n, i);
  for (let last = n; last > 1;) {
    last--;
    pop(last, last);
  }
  return a.slice(0, n).map((p) => p[1]);
}
