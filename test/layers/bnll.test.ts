import '../../src/layers/BNLL';
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

const make = () => createLayer({ name: 'b', type: 'BNLL' });

describe('BNLL', () => {
  it('forward is log(1 + exp(x)) (hand-computed)', () => {
    expect(run(make(), [0, 1, -1, 100, -100])).toEqual(f32([Math.LN2, Math.log(1 + Math.E), Math.log(1 + Math.exp(-1)), 100, 0]));  // log(1 + 4e-44) rounds to 0, as in Caffe
  });
  it('forward >= 0 and >= x (Caffe TestBNLL)', () => {
    const x = gaussianBlob([2, 3, 4, 5]), y = new Blob(), l = make();
    l.setUp([x], [y]); l.forward([x], [y]);
    x.cpuData().forEach((v, i) => { expect(y.cpuData()[i]).toBeGreaterThanOrEqual(0); expect(y.cpuData()[i]).toBeGreaterThanOrEqual(v); });
  });
  it('backward is sigmoid(x) dy, with exp capped at 50', () => {
    const x = new Blob([3]); x.mutableCpuData().set([0, 1000, -2]);
    const y = new Blob(), l = make();
    l.setUp([x], [y]); l.forward([x], [y]);
    y.mutableCpuDiff().set([2, 1, 1]);
    l.backward([y], [true], [x]);
    expect(x.cpuDiff()[0]).toBe(1);
    expect(x.cpuDiff()[1]).toBe(1);
    expect(x.cpuDiff()[2]).toBeCloseTo(1 / (1 + Math.exp(2)), 7);
  });
  it('gradient', () => checkGradient(make(), [gaussianBlob([2, 3, 4, 5])], [new Blob()], { stepsize: 1e-2, threshold: 1e-3 }));
  it('in place (forward)', () => checkInPlace(make, [2, 3, 4]));
});
