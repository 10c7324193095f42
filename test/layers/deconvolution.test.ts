import '../../src/layers/Deconvolution';
import { createLayer } from '../../src/core/layer_factory';
import { Blob } from '../../src/core/blob';
import { setRandomSeed } from '../../src/core/rng';
import { CaffeError } from '../../src/util/errors';
import { checkGradient, randomBlob } from '../gradient_checker';
import { G, Geo, expectClose, paramFor } from './conv_geometry';
import { describeEngines } from '../engines';

const make = (cp: object) => createLayer({ name: 'deconv', type: 'Deconvolution', convolution_param: cp });
const gauss = { weight_filler: { type: 'gaussian' }, bias_filler: { type: 'gaussian' } };

/** Direct-loop transposed convolution: every input pixel scatters its weighted kernel into the output. */
function refDeconv(x: Blob, w: Blob, b: Blob | null, g: Geo): { shape: number[]; data: Float32Array } {
  const [N, C, H, W] = x.shape,
    Og = w.shape[1],
    O = Og * g.group,
    Cg = C / g.group;
  const OH = g.sh * (H - 1) + g.dh * (g.kh - 1) + 1 - 2 * g.ph,
    OW = g.sw * (W - 1) + g.dw * (g.kw - 1) + 1 - 2 * g.pw;
  const X = x.cpuData(),
    Wt = w.cpuData(),
    out = new Float32Array(N * O * OH * OW);
  for (let n = 0; n < N; n++) {
    if (b) for (let o = 0; o < O; o++) out.fill(b.cpuData()[o], (n * O + o) * OH * OW, (n * O + o + 1) * OH * OW);
    for (let c = 0; c < C; c++)
      for (let y = 0; y < H; y++)
        for (let xx = 0; xx < W; xx++) {
          const v = X[((n * C + c) * H + y) * W + xx],
            o0 = Math.floor(c / Cg) * Og;
          for (let o = 0; o < Og; o++)
            for (let p = 0; p < g.kh; p++)
              for (let q = 0; q < g.kw; q++) {
                const oy = y * g.sh - g.ph + p * g.dh,
                  ox = xx * g.sw - g.pw + q * g.dw;
                if (oy < 0 || oy >= OH || ox < 0 || ox >= OW) continue;
                out[((n * O + o0 + o) * OH + oy) * OW + ox] += v * Wt[((c * Og + o) * g.kh + p) * g.kw + q];
              }
        }
  }
  return { shape: [N, O, OH, OW], data: out };
}

describeEngines('Deconvolution', () => {
  beforeEach(() => setRandomSeed(1701));

  it('shapes its tops and weights as Caffe (TestSetup)', () => {
    let l = make({ kernel_size: [3], stride: [2], num_output: 4 });
    const t1 = new Blob(),
      t2 = new Blob();
    l.setUp([randomBlob([2, 3, 6, 4]), randomBlob([2, 3, 6, 4], -1, 1, 5)], [t1, t2]);
    expect(t1.shape).toEqual([2, 4, 13, 9]);
    expect(t2.shape).toEqual([2, 4, 13, 9]);
    expect(l.blobs.map((b) => b.shape)).toEqual([[3, 4, 3, 3], [4]]);
    l = make({ kernel_size: [3], stride: [2], num_output: 3, group: 3 });
    l.setUp([randomBlob([2, 3, 6, 4])], [t1]);
    expect(t1.shape).toEqual([2, 3, 13, 9]);
    expect(l.blobs[0].shape).toEqual([3, 1, 3, 3]);
  });

  it('accumulates overlapping filters (TestSimpleDeconvolution)', () => {
    const l = make({
      kernel_size: [3],
      stride: [2],
      num_output: 4,
      weight_filler: { type: 'constant', value: 1 },
      bias_filler: { type: 'constant', value: 0.1 },
    });
    const xs = [new Blob([2, 3, 6, 4]), new Blob([2, 3, 6, 4])],
      ys = [new Blob(), new Blob()];
    l.setUp(xs, ys);
    xs.forEach((x) => x.mutableCpuData().fill(1));
    l.forward(xs, ys);
    for (const y of ys) {
      const [N, C, H, W] = y.shape,
        d = y.cpuData();
      for (let n = 0; n < N; n++)
        for (let c = 0; c < C; c++)
          for (let h = 0; h < H; h++)
            for (let w = 0; w < W; w++) {
              const ho = h % 2 === 0 && h > 0 && h < H - 1,
                wo = w % 2 === 0 && w > 0 && w < W - 1;
              const want = 3.1 + (ho && wo ? 9 : ho || wo ? 3 : 0);
              expect(Math.abs(d[y.offset(n, c, h, w)] - want)).toBeLessThan(1e-4);
            }
    }
  });

  it('upsamples a constant image to a constant interior with a bilinear kernel (FCN style)', () => {
    const l = make({
      kernel_size: [4],
      stride: [2],
      pad: [1],
      num_output: 3,
      group: 3,
      bias_term: false,
      weight_filler: { type: 'bilinear' },
    });
    const x = new Blob([1, 3, 5, 5]),
      y = new Blob();
    x.mutableCpuData().fill(2);
    l.setUp([x], [y]);
    l.forward([x], [y]);
    expect(y.shape).toEqual([1, 3, 10, 10]);
    for (let c = 0; c < 3; c++)
      for (let h = 1; h < 9; h++)
        for (let w = 1; w < 9; w++) expect(y.cpuData()[y.offset(0, c, h, w)]).toBeCloseTo(2, 5);
  });

  const cases: [string, number[], number, Geo, boolean][] = [
    ['3x3 stride 2', [2, 3, 6, 4], 4, G({ sh: 2, sw: 2 }), true],
    ['4x4 stride 2 pad 1', [2, 4, 5, 7], 3, G({ kh: 4, kw: 4, sh: 2, sw: 2, ph: 1, pw: 1 }), true],
    ['dilation 2', [1, 3, 5, 6], 2, G({ dh: 2, dw: 2 }), false],
    ['group 2', [2, 4, 4, 5], 6, G({ group: 2, sh: 2, sw: 2, ph: 1, pw: 1 }), true],
    ['depthwise', [2, 5, 4, 4], 5, G({ group: 5, kh: 2, kw: 2, sh: 2, sw: 2 }), true],
    ['1x1', [2, 6, 3, 5], 4, G({ kh: 1, kw: 1 }), true],
    [
      'rectangular kernel_h/kernel_w with stride_h/stride_w',
      [2, 3, 4, 6],
      2,
      G({ kh: 3, kw: 2, sh: 2, sw: 3, ph: 1, pw: 0 }),
      false,
    ],
    ['16 -> 32 channels (blocked layouts)', [3, 16, 6, 5], 32, G({ ph: 1, pw: 1 }), true],
  ];
  it.each(cases)('matches the direct reference: %s', (_name, shape, numOutput, g, bias) => {
    const l = make(paramFor(numOutput, g, bias));
    const x = randomBlob(shape, -1, 1, 21),
      y = new Blob();
    l.setUp([x], [y]);
    const want = refDeconv(x, l.blobs[0], bias ? l.blobs[1] : null, g);
    expect(y.shape).toEqual(want.shape);
    l.forward([x], [y]);
    expectClose(y.cpuData(), want.data);
  });

  it('handles N bottoms -> N tops with shared weights', () => {
    const g = G({ sh: 2, sw: 2, ph: 1, pw: 1 });
    const l = make(paramFor(3, g, true));
    const xs = [1, 2].map((s) => randomBlob([2, 4, 3, 5], -1, 1, s)),
      ys = xs.map(() => new Blob());
    l.setUp(xs, ys);
    l.forward(xs, ys);
    xs.forEach((x, i) => expectClose(ys[i].cpuData(), refDeconv(x, l.blobs[0], l.blobs[1], g).data));
  });

  describe('gradients (stepsize 1e-2, threshold 1e-3, as Caffe)', () => {
    const opts = { stepsize: 1e-2, threshold: 1e-3 };
    it('TestGradient: 2x2 stride 1, two bottoms', () => {
      checkGradient(
        make({ kernel_size: [2], stride: [1], num_output: 1, ...gauss }),
        [randomBlob([2, 3, 6, 4], -1, 1, 1), randomBlob([2, 3, 6, 4], -1, 1, 2)],
        [new Blob(), new Blob()],
        opts,
      );
    });
    it('3x3 stride 2 pad 1 group 2', () => {
      checkGradient(
        make({ kernel_size: [3], stride: [2], pad: [1], num_output: 4, group: 2, ...gauss }),
        [randomBlob([2, 4, 3, 4])],
        [new Blob()],
        opts,
      );
    });
    it('dilation 2, rectangular, no bias', () => {
      checkGradient(
        make({ kernel_h: 2, kernel_w: 3, dilation: [2], num_output: 2, bias_term: false, ...gauss }),
        [randomBlob([2, 3, 3, 4])],
        [new Blob()],
        opts,
      );
    });
    it('16 channels (oneDNN blocked layouts)', () => {
      checkGradient(
        make({ kernel_size: [2], stride: [2], num_output: 16, ...gauss }),
        [randomBlob([2, 16, 3, 3])],
        [new Blob()],
        { ...opts, maxElements: 150 },
      );
    });
  });

  it('supports 2-D only and checks groups as Caffe', () => {
    const f = () => make({ num_output: 2, kernel_size: [2] }).setUp([randomBlob([1, 2, 3, 3, 3])], [new Blob()]);
    expect(f).toThrow(CaffeError);
    expect(f).toThrow('only 2-D convolution is supported');
    expect(() =>
      make({ num_output: 3, group: 2, kernel_size: [2] }).setUp([randomBlob([1, 2, 3, 3])], [new Blob()]),
    ).toThrow('Number of output should be multiples of group.');
  });
});
