import '../../src/layers/Reduction';
import { createLayer } from '../../src/core/layer_factory';
import { Blob } from '../../src/core/blob';
import { checkGradient, randomBlob } from '../gradient_checker';
import { describeEngines } from '../engines';

type Op = 'SUM' | 'ASUM' | 'SUMSQ' | 'MEAN';
const make = (p: object = {}) => createLayer({ name: 'red', type: 'Reduction', reduction_param: p });
const bottom = (lo = 0) => randomBlob([2, 3, 4, 5], lo, 1, 1701); // Caffe's fixture: uniform [0, 1]

function expected(op: Op, x: Float32Array, num: number, dim: number, coeff: number): number[] {
  const out: number[] = [];
  for (let n = 0; n < num; n++) {
    let s = 0;
    for (let d = 0; d < dim; d++) {
      const v = x[n * dim + d];
      s += op === 'SUM' ? v : op === 'MEAN' ? v / dim : op === 'ASUM' ? Math.abs(v) : v * v;
    }
    out.push(s * coeff);
  }
  return out;
}

describeEngines('Reduction', () => {
  it('keeps the axes before `axis` (Caffe TestSetUp / TestSetUpWithAxis1 / TestSetUpWithAxis2)', () => {
    const shapes: [object, number[]][] = [
      [{}, []],
      [{ axis: 1 }, [2]],
      [{ axis: 2 }, [2, 3]],
      [{ axis: -1 }, [2, 3, 4]],
    ];
    for (const [p, want] of shapes) {
      const top = new Blob();
      make(p).setUp([bottom()], [top]);
      expect(top.shape).toEqual(want);
    }
  });

  for (const op of ['SUM', 'MEAN', 'ASUM', 'SUMSQ'] as Op[]) {
    it(`${op} forward, with coeff 2.3 and along axis 1 (Caffe Test${op})`, () => {
      for (const [coeff, axis] of [
        [1, 0],
        [2.3, 0],
        [2.3, 1],
      ]) {
        const x = bottom(-1),
          top = new Blob(),
          l = make({ operation: op, coeff, axis });
        l.setUp([x], [top]);
        l.forward([x], [top]);
        const num = x.countRange(0, axis),
          dim = x.countRange(axis);
        const want = expected(op, x.cpuData(), num, dim, coeff);
        want.forEach((w, i) => expect(top.cpuData()[i]).toBeCloseTo(w, 4));
      }
    });

    // Caffe: stepsize 1e-2, threshold 2e-3; ASUM skips inputs within a step of its kink at 0
    it(`${op} gradient, with coeff 2.3 and along axis 1 (Caffe Test${op}*Gradient)`, () => {
      for (const [coeff, axis] of [
        [1, 0],
        [2.3, 0],
        [2.3, 1],
      ]) {
        const opts = op === 'ASUM' ? { kink: 0, kinkRange: 1e-2 } : {};
        checkGradient(make({ operation: op, coeff, axis }), [bottom(-1)], [new Blob()], {
          stepsize: 1e-2,
          threshold: 2e-3,
          ...opts,
        });
      }
    });
  }

  it('hand-computed', () => {
    const x = new Blob([2, 2]);
    x.mutableCpuData().set([1, -2, 3, 4]);
    const run = (p: object) => {
      const t = new Blob(),
        l = make(p);
      l.setUp([x], [t]);
      l.forward([x], [t]);
      return Array.from(t.cpuData());
    };
    expect(run({})).toEqual([6]);
    expect(run({ operation: 'ASUM', axis: 1 })).toEqual([3, 7]);
    expect(run({ operation: 'SUMSQ', axis: 1, coeff: 0.5 })).toEqual([2.5, 12.5]);
    expect(run({ operation: 'MEAN', axis: -1 })).toEqual([-0.5, 3.5]);
  });
});
