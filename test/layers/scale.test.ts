import '../../src/layers/Scale';
import { createLayer } from '../../src/core/layer_factory';
import { Blob } from '../../src/core/blob';
import { Layer } from '../../src/core/layer';
import { setRandomSeed } from '../../src/core/rng';
import { setLogSink } from '../../src/util/logging';
import { checkGradient, randomBlob } from '../gradient_checker';
import { describeEngines } from '../engines';

const make = (p: object = {}, extra: object = {}) =>
  createLayer({ name: 's', type: 'Scale', scale_param: p, ...extra });
// Caffe's fixture: values uniform in [1, 10]
const uni = (shape: number[], seed = 1701) => randomBlob(shape, 1, 10, seed);
const scalarBlob = (seed = 77) => {
  const b = new Blob();
  b.reshape([]);
  b.mutableCpuData()[0] = uni([1], seed).cpuData()[0];
  return b;
};
const G = { stepsize: 1e-2, threshold: 1e-3 };
/** top[i] == x[i] * s[d] (+ b[d]) for an outer x dim x inner split */
function expectBroadcast(y: Blob, x: Float32Array, s: Float32Array, inner: number, b?: Float32Array): void {
  const dim = s.length,
    yd = y.cpuData();
  for (let i = 0; i < yd.length; i++) {
    const d = Math.floor(i / inner) % dim;
    expect(yd[i]).toBeCloseTo(x[i] * s[d] + (b ? b[d] : 0), 3);
  }
}

describeEngines('Scale', () => {
  beforeEach(() => setRandomSeed(1701));

  it('forward with a scale bottom (hand-computed)', () => {
    const x = new Blob([2, 3]);
    x.mutableCpuData().set([1, 2, 3, 4, 5, 6]);
    const s = new Blob([3]);
    s.mutableCpuData().set([10, -1, 0.5]);
    const y = new Blob(),
      l = make();
    l.setUp([x, s], [y]);
    l.forward([x, s], [y]);
    expect(Array.from(y.cpuData())).toEqual([10, -2, 1.5, 40, -5, 3]);
    expect(l.blobs.length).toBe(0);
  });

  it('backward: ds = sum dy * x, dx = dy * s (hand-computed)', () => {
    const x = new Blob([2, 2, 2]);
    x.mutableCpuData().set([1, 2, 3, 4, 5, 6, 7, 8]);
    const s = new Blob([2]);
    s.mutableCpuData().set([2, 3]);
    const y = new Blob(),
      l = make();
    l.setUp([x, s], [y]);
    l.forward([x, s], [y]);
    y.mutableCpuDiff().set([1, 1, 1, 1, 2, 2, 2, 2]);
    s.mutableCpuDiff().fill(100); // a bottom: overwritten
    l.backward([y], [true, true], [x, s]);
    expect(Array.from(s.cpuDiff())).toEqual([1 + 2 + 2 * (5 + 6), 3 + 4 + 2 * (7 + 8)]);
    expect(Array.from(x.cpuDiff())).toEqual([2, 2, 3, 3, 4, 4, 6, 6]);
  });

  const twoBottom: [string, number[], number][] = [
    ['eltwise, axis 0', [2, 3, 4, 5], 0],
    ['broadcast begin', [2, 3], 0],
    ['broadcast middle', [3, 4], 1],
    ['broadcast end', [4, 5], 2],
    ['scalar', [], 1],
    ['scalar, axis 2', [], 2],
  ];
  for (const [name, sshape, axis] of twoBottom) {
    it(`forward with a scale bottom: ${name} (Caffe TestForward*)`, () => {
      const x = uni([2, 3, 4, 5]),
        s = sshape.length ? uni(sshape, 9) : scalarBlob(),
        y = new Blob(),
        l = make({ axis });
      l.setUp([x, s], [y]);
      l.forward([x, s], [y]);
      expect(y.shape).toEqual([2, 3, 4, 5]);
      expectBroadcast(y, x.cpuData(), s.cpuData(), x.countRange((sshape.length ? axis : 0) + sshape.length));
    });
    it(`gradient with a scale bottom: ${name} (Caffe TestGradient*)`, () => {
      const s = sshape.length ? uni(sshape, 9) : scalarBlob();
      checkGradient(make({ axis }), [uni([2, 3, 4, 5]), s], [new Blob()], G);
    });
  }

  const learned: [string, object, number[]][] = [
    ['default (axis 1, num_axes 1)', {}, [3]],
    ['axis 0, num_axes -1 (eltwise)', { axis: 0, num_axes: -1 }, [2, 3, 4, 5]],
    ['axis 1, num_axes 2', { axis: 1, num_axes: 2 }, [3, 4]],
    ['num_axes 0 (scalar)', { num_axes: 0 }, []],
    ['axis 0, num_axes 1 (outer 1)', { axis: 0, num_axes: 1 }, [2]],
    ['axis -1 (inner 1)', { axis: -1 }, [5]],
    ['axis 2, num_axes -1', { axis: 2, num_axes: -1 }, [4, 5]],
  ];
  for (const [name, p, shape] of learned) {
    it(`learned scale: ${name}`, () => {
      const x = uni([2, 3, 4, 5]),
        y = new Blob(),
        l = make({ ...p, filler: { type: 'gaussian' } });
      l.setUp([x], [y]);
      expect(l.blobs.map((b) => b.shape)).toEqual([shape]);
      l.forward([x], [y]);
      const a = shape.length === 0 ? 0 : x.canonicalAxisIndex((p as { axis?: number }).axis ?? 1);
      expectBroadcast(y, x.cpuData(), l.blobs[0].cpuData(), x.countRange(a + shape.length));
    });
    // the checker also verifies that the scale diff accumulates (Caffe overwrites it for eltwise / outer 1)
    it(`gradient, learned scale: ${name}`, () =>
      checkGradient(make({ ...p, filler: { type: 'gaussian' } }), [uni([2, 3, 4, 5])], [new Blob()], G));
    it(`gradient, learned scale and bias: ${name}`, () =>
      checkGradient(
        make({ ...p, filler: { type: 'gaussian' }, bias_term: true, bias_filler: { type: 'gaussian' } }),
        [uni([2, 3, 4, 5])],
        [new Blob()],
        G,
      ));
  }

  it('default fillers: scale 1, bias 0; blobs in order [scale, bias]', () => {
    const l = make({ bias_term: true }),
      x = uni([2, 3, 4]),
      y = new Blob();
    l.setUp([x], [y]);
    expect(l.blobs.map((b) => b.shape)).toEqual([[3], [3]]);
    expect(Array.from(l.blobs[0].cpuData())).toEqual([1, 1, 1]);
    expect(Array.from(l.blobs[1].cpuData())).toEqual([0, 0, 0]);
    expect([0, 1].map((i) => l.paramPropagate(i))).toEqual([true, true]);
    l.forward([x], [y]);
    expect(Array.from(y.cpuData())).toEqual(Array.from(x.cpuData()));
  });

  it('learned scale and bias, broadcast middle (Caffe TestForwardBroadcastMiddleWithParamAndBias)', () => {
    const x = uni([2, 3, 4, 5]),
      y = new Blob();
    const l = make({
      axis: 1,
      num_axes: 2,
      filler: { type: 'gaussian' },
      bias_term: true,
      bias_filler: { type: 'gaussian' },
    });
    l.setUp([x], [y]);
    l.forward([x], [y]);
    expect(l.blobs.map((b) => b.shape)).toEqual([
      [3, 4],
      [3, 4],
    ]);
    expectBroadcast(y, x.cpuData(), l.blobs[0].cpuData(), 5, l.blobs[1].cpuData());
  });

  it('bias_term with a scale bottom: the only blob is the bias, shaped like bottom[1]', () => {
    for (const [sshape, axis] of [
      [[3, 4], 1],
      [[], 1],
      [[2, 3, 4, 5], 0],
    ] as [number[], number][]) {
      const x = uni([2, 3, 4, 5]),
        s = sshape.length ? uni(sshape, 9) : scalarBlob(),
        y = new Blob();
      const l = make({ axis, bias_term: true, bias_filler: { type: 'gaussian' } });
      l.setUp([x, s], [y]);
      l.forward([x, s], [y]);
      expect(l.blobs.map((b) => b.shape)).toEqual([sshape]);
      expectBroadcast(
        y,
        x.cpuData(),
        s.cpuData(),
        x.countRange((sshape.length ? axis : 0) + sshape.length),
        l.blobs[0].cpuData(),
      );
    }
  });

  it('gradient, scale bottom and bias (Caffe TestGradientScaleAndBias, and broadcast middle)', () => {
    // top ~ 50 here, so float32 rounding of top swamps a 1e-2 step for the scalar bias (one number
    // summing 120 rounded tops); the layer is linear in each input, so a larger step is exact
    checkGradient(
      make({ bias_term: true, bias_filler: { type: 'gaussian' } }),
      [uni([2, 3, 4, 5]), scalarBlob()],
      [new Blob()],
      { stepsize: 1e-1, threshold: 1e-3 },
    );
    checkGradient(
      make({ axis: 1, bias_term: true, bias_filler: { type: 'gaussian' } }),
      [uni([2, 3, 4, 5]), uni([3, 4], 9)],
      [new Blob()],
      G,
    );
  });

  it('in place: forward and backward match (eltwise, broadcast middle; Caffe Test*InPlace)', () => {
    for (const [sshape, axis] of [
      [[2, 3, 4, 5], 0],
      [[3, 4], 1],
    ] as [number[], number][]) {
      const x = uni([2, 3, 4, 5]),
        x2 = uni([2, 3, 4, 5]),
        s = uni(sshape, 9),
        y = new Blob();
      const l1 = make({ axis }),
        l2 = make({ axis });
      l1.setUp([x, s], [y]);
      l2.setUp([x2, s], [x2]);
      l1.forward([x, s], [y]);
      l2.forward([x2, s], [x2]);
      expect(Array.from(x2.cpuData())).toEqual(Array.from(y.cpuData()));
      const g = randomBlob([2, 3, 4, 5], -1, 1, 3).cpuData();
      y.mutableCpuDiff().set(g);
      l1.backward([y], [true, true], [x, s]);
      const ds = Float32Array.from(s.cpuDiff());
      x2.mutableCpuDiff().set(g);
      l2.backward([x2], [true, true], [x2, s]);
      x.cpuDiff().forEach((v, i) => expect(x2.cpuDiff()[i]).toBeCloseTo(v, 5));
      s.cpuDiff().forEach((v, i) => expect(v).toBeCloseTo(ds[i], 3));
    }
  });

  it('in place with learned scale and bias: same top, bottom diff and parameter diffs', () => {
    const p = {
      axis: 1,
      num_axes: 1,
      filler: { type: 'gaussian' },
      bias_term: true,
      bias_filler: { type: 'gaussian' },
    };
    const x = uni([2, 3, 4, 5]),
      x2 = uni([2, 3, 4, 5]),
      y = new Blob();
    const l1: Layer = make(p),
      l2: Layer = make(p);
    l1.setUp([x], [y]);
    l2.setUp([x2], [x2]);
    l2.blobs.forEach((b, i) => b.mutableCpuData().set(l1.blobs[i].cpuData()));
    l1.forward([x], [y]);
    l2.forward([x2], [x2]);
    expect(Array.from(x2.cpuData())).toEqual(Array.from(y.cpuData()));
    const g = randomBlob([2, 3, 4, 5], -1, 1, 3).cpuData();
    y.mutableCpuDiff().set(g);
    x2.mutableCpuDiff().set(g);
    l1.backward([y], [true], [x]);
    l2.backward([x2], [true], [x2]);
    x.cpuDiff().forEach((v, i) => expect(x2.cpuDiff()[i]).toBeCloseTo(v, 5));
    l1.blobs.forEach((b, j) => b.cpuDiff().forEach((v, i) => expect(l2.blobs[j].cpuDiff()[i]).toBeCloseTo(v, 3)));
  });

  it('uses scale and bias blobs that came with the layer', () => {
    const restore = setLogSink(() => {});
    try {
      const blobs = [
        { shape: { dim: [2] }, data: [2, 3] },
        { shape: { dim: [2] }, data: [1, -1] },
      ];
      const l = make({ bias_term: true }, { blobs }),
        x = new Blob([1, 2, 1]),
        y = new Blob();
      x.mutableCpuData().set([5, 7]);
      l.setUp([x], [y]);
      l.forward([x], [y]);
      expect(l.blobs.length).toBe(2);
      expect(Array.from(y.cpuData())).toEqual([11, 20]);
    } finally {
      restore();
    }
  });

  it("rejects shapes that do not line up, with Caffe's messages", () => {
    expect(() => make({ axis: 1 }).setUp([uni([2, 3, 4, 5]), uni([4, 4])], [new Blob()])).toThrow(
      'dimension mismatch between bottom[0]->shape(1) and scale->shape(0)',
    );
    expect(() => make({ axis: 3 }).setUp([uni([2, 3, 4, 5]), uni([5, 4])], [new Blob()])).toThrow(
      "scale blob's shape extends past bottom[0]'s shape when applied starting with bottom[0] axis = 3",
    );
    expect(() => make({ num_axes: -2 }).setUp([uni([2, 3])], [new Blob()])).toThrow(
      'num_axes must be non-negative, or -1 to extend to the end of bottom[0]',
    );
    expect(() => make({ axis: 1, num_axes: 3 }).setUp([uni([2, 3])], [new Blob()])).toThrow(
      "scale blob's shape extends past bottom[0]'s shape when applied starting with bottom[0] axis = 1",
    );
    expect(() => make({ axis: 4 }).setUp([uni([2, 3])], [new Blob()])).toThrow('axis 4 out of range');
  });
});
