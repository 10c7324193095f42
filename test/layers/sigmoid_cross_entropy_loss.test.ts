import '../../src/layers/SigmoidCrossEntropyLoss';
import { createLayer } from '../../src/core/layer_factory';
import { Blob } from '../../src/core/blob';
import { Rng } from '../../src/core/rng';
import { checkGradient } from '../gradient_checker';
import { describeEngines } from '../engines';

const make = (extra: object = {}) => createLayer({ name: 'sce', type: 'SigmoidCrossEntropyLoss', ...extra });
const blob = (shape: number[], v: number[]) => {
  const b = new Blob(shape);
  b.mutableCpuData().set(v);
  return b;
};
function fill(b: Blob, r: Rng, kind: 'gauss' | 'unit'): Blob {
  const d = b.mutableCpuData();
  for (let i = 0; i < d.length; i++) d[i] = kind === 'gauss' ? r.gaussian(0, 1) : r.uniform(0, 1);
  return b;
}
/** Caffe's test reference: the naive cross-entropy of sigmoid(x) vs t, summed, / num. */
function reference(x: Float32Array, t: Float32Array, num: number): number {
  let loss = 0;
  for (let i = 0; i < x.length; i++) {
    const p = 1 / (1 + Math.exp(-x[i]));
    loss -= t[i] * Math.log(p + (t[i] === 0 ? 1 : 0));
    loss -= (1 - t[i]) * Math.log(1 - p + (t[i] === 1 ? 1 : 0));
  }
  return loss / num;
}
function forwardLoss(extra: object, x: Blob, t: Blob): number {
  const top = new Blob(),
    l = make(extra);
  l.setUp([x, t], [top]);
  l.forward([x, t], [top]);
  return top.cpuData()[0];
}

describeEngines('SigmoidCrossEntropyLoss', () => {
  it('Caffe TestSigmoidCrossEntropyLoss: matches the naive reference (loss_weight 3.7), 20 trials', () => {
    const r = new Rng(1701),
      x = new Blob([10, 5, 1, 1]),
      t = new Blob([10, 5, 1, 1]);
    for (let trial = 0; trial < 20; trial++) {
      fill(x, r, 'gauss');
      fill(t, r, 'unit');
      const top = new Blob(),
        l = make({ loss_weight: [3.7] });
      l.setUp([x, t], [top]);
      const got = l.forward([x, t], [top]);
      expect(Math.abs(got - 3.7 * reference(x.cpuData(), t.cpuData(), 10))).toBeLessThan(2e-2);
      expect(got).toBeCloseTo(3.7 * reference(x.cpuData(), t.cpuData(), 10), 4);
    }
  });

  it('is stable for large |x|', () => {
    // x = 100, t = 0 costs 100; x = -100, t = 1 costs 100; x = 100, t = 1 costs ~0; batch 2 -> / 2
    const loss = forwardLoss({}, blob([2, 2], [100, -100, 100, -100]), blob([2, 2], [0, 1, 1, 0]));
    expect(loss).toBeCloseTo(100, 4);
  });

  describe('normalization (default BATCH_SIZE)', () => {
    // N = 2, 3 elements each; two targets ignored (-1)
    const x = blob([2, 3], [0.5, -1, 2, 0.1, 0.3, -0.7]),
      t = blob([2, 3], [1, -1, 0, 0.25, -1, 1]);
    const kept = reference(Float32Array.from([0.5, 2, 0.1, -0.7]), Float32Array.from([1, 0, 0.25, 1]), 1);
    const ig = { ignore_label: -1 };
    it.each([
      ['default = BATCH_SIZE', ig, kept / 2],
      ['VALID', { ...ig, normalization: 'VALID' }, kept / 4],
      ['FULL', { ...ig, normalization: 'FULL' }, kept / 6],
      ['NONE', { ...ig, normalization: 'NONE' }, kept],
      ['normalize: true -> VALID', { ...ig, normalize: true }, kept / 4],
      ['normalize: false -> BATCH_SIZE', { ...ig, normalize: false }, kept / 2],
    ])('%s', (_n, lp, want) => expect(forwardLoss({ loss_param: lp }, x, t)).toBeCloseTo(want as number, 5));

    it.each(['FULL', 'VALID', 'BATCH_SIZE', 'NONE'])('gradient with ignore_label, %s', (mode) => {
      checkGradient(
        make({ loss_param: { ignore_label: -1, normalization: mode } }),
        [blob([2, 3], Array.from(x.cpuData())), t],
        [new Blob()],
        { stepsize: 1e-2, threshold: 1e-2, checkBottom: [0] },
      );
    });
  });

  it('backward: (sigmoid(x) - t) * w / normalizer', () => {
    const x = blob([2, 1], [0, 2]),
      t = blob([2, 1], [1, 0.5]),
      top = new Blob(),
      l = make();
    l.setUp([x, t], [top]);
    l.forward([x, t], [top]);
    top.mutableCpuDiff()[0] = 2;
    l.backward([top], [true, false], [x, t]);
    const s2 = 1 / (1 + Math.exp(-2));
    expect(x.cpuDiff()[0]).toBeCloseTo(((0.5 - 1) * 2) / 2, 6);
    expect(x.cpuDiff()[1]).toBeCloseTo(((s2 - 0.5) * 2) / 2, 6);
  });

  it('Caffe TestGradient (loss_weight 3.7)', () => {
    const r = new Rng(1701);
    checkGradient(
      make({ loss_weight: [3.7] }),
      [fill(new Blob([10, 5, 1, 1]), r, 'gauss'), fill(new Blob([10, 5, 1, 1]), r, 'unit')],
      [new Blob()],
      { stepsize: 1e-2, threshold: 1e-2, checkBottom: [0] },
    );
  });

  it('Caffe TestIgnoreGradient: ignored targets get zero gradient, others not', () => {
    const r = new Rng(3),
      x = fill(new Blob([10, 5, 1, 1]), r, 'gauss'),
      t = fill(new Blob([10, 5, 1, 1]), r, 'unit');
    t.mutableCpuData().fill(-1, 0, 25);
    const top = new Blob(),
      l = make({ loss_param: { ignore_label: -1 } });
    l.setUp([x, t], [top]);
    l.forward([x, t], [top]);
    l.backward([top], [true, false], [x, t]);
    const d = x.cpuDiff();
    for (let i = 0; i < 25; i++) {
      expect(d[i]).toBe(0);
      expect(d[i + 25]).not.toBe(0);
    }
  });

  it('errors', () => {
    expect(() => make().setUp([new Blob([2, 3]), new Blob([2, 4])], [new Blob()])).toThrow(
      /SIGMOID_CROSS_ENTROPY_LOSS layer inputs must have the same count\. \(6 vs\. 8\)/,
    );
    const x = blob([1, 1], [0]),
      t = blob([1, 1], [1]),
      top = new Blob(),
      l = make();
    l.setUp([x, t], [top]);
    l.forward([x, t], [top]);
    expect(() => l.backward([top], [true, true], [x, t])).toThrow(
      'SigmoidCrossEntropyLoss Layer sce cannot backpropagate to label inputs.',
    );
  });
});
