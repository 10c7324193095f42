import '../../src/layers/Sigmoid';
import { createLayer } from '../../src/core/layer_factory';
import { Blob } from '../../src/core/blob';
import { checkGradient, checkInPlace, gaussianBlob, forwardValues } from '../gradient_checker';
import { describeEngines } from '../engines';

const run = forwardValues;

const make = () => createLayer({ name: 's', type: 'Sigmoid' });

describeEngines('Sigmoid', () => {
  it('forward (hand-computed)', () => {
    const y = run(make(), [0, 2, -2, 40]);
    expect(y[0]).toBe(0.5);
    expect(y[1]).toBeCloseTo(1 / (1 + Math.exp(-2)), 7);
    expect(y[2]).toBeCloseTo(1 / (1 + Math.exp(2)), 7);
    expect(y[3]).toBe(1);
  });
  it('forward is 1 / (1 + exp(-x)) within [0, 1] (Caffe TestSigmoid)', () => {
    const x = gaussianBlob([2, 3, 4, 5]),
      y = new Blob(),
      l = make();
    l.setUp([x], [y]);
    l.forward([x], [y]);
    x.cpuData().forEach((v, i) => {
      expect(y.cpuData()[i]).toBeCloseTo(1 / (1 + Math.exp(-v)), 6);
      expect(y.cpuData()[i]).toBeGreaterThanOrEqual(0);
      expect(y.cpuData()[i]).toBeLessThanOrEqual(1);
    });
  });
  it('gradient', () =>
    checkGradient(make(), [gaussianBlob([2, 3, 4, 5])], [new Blob()], {
      stepsize: 1e-2,
      threshold: 1e-3,
      kink: 0,
      kinkRange: 0.01,
    }));
  it('in place (forward and backward)', () => {
    checkInPlace(make, [2, 3, 4]);
    const x = gaussianBlob([2, 3]),
      x2 = gaussianBlob([2, 3]),
      y = new Blob();
    const a = make(),
      b = make();
    a.setUp([x], [y]);
    b.setUp([x2], [x2]);
    a.forward([x], [y]);
    b.forward([x2], [x2]);
    const g = gaussianBlob([2, 3], 5).cpuData();
    y.mutableCpuDiff().set(g);
    x2.mutableCpuDiff().set(g);
    a.backward([y], [true], [x]);
    b.backward([x2], [true], [x2]);
    expect(Array.from(x2.cpuDiff())).toEqual(Array.from(x.cpuDiff()));
  });
});
