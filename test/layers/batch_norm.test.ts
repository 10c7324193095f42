import '../../src/layers/BatchNorm';
import { createLayer } from '../../src/core/layer_factory';
import { Blob } from '../../src/core/blob';
import { Layer } from '../../src/core/layer';
import { setLogSink } from '../../src/util/logging';
import { checkGradient, checkInPlace, gaussianBlob } from '../gradient_checker';
import { describeEngines } from '../engines';

function blobOf(shape: number[], values: number[]): Blob {
  const b = new Blob(shape);
  b.mutableCpuData().set(values);
  return b;
}
const make =
  (extra: object = {}) =>
  () =>
    createLayer({ name: 'bn', type: 'BatchNorm', ...extra });
const statBlobs = (mean: number[], variance: number[], factor: number) => [
  { shape: { dim: [mean.length] }, data: mean },
  { shape: { dim: [variance.length] }, data: variance },
  { shape: { dim: [1] }, data: [factor] },
];
let restoreLog: () => void;
beforeEach(() => {
  restoreLog = setLogSink(() => {});
}); // "Skipping parameter initialization" lines
afterEach(() => restoreLog());

/** per-channel mean and mean square of an N x C x S blob */
function channelMoments(b: Blob): { mean: number[]; sq: number[] } {
  const N = b.shape[0],
    C = b.shape[1],
    S = b.count / (N * C),
    d = b.cpuData();
  const mean = new Array(C).fill(0),
    sq = new Array(C).fill(0);
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++)
      for (let s = 0; s < S; s++) {
        const v = d[(n * C + c) * S + s];
        mean[c] += v;
        sq[c] += v * v;
      }
  return { mean: mean.map((v) => v / (N * S)), sq: sq.map((v) => v / (N * S)) };
}

// 2 x 2 x 1 x 2: channel 0 holds 1 3 | 5 7 (mean 4, var 5), channel 1 holds 0 0 | 2 2 (mean 1, var 1)
const X = [1, 3, 0, 0, 5, 7, 2, 2];

describeEngines('BatchNorm', () => {
  it('creates three zero statistics blobs, lr_mult 0 param specs, and no parameter gradients', () => {
    const l = make()(),
      x = gaussianBlob([2, 3, 4, 5]);
    l.setUp([x], [new Blob()]);
    expect(l.blobs.map((b) => b.shape)).toEqual([[3], [3], [1]]);
    for (const b of l.blobs) expect(Array.from(b.cpuData()).every((v) => v === 0)).toBe(true);
    expect(l.layerParam.param).toEqual([{ lr_mult: 0 }, { lr_mult: 0 }, { lr_mult: 0 }]);
    expect([0, 1, 2].map((i) => l.paramPropagate(i))).toEqual([false, false, false]);
  });

  it('keeps given lr_mult 0 specs and rejects a learnable statistic', () => {
    const l = make({ param: [{ lr_mult: 0, decay_mult: 0 }] })();
    l.setUp([gaussianBlob([2, 3])], [new Blob()]);
    expect(l.layerParam.param).toEqual([{ lr_mult: 0, decay_mult: 0 }, { lr_mult: 0 }, { lr_mult: 0 }]);
    expect(() =>
      make({ param: [{ lr_mult: 0 }, { decay_mult: 0 }] })().setUp([gaussianBlob([2, 3])], [new Blob()]),
    ).toThrow('Cannot configure batch normalization statistics as layer parameters.');
  });

  it('TRAIN forward normalizes with the batch statistics (hand-computed)', () => {
    const x = blobOf([2, 2, 1, 2], X),
      y = new Blob(),
      l = make()();
    l.setUp([x], [y]);
    l.forward([x], [y]);
    const s0 = Math.sqrt(5 + 1e-5),
      s1 = Math.sqrt(1 + 1e-5);
    const want = [-3 / s0, -1 / s0, -1 / s1, -1 / s1, 1 / s0, 3 / s0, 1 / s1, 1 / s1];
    y.cpuData().forEach((v, i) => expect(v).toBeCloseTo(want[i], 5));
  });

  it('TRAIN updates the running sums as Caffe (two forwards)', () => {
    const x = blobOf([2, 2, 1, 2], X),
      y = new Blob(),
      l = make({ batch_norm_param: { moving_average_fraction: 0.9 } })();
    l.setUp([x], [y]);
    l.forward([x], [y]);
    const close = (a: Float32Array, b: number[]) => b.forEach((v, i) => expect(a[i]).toBeCloseTo(v, 4));
    close(l.blobs[2].cpuData(), [1]);
    close(l.blobs[0].cpuData(), [4, 1]);
    close(l.blobs[1].cpuData(), [(5 * 4) / 3, 4 / 3]); // unbiased: m/(m-1), m = 4
    const x2 = blobOf(
      [2, 2, 1, 2],
      X.map((v) => 2 * v),
    ); // means 8, 2; variances 20, 4
    l.forward([x2], [y]);
    close(l.blobs[2].cpuData(), [0.9 + 1]);
    close(l.blobs[0].cpuData(), [8 + 0.9 * 4, 2 + 0.9 * 1]);
    close(l.blobs[1].cpuData(), [(20 * 4) / 3 + (0.9 * 5 * 4) / 3, (4 * 4) / 3 + (0.9 * 4) / 3]);
  });

  it('TRAIN forward gives zero mean and unit variance per channel (Caffe TestForward)', () => {
    const x = gaussianBlob([5, 2, 3, 4]),
      y = new Blob(),
      l = make()();
    l.setUp([x], [y]);
    l.forward([x], [y]);
    const { mean, sq } = channelMoments(y);
    for (let c = 0; c < 2; c++) {
      expect(Math.abs(mean[c])).toBeLessThan(1e-3);
      expect(Math.abs(sq[c] - 1)).toBeLessThan(1e-3);
    }
  });

  it('TEST uses the stored statistics divided by the factor (hand-computed)', () => {
    const l = make({ phase: 'TEST', blobs: statBlobs([8, 2], [10, 4], 2) })(); // mean 4, 1; var 5, 2
    const x = blobOf([2, 2, 1, 2], X),
      y = new Blob();
    l.setUp([x], [y]);
    l.forward([x], [y]);
    const s0 = Math.sqrt(5 + 1e-5),
      s1 = Math.sqrt(2 + 1e-5);
    const want = [-3 / s0, -1 / s0, -1 / s1, -1 / s1, 1 / s0, 3 / s0, 1 / s1, 1 / s1];
    y.cpuData().forEach((v, i) => expect(v).toBeCloseTo(want[i], 5));
    expect(Array.from(l.blobs[2].cpuData())).toEqual([2]); // not updated
    expect(Array.from(l.blobs[0].cpuData())).toEqual([8, 2]);
  });

  it('TEST with a zero factor uses mean 0 and variance 0', () => {
    const l = make({ phase: 'TEST', blobs: statBlobs([8, 2], [10, 4], 0), batch_norm_param: { eps: 0.25 } })();
    const x = blobOf([2, 2, 1, 2], X),
      y = new Blob();
    l.setUp([x], [y]);
    l.forward([x], [y]);
    expect(Array.from(y.cpuData())).toEqual(X.map((v) => v * 2)); // x / sqrt(0.25)
  });

  it('use_global_stats overrides the phase default', () => {
    // TEST with use_global_stats false: batch statistics, sums updated
    const a = make({ phase: 'TEST', batch_norm_param: { use_global_stats: false } })(),
      ya = new Blob();
    const x = blobOf([2, 2, 1, 2], X);
    a.setUp([x], [ya]);
    a.forward([x], [ya]);
    expect(ya.cpuData()[0]).toBeCloseTo(-3 / Math.sqrt(5 + 1e-5), 5);
    expect(a.blobs[2].cpuData()[0]).toBe(1);
    // TRAIN with use_global_stats true: stored statistics, no update
    const b = make({
      phase: 'TRAIN',
      blobs: statBlobs([4, 1], [5, 1], 1),
      batch_norm_param: { use_global_stats: true },
    })();
    const yb = new Blob();
    b.setUp([x], [yb]);
    b.forward([x], [yb]);
    expect(yb.cpuData()[0]).toBeCloseTo(-3 / Math.sqrt(5 + 1e-5), 5);
    expect(Array.from(b.blobs[2].cpuData())).toEqual([1]);
  });

  it('TRAIN gradient (Caffe TestGradient: 1e-2, 1e-4)', () =>
    checkGradient(make()(), [gaussianBlob([5, 2, 3, 4])], [new Blob()], { stepsize: 1e-2, threshold: 1e-4 }));

  it('TRAIN gradient on an N x C bottom', () =>
    checkGradient(make()(), [gaussianBlob([6, 3])], [new Blob()], { stepsize: 1e-2, threshold: 1e-4 }));

  it('global-stats gradient is dy / sqrt(var + eps)', () => {
    const l = make({ phase: 'TEST', blobs: statBlobs([0.4, -0.6], [2.2, 0.8], 1.5) })();
    checkGradient(l, [gaussianBlob([5, 2, 3, 4])], [new Blob()], {
      stepsize: 1e-2,
      threshold: 1e-4,
      checkParams: false,
    });
    const x = gaussianBlob([1, 2, 1, 1]),
      y = new Blob(),
      l2 = make({ phase: 'TEST', blobs: statBlobs([0, 0], [3, 1], 1), batch_norm_param: { eps: 1 } })();
    l2.setUp([x], [y]);
    l2.forward([x], [y]);
    y.mutableCpuDiff().set([4, 4]);
    l2.backward([y], [true], [x]);
    expect(Array.from(x.cpuDiff())).toEqual([2, Math.fround(4 / Math.SQRT2)]);
  });

  it('in place: forward (Caffe TestForwardInplace) and backward match', () => {
    checkInPlace(make(), [5, 2, 3, 4]);
    checkInPlace(make({ phase: 'TEST', blobs: statBlobs([1, 2], [3, 4], 2) }), [5, 2, 3, 4]);
    for (const extra of [{}, { phase: 'TEST', blobs: statBlobs([1, 2], [3, 4], 2) }]) {
      const x = gaussianBlob([5, 2, 3, 4]),
        x2 = gaussianBlob([5, 2, 3, 4]),
        y = new Blob();
      const a: Layer = make(extra)(),
        b: Layer = make(extra)();
      a.setUp([x], [y]);
      b.setUp([x2], [x2]);
      a.forward([x], [y]);
      b.forward([x2], [x2]);
      const g = gaussianBlob([5, 2, 3, 4], 99).cpuData();
      y.mutableCpuDiff().set(g);
      x2.mutableCpuDiff().set(g);
      a.backward([y], [true], [x]);
      b.backward([x2], [true], [x2]);
      x.cpuDiff().forEach((v, i) => expect(x2.cpuDiff()[i]).toBeCloseTo(v, 6));
    }
  });

  it('rejects a bottom whose channel count changed', () => {
    const l = make()(),
      y = new Blob();
    l.setUp([gaussianBlob([2, 3, 4])], [y]);
    expect(() => l.forward([gaussianBlob([2, 4, 4])], [y])).toThrow('bottom[0]->shape(1) == channels_ (4 vs. 3)');
  });
});
