// The parameters, mean and random draws of Caffe's DataTransformer (data_transformer.cpp), shared by
// its transforms (data_transformer.ts): transform_param with defaults, the mean file or mean values,
// the transformer's own MT19937 (InitRand), blob-shape inference, and Caffe's CHECK wording.
import { Rng, rng as globalRng } from '../core/rng';
import type { Phase } from '../core/layer';
import type { Datum, TransformationParameter } from '../proto/caffe';
import { withDefaults } from '../proto/schema';
import { check, checkOp, fatalError } from '../util/check';
import { CaffeError } from '../util/errors';
import { log } from '../util/logging';

/** A decoded image as cv::Mat holds it: rows of interleaved channels (BGR for colour), 8-bit. */
export interface ImageLike {
  channels: number;
  height: number;
  width: number;
  data: Uint8Array;
}

/** The mean image: a BlobProto's shape and data. */
export interface MeanBlob {
  shape: number[];
  data: Float32Array;
}

/** What a worker thread needs to rebuild an identical transformer (plain, structured-clonable). */
export interface TransformerState {
  param: TransformationParameter;
  phase: Phase;
  who: string;
  mean: MeanBlob | null;
  seed: number | null;
}

/** The transformation fields, with proto defaults applied (scale and mean values as floats). */
interface Params {
  scale: number;
  mirror: boolean;
  cropSize: number;
  meanFile: string | undefined;
  forceColor: boolean;
  forceGray: boolean;
}

function readParams(m: TransformationParameter): Params {
  const p = withDefaults('caffe.TransformationParameter', m);
  return {
    scale: Math.fround(p.scale),
    mirror: p.mirror,
    cropSize: p.crop_size,
    meanFile: m.mean_file,
    forceColor: p.force_color,
    forceGray: p.force_gray,
  };
}

/** Caffe's Blob::LegacyShape(i) for the mean blob (missing axes read as 1). */
export function legacyDim(shape: number[], i: number): number {
  return i < shape.length ? shape[i] : 1;
}

export class TransformerBase {
  readonly param: TransformationParameter;
  readonly phase: Phase;
  protected readonly p: Params;
  /** Prefix of error messages: the owning layer. */
  protected readonly who: string;
  protected mean: MeanBlob | null = null;
  protected meanC = 0;
  protected meanH = 0;
  protected meanW = 0;
  /** mean_value, as floats; replicated per channel on first use with a multi-channel input, as Caffe does. */
  protected meanValues: number[] = [];
  protected rng: Rng | null = null;
  protected seedUsed: number | null = null;
  private warnedForce = false;

  /**
   * Caffe's constructor: checks mean_file / mean_value exclusivity and reads the mean file (logging
   * "Loading mean file from: ..."), unless `opts.mean` already holds it.
   */
  constructor(
    param: TransformationParameter | undefined,
    phase: Phase,
    opts: { who?: string; mean?: MeanBlob | null } = {},
  ) {
    this.param = param ?? {};
    this.phase = phase;
    this.p = readParams(this.param);
    this.who = opts.who ?? '';
    const meanValues: number[] = Array.from(this.param.mean_value ?? [], (v: number) => Math.fround(v));
    if (this.p.meanFile !== undefined) {
      checkOp(
        this.who,
        meanValues.length,
        '==',
        0,
        'param_.mean_value_size() == 0',
        'Cannot specify mean_file and mean_value at the same time',
      );
      if (opts.mean) {
        this.setMean(opts.mean);
      } else {
        log.info(`Loading mean file from: ${this.p.meanFile}`);
        this.setMean(loadMeanFile(this.p.meanFile));
      }
    }
    if (meanValues.length > 0) {
      check(
        this.who,
        this.p.meanFile === undefined,
        'param_.has_mean_file() == false',
        'Cannot specify mean_file and mean_value at the same time',
      );
      this.meanValues = meanValues;
    }
  }

  get cropSize(): number {
    return this.p.cropSize;
  }

  /** Whether transforms draw random numbers: mirror, or cropping in TRAIN. */
  get needsRand(): boolean {
    return this.p.mirror || (this.phase === 'TRAIN' && this.p.cropSize > 0);
  }

  /**
   * Caffe's InitRand: when random draws are needed, a fresh generator seeded by `seed`, or by the next
   * output of the global generator (caffe_rng_rand()) when no seed is given; else no generator.
   */
  initRand(seed?: number): void {
    if (this.needsRand) {
      const s = seed ?? globalRng().u32();
      this.seedUsed = s >>> 0;
      this.rng = new Rng(this.seedUsed);
    } else {
      this.seedUsed = null;
      this.rng = null;
    }
  }

  /** Where a crop_size window starts: drawn in TRAIN (row, then column), centred otherwise. */
  protected cropOffsets(h: number, w: number): [number, number] {
    const crop = this.p.cropSize;
    if (this.phase !== 'TRAIN') return [Math.floor((h - crop) / 2), Math.floor((w - crop) / 2)];
    const hOff = this.rand(h - crop + 1);
    return [hOff, this.rand(w - crop + 1)];
  }

  /** Caffe's Rand(n): the next raw 32-bit draw modulo n. */
  rand(n: number): number {
    check(this.who, this.rng !== null, 'rng_');
    checkOp(this.who, n, '>', 0, 'n > 0');
    return this.rng!.u32() % n;
  }

  // ------------------------------------------------------------------ shapes

  /** InferBlobShape(Datum) for a raw (not encoded) datum: [1, C, crop or H, crop or W]. */
  inferDatumShape(datum: Datum): number[] {
    if (datum.encoded) throw this.error('encoded Datum: decode it with decodeDatum() and use inferImageShape()');
    return this.inferShape(datum.channels ?? 0, datum.height ?? 0, datum.width ?? 0);
  }

  /** InferBlobShape(cv::Mat). */
  inferImageShape(img: ImageLike): number[] {
    return this.inferShape(img.channels, img.height, img.width);
  }

  protected inferShape(c: number, h: number, w: number): number[] {
    const crop = this.p.cropSize;
    checkOp(this.who, c, '>', 0, 'datum_channels > 0');
    checkOp(this.who, h, '>=', crop, 'datum_height >= crop_size');
    checkOp(this.who, w, '>=', crop, 'datum_width >= crop_size');
    return [1, c, crop ? crop : h, crop ? crop : w];
  }

  // ------------------------------------------------------------------ helpers

  protected setMean(m: MeanBlob): void {
    checkOp(
      this.who,
      m.shape.length,
      '<=',
      4,
      'num_axes() <= 4',
      `Cannot use legacy accessors on Blobs with > 4 axes. (mean file ${this.p.meanFile ?? ''})`,
    );
    this.mean = m;
    this.meanC = legacyDim(m.shape, 1);
    this.meanH = legacyDim(m.shape, 2);
    this.meanW = legacyDim(m.shape, 3);
  }

  /** Caffe's three CHECK_EQs of the input against the mean blob, naming the mean file and both shapes. */
  protected checkMeanShape(c: number, h: number, w: number, what: string): void {
    const ctx = () =>
      `(mean file ${this.p.meanFile ?? ''} has shape ${this.mean!.shape.join(' ')}; the ${what} is ${c} x ${h} x ${w})`;
    const chk = (a: number, b: number, cond: string) => {
      if (a !== b) checkOp(this.who, a, '==', b, cond, ctx());
    };
    const pre = what === 'image' ? 'img' : what === 'datum' ? 'datum' : 'input';
    chk(c, this.meanC, `${pre}_channels == data_mean_.channels()`);
    chk(h, this.meanH, `${pre}_height == data_mean_.height()`);
    chk(w, this.meanW, `${pre}_width == data_mean_.width()`);
  }

  /** Caffe's mean_value CHECK and one-value replication (mean_values_ grows on first use). */
  protected prepareMeanValues(channels: number): void {
    check(
      this.who,
      this.meanValues.length === 1 || this.meanValues.length === channels,
      'mean_values_.size() == 1 || mean_values_.size() == datum_channels',
      `Specify either 1 mean_value or as many as channels: ${channels}`,
    );
    if (channels > 1 && this.meanValues.length === 1) {
      for (let c = 1; c < channels; c++) this.meanValues.push(this.meanValues[0]);
    }
  }

  /** Caffe LOG(ERROR)s this for every raw datum; logged once per transformer here. */
  protected warnForce(): void {
    if (this.warnedForce) return;
    this.warnedForce = true;
    log.error('force_color and force_gray only for encoded datum');
  }

  protected error(what: string): CaffeError {
    return fatalError(this.who, what);
  }
}

/** Reads a mean BlobProto (.binaryproto) into {shape, data}, as Caffe's data_mean_.FromProto. */
export function loadMeanFile(file: string): MeanBlob {
  // required lazily: the prefetch worker receives the mean and never loads proto_io (and its upgraders)
  const { readBlobProtoFromFile } = require('../io/proto_io') as typeof import('../io/proto_io');
  const { blobProtoShape } = require('../core/blob') as typeof import('../core/blob');
  const proto = readBlobProtoFromFile(file);
  const shape = blobProtoShape(proto);
  const count = shape.reduce((a, b) => a * b, 1);
  const src: ArrayLike<number> = proto.double_data?.length ? proto.double_data : (proto.data ?? []);
  if (src.length !== count) {
    throw new CaffeError(
      `${file}: BlobProto has ${src.length} data values for a blob of shape ${shape.join(' ')} (${count})`,
    );
  }
  return { shape, data: Float32Array.from(src) };
}
