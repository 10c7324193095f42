import '../../src/layers/Input';
import { createLayer } from '../../src/core/layer_factory';
import { Blob } from '../../src/core/blob';

const make = (shapes: number[][]) =>
  createLayer({ name: 'data', type: 'Input', input_param: { shape: shapes.map((dim) => ({ dim })) } });

describe('Input', () => {
  it('one shape for all tops', () => {
    const a = new Blob(),
      b = new Blob();
    make([[2, 3, 4]]).setUp([], [a, b]);
    expect(a.shape).toEqual([2, 3, 4]);
    expect(b.shape).toEqual([2, 3, 4]);
  });

  it('one shape per top', () => {
    const a = new Blob(),
      b = new Blob();
    make([[10, 1, 28, 28], [10]]).setUp([], [a, b]);
    expect(a.shape).toEqual([10, 1, 28, 28]);
    expect(b.shape).toEqual([10]);
  });

  it('no shape: tops keep theirs; forward leaves the data alone', () => {
    const a = new Blob([3]),
      l = make([]);
    a.mutableCpuData().set([1, 2, 3]);
    l.setUp([], [a]);
    l.forward([], [a]);
    l.backward([a], [], []);
    expect(a.shape).toEqual([3]);
    expect(Array.from(a.cpuData())).toEqual([1, 2, 3]);
  });

  it('a shape per top must match the top count; no bottoms', () => {
    expect(() => make([[1], [2]]).setUp([], [new Blob(), new Blob(), new Blob()])).toThrow(
      "Must specify 'shape' once, once per top blob, or not at all: 3 tops vs. 2 shapes.",
    );
    expect(() => make([[1]]).setUp([new Blob([1])], [new Blob()])).toThrow('takes 0 bottom blob(s)');
    expect(() => make([[1]]).setUp([], [])).toThrow('produces at least 1 top blob(s)');
    expect(() => make([[2, -1]]).setUp([], [new Blob()])).toThrow('invalid blob dimension -1');
  });
});
