import '../../src/layers/TanH';
import { createLayer } from '../../src/core/layer_factory';
import { Blob } from '../../src/core/blob';
import { checkGradient, checkInPlace, gaussianBlob, forwardValues, f32 } from '../gradient_checker';
import { describeEngines } from '../engines';

const run = forwardValues;

const make = () => createLayer({ name: 't', type: 'TanH' });

describeEngines('TanH', () => {
  it('forward (hand-computed)', () => {
    expect(run(make(), [0, 1, -1, 30])).toEqual(f32([0, Math.tanh(1), -Math.tanh(1), 1]));
  });
  it('forward is (e^2x - 1) / (e^2x + 1) (Caffe TestTanH)', () => {
    const x = gaussianBlob([2, 3, 4, 5]),
      y = new Blob(),
      l = make();
    l.setUp([x], [y]);
    l.forward([x], [y]);
    x.cpuData().forEach((v, i) => {
      const e = Math.exp(2 * v);
      expect(Math.abs(y.cpuData()[i] - (e - 1) / (e + 1))).toBeLessThan(1e-4);
    });
  });
  it('backward is dy (1 - y^2)', () => {
    const x = new Blob([2]);
    x.mutableCpuData().set([0, 1]);
    const y = new Blob(),
      l = make();
    l.setUp([x], [y]);
    l.forward([x], [y]);
    y.mutableCpuDiff().set([2, 1]);
    l.backward([y], [true], [x]);
    expect(x.cpuDiff()[0]).toBe(2);
    expect(x.cpuDiff()[1]).toBeCloseTo(1 - Math.tanh(1) ** 2, 6);
  });
  it('gradient', () =>
    checkGradient(make(), [gaussianBlob([2, 3, 4, 5])], [new Blob()], { stepsize: 1e-2, threshold: 1e-3 }));
  it('in place', () => checkInPlace(make, [2, 3, 4]));
});
