import '../../src/layers/ReLU';
import { createLayer } from '../../src/core/layer_factory';
import { Blob } from '../../src/core/blob';
import { checkGradient, checkInPlace, randomBlob } from '../gradient_checker';
import { describeEngines } from '../engines';

const make =
  (p: object = {}) =>
  () =>
    createLayer({ name: 'r', type: 'ReLU', relu_param: p });

describeEngines('ReLU', () => {
  it('forward', () => {
    const x = new Blob([4]);
    x.mutableCpuData().set([-2, -0.5, 0, 3]);
    const y = new Blob(),
      l = make({ negative_slope: 0.1 })();
    l.setUp([x], [y]);
    l.forward([x], [y]);
    expect(Array.from(y.cpuData())).toEqual(Array.from(new Float32Array([-0.2, -0.05, 0, 3])));
  });
  it('gradient', () => checkGradient(make()(), [randomBlob([2, 3, 4, 5])], [new Blob()], { kink: 0, kinkRange: 0.01 }));
  it('gradient, leaky', () =>
    checkGradient(make({ negative_slope: 0.01 })(), [randomBlob([2, 3, 4, 5])], [new Blob()], {
      kink: 0,
      kinkRange: 0.01,
    }));
  it('in place', () => checkInPlace(make({ negative_slope: 0.2 }), [2, 3, 4]));
});

describeEngines('ReLU sign of zero', () => {
  it('writes +0 for negative inputs, as Caffe (bytes of extracted features match)', () => {
    const x = new Blob([2]);
    x.mutableCpuData().set([-3, -0]);
    const y = new Blob(),
      l = make()();
    l.setUp([x], [y]);
    l.forward([x], [y]);
    expect(Object.is(y.cpuData()[0], 0)).toBe(true);
  });
});
