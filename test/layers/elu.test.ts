import '../../src/layers/ELU';
import { createLayer } from '../../src/core/layer_factory';
import { Blob } from '../../src/core/blob';
import { checkGradient, checkInPlace, gaussianBlob, forwardValues, f32 } from '../gradient_checker';
import { describeEngines } from '../engines';

const run = forwardValues;

const make = (p?: object) => () => createLayer({ name: 'e', type: 'ELU', ...(p ? { elu_param: p } : {}) });
const G = { stepsize: 1e-2, threshold: 1e-3, kink: 0, kinkRange: 0.01 };

describeEngines('ELU', () => {
  it('forward, alpha 1 by default (hand-computed)', () => {
    expect(run(make()(), [-1, 0, 2])).toEqual(f32([Math.exp(-1) - 1, 0, 2]));
  });
  it('forward with alpha 0.5 (Caffe TestELU)', () => {
    const x = gaussianBlob([2, 3, 4, 5]),
      y = new Blob(),
      l = make({ alpha: 0.5 })();
    l.setUp([x], [y]);
    l.forward([x], [y]);
    x.cpuData().forEach((v, i) => {
      if (v > 0) expect(y.cpuData()[i]).toBe(v);
      else expect(y.cpuData()[i]).toBeCloseTo(0.5 * (Math.exp(v) - 1), 4);
    });
  });
  it('alpha 0 is ReLU (Caffe TestELUasReLU)', () => {
    expect(run(make({ alpha: 0 })(), [-3, -0.5, 0, 1.5])).toEqual([0, 0, 0, 1.5]);
  });
  it('backward uses y + alpha for x <= 0', () => {
    const x = new Blob([3]);
    x.mutableCpuData().set([-1, 0, 2]);
    const y = new Blob(),
      l = make({ alpha: 2 })();
    l.setUp([x], [y]);
    l.forward([x], [y]);
    y.mutableCpuDiff().set([1, 1, 3]);
    l.backward([y], [true], [x]);
    const expected = Math.fround(2 * (Math.exp(-1) - 1)) + 2;
    expect(x.cpuDiff()[0]).toBeCloseTo(expected, 6);
    expect(Array.from(x.cpuDiff()).slice(1)).toEqual([2, 3]);
  });
  it('gradient', () => checkGradient(make()(), [gaussianBlob([2, 3, 4, 5])], [new Blob()], G));
  it('gradient, alpha 0.5', () => checkGradient(make({ alpha: 0.5 })(), [gaussianBlob([2, 3, 4, 5])], [new Blob()], G));
  it('gradient, alpha 0 (as ReLU)', () =>
    checkGradient(make({ alpha: 0 })(), [gaussianBlob([2, 3, 4, 5])], [new Blob()], G));
  it('in place', () => checkInPlace(make({ alpha: 0.7 }), [2, 3, 4]));
});
