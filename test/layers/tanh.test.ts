import '../../src/layers/TanH';
import { createLayer } from '../../src/core/layer_factory';
import { Blob } from '../../src/core/blob';
import { Rng } from '../../src/core/rng';
import { checkGradient, checkInPlace } from '../gradient_checker';

function gaussianBlob(shape: number[], seed = 1701): Blob {
  const b = new Blob(shape), r = new Rng(seed), d = b.mutableCpuData();
  for (let i = 0; i < d.length; i++) d[i] = r.gaussian(0, 1);
  return b;
}
function run(layer: ReturnType<typeof createLayer>, values: number[]): number[] {
  const x = new Blob([values.length]); x.mutableCpuData().set(values);
  const y = new Blob();
  layer.setUp([x], [y]); layer.forward([x], [y]);
  return Array.from(y.cpuData());
}
const f32 = (a: number[]) => Array.from(new Float32Array(a));

const make = () => createLayer({ name: 't', type: 'TanH' });

describe('TanH', () => {
  it('forward (hand-computed)', () => {
    expect(run(make(), [0, 1, -1, 30])).toEqual(f32([0, Math.tanh(1), -Math.tanh(1), 1]));
  });
  it('forward is (e^2x - 1) / (e^2x + 1) (Caffe TestTanH)', () => {
    const x = gaussianBlob([2, 3, 4, 5]), y = new Blob(), l = make();
    l.setUp([x], [y]); l.forward([x], [y]);
    x.cpuData().forEach((v, i) => {
      const e = Math.exp(2 * v);
      expect(Math.abs(y.cpuData()[i] - (e - 1) / (e + 1))).toBeLessThan(1e-4);
    });
  });
  it('backward is dy (1 - y^2)', () => {
    const x = new Blob([2]); x.mutableCpuData().set([0, 1]);
    const y = new Blob(), l = make();
    l.setUp([x], [y]); l.forward([x], [y]);
    y.mutableCpuDiff().set([2, 1]);
    l.backward([y], [true], [x]);
    expect(x.cpuDiff()[0]).toBe(2);
    expect(x.cpuDiff()[1]).toBeCloseTo(1 - Math.tanh(1) ** 2, 6);
  });
  it('gradient', () => checkGradient(make(), [gaussianBlob([2, 3, 4, 5])], [new Blob()], { stepsize: 1e-2, threshold: 1e-3 }));
  it('in place', () => checkInPlace(make, [2, 3, 4]));
});
