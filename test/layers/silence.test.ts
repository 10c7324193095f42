import '../../src/layers/Silence';
import { createLayer } from '../../src/core/layer_factory';
import { Blob } from '../../src/core/blob';
import { randomBlob } from '../gradient_checker';

const make = () => createLayer({ name: 'silence', type: 'Silence' });

describe('Silence', () => {
  it('takes bottoms, produces no tops, leaves the data alone', () => {
    const a = randomBlob([2, 3]),
      b = randomBlob([4]),
      before = Array.from(a.cpuData()),
      l = make();
    l.setUp([a, b], []);
    expect(l.forward([a, b], [])).toBe(0);
    expect(Array.from(a.cpuData())).toEqual(before);
  });

  it('backward zero-fills the diffs of the bottoms that propagate, only those', () => {
    const a = randomBlob([2, 3]),
      b = randomBlob([4]),
      l = make();
    l.setUp([a, b], []);
    a.mutableCpuDiff().fill(5);
    b.mutableCpuDiff().fill(5);
    l.backward([], [true, false], [a, b]);
    expect(Array.from(a.cpuDiff())).toEqual([0, 0, 0, 0, 0, 0]);
    expect(Array.from(b.cpuDiff())).toEqual([5, 5, 5, 5]);
  });

  it('needs at least one bottom and no tops', () => {
    expect(() => make().setUp([], [])).toThrow('takes at least 1 bottom blob(s)');
    expect(() => make().setUp([randomBlob([1])], [new Blob()])).toThrow('produces 0 top blob(s)');
  });
});
