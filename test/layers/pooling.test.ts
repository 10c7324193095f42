// Pooling: Caffe's own unit-test cases (test_pooling_layer.cpp, test_stochastic_pooling.cpp) with their
// exact expected numbers, the first-max tie-break, parameter checks, and gradient checks with Caffe's
// stepsize / threshold. Random geometries against reference loops: pooling_reference.test.ts.
import '../../src/layers/Pooling';
import { createLayer } from '../../src/core/layer_factory';
import { Blob } from '../../src/core/blob';
import { Layer } from '../../src/core/layer';
import { setRandomSeed } from '../../src/core/rng';
import { checkGradient, randomBlob } from '../gradient_checker';
import { describeEngines } from '../engines';

const make = (param: object, phase?: string): Layer =>
  createLayer({ name: 'pool', type: 'Pooling', pooling_param: param, ...(phase ? { phase } : {}) });

/** N x C copies of one plane. */
function planes(N: number, C: number, H: number, W: number, plane: number[]): Blob {
  const b = new Blob([N, C, H, W]);
  for (let i = 0; i < N * C; i++) b.mutableCpuData().set(plane, i * H * W);
  return b;
}

function run(param: object, x: Blob, withMask = false): { top: Blob; mask: Blob } {
  const top = new Blob(),
    mask = new Blob(),
    layer = make(param);
  const tops = withMask ? [top, mask] : [top];
  layer.setUp([x], tops);
  layer.forward([x], tops);
  return { top, mask };
}

/** Every plane of `b` equals `plane`. */
function expectPlanes(b: Blob, plane: number[]): void {
  const d = Array.from(b.cpuData());
  for (let i = 0; i < d.length; i += plane.length) expect(d.slice(i, i + plane.length)).toEqual(plane);
}

const MAGIC6 = [
  35, 1, 6, 26, 19, 24, 3, 32, 7, 21, 23, 25, 31, 9, 2, 22, 27, 20, 8, 28, 33, 17, 10, 15, 30, 5, 34, 12, 14, 16, 4, 36,
  29, 13, 18, 11,
];

describeEngines('Pooling (Caffe test cases)', () => {
  it('setup shapes: 3x3/2, padded AVE, global', () => {
    const x = randomBlob([2, 3, 6, 5]);
    expect(run({ kernel_size: 3, stride: 2 }, x).top.shape).toEqual([2, 3, 3, 2]);
    expect(run({ kernel_size: 3, stride: 2, pad: 1, pool: 'AVE' }, x).top.shape).toEqual([2, 3, 4, 3]);
    expect(run({ global_pooling: true, pool: 'AVE' }, x).top.shape).toEqual([2, 3, 1, 1]);
    expect(run({ kernel_size: 3, stride: 2, pool: 'STOCHASTIC' }, x).top.shape).toEqual([2, 3, 3, 2]);
  });

  it.each([false, true])('forward MAX square 2x2 (top mask: %s)', (withMask) => {
    const x = planes(2, 2, 3, 5, [1, 2, 5, 2, 3, 9, 4, 1, 4, 8, 1, 2, 5, 2, 3]);
    const { top, mask } = run({ kernel_size: 2, pool: 'MAX' }, x, withMask);
    expect(top.shape).toEqual([2, 2, 2, 4]);
    expectPlanes(top, [9, 5, 5, 8, 9, 5, 5, 8]);
    if (withMask) expectPlanes(mask, [5, 2, 2, 9, 5, 12, 12, 9]);
  });

  it.each([false, true])('forward MAX rectangular high 3x2 (top mask: %s)', (withMask) => {
    const { top, mask } = run({ kernel_h: 3, kernel_w: 2, pool: 'MAX' }, planes(2, 2, 6, 6, MAGIC6), withMask);
    expect(top.shape).toEqual([2, 2, 4, 5]);
    expectPlanes(top, [35, 32, 26, 27, 27, 32, 33, 33, 27, 27, 31, 34, 34, 27, 27, 36, 36, 34, 18, 18]);
    if (withMask) expectPlanes(mask, [0, 7, 3, 16, 16, 7, 20, 20, 16, 16, 12, 26, 26, 16, 16, 31, 31, 26, 34, 34]);
  });

  it.each([false, true])('forward MAX rectangular wide 2x3 (top mask: %s)', (withMask) => {
    const { top, mask } = run({ kernel_h: 2, kernel_w: 3, pool: 'MAX' }, planes(2, 2, 6, 6, MAGIC6), withMask);
    expect(top.shape).toEqual([2, 2, 5, 4]);
    expectPlanes(top, [35, 32, 26, 26, 32, 32, 27, 27, 33, 33, 33, 27, 34, 34, 34, 17, 36, 36, 34, 18]);
    if (withMask) expectPlanes(mask, [0, 7, 3, 3, 7, 7, 16, 16, 20, 20, 20, 16, 26, 26, 26, 21, 31, 31, 26, 34]);
  });

  it('forward MAX padded (pad 2 on 3x3)', () => {
    const { top } = run(
      { kernel_size: 3, stride: 2, pad: 2, pool: 'MAX' },
      planes(1, 1, 3, 3, [1, 2, 4, 2, 3, 2, 4, 2, 1]),
    );
    expect(top.shape).toEqual([1, 1, 3, 3]);
    expect(Array.from(top.cpuData())).toEqual([1, 4, 4, 4, 4, 4, 4, 4, 1]);
  });

  it('forward AVE padded: the divisor counts the padding (8/9, 4/3, 2)', () => {
    const { top } = run({ kernel_size: 3, stride: 1, pad: 1, pool: 'AVE' }, planes(1, 1, 3, 3, new Array(9).fill(2)));
    const a = 8 / 9,
      b = 4 / 3;
    Array.from(top.cpuData()).forEach((v, i) => expect(v).toBeCloseTo([a, b, a, b, 2, b, a, b, a][i], 5));
  });

  it('AVE divisor stops at H + pad: the CEIL extra window is averaged over its in-bounds part', () => {
    // 4 wide, kernel 3, stride 2, pad 1: windows [-1,2) [1,4) [3,6)->[3,5): divisors 3, 3, 2 (not 3)
    const { top } = run(
      { kernel_h: 1, kernel_w: 3, stride: 2, pad_h: 0, pad_w: 1, pool: 'AVE' },
      planes(1, 1, 1, 4, [3, 6, 9, 12]),
    );
    expect(top.shape).toEqual([1, 1, 1, 3]);
    expect(Array.from(top.cpuData())).toEqual([3, 9, 6].map(Math.fround));
  });
});

describeEngines('Pooling MAX tie-break', () => {
  it('all-equal windows pick the first index in row-major order, and backward routes there', () => {
    const x = new Blob([1, 1, 4, 4]); // zeros, as after a ReLU
    const top = new Blob(),
      mask = new Blob(),
      layer = make({ kernel_size: 3, stride: 2, pad: 1 });
    layer.setUp([x], [top, mask]);
    layer.forward([x], [top, mask]);
    expect(top.shape).toEqual([1, 1, 3, 3]); // windows [-1,2) [1,4) [3,6) clipped to the image
    expect(Array.from(mask.cpuData())).toEqual([0, 1, 3, 4, 5, 7, 12, 13, 15]);
    top.mutableCpuDiff().set([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    layer.backward([top, mask], [true], [x]);
    expect(Array.from(x.cpuDiff())).toEqual([1, 2, 0, 3, 4, 5, 0, 6, 0, 0, 0, 0, 7, 8, 0, 9]);
  });
  it('windows sharing their first element accumulate its gradient', () => {
    const x = new Blob([1, 1, 2, 2]),
      top = new Blob(),
      layer = make({ kernel_size: 2, stride: 1, pad: 1 });
    layer.setUp([x], [top]);
    layer.forward([x], [top]);
    top.mutableCpuDiff().fill(1);
    layer.backward([top], [true], [x]);
    expect(Array.from(x.cpuDiff())).toEqual([4, 2, 2, 1]);
  });
  it('an empty output (a window larger than the padded image) has an empty mask: backward zeroes the diff', () => {
    const x = new Blob([1, 1, 1, 1]),
      top = new Blob(),
      layer = make({ kernel_size: 2, stride: 1 });
    layer.setUp([x], [top]);
    expect(top.count).toBe(0);
    layer.forward([x], [top]);
    x.mutableCpuDiff().fill(7);
    layer.backward([top], [true], [x]);
    expect(Array.from(x.cpuDiff())).toEqual([0]);
  });
  it('a later equal value does not replace the first maximum', () => {
    const { mask } = run({ kernel_size: 2, stride: 2 }, planes(1, 1, 2, 2, [1, 5, 5, 5]), true);
    expect(Array.from(mask.cpuData())).toEqual([1]);
  });
});

describe('Pooling parameter checks (Caffe CHECK messages)', () => {
  const x = randomBlob([1, 1, 6, 6]);
  const fails = (param: object, msg: string) => expect(() => run(param, x)).toThrow(msg);
  it('kernel', () => {
    fails(
      { kernel_size: 3, kernel_h: 3, kernel_w: 3 },
      'Filter size is kernel_size OR kernel_h and kernel_w; not both',
    );
    fails({ kernel_h: 3 }, 'Filter size is kernel_size OR kernel_h and kernel_w; not both');
    fails({ kernel_size: 0 }, 'Check failed: kernel_h_ > 0 (0 vs. 0) Filter dimensions cannot be zero.');
    fails({ global_pooling: true, kernel_size: 2 }, 'With Global_pooling: true Filter size cannot specified');
  });
  it('pad and stride', () => {
    fails({ kernel_size: 3, pad: 1, pad_h: 1 }, 'pad is pad OR pad_h and pad_w are required.');
    fails({ kernel_size: 3, stride_w: 2 }, 'Stride is stride OR stride_h and stride_w are required.');
    fails({ kernel_size: 3, pad: 3 }, 'Check failed: pad_h_ < kernel_h_ (3 vs. 3)');
    fails({ global_pooling: true, pad: 1 }, 'With Global_pooling: true; only pad = 0 and stride = 1');
    fails({ kernel_size: 3, pad: 1, pool: 'STOCHASTIC' }, 'Padding implemented only for average and max pooling.');
  });
  it('blob counts, axes, in place', () => {
    expect(() => make({ kernel_size: 2, pool: 'AVE' }).setUp([x], [new Blob(), new Blob()])).toThrow(
      'produces at most 1 top blob(s)',
    );
    expect(() => run({ kernel_size: 2 }, randomBlob([2, 6, 6]))).toThrow('Input must have 4 axes');
    expect(() => make({ kernel_size: 2 }).setUp([x], [x])).toThrow('in-place');
  });
});

describeEngines('Pooling gradients (Caffe: MAX 1e-4/1e-2, AVE 1e-2/1e-2)', () => {
  const kernels = [
    [3, 3],
    [3, 4],
    [4, 3],
    [4, 4],
  ];
  it.each(kernels)('MAX %ix%i stride 2 pad 1', (kh, kw) =>
    checkGradient(make({ kernel_h: kh, kernel_w: kw, stride: 2, pad: 1 }), [randomBlob([2, 3, 6, 5])], [new Blob()], {
      stepsize: 1e-4,
      threshold: 1e-2,
    }),
  );
  it.each(kernels)('MAX %ix%i stride 2, top mask', (kh, kw) =>
    checkGradient(
      make({ kernel_h: kh, kernel_w: kw, stride: 2 }),
      [randomBlob([2, 3, 6, 5])],
      [new Blob(), new Blob()],
      { stepsize: 1e-4, threshold: 1e-2 },
    ),
  );
  it.each(kernels)('AVE %ix%i stride 2', (kh, kw) =>
    checkGradient(
      make({ kernel_h: kh, kernel_w: kw, stride: 2, pool: 'AVE' }),
      [randomBlob([2, 3, 6, 5])],
      [new Blob()],
    ),
  );
  it.each(kernels)('AVE %ix%i stride 2 pad 2', (kh, kw) =>
    checkGradient(
      make({ kernel_h: kh, kernel_w: kw, stride: 2, pad: 2, pool: 'AVE' }),
      [randomBlob([2, 3, 6, 5])],
      [new Blob()],
    ),
  );
  it('AVE global', () =>
    checkGradient(make({ global_pooling: true, pool: 'AVE' }), [randomBlob([2, 3, 4, 5])], [new Blob()]));
  it('STOCHASTIC (TRAIN, seeded)', () =>
    checkGradient(
      make({ kernel_size: 3, stride: 2, pool: 'STOCHASTIC' }, 'TRAIN'),
      [randomBlob([2, 3, 6, 5], 0.1, 1)],
      [new Blob()],
      { stepsize: 1e-4, threshold: 1e-2, seed: 1701 },
    ));
});

describeEngines('Pooling STOCHASTIC (test_stochastic_pooling.cpp)', () => {
  const x = randomBlob([2, 3, 6, 5], 0.1, 1, 1701);
  const windowValues = (n: number, c: number, ph: number, pw: number): number[] => {
    const v: number[] = [];
    for (let h = ph * 2; h < Math.min(ph * 2 + 3, 6); h++)
      for (let w = pw * 2; w < Math.min(pw * 2 + 3, 5); w++) v.push(x.cpuData()[x.offset(n, c, h, w)]);
    return v;
  };
  const forEachOut = (top: Blob, fn: (v: number, win: number[]) => void) => {
    for (let n = 0; n < 2; n++)
      for (let c = 0; c < 3; c++)
        for (let ph = 0; ph < 3; ph++)
          for (let pw = 0; pw < 2; pw++) {
            fn(top.cpuData()[top.offset(n, c, ph, pw)], windowValues(n, c, ph, pw));
          }
  };
  it('TRAIN samples a window element, weighted towards large values, reproducibly by seed', () => {
    const layer = make({ kernel_size: 3, stride: 2, pool: 'STOCHASTIC' }, 'TRAIN'),
      top = new Blob();
    layer.setUp([x], [top]);
    setRandomSeed(1701);
    layer.forward([x], [top]);
    let total = 0;
    forEachOut(top, (v, win) => {
      total += v;
      expect(win).toContain(v);
    });
    expect(total / top.count).toBeGreaterThanOrEqual(0.55);
    const first = Array.from(top.cpuData());
    setRandomSeed(1701);
    layer.forward([x], [top]);
    expect(Array.from(top.cpuData())).toEqual(first);
  });
  it('TEST gives sum x^2 / sum x over the window', () => {
    const { top } = (() => {
      const t = new Blob(),
        l = make({ kernel_size: 3, stride: 2, pool: 'STOCHASTIC' }, 'TEST');
      l.setUp([x], [t]);
      l.forward([x], [t]);
      return { top: t };
    })();
    forEachOut(top, (v, win) => {
      let s = 0,
        q = 0;
      for (const a of win) {
        s = Math.fround(s + a);
        q = Math.fround(q + Math.fround(a * a));
      }
      expect(v).toBe(Math.fround(q / s));
      expect(v).toBeLessThanOrEqual(Math.max(...win));
    });
  });
});
