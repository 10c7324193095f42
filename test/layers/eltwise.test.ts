import '../../src/layers/Eltwise';
import { createLayer } from '../../src/core/layer_factory';
import { Blob } from '../../src/core/blob';
import { Rng } from '../../src/core/rng';
import { checkGradient, randomBlob } from '../gradient_checker';
import { describeEngines } from '../engines';

const make = (p: object = {}) => createLayer({ name: 'eltwise', type: 'Eltwise', eltwise_param: p });
// Caffe's fixture: three 2x3x4x5 blobs, uniform in [0, 1]
const bottoms = () => [1, 2, 3].map((s) => randomBlob([2, 3, 4, 5], 0, 1, s));

function run(p: object, xs: Blob[]): Float32Array {
  const top = new Blob(),
    l = make(p);
  l.setUp(xs, [top]);
  l.forward(xs, [top]);
  expect(top.shape).toEqual(xs[0].shape);
  return top.cpuData();
}

describeEngines('Eltwise', () => {
  it('sets up to the bottom shape (Caffe TestSetUp)', () => {
    const top = new Blob();
    make({ operation: 'PROD' }).setUp(bottoms(), [top]);
    expect(top.shape).toEqual([2, 3, 4, 5]);
  });

  it('PROD, SUM, SUM with coeff and MAX forward (Caffe TestProd / TestSum / TestSumCoeff / TestMax)', () => {
    const xs = bottoms(),
      [a, b, c] = xs.map((x) => x.cpuData());
    const prod = run({ operation: 'PROD' }, xs),
      sum = run({}, xs);
    const sumc = run({ operation: 'SUM', coeff: [1, -0.5, 2] }, xs),
      max = run({ operation: 'MAX' }, xs);
    for (let i = 0; i < a.length; i++) {
      expect(prod[i]).toBeCloseTo(a[i] * b[i] * c[i], 4);
      expect(sum[i]).toBeCloseTo(a[i] + b[i] + c[i], 4);
      expect(sumc[i]).toBeCloseTo(a[i] - 0.5 * b[i] + 2 * c[i], 4);
      expect(max[i]).toBe(Math.max(a[i], b[i], c[i]));
    }
  });

  it('hand-computed values, two bottoms', () => {
    const x = new Blob([4]),
      y = new Blob([4]);
    x.mutableCpuData().set([1, -2, 3, 0.5]);
    y.mutableCpuData().set([2, 4, -1, 0.5]);
    expect(Array.from(run({ operation: 'PROD' }, [x, y]))).toEqual([2, -8, -3, 0.25]);
    expect(Array.from(run({ coeff: [2, -1] }, [x, y]))).toEqual([0, -8, 7, 0.5]);
    expect(Array.from(run({ operation: 'MAX' }, [x, y]))).toEqual([2, 4, 3, 0.5]);
  });

  it(
    'MAX routes the gradient to the winner; ' +
      'a tie between bottoms 0 and 1 goes to 1, later bottoms must win strictly',
    () => {
      const x = new Blob([3]),
        y = new Blob([3]),
        z = new Blob([3]),
        top = new Blob(),
        l = make({ operation: 'MAX' });
      x.mutableCpuData().set([5, 1, 2]);
      y.mutableCpuData().set([5, 0, 1]);
      z.mutableCpuData().set([5, 3, 2]);
      l.setUp([x, y, z], [top]);
      l.forward([x, y, z], [top]);
      top.mutableCpuDiff().set([10, 20, 30]);
      l.backward([top], [true, true, true], [x, y, z]);
      expect(Array.from(x.cpuDiff())).toEqual([0, 0, 30]);
      expect(Array.from(y.cpuDiff())).toEqual([10, 0, 0]);
      expect(Array.from(z.cpuDiff())).toEqual([0, 20, 0]);
    },
  );

  it("rejects bad coefficients and mismatched shapes with Caffe's messages", () => {
    expect(() => make({ coeff: [1, 2] }).setUp(bottoms(), [new Blob()])).toThrow(
      'Eltwise Layer takes one coefficient per bottom blob.',
    );
    expect(() => make({ operation: 'PROD', coeff: [1, 2, 3] }).setUp(bottoms(), [new Blob()])).toThrow(
      'Eltwise layer only takes coefficients for summation.',
    );
    expect(() => make().setUp([randomBlob([2, 3]), randomBlob([3, 2])], [new Blob()])).toThrow(
      'bottom[0]: 2 3 (6), bottom[1]: 3 2 (6)',
    );
    expect(() => make().setUp([randomBlob([2, 3])], [new Blob()])).toThrow('takes at least 2 bottom blob(s)');
  });

  // Caffe: stepsize 1e-2, threshold 1e-3 (MAX: 1e-4, 1e-3)
  it('stable PROD gradient (Caffe TestStableProdGradient)', () => {
    checkGradient(make({ operation: 'PROD', stable_prod_grad: true }), bottoms(), [new Blob()], {
      stepsize: 1e-2,
      threshold: 1e-3,
    });
  });

  it('unstable PROD gradient (Caffe TestUnstableProdGradient)', () => {
    checkGradient(make({ operation: 'PROD', stable_prod_grad: false }), bottoms(), [new Blob()], {
      stepsize: 1e-2,
      threshold: 1e-3,
    });
  });

  it('SUM gradient, plain and with coeff (Caffe TestSumGradient / TestSumCoeffGradient)', () => {
    checkGradient(make({ operation: 'SUM' }), bottoms(), [new Blob()], { stepsize: 1e-2, threshold: 1e-3 });
    checkGradient(make({ operation: 'SUM', coeff: [1, -0.5, 2] }), bottoms(), [new Blob()], {
      stepsize: 1e-2,
      threshold: 1e-3,
    });
  });

  it('MAX gradient on distinct values (Caffe TestMaxGradient)', () => {
    // every value differs from every other by at least 1/360, far more than the step
    const r = new Rng(1701),
      vals = Array.from({ length: 360 }, (_, k) => (k + 0.5) / 360);
    for (let i = vals.length - 1; i > 0; i--) {
      const j = r.int(i + 1);
      [vals[i], vals[j]] = [vals[j], vals[i]];
    }
    const xs = [0, 1, 2].map((k) => {
      const b = new Blob([2, 3, 4, 5]);
      b.mutableCpuData().set(vals.slice(k * 120, (k + 1) * 120));
      return b;
    });
    checkGradient(make({ operation: 'MAX' }), xs, [new Blob()], { stepsize: 1e-4, threshold: 1e-3 });
  });

  it('gradient with two bottoms, one propagating', () => {
    const xs = [randomBlob([3, 4], -1, 1, 5), randomBlob([3, 4], -1, 1, 6)];
    checkGradient(make({ operation: 'PROD' }), xs, [new Blob()], { stepsize: 1e-2, threshold: 1e-3, checkBottom: [1] });
  });
});
