import '../../src/layers/Bias';
import { createLayer } from '../../src/core/layer_factory';
import { Blob } from '../../src/core/blob';
import { setRandomSeed } from '../../src/core/rng';
import { setLogSink } from '../../src/util/logging';
import { checkGradient, randomBlob } from '../gradient_checker';
import { describeEngines } from '../engines';

const make = (p: object = {}, extra: object = {}) => createLayer({ name: 'b', type: 'Bias', bias_param: p, ...extra });
// Caffe's fixture: values uniform in [1, 10]
const uni = (shape: number[], seed = 1701) => randomBlob(shape, 1, 10, seed);
const scalarBlob = (seed = 77) => {
  const b = new Blob();
  b.reshape([]);
  b.mutableCpuData()[0] = uni([1], seed).cpuData()[0];
  return b;
};
const G = { stepsize: 1e-2, threshold: 1e-3 };
/** top[i] == x[i] + b[index of i in b] for an outer x dim x inner split */
function expectBroadcast(y: Blob, x: Float32Array, b: Float32Array, outer: number, inner: number): void {
  const dim = b.length,
    yd = y.cpuData();
  expect(yd.length).toBe(outer * dim * inner);
  for (let i = 0; i < yd.length; i++) expect(yd[i]).toBeCloseTo(x[i] + b[Math.floor(i / inner) % dim], 4);
}

describeEngines('Bias', () => {
  beforeEach(() => setRandomSeed(1701));

  it('forward with a bias bottom (hand-computed)', () => {
    const x = new Blob([2, 3]);
    x.mutableCpuData().set([1, 2, 3, 4, 5, 6]);
    const b = new Blob([3]);
    b.mutableCpuData().set([10, 20, 30]);
    const y = new Blob(),
      l = make();
    l.setUp([x, b], [y]);
    l.forward([x, b], [y]);
    expect(Array.from(y.cpuData())).toEqual([11, 22, 33, 14, 25, 36]);
    expect(l.blobs.length).toBe(0);
  });

  it('backward sums dy over outer and inner axes (hand-computed)', () => {
    const x = new Blob([2, 2, 2]),
      b = new Blob([2]),
      y = new Blob(),
      l = make();
    l.setUp([x, b], [y]);
    l.forward([x, b], [y]);
    y.mutableCpuDiff().set([1, 2, 3, 4, 5, 6, 7, 8]);
    b.mutableCpuDiff().fill(100); // overwritten, not accumulated: it is a bottom
    l.backward([y], [true, true], [x, b]);
    expect(Array.from(b.cpuDiff())).toEqual([1 + 2 + 5 + 6, 3 + 4 + 7 + 8]);
    expect(Array.from(x.cpuDiff())).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  const twoBottom: [string, number[], number][] = [
    ['eltwise, axis 0', [2, 3, 4, 5], 0],
    ['broadcast begin', [2, 3], 0],
    ['broadcast middle', [3, 4], 1],
    ['broadcast end', [4, 5], 2],
    ['scalar', [], 1],
    ['scalar, axis 2', [], 2],
  ];
  for (const [name, bshape, axis] of twoBottom) {
    it(`forward with a bias bottom: ${name}`, () => {
      const x = uni([2, 3, 4, 5]),
        b = bshape.length ? uni(bshape, 9) : scalarBlob(),
        y = new Blob(),
        l = make({ axis });
      l.setUp([x, b], [y]);
      l.forward([x, b], [y]);
      expect(y.shape).toEqual([2, 3, 4, 5]);
      const a = bshape.length ? axis : 0;
      expectBroadcast(y, x.cpuData(), b.cpuData(), x.countRange(0, a), x.countRange(a + bshape.length));
    });
    it(`gradient with a bias bottom: ${name}`, () => {
      const b = bshape.length ? uni(bshape, 9) : scalarBlob();
      checkGradient(make({ axis }), [uni([2, 3, 4, 5]), b], [new Blob()], G);
    });
  }

  const learned: [string, object, number[]][] = [
    ['default (axis 1, num_axes 1)', {}, [3]],
    ['axis 0, num_axes -1', { axis: 0, num_axes: -1 }, [2, 3, 4, 5]],
    ['axis 1, num_axes 2', { axis: 1, num_axes: 2 }, [3, 4]],
    ['num_axes 0 (scalar)', { num_axes: 0 }, []],
    ['axis -1', { axis: -1 }, [5]],
    ['axis 2, num_axes -1', { axis: 2, num_axes: -1 }, [4, 5]],
  ];
  for (const [name, p, shape] of learned) {
    it(`learned bias: ${name}`, () => {
      const x = uni([2, 3, 4, 5]),
        y = new Blob(),
        l = make({ ...p, filler: { type: 'gaussian' } });
      l.setUp([x], [y]);
      expect(l.blobs.length).toBe(1);
      expect(l.blobs[0].shape).toEqual(shape);
      expect(l.paramPropagate(0)).toBe(true);
      l.forward([x], [y]);
      const a = shape.length === 0 ? 0 : x.canonicalAxisIndex((p as { axis?: number }).axis ?? 1);
      expectBroadcast(y, x.cpuData(), l.blobs[0].cpuData(), x.countRange(0, a), x.countRange(a + shape.length));
    });
    it(`gradient, learned bias: ${name}`, () =>
      checkGradient(make({ ...p, filler: { type: 'gaussian' } }), [uni([2, 3, 4, 5])], [new Blob()], G));
  }

  it('the default filler is constant 0', () => {
    const l = make(),
      x = uni([2, 3]);
    l.setUp([x], [new Blob()]);
    expect(Array.from(l.blobs[0].cpuData())).toEqual([0, 0, 0]);
  });

  it('in place: forward and backward match (eltwise and broadcast middle)', () => {
    for (const [bshape, axis] of [
      [[2, 3, 4, 5], 0],
      [[3, 4], 1],
    ] as [number[], number][]) {
      const x = uni([2, 3, 4, 5]),
        x2 = uni([2, 3, 4, 5]),
        b = uni(bshape, 9),
        y = new Blob();
      const l1 = make({ axis }),
        l2 = make({ axis });
      l1.setUp([x, b], [y]);
      l2.setUp([x2, b], [x2]);
      l1.forward([x, b], [y]);
      l2.forward([x2, b], [x2]);
      expect(Array.from(x2.cpuData())).toEqual(Array.from(y.cpuData()));
      const g = randomBlob([2, 3, 4, 5], -1, 1, 3).cpuData();
      y.mutableCpuDiff().set(g);
      l1.backward([y], [true, true], [x, b]);
      const db = Float32Array.from(b.cpuDiff());
      x2.mutableCpuDiff().set(g);
      l2.backward([x2], [true, true], [x2, b]);
      expect(Array.from(x2.cpuDiff())).toEqual(Array.from(x.cpuDiff()));
      b.cpuDiff().forEach((v, i) => expect(v).toBeCloseTo(db[i], 4));
    }
  });

  it('uses blobs that came with the layer', () => {
    const restore = setLogSink(() => {});
    try {
      const l = make({}, { blobs: [{ shape: { dim: [2] }, data: [1, -1] }] }),
        x = new Blob([1, 2, 1]),
        y = new Blob();
      l.setUp([x], [y]);
      l.forward([x], [y]);
      expect(Array.from(y.cpuData())).toEqual([1, -1]);
    } finally {
      restore();
    }
  });

  it("rejects shapes that do not line up, with Caffe's messages", () => {
    expect(() => make({ axis: 1 }).setUp([uni([2, 3, 4, 5]), uni([4, 4])], [new Blob()])).toThrow(
      'dimension mismatch between bottom[0]->shape(1) and bias->shape(0)',
    );
    expect(() => make({ axis: 3 }).setUp([uni([2, 3, 4, 5]), uni([5, 4])], [new Blob()])).toThrow(
      "bias blob's shape extends past bottom[0]'s shape when applied starting with bottom[0] axis = 3",
    );
    expect(() => make({ num_axes: -2 }).setUp([uni([2, 3])], [new Blob()])).toThrow(
      'num_axes must be non-negative, or -1 to extend to the end of bottom[0]',
    );
    expect(() => make({ axis: 1, num_axes: 3 }).setUp([uni([2, 3])], [new Blob()])).toThrow(
      "bias blob's shape extends past bottom[0]'s shape when applied starting with bottom[0] axis = 1",
    );
    expect(() => make().setUp([uni([2, 3]), uni([3]), uni([3])], [new Blob()])).toThrow(
      'takes at most 2 bottom blob(s)',
    );
  });
});
