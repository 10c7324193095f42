import '../../src/layers/EuclideanLoss';
import { createLayer } from '../../src/core/layer_factory';
import { Blob } from '../../src/core/blob';
import { Rng } from '../../src/core/rng';
import { checkGradient } from '../gradient_checker';
import { describeEngines } from '../engines';

const make = (extra: object = {}) => createLayer({ name: 'l2', type: 'EuclideanLoss', ...extra });
const blob = (shape: number[], v: number[]) => {
  const b = new Blob(shape);
  b.mutableCpuData().set(v);
  return b;
};
function gaussianBlob(shape: number[], seed: number): Blob {
  const b = new Blob(shape),
    r = new Rng(seed),
    d = b.mutableCpuData();
  for (let i = 0; i < d.length; i++) d[i] = r.gaussian(0, 1);
  return b;
}

describeEngines('EuclideanLoss', () => {
  it('hand values: sum (a - b)^2 / 2N', () => {
    const a = blob([2, 2], [1, 2, 3, 4]),
      b = blob([2, 2], [0, 0, 3, 2]),
      top = new Blob(),
      l = make();
    l.setUp([a, b], [top]);
    expect(top.shape).toEqual([]);
    expect(l.forward([a, b], [top])).toBeCloseTo((1 + 4 + 0 + 4) / 4, 6);
  });

  it('backward: +w (a - b) / N to a, -w (a - b) / N to b', () => {
    const a = blob([2, 2], [1, 2, 3, 4]),
      b = blob([2, 2], [0, 0, 3, 2]),
      top = new Blob(),
      l = make();
    l.setUp([a, b], [top]);
    l.forward([a, b], [top]);
    top.mutableCpuDiff()[0] = 3;
    l.backward([top], [true, true], [a, b]);
    expect(Array.from(a.cpuDiff())).toEqual([1.5, 3, 0, 3]);
    expect(Array.from(b.cpuDiff())).toEqual([-1.5, -3, -0, -3]);
    expect(l.allowForceBackward(1)).toBe(true);
  });

  it('Caffe TestForward: loss_weight 3.7 scales the returned loss', () => {
    const a = gaussianBlob([10, 5, 1, 1], 1),
      b = gaussianBlob([10, 5, 1, 1], 2);
    const l1 = make(),
      l2 = make({ loss_weight: [3.7] }),
      t = new Blob();
    l1.setUp([a, b], [t]);
    const w1 = l1.forward([a, b], [t]);
    l2.setUp([a, b], [t]);
    const w2 = l2.forward([a, b], [t]);
    expect(Math.abs(w1 * 3.7 - w2)).toBeLessThan(1e-5);
    expect(Math.abs(w1)).toBeGreaterThanOrEqual(0.1);
  });

  it('Caffe TestGradient (both bottoms)', () => {
    checkGradient(
      make({ loss_weight: [3.7] }),
      [gaussianBlob([10, 5, 1, 1], 1), gaussianBlob([10, 5, 1, 1], 2)],
      [new Blob()],
      { stepsize: 1e-2, threshold: 1e-2 },
    );
  });

  it('accepts different shapes with equal per-example counts', () => {
    const top = new Blob(),
      l = make();
    l.setUp([blob([2, 4], [1, 1, 1, 1, 1, 1, 1, 1]), new Blob([2, 2, 2])], [top]);
    expect(l.forward([blob([2, 4], [1, 1, 1, 1, 1, 1, 1, 1]), new Blob([2, 2, 2])], [top])).toBeCloseTo(2, 6);
  });

  it('errors', () => {
    expect(() => make().setUp([new Blob([2, 3]), new Blob([2, 4])], [new Blob()])).toThrow(
      /Inputs must have the same dimension\. \(3 vs\. 4\)/,
    );
    expect(() => make().setUp([new Blob([2, 3]), new Blob([3, 3])], [new Blob()])).toThrow(/same first dimension/);
  });
});
