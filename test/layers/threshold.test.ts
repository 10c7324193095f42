import '../../src/layers/Threshold';
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

const make = (p?: object) => () => createLayer({ name: 't', type: 'Threshold', ...(p ? { threshold_param: p } : {}) });

describe('Threshold', () => {
  it('forward, threshold 0 by default (hand-computed)', () => {
    expect(run(make()(), [-1, 0, 1e-6, 3])).toEqual([0, 0, 1, 1]);
  });
  it('forward with threshold 0.5 (Caffe TestThreshold2)', () => {
    const x = gaussianBlob([2, 3, 6, 5]), y = new Blob(), l = make({ threshold: 0.5 })();
    l.setUp([x], [y]); l.forward([x], [y]);
    expect(y.shape).toEqual([2, 3, 6, 5]);
    x.cpuData().forEach((v, i) => expect(y.cpuData()[i]).toBe(v > 0.5 ? 1 : 0));
    expect(run(make({ threshold: 0.5 })(), [0.5, 0.51])).toEqual([0, 1]);
  });
  it('has no backward (Caffe: Not Implemented Yet)', () => {
    const x = gaussianBlob([4]), y = new Blob(), l = make()();
    l.setUp([x], [y]); l.forward([x], [y]);
    expect(() => l.backward([y], [true], [x])).toThrow('Not Implemented Yet');
    expect(() => l.backward([y], [false], [x])).not.toThrow();
  });
  it('in place', () => checkInPlace(make({ threshold: 0.1 }), [2, 3, 4]));
});
