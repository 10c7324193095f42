import '../../src/layers/BNLL';
import { createLayer } from '../../src/core/layer_factory';
import { Blob } from '../../src/core/blob';
import { checkGradient, checkInPlace, gaussianBlob, forwardValues, f32 } from '../gradient_checker';
import { describeEngines } from '../engines';

const run = forwardValues;

const make = () => createLayer({ name: 'b', type: 'BNLL' });

describeEngines('BNLL', () => {
  it('forward is log(1 + exp(x)) (hand-computed)', () => {
    // Caffe: expf(-|x|) rounded to float, then log(1. + e) in double; log(1 + 4e-44) rounds to 0
    const e1 = Math.fround(Math.exp(-1));
    expect(run(make(), [0, 1, -1, 100, -100])).toEqual(f32([Math.LN2, 1 + Math.log(1 + e1), Math.log(1 + e1), 100, 0]));
  });
  it('forward >= 0 and >= x (Caffe TestBNLL)', () => {
    const x = gaussianBlob([2, 3, 4, 5]),
      y = new Blob(),
      l = make();
    l.setUp([x], [y]);
    l.forward([x], [y]);
    x.cpuData().forEach((v, i) => {
      expect(y.cpuData()[i]).toBeGreaterThanOrEqual(0);
      expect(y.cpuData()[i]).toBeGreaterThanOrEqual(v);
    });
  });
  it('backward is sigmoid(x) dy, with exp capped at 50', () => {
    const x = new Blob([3]);
    x.mutableCpuData().set([0, 1000, -2]);
    const y = new Blob(),
      l = make();
    l.setUp([x], [y]);
    l.forward([x], [y]);
    y.mutableCpuDiff().set([2, 1, 1]);
    l.backward([y], [true], [x]);
    expect(x.cpuDiff()[0]).toBe(1);
    expect(x.cpuDiff()[1]).toBe(1);
    expect(x.cpuDiff()[2]).toBeCloseTo(1 / (1 + Math.exp(2)), 7);
  });
  it('gradient', () =>
    checkGradient(make(), [gaussianBlob([2, 3, 4, 5])], [new Blob()], { stepsize: 1e-2, threshold: 1e-3 }));
  it('in place (forward)', () => checkInPlace(make, [2, 3, 4]));
});
