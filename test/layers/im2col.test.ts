// Im2col: Caffe's test_im2col_layer.cpp (set-up with dilation, the top-left block, rectangular kernels,
// gradients with and without dilation and force_nd_im2col), the N-D path (1-D, 3-D, a channel axis after
// the batch axes) against a direct reference, the N-D path giving the native 2-D path's values bit for bit
// forward and backward, and ConvolutionParameter's checks as one-line errors.
import '../../src/layers/Im2col';
import { createLayer } from '../../src/core/layer_factory';
import { Blob } from '../../src/core/blob';
import { Layer } from '../../src/core/layer';
import { CaffeError } from '../../src/util/errors';
import { checkGradient, gaussianBlob } from '../gradient_checker';
import { describeEngines } from '../engines';

const make = (cp: object): Layer => createLayer({ name: 'im2col', type: 'Im2col', convolution_param: cp });

function run(cp: object, x: Blob): Blob {
  const top = new Blob(),
    l = make(cp);
  l.setUp([x], [top]);
  l.forward([x], [top]);
  return top;
}

/** Im2col by definition: for each image, row (c, k..), column (o..): x at o*s - p + k*d, 0 outside. */
function reference(x: Blob, axis: number, k: number[], s: number[], p: number[], d: number[]): number[] {
  const shape = x.shape,
    num = x.countRange(0, axis),
    C = shape[axis],
    inp = shape.slice(axis + 1);
  const out = inp.map((n, i) => Math.trunc((n + 2 * p[i] - (d[i] * (k[i] - 1) + 1)) / s[i]) + 1);
  const ksize = k.reduce((a, b) => a * b, 1),
    osize = out.reduce((a, b) => a * b, 1),
    isize = inp.reduce((a, b) => a * b, 1);
  const unravel = (i: number, dims: number[]) => {
    const r: number[] = [];
    for (let a = dims.length - 1; a >= 0; a--) {
      r[a] = i % dims[a];
      i = Math.floor(i / dims[a]);
    }
    return r;
  };
  const res: number[] = [],
    xd = x.cpuData();
  for (let n = 0; n < num; n++)
    for (let c = 0; c < C; c++)
      for (let kk = 0; kk < ksize; kk++)
        for (let o = 0; o < osize; o++) {
          const kv = unravel(kk, k),
            ov = unravel(o, out);
          const at = ov.map((q, i) => q * s[i] - p[i] + kv[i] * d[i]);
          if (at.some((a, i) => a < 0 || a >= inp[i])) res.push(0);
          else res.push(xd[(n * C + c) * isize + at.reduce((acc, a, i) => acc * inp[i] + a, 0)]);
        }
  return res;
}

describeEngines('Im2col', () => {
  it('Caffe TestSetup: 2x3x10x11, kernel 3, stride 2, dilation 3 -> 2x27x2x3', () => {
    expect(run({ kernel_size: [3], stride: [2], dilation: [3] }, gaussianBlob([2, 3, 10, 11])).shape).toEqual([
      2, 27, 2, 3,
    ]);
  });

  it('Caffe TestForward and TestRect: the top-left block', () => {
    const x = gaussianBlob([2, 3, 6, 5]);
    const at = (b: Blob, n: number, c: number, h: number, w: number) => b.cpuData()[b.offset(n, c, h, w)];
    const sq = run({ kernel_size: [3], stride: [2] }, x);
    for (let c = 0; c < 27; c++)
      expect(at(sq, 0, c, 0, 0)).toBe(at(x, 0, Math.floor(c / 9), Math.floor(c / 3) % 3, c % 3));
    const rect = run({ kernel_h: 5, kernel_w: 3, stride: [2] }, x);
    for (let c = 0; c < 45; c++)
      expect(at(rect, 0, c, 0, 0)).toBe(at(x, 0, Math.floor(c / 15), Math.floor(c / 3) % 5, c % 3));
  });

  it.each([
    ['2-D', [2, 3, 6, 5], { kernel_size: [3], stride: [2], pad: [1] }],
    ['2-D dilated', [2, 3, 10, 9], { kernel_size: [3], stride: [2], dilation: [3] }],
    ['1-D', [2, 3, 9], { kernel_size: [3], stride: [2], pad: [1] }],
    ['3-D', [2, 2, 4, 5, 3], { kernel_size: [2, 3, 2], stride: [1, 2, 1], pad: [0, 1, 1], dilation: [1, 1, 2] }],
    ['axis 2 (two batch axes)', [2, 2, 3, 5, 4], { axis: 2, kernel_size: [2], stride: [1, 2] }],
  ])('%s matches im2col by definition', (_n, shape, cp) => {
    const x = gaussianBlob(shape as number[]);
    const l = make(cp);
    const top = new Blob();
    l.setUp([x], [top]);
    l.forward([x], [top]);
    const axis = (cp as { axis?: number }).axis ?? 1,
      nsa = (shape as number[]).length - axis - 1;
    const per = (v: number[] | undefined, def: number) =>
      Array.from({ length: nsa }, (_, i) => (v === undefined ? def : v.length === 1 ? v[0] : v[i]));
    const c = cp as { kernel_size: number[]; stride?: number[]; pad?: number[]; dilation?: number[] };
    const want = reference(x, axis, per(c.kernel_size, 0), per(c.stride, 1), per(c.pad, 0), per(c.dilation, 1));
    expect(Array.from(top.cpuData())).toEqual(Array.from(new Float32Array(want)));
  });

  it('force_nd_im2col gives the native 2-D values bit for bit, forward and backward', () => {
    const x = gaussianBlob([2, 3, 7, 6]);
    const cp = { kernel_size: [3], stride: [2], pad: [1], dilation: [2] };
    const results = [false, true].map((force) => {
      const l = make({ ...cp, force_nd_im2col: force }),
        top = new Blob();
      l.setUp([x], [top]);
      l.forward([x], [top]);
      top.mutableCpuDiff().forEach((_, i, a) => (a[i] = Math.sin(i) * 0.37));
      l.backward([top], [true], [x]);
      return { y: Array.from(top.cpuData()), dx: Array.from(x.cpuDiff()), shape: top.shape };
    });
    expect(results[1]).toEqual(results[0]);
  });

  it.each([
    ['Caffe TestGradient', [2, 3, 6, 5], { kernel_size: [3], stride: [2] }],
    ['Caffe TestDilatedGradient', [2, 3, 10, 9], { kernel_size: [3], stride: [2], dilation: [3] }],
    ['Caffe TestGradientForceND', [2, 3, 6, 5], { kernel_size: [3], stride: [2], force_nd_im2col: true }],
    [
      'Caffe TestDilatedGradientForceND',
      [2, 3, 10, 9],
      { kernel_size: [3], stride: [2], dilation: [3], force_nd_im2col: true },
    ],
    ['Caffe TestRectGradient', [2, 3, 6, 5], { kernel_h: 5, kernel_w: 3, stride: [2] }],
    ['gradient: padded (overlapping windows)', [2, 2, 5, 4], { kernel_size: [3], stride: [1], pad: [1] }],
    ['gradient: 3-D', [1, 2, 4, 3, 3], { kernel_size: [2], stride: [1], pad: [1, 0, 1] }],
  ])('%s (1e-2, 1e-2)', (_n, shape, cp) => {
    checkGradient(make(cp), [gaussianBlob(shape as number[])], [new Blob()], { stepsize: 1e-2, threshold: 1e-2 });
  });

  const oneLine = (f: () => unknown, re: RegExp) => {
    expect(f).toThrow(CaffeError);
    expect(f).toThrow(re);
    try {
      f();
    } catch (e) {
      expect((e as Error).message).not.toContain('\n');
    }
  };

  it("ConvolutionParameter's checks are one-line errors", () => {
    const x4 = gaussianBlob([1, 2, 5, 5]);
    const setUp =
      (cp: object, x = x4) =>
      () =>
        make(cp).setUp([x], [new Blob()]);
    oneLine(setUp({}), /Im2col layer im2col: Check failed: .*kernel_size must be specified once/);
    oneLine(setUp({ kernel_size: [0] }), /Filter dimensions must be nonzero/);
    oneLine(setUp({ kernel_size: [3], stride: [0] }), /Stride dimensions must be nonzero/);
    oneLine(setUp({ kernel_size: [3, 3, 3] }), /kernel_size specified 3 times; 2 spatial dims/);
    oneLine(setUp({ kernel_h: 2, kernel_w: 2 }, gaussianBlob([1, 2, 3, 3, 3])), /can only be used for 2D/);
    oneLine(setUp({ kernel_size: [1], axis: 1 }, gaussianBlob([3, 2])), /num_spatial_axes_ >= 1 \(0 vs\. 1\)/);
    oneLine(setUp({ kernel_size: [7] }), /Im2col layer im2col: .*invalid blob dimension -1/);
  });
});
