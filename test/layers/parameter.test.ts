import '../../src/layers/Parameter';
import { createLayer } from '../../src/core/layer_factory';
import { Blob } from '../../src/core/blob';
import { setLogSink } from '../../src/util/logging';

const make = (extra: object = {}) =>
  createLayer({ name: 'param', type: 'Parameter', parameter_param: { shape: { dim: [2, 3] } }, ...extra });

describe('Parameter', () => {
  it('creates one zero blob of the shape and outputs it: the top shares its data and diff', () => {
    const top = new Blob(),
      l = make();
    l.setUp([], [top]);
    expect(l.blobs.length).toBe(1);
    expect(l.blobs[0].shape).toEqual([2, 3]);
    expect(top.shape).toEqual([2, 3]);
    expect(l.blobs[0].asumData()).toBe(0);
    expect(l.paramPropagate(0)).toBe(true);
    l.forward([], [top]);
    expect(top.dataMemory).toBe(l.blobs[0].dataMemory);
    expect(top.diffMemory).toBe(l.blobs[0].diffMemory);
    l.blobs[0].mutableCpuData().set([1, 2, 3, 4, 5, 6]); // e.g. a solver update
    expect(Array.from(top.cpuData())).toEqual([1, 2, 3, 4, 5, 6]);
    top.mutableCpuDiff().fill(0.5); // the gradient the consumer writes is the parameter's gradient
    l.backward([top], [], []);
    expect(Array.from(l.blobs[0].cpuDiff())).toEqual([0.5, 0.5, 0.5, 0.5, 0.5, 0.5]);
  });

  it('keeps a blob that came with the layer', () => {
    const lines: string[] = [];
    const restore = setLogSink((s) => lines.push(s));
    try {
      const top = new Blob(),
        l = make({ blobs: [{ shape: { dim: [2, 3] }, data: [6, 5, 4, 3, 2, 1] }] });
      l.setUp([], [top]);
      l.forward([], [top]);
      expect(Array.from(top.cpuData())).toEqual([6, 5, 4, 3, 2, 1]);
      expect(lines.some((s) => s.includes('Skipping parameter initialization'))).toBe(true);
    } finally {
      restore();
    }
  });

  it('takes no bottom and exactly one top', () => {
    expect(() => make().setUp([new Blob([1])], [new Blob()])).toThrow('takes 0 bottom blob(s)');
    expect(() => make().setUp([], [new Blob(), new Blob()])).toThrow('produces 1 top blob(s)');
  });
});
