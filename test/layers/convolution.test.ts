import '../../src/layers/Convolution';
import { createLayer } from '../../src/core/layer_factory';
import { Blob } from '../../src/core/blob';
import { Layer } from '../../src/core/layer';
import { setRandomSeed } from '../../src/core/rng';
import { CaffeError } from '../../src/util/errors';
import { setLogSink } from '../../src/util/logging';
import { checkGradient, randomBlob } from '../gradient_checker';
import { G, Geo, expectClose, paramFor } from './conv_geometry';
import { describeEngines } from '../engines';

const make = (cp: object, blobs?: object[]) =>
  createLayer({ name: 'conv', type: 'Convolution', convolution_param: cp, ...(blobs ? { blobs } : {}) });
const gauss = { weight_filler: { type: 'gaussian' }, bias_filler: { type: 'gaussian' } };

/** Direct-loop convolution as Caffe defines it (zero padding, groups, dilation, truncating size). */
function refConv(x: Blob, w: Blob, b: Blob | null, g: Geo): { shape: number[]; data: Float32Array } {
  const [N, C, H, W] = x.shape,
    O = w.shape[0],
    Cg = C / g.group,
    Og = O / g.group;
  const OH = Math.trunc((H + 2 * g.ph - (g.dh * (g.kh - 1) + 1)) / g.sh) + 1;
  const OW = Math.trunc((W + 2 * g.pw - (g.dw * (g.kw - 1) + 1)) / g.sw) + 1;
  const X = x.cpuData(),
    Wt = w.cpuData(),
    out = new Float32Array(N * O * OH * OW);
  for (let n = 0; n < N; n++)
    for (let o = 0; o < O; o++)
      for (let y = 0; y < OH; y++)
        for (let xx = 0; xx < OW; xx++) {
          let s = b ? b.cpuData()[o] : 0;
          const c0 = Math.floor(o / Og) * Cg;
          for (let c = 0; c < Cg; c++)
            for (let p = 0; p < g.kh; p++)
              for (let q = 0; q < g.kw; q++) {
                const iy = y * g.sh - g.ph + p * g.dh,
                  ix = xx * g.sw - g.pw + q * g.dw;
                if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                s += X[((n * C + c0 + c) * H + iy) * W + ix] * Wt[((o * Cg + c) * g.kh + p) * g.kw + q];
              }
          out[((n * O + o) * OH + y) * OW + xx] = s;
        }
  return { shape: [N, O, OH, OW], data: out };
}

describeEngines('Convolution', () => {
  beforeEach(() => setRandomSeed(1701));
  let restoreLog: () => void;
  beforeAll(() => {
    restoreLog = setLogSink(() => undefined);
  }); // 'Skipping parameter initialization'
  afterAll(() => restoreLog());

  it('shapes its tops as Caffe (TestSetup), group does not change the shape', () => {
    let l = make({ kernel_size: [3], stride: [2], num_output: 4 });
    const t1 = new Blob(),
      t2 = new Blob();
    l.setUp([randomBlob([2, 3, 6, 4]), randomBlob([2, 3, 6, 4], -1, 1, 7)], [t1, t2]);
    expect(t1.shape).toEqual([2, 4, 2, 1]);
    expect(t2.shape).toEqual([2, 4, 2, 1]);
    expect(l.blobs.map((b) => b.shape)).toEqual([[4, 3, 3, 3], [4]]);
    l = make({ kernel_size: [3], stride: [2], num_output: 3, group: 3 });
    l.setUp([randomBlob([2, 3, 6, 4])], [t1]);
    expect(t1.shape).toEqual([2, 3, 2, 1]);
    expect(l.blobs[0].shape).toEqual([3, 1, 3, 3]);
  });

  const cases: [string, number[], number, Geo, boolean][] = [
    ['3x3 stride 2 (Caffe TestSimpleConvolution)', [2, 3, 6, 4], 4, G({ sh: 2, sw: 2 }), true],
    ['3x3 pad 1', [2, 4, 7, 5], 6, G({ ph: 1, pw: 1 }), true],
    ['dilation 2 (TestDilatedConvolution)', [2, 3, 8, 7], 4, G({ dh: 2, dw: 2 }), true],
    ['dilation 2, pad 2, stride 2', [1, 3, 9, 11], 5, G({ dh: 2, dw: 2, ph: 2, pw: 2, sh: 2, sw: 2 }), false],
    ['group 2', [2, 4, 6, 6], 6, G({ group: 2, ph: 1, pw: 1 }), true],
    ['group = channels (depthwise, TestSimpleConvolutionGroup)', [2, 3, 6, 4], 3, G({ group: 3, sh: 2, sw: 2 }), true],
    ['depthwise with multiplier 2', [3, 8, 9, 7], 16, G({ group: 8, ph: 1, pw: 1 }), true],
    ['1x1 (Test1x1Convolution)', [2, 3, 6, 4], 4, G({ kh: 1, kw: 1 }), true],
    ['1x1 stride 2', [2, 16, 7, 7], 8, G({ kh: 1, kw: 1, sh: 2, sw: 2 }), false],
    ['rectangular 3x1 kernel_h/kernel_w, stride_h 2', [2, 3, 6, 4], 2, G({ kh: 3, kw: 1, sh: 2, sw: 1 }), false],
    [
      'rectangular 2x5, pad_h/pad_w, non-square input',
      [2, 5, 5, 13],
      3,
      G({ kh: 2, kw: 5, ph: 1, pw: 2, sh: 1, sw: 3 }),
      true,
    ],
    ['kernel larger than input with padding', [1, 2, 3, 3], 2, G({ kh: 5, kw: 5, ph: 2, pw: 2 }), true],
    [
      'strided window that does not tile (truncated size)',
      [2, 3, 7, 8],
      4,
      G({ kh: 4, kw: 3, sh: 3, sw: 2, ph: 1, pw: 0 }),
      true,
    ],
    ['5x5 pad 2 group 2 (conv2-like)', [2, 8, 9, 9], 8, G({ kh: 5, kw: 5, ph: 2, pw: 2, group: 2 }), true],
    ['11x11 stride 4 (conv1-like)', [1, 3, 35, 35], 8, G({ kh: 11, kw: 11, sh: 4, sw: 4 }), true],
    ['16 channels, 3x3, batch 4 (blocked layouts)', [4, 16, 10, 12], 32, G({ ph: 1, pw: 1 }), true],
    // one window: oneDNN's kernels overflow on such a stride (SIGFPE), the native Conv passes a small one
    [
      'stride 2^31 - 1 (one window)',
      [1, 32, 8, 8],
      4,
      G({ kh: 5, kw: 5, ph: 2, pw: 2, sh: 2 ** 31 - 1, sw: 2 ** 31 - 1 }),
      true,
    ],
  ];
  it.each(cases)('matches the direct reference: %s', (_name, shape, numOutput, g, bias) => {
    const l = make(paramFor(numOutput, g, bias));
    const x = randomBlob(shape, -1, 1, 11),
      y = new Blob();
    l.setUp([x], [y]);
    const want = refConv(x, l.blobs[0], bias ? l.blobs[1] : null, g);
    expect(y.shape).toEqual(want.shape);
    l.forward([x], [y]);
    expectClose(y.cpuData(), want.data);
  });

  it('handles N bottoms -> N tops with shared weights', () => {
    const g = G({ sh: 2, sw: 2, ph: 1, pw: 1 });
    const l = make(paramFor(5, g, true));
    const xs = [1, 2, 3].map((s) => randomBlob([2, 3, 7, 6], -1, 1, s)),
      ys = xs.map(() => new Blob());
    l.setUp(xs, ys);
    l.forward(xs, ys);
    xs.forEach((x, i) => expectClose(ys[i].cpuData(), refConv(x, l.blobs[0], l.blobs[1], g).data));
  });

  it('follows a bottom reshape (new primitive for the new geometry)', () => {
    const g = G({ ph: 1, pw: 1, sh: 2, sw: 2 });
    const l = make(paramFor(4, g, true)),
      y = new Blob();
    const a = randomBlob([2, 3, 8, 8], -1, 1, 5),
      b = randomBlob([3, 3, 5, 9], -1, 1, 6);
    l.setUp([a], [y]);
    l.forward([a], [y]);
    expectClose(y.cpuData(), refConv(a, l.blobs[0], l.blobs[1], g).data);
    l.forward([b], [y]);
    expect(y.shape).toEqual([3, 4, 3, 5]);
    expectClose(y.cpuData(), refConv(b, l.blobs[0], l.blobs[1], g).data);
  });

  it('uses `axis`: leading axes are independent images', () => {
    const g = G({ ph: 1, pw: 1 });
    const l = make({ ...paramFor(4, g, true), axis: 2 });
    const x = randomBlob([2, 3, 5, 6, 4]),
      y = new Blob();
    l.setUp([x], [y]);
    expect(y.shape).toEqual([2, 3, 4, 6, 4]);
    l.forward([x], [y]);
    const flat = new Blob([6, 5, 6, 4]);
    flat.mutableCpuData().set(x.cpuData());
    expectClose(y.cpuData(), refConv(flat, l.blobs[0], l.blobs[1], g).data);
  });

  it('computes the Sobel operator as one 3x3 filter or 3x1 then 1x3 filters (TestSobelConvolution)', () => {
    const x = randomBlob([2, 3, 6, 4]);
    const sobel = new Float32Array(27);
    for (let c = 0; c < 3; c++) sobel.set([-1, 0, 1, -2, 0, 2, -1, 0, 1], c * 9);
    const full = make({ kernel_size: [3], stride: [2], num_output: 1, bias_term: false }, [
      { shape: { dim: [1, 3, 3, 3] }, data: sobel },
    ]);
    const y = new Blob();
    full.setUp([x], [y]);
    full.forward([x], [y]);
    // (1) the [1 2 1] column filter, stride 2 vertically
    const col = make({ kernel_h: 3, kernel_w: 1, stride_h: 2, stride_w: 1, num_output: 1, bias_term: false }, [
      { shape: { dim: [1, 3, 3, 1] }, data: Float32Array.from([1, 2, 1, 1, 2, 1, 1, 2, 1]) },
    ]);
    const mid = new Blob();
    col.setUp([x], [mid]);
    col.forward([x], [mid]);
    // (2) the [-1 0 1] row filter, stride 2 horizontally
    const row = make({ kernel_h: 1, kernel_w: 3, stride_h: 1, stride_w: 2, num_output: 1, bias_term: false }, [
      { shape: { dim: [1, 1, 1, 3] }, data: Float32Array.from([-1, 0, 1]) },
    ]);
    const y2 = new Blob();
    row.setUp([mid], [y2]);
    row.forward([mid], [y2]);
    expect(y2.shape).toEqual(y.shape);
    expectClose(y2.cpuData(), y.cpuData());
  });

  it('computes a hand-checked 1-channel example with bias', () => {
    const l = make({ kernel_size: [2], num_output: 1 }, [
      { shape: { dim: [1, 1, 2, 2] }, data: Float32Array.from([1, 0, 0, 1]) },
      { shape: { dim: [1] }, data: Float32Array.from([10]) },
    ]);
    const x = new Blob([1, 1, 3, 3]);
    x.mutableCpuData().set([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const y = new Blob();
    l.setUp([x], [y]);
    l.forward([x], [y]);
    expect(Array.from(y.cpuData())).toEqual([16, 18, 22, 24]);
  });

  describe('gradients (stepsize 1e-2, threshold 1e-3, as Caffe)', () => {
    const opts = { stepsize: 1e-2, threshold: 1e-3 };
    const two = () => [randomBlob([2, 3, 6, 4], -1, 1, 1), randomBlob([2, 3, 6, 4], -1, 1, 2)];
    it('TestGradient: 3x3 stride 2, two bottoms', () => {
      checkGradient(
        make({ kernel_size: [3], stride: [2], num_output: 2, ...gauss }),
        two(),
        [new Blob(), new Blob()],
        opts,
      );
    });
    it('TestDilatedGradient: dilation 2', () => {
      checkGradient(
        make({ kernel_size: [3], dilation: [2], num_output: 2, ...gauss }),
        [randomBlob([2, 3, 5, 6])],
        [new Blob()],
        opts,
      );
    });
    it('Test1x1Gradient', () => {
      checkGradient(
        make({ kernel_size: [1], stride: [1], num_output: 2, ...gauss }),
        two(),
        [new Blob(), new Blob()],
        opts,
      );
    });
    it('TestGradientGroup: group = channels', () => {
      checkGradient(
        make({ kernel_size: [3], stride: [2], num_output: 3, group: 3, ...gauss }),
        [randomBlob([2, 3, 6, 4])],
        [new Blob()],
        opts,
      );
    });
    it('group 2, pad 1, rectangular kernel, no bias', () => {
      const p = {
        kernel_h: 3,
        kernel_w: 2,
        pad_h: 1,
        pad_w: 1,
        stride_h: 2,
        stride_w: 1,
        num_output: 4,
        group: 2,
        bias_term: false,
        ...gauss,
      };
      checkGradient(make(p), [randomBlob([2, 4, 5, 4])], [new Blob()], opts);
    });
    it('16 channels (oneDNN blocked layouts), pad 1', () => {
      checkGradient(
        make({ kernel_size: [3], pad: [1], num_output: 16, ...gauss }),
        [randomBlob([2, 16, 4, 4])],
        [new Blob()],
        { ...opts, maxElements: 150 },
      );
    });
  });

  it('accumulates the bias diff alone when weight gradients are off', () => {
    const run = (pp: boolean[]): Layer => {
      setRandomSeed(3);
      const l = make({ kernel_size: [3], pad: [1], num_output: 4, ...gauss }),
        x = randomBlob([2, 3, 5, 5]),
        y = new Blob();
      l.setUp([x], [y]);
      l.forward([x], [y]);
      y.mutableCpuDiff().set(randomBlob(y.shape.slice(), -1, 1, 9).cpuData());
      l.paramPropagateDown = pp;
      l.blobs[1].mutableCpuDiff().fill(1);
      l.blobs[0].mutableCpuDiff().fill(0);
      l.backward([y], [false], [x]);
      return l;
    };
    const both = run([true, true]),
      biasOnly = run([false, true]);
    expectClose(biasOnly.blobs[1].cpuDiff(), both.blobs[1].cpuDiff());
    expect(biasOnly.blobs[0].asumDiff()).toBe(0);
  });

  describe('parameter errors (Caffe CHECK wording)', () => {
    const setup =
      (cp: object, shape = [2, 3, 6, 4], blobs?: object[]) =>
      () =>
        make(cp, blobs).setUp([randomBlob(shape)], [new Blob()]);
    const err = (f: () => void, msg: string) => {
      expect(f).toThrow(CaffeError);
      expect(f).toThrow(msg);
    };
    it('rejects kernel_size with kernel_h/w', () =>
      err(
        setup({ num_output: 2, kernel_size: [3], kernel_h: 3, kernel_w: 3 }),
        'Check failed: 0 == conv_param.kernel_size_size() (0 vs. 1) ' +
          'Either kernel_size or kernel_h/w should be specified; not both.',
      ));
    it('rejects stride with stride_h/w', () =>
      err(
        setup({ num_output: 2, kernel_size: [3], stride: [1], stride_h: 2 }),
        'Either stride or stride_h/w should be specified; not both.',
      ));
    it('rejects pad with pad_h/w', () =>
      err(
        setup({ num_output: 2, kernel_size: [3], pad: [1], pad_w: 2 }),
        'Either pad or pad_h/w should be specified; not both.',
      ));
    it('rejects kernel_size given 3 times for 2 axes', () =>
      err(
        setup({ num_output: 2, kernel_size: [3, 3, 3] }),
        'kernel_size must be specified once, or once per spatial dimension ' +
          '(kernel_size specified 3 times; 2 spatial dims).',
      ));
    it('rejects a missing kernel', () => err(setup({ num_output: 2 }), 'kernel_size specified 0 times'));
    it("reads uint32 geometry of 2^31 and more as Caffe's ints do: negative, refused", () => {
      err(
        setup({ num_output: 2, kernel_size: [3], stride: [2 ** 31] }),
        'Check failed: stride_data[i] > 0 (-2147483648 vs. 0) Stride dimensions must be nonzero.',
      );
      err(setup({ num_output: 2, kernel_size: [2 ** 32 - 1] }), 'Check failed: kernel_shape_data[i] > 0 (-1 vs. 0)');
      err(setup({ num_output: 2 ** 32 - 1, kernel_size: [3] }), 'Check failed: num_output_ > 0 (-1 vs. 0)');
    });
    it('rejects a zero kernel_w', () =>
      err(setup({ num_output: 2, kernel_h: 3 }), 'Filter dimensions must be nonzero.'));
    it('rejects num_output not a multiple of group', () =>
      err(
        setup({ num_output: 5, group: 3, kernel_size: [1] }, [2, 6, 4, 4]),
        'Check failed: num_output_ % group_ == 0 (2 vs. 0) Number of output should be multiples of group.',
      ));
    it('rejects channels not a multiple of group', () =>
      err(setup({ num_output: 4, group: 2, kernel_size: [1] }), 'Check failed: channels_ % group_ == 0 (1 vs. 0)'));
    it('rejects num_output 0', () => err(setup({ kernel_size: [1] }), 'Check failed: num_output_ > 0 (0 vs. 0)'));
    it('rejects kernel_h on a 3-D convolution', () =>
      err(
        setup({ num_output: 2, kernel_h: 1, kernel_w: 1 }, [2, 3, 4, 4, 4]),
        'kernel_h & kernel_w can only be used for 2D convolution.',
      ));
    it('supports 2-D only', () => {
      err(setup({ num_output: 2, kernel_size: [1] }, [2, 3, 4, 4, 4]), 'only 2-D convolution is supported');
      err(setup({ num_output: 2, axis: 3 }, [2, 3, 6, 4]), 'only 2-D convolution is supported');
    });
    it('rejects weights of the wrong shape', () =>
      err(
        setup(
          { num_output: 2, kernel_size: [3], bias_term: false },
          [2, 3, 6, 4],
          [{ shape: { dim: [2, 3, 3, 2] }, data: new Float32Array(36) }],
        ),
        'Incorrect weight shape: expected shape 2 3 3 3 (54); instead, shape was 2 3 3 2 (36)',
      ));
    it('rejects a wrong number of weight blobs', () =>
      err(
        setup(
          { num_output: 2, kernel_size: [3] },
          [2, 3, 6, 4],
          [{ shape: { dim: [2, 3, 3, 3] }, data: new Float32Array(54) }],
        ),
        'Incorrect number of weight blobs.',
      ));
    it('rejects a channel change at reshape', () => {
      const l = make({ num_output: 2, kernel_size: [3] });
      l.setUp([randomBlob([2, 3, 6, 4])], [new Blob()]);
      err(
        () => l.reshape([randomBlob([2, 4, 6, 4])], [new Blob()]),
        'Input size incompatible with convolution kernel.',
      );
    });
    it('rejects bottoms of different shapes', () => {
      const l = make({ num_output: 2, kernel_size: [3] });
      err(
        () => l.setUp([randomBlob([2, 3, 6, 4]), randomBlob([2, 3, 6, 5])], [new Blob(), new Blob()]),
        'shape mismatch - bottom[0]: 2 3 6 4 (144) vs. bottom[1]: 2 3 6 5 (180)',
      );
    });
  });
});
