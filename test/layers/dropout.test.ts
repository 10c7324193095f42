import '../../src/layers/Dropout';
import { createLayer } from '../../src/core/layer_factory';
import { Blob } from '../../src/core/blob';
import { setRandomSeed } from '../../src/core/rng';
import { DropoutLayer } from '../../src/layers/Dropout';
import { checkGradient, checkInPlace, randomBlob, gaussianBlob } from '../gradient_checker';
import { describeEngines } from '../engines';

const golden = require('../golden/init-goldens-caffe.json');
const INIT = require('../../scripts/caffe-init-goldens.js');

const make = (phase: 'TRAIN' | 'TEST', ratio?: number) => () =>
  createLayer({
    name: 'd',
    type: 'Dropout',
    phase,
    ...(ratio !== undefined ? { dropout_param: { dropout_ratio: ratio } } : {}),
  });

function trainForward(ratio: number | undefined, shape: number[], seed: number) {
  const x = gaussianBlob(shape),
    y = new Blob(),
    l = make('TRAIN', ratio)();
  l.setUp([x], [y]);
  setRandomSeed(seed);
  l.forward([x], [y]);
  return { x, y, l };
}

describeEngines('Dropout', () => {
  for (const ratio of [undefined, 0.75]) {
    const r = ratio ?? 0.5; // 0.5 is the default
    it(`TRAIN keeps units scaled by 1/(1-ratio), at the right rate (ratio ${r}; Caffe TestDropout*)`, () => {
      const { x, y } = trainForward(ratio, [2, 3, 4, 5], 1701);
      const scale = 1 / (1 - r),
        n = x.count;
      let kept = 0;
      x.cpuData().forEach((v, i) => {
        const t = y.cpuData()[i];
        if (t !== 0) {
          kept++;
          expect(t).toBe(Math.fround(v * scale));
        }
      });
      const stdErr = Math.sqrt((r * (1 - r)) / n);
      expect(Math.abs(1 - kept / n - r)).toBeLessThanOrEqual(3 * stdErr);
    });
  }

  it('mask statistics over a large blob: keep rate, and independence of neighbours', () => {
    const ratio = 0.3,
      { l } = trainForward(ratio, [100, 1000], 42);
    const m = (l as DropoutLayer).lastMask.subarray(0, 100000);
    let kept = 0,
      pairs = 0;
    for (let i = 0; i < m.length; i++) {
      kept += m[i];
      if (i > 0) pairs += m[i] * m[i - 1];
    }
    const p = 1 - ratio,
      n = m.length;
    expect(Math.abs(kept / n - p)).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / n));
    expect(Math.abs(pairs / (n - 1) - p * p)).toBeLessThan(0.01);
  });

  it('the mask comes from the global rng: reseeding reproduces it, another seed differs', () => {
    const a = trainForward(0.5, [10, 10], 7).y.cpuData(),
      b = trainForward(0.5, [10, 10], 7).y.cpuData();
    const c = trainForward(0.5, [10, 10], 8).y.cpuData();
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
  });

  it("the mask is Caffe's: bernoulli_distribution<double>(1 - ratio) (reference Caffe's, seed 14)", () => {
    const g = golden.draws.dropout,
      x = new Blob([1, 1000]),
      y = new Blob(),
      l = make('TRAIN', g.ratio)();
    x.mutableCpuData().fill(-1);
    l.setUp([x], [y]);
    setRandomSeed(g.seed);
    l.forward([x], [y]);
    const w = Array.from(y.cpuData(), (v) => (v === 0 ? 0 : v)); // a dropped unit: -1 * 0 * scale = -0 (CPU)
    expect(w.every((v) => v === 0 || v === -Math.fround(1 / (1 - Math.fround(g.ratio))))).toBe(true);
    expect(INIT.maskHex(w)).toBe(g.mask);
  });

  it('backward applies the forward mask and scale', () => {
    const { x, y, l } = trainForward(0.75, [4, 5], 3);
    y.mutableCpuDiff().fill(1);
    l.backward([y], [true], [x]);
    const m = (l as DropoutLayer).lastMask;
    x.cpuDiff().forEach((g, i) => expect(g).toBe(m[i] ? 4 : 0));
  });

  it('TEST is the identity, forward and backward (Caffe TestDropoutTestPhase)', () => {
    const x = gaussianBlob([2, 3, 4, 5]),
      y = new Blob(),
      l = make('TEST')();
    l.setUp([x], [y]);
    l.forward([x], [y]);
    expect(Array.from(y.cpuData())).toEqual(Array.from(x.cpuData()));
    y.mutableCpuDiff().set(randomBlob([2, 3, 4, 5]).cpuData());
    l.backward([y], [true], [x]);
    expect(Array.from(x.cpuDiff())).toEqual(Array.from(y.cpuDiff()));
  });

  it('gradient, TRAIN (reseeded before each forward)', () =>
    checkGradient(make('TRAIN')(), [gaussianBlob([2, 3, 4, 5])], [new Blob()], {
      stepsize: 1e-2,
      threshold: 1e-3,
      seed: 1701,
    }));
  it('gradient, TEST', () =>
    checkGradient(make('TEST')(), [gaussianBlob([2, 3, 4, 5])], [new Blob()], { stepsize: 1e-2, threshold: 1e-3 }));

  it('in place: TEST, and TRAIN with the same seed', () => {
    checkInPlace(make('TEST'), [2, 3, 4]);
    const a = randomBlob([2, 3, 4]),
      b = randomBlob([2, 3, 4]),
      ya = new Blob();
    const la = make('TRAIN', 0.4)(),
      lb = make('TRAIN', 0.4)();
    la.setUp([a], [ya]);
    lb.setUp([b], [b]);
    setRandomSeed(5);
    la.forward([a], [ya]);
    setRandomSeed(5);
    lb.forward([b], [b]);
    expect(Array.from(b.cpuData())).toEqual(Array.from(ya.cpuData()));
    ya.mutableCpuDiff().fill(1);
    b.mutableCpuDiff().fill(1);
    la.backward([ya], [true], [a]);
    lb.backward([b], [true], [b]);
    expect(Array.from(b.cpuDiff())).toEqual(Array.from(a.cpuDiff()));
  });
});

describe('Dropout checks', () => {
  it.each([
    [1, 'threshold_ < 1.'],
    [1.5, 'threshold_ < 1.'],
    [0, 'threshold_ > 0.'],
    [-0.5, 'threshold_ > 0.'],
  ])('refuses dropout_ratio %p (Check failed: %s)', (ratio, expr) => {
    expect(() => make('TRAIN', ratio)().setUp([gaussianBlob([2, 3])], [new Blob()])).toThrow(
      `Dropout layer d: Check failed: ${expr}`,
    );
  });
});
