// DataTransformer against hand-computed values: Caffe's order of operations ((x - mean) * scale in
// float), crop offsets (random in TRAIN from the transformer's own MT19937, centred in TEST),
// mirroring, mean files at the crop offset, mean_value, float_data, images (HWC) and blobs.
import * as path from 'path';
import { Blob } from '../../src/core/blob';
import { Rng, rng, setRandomSeed } from '../../src/core/rng';
import { DataTransformer, ImageLike } from '../../src/data/data_transformer';
import { boostUniformInt, caffeShuffle } from '../../src/data/random';
import { writeProtoToBinaryFile } from '../../src/io/proto_io';
import { setLogSink } from '../../src/util/logging';
import { tmpDir } from '../helpers';

const f = Math.fround;
const arr = (a: ArrayLike<number>) => Array.from(a);

/** A raw datum C x H x W whose byte at CHW index i is `fill(i)`. */
function datum(c: number, h: number, w: number, fill = (i: number) => i, label = 3) {
  return { channels: c, height: h, width: w, data: Uint8Array.from({ length: c * h * w }, (_, i) => fill(i)), label };
}

function run(t: DataTransformer, d: object, shape?: number[]): number[] {
  const s = shape ?? t.inferDatumShape(d).slice(1);
  const out = new Float32Array(s[0] * s[1] * s[2]);
  t.transformDatum(d, out, 0, s);
  return arr(out);
}

let quiet: () => void;
beforeAll(() => {
  quiet = setLogSink(() => undefined);
});
afterAll(() => quiet());

describe('DataTransformer: Datum', () => {
  it('copies with no parameters; scale multiplies in float', () => {
    const d = datum(1, 2, 3);
    expect(run(new DataTransformer({}, 'TRAIN'), d)).toEqual([0, 1, 2, 3, 4, 5]);
    const t = new DataTransformer({ scale: 0.1 }, 'TEST');
    expect(run(t, d)).toEqual([0, 1, 2, 3, 4, 5].map((x) => f(x * f(0.1))));
  });

  it('mean_value: one for all channels, or one per channel; subtracted before scaling', () => {
    const d = datum(2, 1, 2, (i) => 10 * i); // c0: 0 10, c1: 20 30
    expect(run(new DataTransformer({ mean_value: [5] }, 'TEST'), d)).toEqual([-5, 5, 15, 25]);
    expect(run(new DataTransformer({ mean_value: [1, 2], scale: 0.5 }, 'TEST'), d)).toEqual([-0.5, 4.5, 9, 14]);
    expect(
      run(
        new DataTransformer({ mean_value: [0.1] }, 'TEST'),
        datum(1, 1, 1, () => 1),
      ),
    ).toEqual([f(1 - f(0.1))]);
  });

  it("mean_value count must be 1 or the channel count (Caffe's message)", () => {
    const t = new DataTransformer({ mean_value: [1, 2] }, 'TEST', { who: 'Data layer d' });
    expect(() => run(t, datum(3, 1, 1))).toThrow(
      'Data layer d: Check failed: mean_values_.size() == 1 || mean_values_.size() == datum_channels ' +
        'Specify either 1 mean_value or as many as channels: 3',
    );
  });

  it('mean_file and mean_value together are refused', () => {
    expect(() => new DataTransformer({ mean_file: 'x', mean_value: [1] }, 'TEST')).toThrow(
      'Check failed: param_.mean_value_size() == 0 (1 vs. 0) Cannot specify mean_file and mean_value at the same time',
    );
  });

  it('float_data datums are used when data is empty', () => {
    const d = { channels: 1, height: 1, width: 3, float_data: Float32Array.from([0.5, -1.25, 3]) };
    expect(run(new DataTransformer({ scale: 2, mean_value: [0.5] }, 'TEST'), d)).toEqual([0, -3.5, 5]);
  });

  it('TEST: centre crop at ((H - crop) / 2, (W - crop) / 2), integer division', () => {
    const d = datum(1, 4, 5); // rows 0..4, 5..9, 10..14, 15..19
    // h_off = (4-2)/2 = 1, w_off = (5-2)/2 = 1
    expect(run(new DataTransformer({ crop_size: 2 }, 'TEST'), d)).toEqual([6, 7, 11, 12]);
    expect(new DataTransformer({ crop_size: 2 }, 'TEST').inferDatumShape(d)).toEqual([1, 1, 2, 2]);
  });

  it('mean_file: subtracted at the crop offset (the mean is datum-sized)', () => {
    const dir = tmpDir();
    const file = path.join(dir, 'mean.binaryproto');
    const mean = Float32Array.from({ length: 2 * 4 * 5 }, (_, i) => i * 0.25);
    writeProtoToBinaryFile({ shape: { dim: [1, 2, 4, 5] }, data: mean }, 'caffe.BlobProto', file);
    const t = new DataTransformer({ crop_size: 2, mean_file: file, scale: 0.5 }, 'TEST');
    const d = datum(2, 4, 5, (i) => 2 * i);
    const want: number[] = [];
    for (let c = 0; c < 2; c++)
      for (let h = 0; h < 2; h++)
        for (let w = 0; w < 2; w++) {
          const idx = (c * 4 + 1 + h) * 5 + 1 + w;
          want.push(f(f(2 * idx - mean[idx]) * f(0.5)));
        }
    expect(run(t, d)).toEqual(want);
    // the state carries the mean: a rebuilt transformer (the worker's) reads no file
    expect(run(DataTransformer.fromState(t.state), d)).toEqual(want);
  });

  it("mean_file of another shape: Caffe's CHECK, naming the mean file and both shapes", () => {
    const dir = tmpDir();
    const file = path.join(dir, 'mean.binaryproto');
    writeProtoToBinaryFile(
      { num: 1, channels: 1, height: 28, width: 28, data: new Float32Array(784) },
      'caffe.BlobProto',
      file,
    );
    const t = new DataTransformer({ mean_file: file }, 'TEST', { who: 'Data layer mnist' });
    expect(() => run(t, datum(3, 28, 28))).toThrow(
      `Data layer mnist: Check failed: datum_channels == data_mean_.channels() (3 vs. 1) ` +
        `(mean file ${file} has shape 1 1 28 28; the datum is 3 x 28 x 28)`,
    );
    expect(() => run(t, datum(1, 28, 27))).toThrow('Check failed: datum_width == data_mean_.width() (27 vs. 28)');
  });

  it("missing mean file: the reader's error", () => {
    expect(() => new DataTransformer({ mean_file: '/nonexistent/mean.binaryproto' }, 'TEST')).toThrow(
      'File not found: /nonexistent/mean.binaryproto',
    );
  });

  it('TRAIN: mirror draw first, then crop row, then crop column, from the seeded generator (Rand(n) = u32 % n)', () => {
    const d = datum(2, 5, 6);
    for (const seed of [1, 2, 3, 1701, 99999]) {
      const t = new DataTransformer({ crop_size: 3, mirror: true }, 'TRAIN');
      t.initRand(seed);
      const g = new Rng(seed);
      for (let k = 0; k < 4; k++) {
        const mirror = g.u32() % 2 === 1,
          hOff = g.u32() % 3,
          wOff = g.u32() % 4;
        const want: number[] = [];
        for (let c = 0; c < 2; c++)
          for (let h = 0; h < 3; h++)
            for (let w = 0; w < 3; w++) {
              const sw = mirror ? 2 - w : w;
              want.push((c * 5 + hOff + h) * 6 + wOff + sw);
            }
        expect(run(t, d)).toEqual(want);
      }
    }
  });

  it('TEST with mirror: Caffe mirrors at random in every phase (only cropping is centred in TEST)', () => {
    const t = new DataTransformer({ mirror: true }, 'TEST');
    t.initRand(7);
    const g = new Rng(7),
      d = datum(1, 1, 3);
    for (let k = 0; k < 8; k++) expect(run(t, d)).toEqual(g.u32() % 2 ? [2, 1, 0] : [0, 1, 2]);
  });

  it('initRand draws its seed from the global generator only when transforms are random', () => {
    setRandomSeed(5);
    new DataTransformer({ crop_size: 2 }, 'TEST').initRand(); // needs none
    expect(rng().u32()).toBe(new Rng(5).u32());
    setRandomSeed(5);
    const t = new DataTransformer({ crop_size: 2 }, 'TRAIN');
    t.initRand();
    const g = new Rng(5),
      seed = g.u32();
    expect(t.state.seed).toBe(seed);
    expect(rng().u32()).toBe(g.u32());
  });

  it('destination shape checks of Transform(Datum, Blob)', () => {
    const t = new DataTransformer({}, 'TEST');
    expect(() => t.transformDatum(datum(1, 2, 2), new Float32Array(8), 0, [2, 2, 2])).toThrow(
      'Check failed: channels == datum_channels (2 vs. 1)',
    );
    expect(() => t.transformDatum(datum(1, 2, 2), new Float32Array(8), 0, [1, 1, 2])).toThrow(
      'Check failed: datum_height == height (2 vs. 1)',
    );
    const c = new DataTransformer({ crop_size: 3 }, 'TEST');
    expect(() => c.inferDatumShape(datum(1, 2, 4))).toThrow('Check failed: datum_height >= crop_size (2 vs. 3)');
  });

  it('writes at the given offset and leaves the rest alone', () => {
    const out = new Float32Array(6).fill(-1);
    new DataTransformer({}, 'TEST').transformDatum(
      datum(1, 1, 2, (i) => i + 7),
      out,
      3,
    );
    expect(arr(out)).toEqual([-1, -1, -1, 7, 8, -1]);
  });

  it('transformDatums fills item i of a blob; more datums than the blob holds is refused', () => {
    const b = new Blob([3, 1, 1, 2]);
    const t = new DataTransformer({ scale: 2 }, 'TEST');
    t.transformDatums([datum(1, 1, 2, () => 1), datum(1, 1, 2, () => 2)], b);
    expect(arr(b.cpuData())).toEqual([2, 2, 4, 4, 0, 0]);
    expect(() =>
      t.transformDatums(
        [1, 2, 3, 4].map(() => datum(1, 1, 2)),
        b,
      ),
    ).toThrow('The size of datum_vector must be no greater than transformed_blob->num()');
  });
});

describe('DataTransformer: images (cv::Mat, HWC BGR)', () => {
  const img = (h: number, w: number, c: number): ImageLike => ({
    channels: c,
    height: h,
    width: w,
    data: Uint8Array.from({ length: h * w * c }, (_, i) => i),
  });

  it('HWC interleaved pixels go to CHW planes', () => {
    const out = new Float32Array(12);
    new DataTransformer({}, 'TEST').transformImage(img(2, 2, 3), out, 0);
    // pixel (h,w) channel c at HWC index (h*2+w)*3+c
    expect(arr(out)).toEqual([0, 3, 6, 9, 1, 4, 7, 10, 2, 5, 8, 11]);
  });

  it('crop, mirror and per-channel mean_value on an image, draws as for datums', () => {
    const t = new DataTransformer({ crop_size: 2, mirror: true, mean_value: [1, 2, 3], scale: 0.5 }, 'TRAIN');
    t.initRand(42);
    const g = new Rng(42),
      im = img(3, 4, 3);
    for (let k = 0; k < 5; k++) {
      const mirror = g.u32() % 2 === 1,
        hOff = g.u32() % 2,
        wOff = g.u32() % 3;
      const want: number[] = [];
      for (let c = 0; c < 3; c++)
        for (let h = 0; h < 2; h++)
          for (let w = 0; w < 2; w++) {
            const sw = mirror ? 1 - w : w;
            want.push(f(f(((hOff + h) * 4 + wOff + sw) * 3 + c - (c + 1)) * 0.5));
          }
      const out = new Float32Array(12);
      t.transformImage(im, out, 0);
      expect(arr(out)).toEqual(want);
    }
  });

  it('mean_file on an image: indexed CHW at the crop offset', () => {
    const mean: Float32Array = Float32Array.from({ length: 1 * 3 * 3 }, (_, i) => i / 2);
    const t = new DataTransformer({ crop_size: 1, mean_file: 'm' }, 'TEST', {
      mean: { shape: [1, 1, 3, 3], data: mean },
    });
    const out = new Float32Array(1);
    t.transformImage(img(3, 3, 1), out, 0);
    expect(arr(out)).toEqual([4 - 2]);
    expect(t.inferImageShape(img(3, 3, 1))).toEqual([1, 1, 1, 1]);
  });

  it('transformImages wants exactly num images', () => {
    const t = new DataTransformer({}, 'TEST');
    expect(() => t.transformImages([img(1, 1, 1)], new Blob([2, 1, 1, 1]))).toThrow(
      'The size of mat_vector must be equals to transformed_blob->num()',
    );
  });
});

describe('DataTransformer: Blob', () => {
  it('subtracts the mean from the input IN PLACE, crops (centred in TEST), mirrors, then scales', () => {
    const input = new Blob([1, 1, 3, 3]);
    input.mutableCpuData().set([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const out = new Blob();
    new DataTransformer({ crop_size: 2, mean_value: [1], scale: 2 }, 'TEST').transformBlob(input, out);
    expect(out.shape).toEqual([1, 1, 2, 2]);
    expect(arr(input.cpuData())).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]); // Caffe modifies its input
    expect(arr(out.cpuData())).toEqual([0, 2, 6, 8]); // rows 0-1, cols 0-1 of (x - 1), times 2
  });

  it('one mirror draw for the whole blob; per-channel mean values', () => {
    const t = new DataTransformer({ mirror: true, mean_value: [1, 10] }, 'TRAIN');
    t.initRand(3);
    const g = new Rng(3);
    for (let k = 0; k < 4; k++) {
      const input = new Blob([2, 2, 1, 2]);
      input.mutableCpuData().set([1, 2, 11, 12, 3, 4, 13, 14]);
      const out = new Blob();
      t.transformBlob(input, out);
      const m = g.u32() % 2 === 1;
      expect(arr(out.cpuData())).toEqual(m ? [1, 0, 2, 1, 3, 2, 4, 3] : [0, 1, 1, 2, 2, 3, 3, 4]);
    }
  });
});

describe('DataTransformer: one index mapping on every path', () => {
  // native/transform.cc (uint8 datums, one by one or batched) and transformItem (float_data, HWC images,
  // blobs) must give the same bytes for the same crops, mirrors, means and scales, drawn in the same order.
  it('uint8 datums (native, single and batched), float_data datums, images and blobs agree bit for bit', () => {
    const g = new Rng(20240601);
    const pick = (n: number) => g.u32() % n;
    for (let k = 0; k < 80; k++) {
      const C = [1, 3, 4][pick(3)],
        H = 1 + pick(12),
        W = 1 + pick(12),
        reps = 3;
      const crop = pick(2) ? 1 + pick(Math.min(H, W)) : 0,
        phase = pick(2) ? 'TRAIN' : 'TEST';
      const param: Record<string, unknown> = { crop_size: crop, mirror: pick(2) === 1 };
      const scale = [1, 0.00390625, g.u32() / 2 ** 31][pick(3)];
      if (scale !== 1) param.scale = scale;
      const meanKind = pick(3);
      let mean = null;
      if (meanKind === 1) {
        param.mean_file = 'mean.binaryproto';
        const data = Float32Array.from({ length: C * H * W }, () => (g.u32() % 51200) / 100 - 128);
        mean = { shape: [1, C, H, W], data };
      } else if (meanKind === 2) {
        param.mean_value = Array.from({ length: pick(2) ? C : 1 }, () => (g.u32() % 25600) / 100);
      }
      const px = Uint8Array.from({ length: C * H * W }, () => pick(256));
      const hwc = new Uint8Array(px.length);
      for (let c = 0; c < C; c++) {
        for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) hwc[(h * W + w) * C + c] = px[(c * H + h) * W + w];
      }
      const seed = g.u32();
      const make = () => {
        const t = new DataTransformer(param, phase, { mean });
        t.initRand(seed);
        return t;
      };
      const oh = crop || H,
        ow = crop || W,
        item = C * oh * ow,
        shape = [C, oh, ow];
      const outs = Array.from({ length: 5 }, () => new Float32Array(reps * item));
      const [single, batched, floats, images, blobs] = [make(), make(), make(), make(), make()];
      // batched datums are views at odd offsets into two shared buffers, as database records are
      const pools = [new Uint8Array(7 + reps * px.length), new Uint8Array(3 + reps * px.length)];
      const views = Array.from({ length: reps }, (_, r) => {
        const at = (r % 2 ? 3 : 7) + r * px.length,
          v = pools[r % 2].subarray(at, at + px.length);
        v.set(px);
        return v;
      });
      batched.beginBatch();
      for (let r = 0; r < reps; r++) {
        single.transformDatum({ channels: C, height: H, width: W, data: px }, outs[0], r * item, shape);
        batched.transformDatum({ channels: C, height: H, width: W, data: views[r] }, outs[1], r * item, shape);
        const floatData = Float32Array.from(px);
        floats.transformDatum({ channels: C, height: H, width: W, float_data: floatData }, outs[2], r * item, shape);
        images.transformImage({ channels: C, height: H, width: W, data: hwc }, outs[3], r * item, shape);
        const input = new Blob([1, C, H, W]),
          out = new Blob([1, ...shape]);
        input.mutableCpuData().set(px);
        blobs.transformBlob(input, out);
        outs[4].set(out.cpuData(), r * item);
      }
      batched.flushBatch();
      const bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
      const what = `case ${k}: ${C}x${H}x${W} ${phase} ${JSON.stringify(param)}`;
      for (let i = 1; i < outs.length; i++) {
        expect([what, i, bytes(outs[i]).equals(bytes(outs[0]))]).toEqual([what, i, true]);
      }
    }
  });
});

describe("Caffe's random helpers", () => {
  it("boostUniformInt stays in range and uses boost's bucket rejection", () => {
    const g = new Rng(1);
    for (let i = 0; i < 1000; i++) {
      const v = boostUniformInt(g, 0, 6);
      expect(v >= 0 && v <= 6).toBe(true);
    }
    // bucket_size for range 6: floor(0xffffffff / 7) = 613566756 (no +1: 0xffffffff % 7 = 3 != 6)
    const a = new Rng(9),
      b = new Rng(9);
    for (let i = 0; i < 50; i++) {
      let r: number;
      do {
        r = Math.floor(b.u32() / 613566756);
      } while (r > 6);
      expect(boostUniformInt(a, 0, 6)).toBe(r);
    }
  });

  it('caffeShuffle is a permutation, reproducible from the seed', () => {
    const a = Array.from({ length: 20 }, (_, i) => i),
      b = a.slice();
    caffeShuffle(a, new Rng(11));
    caffeShuffle(b, new Rng(11));
    expect(a).toEqual(b);
    expect(a.slice().sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(a).not.toEqual(Array.from({ length: 20 }, (_, i) => i));
  });
});
