import '../../src/layers/Clip';
import { createLayer } from '../../src/core/layer_factory';
import { Blob } from '../../src/core/blob';
import { checkGradient, checkInPlace, gaussianBlob, forwardValues } from '../gradient_checker';
import { describeEngines } from '../engines';

const run = forwardValues;

const make =
  (p: object = { min: -1, max: 2 }) =>
  () =>
    createLayer({ name: 'c', type: 'Clip', clip_param: p });

describeEngines('Clip', () => {
  it('forward (hand-computed)', () => {
    expect(run(make()(), [-5, -1, 0.5, 2, 7, NaN])).toEqual([-1, -1, 0.5, 2, 2, -1]);
  });
  it('forward on random data (Caffe TestClip)', () => {
    const x = gaussianBlob([2, 3, 4, 5]),
      y = new Blob(),
      l = make()();
    l.setUp([x], [y]);
    l.forward([x], [y]);
    x.cpuData().forEach((v, i) => {
      const t = y.cpuData()[i];
      expect(t).toBeGreaterThanOrEqual(-1);
      expect(t).toBeLessThanOrEqual(2);
      if (v >= -1 && v <= 2) expect(t).toBe(v);
    });
  });
  it('backward passes the gradient where min <= x <= max (boundaries included)', () => {
    const x = new Blob([5]);
    x.mutableCpuData().set([-3, -1, 0, 2, 3]);
    const y = new Blob(),
      l = make()();
    l.setUp([x], [y]);
    l.forward([x], [y]);
    y.mutableCpuDiff().set([1, 2, 3, 4, 5]);
    l.backward([y], [true], [x]);
    expect(Array.from(x.cpuDiff())).toEqual([0, 2, 3, 4, 0]);
  });
  it('gradient (inputs moved off the kinks, as Caffe TestClipGradient)', () => {
    const eps = 1e-2,
      x = gaussianBlob([2, 3, 4, 5]),
      d = x.mutableCpuData();
    for (let i = 0; i < d.length; i++) {
      if (d[i] >= -1 - eps && d[i] <= -1 + eps) d[i] -= eps;
      else if (d[i] >= 2 - eps && d[i] <= 2 + eps) d[i] += eps;
    }
    d[0] = -1.5;
    d[1] = 2.5; // make sure both clipped regions are exercised
    checkGradient(make()(), [x], [new Blob()], { stepsize: eps, threshold: 1e-3 });
  });
  it('in place (forward)', () => checkInPlace(make({ min: -0.5, max: 0.25 }), [2, 3, 4]));
});
