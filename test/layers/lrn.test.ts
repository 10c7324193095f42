// LRN: hand-computed cases, Caffe's test reference (test_lrn_layer.cpp, epsilon 1e-5), a step-for-step
// float emulation of Caffe's layer arithmetic (CrossChannel running sums; WITHIN_CHANNEL's split /
// power / AVE pooling / power / product composition) forward and backward, parameter checks, and
// gradient checks with Caffe's stepsize/threshold (1e-2 / 1e-2).
import '../../src/layers/LRN';
import { createLayer } from '../../src/core/layer_factory';
import { Blob } from '../../src/core/blob';
import { Layer } from '../../src/core/layer';
import { checkGradient, randomBlob } from '../gradient_checker';
import { describeEngines } from '../engines';

const F = Math.fround;
const make = (p: object = {}): Layer => createLayer({ name: 'norm', type: 'LRN', lrn_param: p });
interface Prm {
  size: number;
  alpha: number;
  beta: number;
  k: number;
}
const prm = (p: Partial<Prm>): Prm => ({ size: 5, alpha: 1, beta: 0.75, k: 1, ...p });

function fwd(p: object, x: Blob): { layer: Layer; top: Blob } {
  const layer = make(p),
    top = new Blob();
  layer.setUp([x], [top]);
  layer.forward([x], [top]);
  return { layer, top };
}

/** test_lrn_layer.cpp's ReferenceLRNForward (scale starts at 1: k is its default there). */
function caffeTestReference(x: Blob, p: Prm, within: boolean): Float32Array {
  const [N, C, H, W] = x.shape,
    y = new Float32Array(x.count),
    d = x.cpuData(),
    s = p.size,
    pre = (s - 1) / 2;
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++)
      for (let h = 0; h < H; h++)
        for (let w = 0; w < W; w++) {
          let scale = 1;
          if (!within) {
            for (let i = Math.max(c - pre, 0); i < Math.min(c - pre + s, C); i++)
              scale += (d[x.offset(n, i, h, w)] ** 2 * p.alpha) / s;
          } else {
            for (let nh = Math.max(h - pre, 0); nh < Math.min(h - pre + s, H); nh++) {
              for (let nw = Math.max(w - pre, 0); nw < Math.min(w - pre + s, W); nw++)
                scale += (d[x.offset(n, c, nh, nw)] ** 2 * p.alpha) / (s * s);
            }
          }
          y[x.offset(n, c, h, w)] = d[x.offset(n, c, h, w)] / scale ** p.beta;
        }
  return y;
}

/** CrossChannelForward_cpu / CrossChannelBackward_cpu, float op for float op. */
function emulateAcross(x: Float32Array, dy: Float32Array, [N, C, H, W]: readonly number[], p: Prm) {
  const HW = H * W,
    pre = (p.size - 1) / 2,
    aos = F(F(p.alpha) / p.size),
    beta = F(p.beta);
  const crv = F((2 * F(p.alpha) * beta) / p.size);
  const scale = new Float32Array(x.length),
    y = new Float32Array(x.length),
    dx = new Float32Array(x.length);
  const sq = (c: number, n: number, j: number) =>
    c < 0 || c >= C ? 0 : F(x[(n * C + c) * HW + j] * x[(n * C + c) * HW + j]);
  for (let n = 0; n < N; n++)
    for (let j = 0; j < HW; j++) {
      const at = (c: number) => (n * C + c) * HW + j;
      let s = F(p.k);
      for (let c = -pre; c <= pre; c++) s = F(s + F(aos * sq(c, n, j)));
      scale[at(0)] = s;
      for (let c = 1; c < C; c++) {
        s = F(s + F(aos * sq(c + pre, n, j)));
        s = F(s - F(aos * sq(c - 1 - pre, n, j)));
        scale[at(c)] = s;
      }
      for (let c = 0; c < C; c++) y[at(c)] = F(F(scale[at(c)] ** -beta) * x[at(c)]);
      const ratio = (c: number) => (c < 0 || c >= C ? 0 : F(F(dy[at(c)] * y[at(c)]) / scale[at(c)]));
      let acc = 0;
      for (let c = -pre; c < pre; c++) acc = F(acc + ratio(c));
      for (let c = 0; c < C; c++) {
        acc = F(acc + ratio(c + pre));
        dx[at(c)] = F(F(dy[at(c)] * F(scale[at(c)] ** -beta)) - F(crv * F(x[at(c)] * acc)));
        acc = F(acc - ratio(c - pre));
      }
    }
  return { y, dx };
}

/** WITHIN_CHANNEL as Caffe builds it from Split, Power(2), AVE Pooling(size, pad (size-1)/2), Power, Eltwise PROD. */
function emulateWithin(x: Float32Array, dy: Float32Array, [N, C, H, W]: readonly number[], p: Prm) {
  const s = p.size,
    pre = (s - 1) / 2,
    alpha = F(p.alpha),
    power = -F(p.beta),
    ds = F(power * alpha);
  const y = new Float32Array(x.length),
    dx = new Float32Array(x.length);
  for (let q = 0; q < N * C; q++) {
    const o = q * H * W,
      pooled = new Float32Array(H * W),
      pw = new Float32Array(H * W),
      dsq = new Float32Array(H * W);
    const win = (h: number, w: number) => {
      const hs = h - pre,
        ws = w - pre,
        he = Math.min(hs + s, H + pre),
        we = Math.min(ws + s, W + pre);
      return {
        size: (he - hs) * (we - ws),
        hs: Math.max(hs, 0),
        ws: Math.max(ws, 0),
        he: Math.min(he, H),
        we: Math.min(we, W),
      };
    };
    for (let h = 0; h < H; h++)
      for (let w = 0; w < W; w++) {
        const a = win(h, w);
        let sum = 0;
        for (let i = a.hs; i < a.he; i++) for (let j = a.ws; j < a.we; j++) sum = F(sum + F(x[o + i * W + j] ** 2));
        const t = F(sum / a.size);
        pooled[h * W + w] = t;
        pw[h * W + w] = ds === 0 ? 1 : F(F(F(alpha === 1 ? t : F(alpha * t)) + 1) ** power);
        y[o + h * W + w] = F(x[o + h * W + w] * pw[h * W + w]);
      }
    for (let h = 0; h < H; h++)
      for (let w = 0; w < W; w++) {
        const i = h * W + w,
          dpow = F(x[o + i] * dy[o + i]);
        let f = F(pooled[i] * (alpha === 1 ? 1 : alpha));
        f = F(pw[i] / F(f + 1));
        const dpool = F(dpow * F(f * ds));
        const a = win(h, w);
        for (let r = a.hs; r < a.he; r++)
          for (let c = a.ws; c < a.we; c++) dsq[r * W + c] = F(dsq[r * W + c] + F(dpool / a.size));
      }
    for (let i = 0; i < H * W; i++) dx[o + i] = F(F(pw[i] * dy[o + i]) + F(dsq[i] * F(2 * x[o + i])));
  }
  return { y, dx };
}

/** |a - b| <= tol * max(1, |b|) elementwise. */
function expectClose(a: ArrayLike<number>, b: ArrayLike<number>, tol: number): void {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  expect(worst).toBeLessThanOrEqual(tol);
}

describeEngines('LRN hand-computed', () => {
  it('ACROSS_CHANNELS 3 channels, local 3: scale = k + alpha/3 * window sum of x^2', () => {
    const x = new Blob([1, 3, 1, 1]);
    x.mutableCpuData().set([1, 2, 3]);
    const { layer, top } = fwd({ local_size: 3, alpha: 3, beta: 1, k: 1 }, x);
    expectClose(top.cpuData(), [1 / 6, 2 / 15, 3 / 14], 1e-7);
    expect(Array.from((layer as unknown as { scale: Blob }).scale.cpuData())).toEqual([6, 15, 14]);
  });
  it('no channels: forward and backward do nothing (the kernels wrote k into a scale of no channels)', () => {
    for (const norm_region of ['ACROSS_CHANNELS', 'WITHIN_CHANNEL']) {
      const x = new Blob([2, 0, 3, 3]);
      const { layer, top } = fwd({ norm_region }, x);
      expect(top.shape).toEqual([2, 0, 3, 3]);
      layer.backward([top], [true], [x]);
    }
  });
  it('WITHIN_CHANNEL 3x3 of ones, local 3: divisor 9 at the borders too, k unused', () => {
    const x = new Blob([1, 1, 3, 3]);
    x.mutableCpuData().fill(1);
    const { top } = fwd({ local_size: 3, alpha: 9, beta: 1, k: 5, norm_region: 'WITHIN_CHANNEL' }, x);
    const c = 1 / 5,
      e = 1 / 7,
      m = 1 / 10; // 1 + 9 * (cells in window)/9
    expectClose(top.cpuData(), [c, e, c, e, m, e, c, e, c], 1e-7);
  });
});

describeEngines("LRN vs Caffe's test reference (2x7x3x3, epsilon 1e-5)", () => {
  const x = randomBlob([2, 7, 3, 3], -2, 2, 1701);
  it.each([
    ['ACROSS_CHANNELS', {}, false],
    ['ACROSS_CHANNELS large region', { local_size: 15 }, false],
    ['WITHIN_CHANNEL', { local_size: 3, norm_region: 'WITHIN_CHANNEL' }, true],
  ] as const)('%s', (_n, p, within) => {
    const size = (p as { local_size?: number }).local_size ?? 5;
    expectClose(fwd(p, x).top.cpuData(), caffeTestReference(x, prm({ size }), within), 1e-5);
  });
});

describeEngines("LRN vs an emulation of Caffe's float arithmetic, forward and backward", (engine) => {
  // CAFFE's running sums are BLAS saxpy calls, as Caffe's, whose kernels may fuse the multiply-add (OpenBLAS
  // on FMA CPUs; no difference with OPENBLAS_CORETYPE=Sandybridge): there this unfused emulation is within
  // test_lrn_layer.cpp's epsilon (1e-5)
  const across = (tol: number) => (engine === 'CAFFE' ? Math.max(tol, 1e-5) : tol);
  const cases: [string, number[], Record<string, number>][] = [
    ['local 5, AlexNet params', [2, 9, 7, 6], { local_size: 5, alpha: 1e-4, beta: 0.75, k: 2 }],
    ['local 3, defaults', [3, 4, 5, 5], { local_size: 3 }],
    ['local 1', [2, 3, 4, 4], { local_size: 1, alpha: 2, beta: 0.5 }],
    ['local wider than channels', [1, 3, 3, 30], { local_size: 9, alpha: 0.5, beta: 0.9, k: 0.5 }],
    ['many pixels (several blocks)', [2, 6, 23, 31], { local_size: 5, alpha: 0.1, beta: 0.75 }],
  ];
  it.each(cases)('ACROSS_CHANNELS %s', (_n, shape, p) => {
    const x = randomBlob(shape, -3, 3, 11),
      dy = randomBlob(shape, -1, 1, 12).cpuData();
    const { layer, top } = fwd(p, x);
    const ref = emulateAcross(x.cpuData(), dy, shape, prm({ size: p.local_size, ...p }));
    expectClose(top.cpuData(), ref.y, across(2e-7));
    top.mutableCpuDiff().set(dy);
    layer.backward([top], [true], [x]);
    expectClose(x.cpuDiff(), ref.dx, across(1e-6));
  });
  it.each(cases)('WITHIN_CHANNEL %s', (_n, shape, p) => {
    const x = randomBlob(shape, -3, 3, 13),
      dy = randomBlob(shape, -1, 1, 14).cpuData();
    const { layer, top } = fwd({ ...p, norm_region: 'WITHIN_CHANNEL' }, x);
    const ref = emulateWithin(x.cpuData(), dy, shape, prm({ size: p.local_size, ...p }));
    expectClose(top.cpuData(), ref.y, 2e-7);
    top.mutableCpuDiff().set(dy);
    layer.backward([top], [true], [x]);
    expectClose(x.cpuDiff(), ref.dx, 1e-6);
  });
});

describe('LRN checks', () => {
  it('local_size must be odd', () =>
    expect(() => fwd({ local_size: 4 }, randomBlob([1, 5, 2, 2]))).toThrow(
      'Check failed: size_ % 2 == 1 (0 vs. 1) LRN only supports odd values for local_size',
    ));
  it('4 axes, one top, not in place', () => {
    expect(() => fwd({}, randomBlob([5, 2, 2]))).toThrow('Input must have 4 axes');
    const x = randomBlob([1, 5, 2, 2]);
    expect(() => make().setUp([x], [x])).toThrow('in-place');
    expect(() => make().setUp([x], [new Blob(), new Blob()])).toThrow('produces 1 top blob(s)');
  });
});

describeEngines('LRN gradients (Caffe: 1e-2 / 1e-2)', () => {
  const x = () => randomBlob([2, 7, 3, 3], -1, 1, 1701);
  it('ACROSS_CHANNELS', () => checkGradient(make(), [x()], [new Blob()]));
  it('ACROSS_CHANNELS large region', () => checkGradient(make({ local_size: 15 }), [x()], [new Blob()]));
  it('ACROSS_CHANNELS k 2, alpha 0.5, beta 0.6', () =>
    checkGradient(make({ local_size: 3, k: 2, alpha: 0.5, beta: 0.6 }), [x()], [new Blob()]));
  it('WITHIN_CHANNEL', () =>
    checkGradient(make({ local_size: 3, norm_region: 'WITHIN_CHANNEL' }), [x()], [new Blob()]));
  it('WITHIN_CHANNEL local 5 on 6x5', () =>
    checkGradient(
      make({ local_size: 5, alpha: 2, norm_region: 'WITHIN_CHANNEL' }),
      [randomBlob([1, 2, 6, 5], -1, 1, 3)],
      [new Blob()],
    ));
});
