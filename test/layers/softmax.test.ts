import '../../src/layers/Softmax';
import { createLayer } from '../../src/core/layer_factory';
import { Blob } from '../../src/core/blob';
import { Rng } from '../../src/core/rng';
import { checkGradient, checkInPlace } from '../gradient_checker';
import { describeEngines } from '../engines';

const make = (p?: object) => createLayer({ name: 'sm', type: 'Softmax', ...(p ? { softmax_param: p } : {}) });

function gaussianBlob(shape: number[], std = 1, seed = 1701): Blob {
  const b = new Blob(shape),
    r = new Rng(seed),
    d = b.mutableCpuData();
  for (let i = 0; i < d.length; i++) d[i] = r.gaussian(0, std);
  return b;
}

/** Reference softmax of `x` (shape) along `axis`, in double precision. */
function reference(x: Float32Array, shape: number[], axis: number): number[] {
  const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const C = shape[axis],
    inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const out = new Array<number>(x.length);
  for (let i = 0; i < outer; i++) {
    for (let k = 0; k < inner; k++) {
      let s = 0;
      for (let c = 0; c < C; c++) s += Math.exp(x[(i * C + c) * inner + k]);
      for (let c = 0; c < C; c++) out[(i * C + c) * inner + k] = Math.exp(x[(i * C + c) * inner + k]) / s;
    }
  }
  return out;
}

describeEngines('Softmax', () => {
  it('computes exp(x) / sum exp(x) on hand values', () => {
    const x = new Blob([2, 3]);
    x.mutableCpuData().set([1, 2, 3, 0, 0, 0]);
    const y = new Blob(),
      l = make();
    l.setUp([x], [y]);
    l.forward([x], [y]);
    expect(y.shape).toEqual([2, 3]);
    const e = [Math.exp(1), Math.exp(2), Math.exp(3)],
      s = e[0] + e[1] + e[2];
    const got = Array.from(y.cpuData());
    [e[0] / s, e[1] / s, e[2] / s, 1 / 3, 1 / 3, 1 / 3].forEach((v, i) => expect(got[i]).toBeCloseTo(v, 6));
  });

  it('subtracts the max: huge logits do not overflow', () => {
    const x = new Blob([1, 3]);
    x.mutableCpuData().set([1000, 1001, -1000]);
    const y = new Blob(),
      l = make();
    l.setUp([x], [y]);
    l.forward([x], [y]);
    const got = Array.from(y.cpuData());
    expect(got[0]).toBeCloseTo(1 / (1 + Math.E), 6);
    expect(got[1]).toBeCloseTo(Math.E / (1 + Math.E), 6);
    expect(got[2]).toBe(0);
  });

  it('matches Caffe TestForward (2x10x2x3 gaussian): sums to 1, exact values within 1e-4', () => {
    const x = gaussianBlob([2, 10, 2, 3]),
      y = new Blob(),
      l = make();
    l.setUp([x], [y]);
    l.forward([x], [y]);
    const ref = reference(x.cpuData(), [2, 10, 2, 3], 1),
      got = y.cpuData();
    for (let i = 0; i < got.length; i++) expect(Math.abs(got[i] - ref[i])).toBeLessThan(1e-4);
    for (let n = 0; n < 2; n++)
      for (let k = 0; k < 6; k++) {
        let s = 0;
        for (let c = 0; c < 10; c++) s += got[(n * 10 + c) * 6 + k];
        expect(s).toBeGreaterThanOrEqual(0.999);
        expect(s).toBeLessThanOrEqual(1.001);
      }
  });

  it.each([[0], [2], [-1], [3]])('normalises along axis %d', (axis) => {
    const shape = [2, 3, 4, 5],
      x = gaussianBlob(shape, 2),
      y = new Blob(),
      l = make({ axis });
    l.setUp([x], [y]);
    l.forward([x], [y]);
    const ref = reference(x.cpuData(), shape, axis < 0 ? axis + 4 : axis),
      got = y.cpuData();
    for (let i = 0; i < got.length; i++) expect(Math.abs(got[i] - ref[i])).toBeLessThan(1e-6);
  });

  it('rejects an axis out of range', () => {
    expect(() => make({ axis: 4 }).setUp([new Blob([2, 3, 4, 5])], [new Blob()])).toThrow(/axis 4 out of range/);
  });

  it('gradient (Caffe: 1e-2, 1e-3)', () => {
    checkGradient(make(), [gaussianBlob([2, 10, 2, 3])], [new Blob()], { stepsize: 1e-2, threshold: 1e-3 });
  });

  it('gradient along axis -1 and axis 0', () => {
    checkGradient(make({ axis: -1 }), [gaussianBlob([2, 3, 4, 5])], [new Blob()], { stepsize: 1e-2, threshold: 1e-3 });
    checkGradient(make({ axis: 0 }), [gaussianBlob([4, 3, 2])], [new Blob()], { stepsize: 1e-2, threshold: 1e-3 });
  });

  it('in place', () => checkInPlace(() => make({ axis: 2 }), [2, 3, 4, 5], -3, 3));

  it('in-place backward equals out-of-place backward', () => {
    const shape = [2, 4, 3];
    const a = gaussianBlob(shape),
      ta = new Blob(),
      la = make();
    la.setUp([a], [ta]);
    la.forward([a], [ta]);
    const r = new Rng(7);
    const dy = Float32Array.from({ length: ta.count }, () => r.uniform(-1, 1));
    ta.mutableCpuDiff().set(dy);
    la.backward([ta], [true], [a]);
    const b = gaussianBlob(shape),
      lb = make();
    lb.setUp([b], [b]);
    lb.forward([b], [b]);
    b.mutableCpuDiff().set(dy);
    lb.backward([b], [true], [b]);
    const ga = a.cpuDiff(),
      gb = b.cpuDiff();
    for (let i = 0; i < ga.length; i++) expect(gb[i]).toBeCloseTo(ga[i], 6);
  });
});
