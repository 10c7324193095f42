// Caffe's DataTransformer (data_transformer.cpp): turns a Datum, a decoded image or a Blob into
// network input by cropping, mirroring, subtracting a mean (mean_file or mean_value) and scaling.
// Arithmetic is Caffe's float arithmetic: (pixel - mean) rounded to float, times scale rounded to
// float. Random draws come from the transformer's own MT19937 (InitRand seeds it from the global
// generator, as caffe_rng_rand() does), in Caffe's order: mirror first (only when mirror is set),
// then the crop row offset, then the crop column offset (only when cropping in TRAIN).
//
// Everything here is synchronous and free of file I/O once constructed, so that the prefetch worker
// (data_worker.ts) can run it; the mean file is read by the constructor on the main thread and
// handed to the worker through `state`. Encoded (JPEG/PNG) datums are decoded with decodeDatum()
// first, then transformed as images.
import { native } from '../native/addon';
import type { Blob } from '../core/blob';
import type { Datum } from '../proto/caffe';
import { check, checkOp } from '../util/check';
import { ImageLike, TransformerBase, TransformerState } from './transformer_base';
import { setItemGeometry, transformItem } from './transform_item';

export { loadMeanFile, TransformerBase } from './transformer_base';
export type { ImageLike, MeanBlob, TransformerState } from './transformer_base';
export { setItemGeometry, transformItem } from './transform_item';

export class DataTransformer extends TransformerBase {
  private meanValuesF32 = new Float32Array(0);
  /** transformUint8's geometry argument, reused */
  private readonly geo = new Int32Array(9);
  /**
   * uint8 transforms queued between beginBatch() and flushBatch() (one `out`): n items, 12 numbers
   * each in geos (native transformUint8Batch's), their pixels in the few buffers of bufs
   */
  private queue: { bufs: Uint8Array[]; geos: Int32Array; n: number; out: Float32Array | null } | null = null;
  /** the geometry records, kept from batch to batch */
  private queueGeos: Int32Array = new Int32Array(12 * 64);

  /** A transformer equal to the one `state` was taken from, its RNG freshly seeded with the same seed. */
  static fromState(s: TransformerState): DataTransformer {
    const t = new DataTransformer(s.param, s.phase, { who: s.who, mean: s.mean });
    if (s.seed !== null) t.initRand(s.seed);
    return t;
  }

  /** The state to rebuild this transformer elsewhere (a worker thread). */
  get state(): TransformerState {
    return { param: this.param, phase: this.phase, who: this.who, mean: this.mean, seed: this.seedUsed };
  }

  // ------------------------------------------------------------------ Datum

  /**
   * Transform(Datum, Blob*): checks the datum against the destination item shape [C, H, W] (as Caffe
   * checks it against transformed_blob), then writes C*H*W floats at out[offset].
   * Encoded datums must be decoded first (decodeDatum, then transformImage).
   */
  transformDatum(datum: Datum, out: Float32Array, offset: number, itemShape?: readonly number[]): void {
    if (datum.encoded) throw this.error('encoded Datum: decode it with decodeDatum() and use transformImage()');
    this.checkDatumItem(datum.channels ?? 0, datum.height ?? 0, datum.width ?? 0, itemShape);
    this.transformDatumRaw(datum, out, offset);
  }

  /**
   * transformDatum of a plain uint8 Datum parsed natively (native parseDatums): its pixels are
   * buf[at, at + len).
   */
  transformUint8Datum(
    buf: Uint8Array,
    at: number,
    len: number,
    dims: readonly [number, number, number],
    out: Float32Array,
    offset: number,
    itemShape?: readonly number[],
  ): void {
    this.checkDatumItem(dims[0], dims[1], dims[2], itemShape);
    this.pixels(dims[0], dims[1], dims[2], buf, at, len, undefined, out, offset);
  }

  /** Transform(Datum)'s checks of the datum's C x H x W against the item shape (Caffe checks transformed_blob). */
  private checkDatumItem(dc: number, dh: number, dw: number, itemShape?: readonly number[]): void {
    if (this.p.forceColor || this.p.forceGray) this.warnForce();
    const [channels, height, width] = itemShape ?? this.inferShape(dc, dh, dw).slice(1);
    checkOp(this.who, channels, '==', dc, 'channels == datum_channels');
    checkOp(this.who, height, '<=', dh, 'height <= datum_height');
    checkOp(this.who, width, '<=', dw, 'width <= datum_width');
    const crop = this.p.cropSize;
    if (crop) {
      checkOp(this.who, crop, '==', height, 'crop_size == height');
      checkOp(this.who, crop, '==', width, 'crop_size == width');
    } else {
      checkOp(this.who, dh, '==', height, 'datum_height == height');
      checkOp(this.who, dw, '==', width, 'datum_width == width');
    }
  }

  /**
   * From here to flushBatch(), uint8 datums are checked and their random draws made at once, in order,
   * but their pixels are transformed in one native call at flushBatch() (the prefetch worker's batches).
   */
  beginBatch(): void {
    this.queue = { bufs: [], geos: this.queueGeos, n: 0, out: null };
  }

  flushBatch(): void {
    const q = this.queue;
    this.queue = null;
    if (!q || q.n === 0) return;
    this.queueGeos = q.geos;
    native().transformUint8Batch(
      q.bufs,
      q.geos,
      q.n,
      this.mean?.data ?? null,
      this.meanValues.length > 0 ? this.meanValuesF32 : null,
      this.p.scale,
      q.out!,
    );
  }

  /** Transform(Datum, Dtype*): the datum's pixels (uint8 `data` or `float_data`) into out[offset...]. */
  transformDatumRaw(datum: Datum, out: Float32Array, offset: number): void {
    const data: Uint8Array | undefined = datum.data;
    const u8 = data !== undefined && data.length > 0 ? data : null;
    this.pixels(
      datum.channels ?? 0,
      datum.height ?? 0,
      datum.width ?? 0,
      u8,
      0,
      u8?.length ?? 0,
      datum.float_data,
      out,
      offset,
    );
  }

  /** The pixels of a dc x dh x dw datum: uint8 at u8[at, at + len) when u8 is given, else floatData. */
  private pixels(
    dc: number,
    dh: number,
    dw: number,
    u8: Uint8Array | null,
    at: number,
    len: number,
    floatData: ArrayLike<number> | undefined,
    out: Float32Array,
    offset: number,
  ): void {
    const crop = this.p.cropSize,
      scale = this.p.scale;
    const doMirror = this.p.mirror && this.rand(2) !== 0;
    const hasMeanFile = this.mean !== null;
    const hasUint8 = u8 !== null;
    const hasMeanValues = this.meanValues.length > 0;

    checkOp(this.who, dc, '>', 0, 'datum_channels > 0');
    checkOp(this.who, dh, '>=', crop, 'datum_height >= crop_size');
    checkOp(this.who, dw, '>=', crop, 'datum_width >= crop_size');
    if (hasMeanFile) this.checkMeanShape(dc, dh, dw, 'datum');
    if (hasMeanValues) this.prepareMeanValues(dc);

    let height = dh,
      width = dw,
      hOff = 0,
      wOff = 0;
    if (crop) {
      height = crop;
      width = crop;
      [hOff, wOff] = this.cropOffsets(dh, dw);
    }
    const size = dc * dh * dw;
    if (hasUint8) {
      if (len < size) throw this.error(`Datum holds ${len} bytes of data for ${dc} x ${dh} x ${dw} = ${size} values`);
    } else if ((floatData?.length ?? 0) < size) {
      throw this.error(`Datum holds ${floatData?.length ?? 0} float_data values for ${dc} x ${dh} x ${dw} = ${size}`);
    }
    const mean = this.mean?.data ?? null;
    if (hasUint8) {
      // the common case: native/transform.cc, transformItem's mapping in C++
      if (hasMeanValues && this.meanValuesF32.length !== this.meanValues.length)
        this.meanValuesF32 = Float32Array.from(this.meanValues);
      const q = this.queue,
        deferred = q !== null && (q.out === null || q.out === out);
      if (deferred && q.geos.length < 12 * (q.n + 1)) {
        const g = new Int32Array(2 * q.geos.length + 12);
        g.set(q.geos);
        q.geos = g;
      }
      const g = setItemGeometry(
        deferred ? q.geos.subarray(12 * q.n, 12 * q.n + 12) : this.geo,
        offset,
        dc,
        dh,
        dw,
        height,
        width,
        hOff,
        wOff,
        doMirror,
      );
      if (deferred) {
        // the records of a database batch share one buffer: pass each buffer once
        const d = u8!;
        let b = q.bufs.length - 1;
        if (b < 0 || q.bufs[b].buffer !== d.buffer) {
          q.bufs.push(new Uint8Array(d.buffer as ArrayBuffer));
          b++;
        }
        g[9] = b;
        g[10] = d.byteOffset + at;
        g[11] = len;
        q.n++;
        q.out = out;
        return;
      }
      const data = at === 0 && len === u8!.length ? u8! : u8!.subarray(at, at + len);
      native().transformUint8(data, mean, hasMeanValues ? this.meanValuesF32 : null, scale, out, g);
      return;
    }
    const g = setItemGeometry(this.geo, offset, dc, dh, dw, height, width, hOff, wOff, doMirror);
    transformItem(floatData!, 0, false, g, mean, hasMeanValues ? this.meanValues : null, scale, out);
  }

  /** Transform(vector<Datum>, Blob*): item i into item i of `blob` (num >= datums). */
  transformDatums(datums: Datum[], blob: Blob): void {
    const n = datums.length;
    checkOp(this.who, n, '>', 0, 'datum_num > 0', 'There is no datum to add');
    checkOp(
      this.who,
      n,
      '<=',
      blob.num,
      'datum_num <= num',
      'The size of datum_vector must be no greater than transformed_blob->num()',
    );
    const item = [blob.channels, blob.height, blob.width],
      out = blob.mutableCpuData();
    for (let i = 0; i < n; i++) this.transformDatum(datums[i], out, blob.offset(i), item);
  }

  // ------------------------------------------------------------------ images

  /**
   * Transform(cv::Mat, Blob*): an 8-bit HWC image (item shape [C, H, W] checked as Caffe checks the
   * blob) into out[offset...], CHW.
   */
  transformImage(img: ImageLike, out: Float32Array, offset: number, itemShape?: readonly number[]): void {
    const crop = this.p.cropSize;
    const ic = img.channels,
      ih = img.height,
      iw = img.width;
    const [channels, height, width] = itemShape ?? this.inferShape(ic, ih, iw).slice(1);
    checkOp(this.who, channels, '==', ic, 'channels == img_channels');
    checkOp(this.who, height, '<=', ih, 'height <= img_height');
    checkOp(this.who, width, '<=', iw, 'width <= img_width');
    if (img.data.length < ic * ih * iw)
      throw this.error(`image holds ${img.data.length} bytes for ${ih} x ${iw} x ${ic}`);

    const scale = this.p.scale;
    const doMirror = this.p.mirror && this.rand(2) !== 0;
    const hasMeanValues = this.meanValues.length > 0;
    checkOp(this.who, ic, '>', 0, 'img_channels > 0');
    checkOp(this.who, ih, '>=', crop, 'img_height >= crop_size');
    checkOp(this.who, iw, '>=', crop, 'img_width >= crop_size');
    const mean = this.mean?.data;
    if (mean) this.checkMeanShape(ic, ih, iw, 'image');
    if (hasMeanValues) this.prepareMeanValues(ic);

    let hOff = 0,
      wOff = 0;
    if (crop) {
      checkOp(this.who, crop, '==', height, 'crop_size == height');
      checkOp(this.who, crop, '==', width, 'crop_size == width');
      [hOff, wOff] = this.cropOffsets(ih, iw);
    } else {
      checkOp(this.who, ih, '==', height, 'img_height == height');
      checkOp(this.who, iw, '==', width, 'img_width == width');
    }
    const g = setItemGeometry(this.geo, offset, ic, ih, iw, height, width, hOff, wOff, doMirror);
    transformItem(img.data, 0, true, g, mean ?? null, hasMeanValues ? this.meanValues : null, scale, out);
  }

  /** Transform(vector<cv::Mat>, Blob*): exactly blob.num images. */
  transformImages(imgs: ImageLike[], blob: Blob): void {
    const n = imgs.length;
    checkOp(this.who, n, '>', 0, 'mat_num > 0', 'There is no MAT to add');
    checkOp(
      this.who,
      n,
      '==',
      blob.num,
      'mat_num == num',
      'The size of mat_vector must be equals to transformed_blob->num()',
    );
    const item = [blob.channels, blob.height, blob.width],
      out = blob.mutableCpuData();
    for (let i = 0; i < n; i++) this.transformImage(imgs[i], out, blob.offset(i), item);
  }

  /**
   * Decodes an encoded datum as Caffe does before transforming it: force_color / force_gray decode
   * to 3 / 1 channels (DecodeDatumToCVMat), otherwise the image's own channels (...Native).
   */
  async decodeDatum(datum: Datum): Promise<ImageLike> {
    check(
      this.who,
      !(this.p.forceColor && this.p.forceGray),
      '!(param_.force_color() && param_.force_gray())',
      'cannot set both force_color and force_gray',
    );
    // loaded lazily: only encoded data needs the image codecs
    const image = require('../io/image') as {
      decodeDatumToImage(d: Datum, isColor?: boolean): ImageLike | Promise<ImageLike>;
    };
    const isColor = this.p.forceColor || this.p.forceGray ? this.p.forceColor : undefined;
    return await image.decodeDatumToImage(datum, isColor);
  }

  // ------------------------------------------------------------------ Blob

  /**
   * Transform(Blob*, Blob*). As in Caffe, the mean is subtracted from `input` IN PLACE (the input
   * blob is modified), then the crop (mirrored when drawn) is copied and scaled. One mirror / crop
   * draw serves the whole batch. An empty `transformed` is shaped first.
   */
  transformBlob(input: Blob, transformed: Blob): void {
    const crop = this.p.cropSize;
    const inN = input.num,
      inC = input.channels,
      inH = input.height,
      inW = input.width;
    if (transformed.count === 0) transformed.reshape(crop ? [inN, inC, crop, crop] : [inN, inC, inH, inW]);
    const num = transformed.num,
      channels = transformed.channels,
      height = transformed.height,
      width = transformed.width;
    checkOp(this.who, inN, '<=', num, 'input_num <= num');
    checkOp(this.who, inC, '==', channels, 'input_channels == channels');
    checkOp(this.who, inH, '>=', height, 'input_height >= height');
    checkOp(this.who, inW, '>=', width, 'input_width >= width');

    const scale = this.p.scale;
    const doMirror = this.p.mirror && this.rand(2) !== 0;
    const hasMeanValues = this.meanValues.length > 0;
    let hOff = 0,
      wOff = 0;
    if (crop) {
      checkOp(this.who, crop, '==', height, 'crop_size == height');
      checkOp(this.who, crop, '==', width, 'crop_size == width');
      [hOff, wOff] = this.cropOffsets(inH, inW);
    } else {
      checkOp(this.who, inH, '==', height, 'input_height == height');
      checkOp(this.who, inW, '==', width, 'input_width == width');
    }

    const inData = input.mutableCpuData();
    if (this.mean) {
      this.checkMeanShape(inC, inH, inW, 'input blob');
      const m = this.mean.data,
        mc = this.meanC * this.meanH * this.meanW;
      for (let n = 0; n < inN; n++) {
        const o = input.offset(n);
        for (let i = 0; i < mc; i++) inData[o + i] = Math.fround(inData[o + i] - m[i]);
      }
    }
    if (hasMeanValues) {
      check(
        this.who,
        this.meanValues.length === 1 || this.meanValues.length === inC,
        'mean_values_.size() == 1 || mean_values_.size() == input_channels',
        `Specify either 1 mean_value or as many as channels: ${inC}`,
      );
      if (this.meanValues.length === 1) {
        const mv = this.meanValues[0];
        for (let i = 0; i < inData.length; i++) inData[i] = Math.fround(inData[i] - mv);
      } else {
        const plane = inH * inW;
        for (let n = 0; n < inN; n++) {
          for (let c = 0; c < inC; c++) {
            const o = input.offset(n, c),
              mv = this.meanValues[c];
            for (let i = 0; i < plane; i++) inData[o + i] = Math.fround(inData[o + i] - mv);
          }
        }
      }
    }

    // the crop of each (mean-subtracted) item, times scale
    const out = transformed.mutableCpuData(),
      item = channels * height * width;
    for (let n = 0; n < inN; n++) {
      const g = setItemGeometry(this.geo, n * item, channels, inH, inW, height, width, hOff, wOff, doMirror);
      transformItem(inData, input.offset(n), false, g, null, null, scale, out);
    }
    // Caffe scales the whole transformed blob (caffe_scal over its count), items past input_num too
    if (scale !== 1) for (let i = inN * item; i < out.length; i++) out[i] = Math.fround(out[i] * scale);
  }
}
