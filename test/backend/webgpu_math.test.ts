// The WebGPU device's math_functions against plain loops in double, on the adapter this machine has
// (lavapipe in CI). GEMM covers every transpose pair, sizes off the tile grid, offsets, beta 0 / 1.
import { WebGpuDevice } from '../../src/backend/webgpu/webgpu_device';
import { DevicePtr } from '../../src/backend/device';
import { gpuSkipReason } from '../gpu';

const why = gpuSkipReason();
const d = why ? describe.skip : describe;

function rand(n: number, seed: number): Float32Array {
  let s = seed;
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    a[i] = (s / 2 ** 31) * 2 - 1;
  }
  return a;
}

d(`WebGPU math${why ? ` [skipped: ${why}]` : ''}`, () => {
  let dev: WebGpuDevice;
  beforeAll(() => {
    dev = new WebGpuDevice(0);
  });
  afterAll(() => dev.dispose());

  const put = (a: Float32Array, pad = 0): DevicePtr => {
    const p = { buffer: dev.alloc(a.length + pad), offset: pad };
    dev.upload(a, p);
    return p;
  };
  const get = (p: DevicePtr, n: number) => {
    const out = new Float32Array(n);
    dev.download(p, out);
    return out;
  };

  test.each([
    ['tiled', false, false],
    ['tiled', false, true],
    ['tiled', true, false],
    ['tiled', true, true],
    ['register', false, false],
    ['register', false, true],
    ['register', true, false],
    ['register', true, true],
  ] as const)('gemm (%s) transA=%s transB=%s', (kind, tA, tB) => {
    dev.math.gemmKind = kind;
    const M = 70,
      N = 300,
      K = 131;
    const A = rand(M * K, 1),
      B = rand(K * N, 2),
      C = rand(M * N, 3);
    const a = (m: number, k: number) => (tA ? A[k * M + m] : A[m * K + k]);
    const b = (k: number, n: number) => (tB ? B[n * K + k] : B[k * N + n]);
    for (const beta of [0, 0.5]) {
      const pc = put(C, 5);
      dev.math.gemm(tA, tB, M, N, K, 1.5, put(A, 3), put(B, 7), beta, pc);
      const got = get(pc, M * N);
      let maxErr = 0;
      for (let m = 0; m < M; m++)
        for (let n = 0; n < N; n++) {
          let s = 0;
          for (let k = 0; k < K; k++) s += a(m, k) * b(k, n);
          const want = 1.5 * s + beta * C[m * N + n];
          maxErr = Math.max(maxErr, Math.abs(got[m * N + n] - want));
        }
      expect(maxErr).toBeLessThan(1e-4);
    }
  });

  test.each(['tiled', 'register'] as const)('strided batched gemm (%s), a shared A (stride 0)', (kind) => {
    dev.math.gemmKind = kind;
    const M = 5,
      N = 67,
      K = 9,
      batch = 3;
    const A = rand(M * K, 11),
      B = rand(batch * K * N, 12);
    const pc = { buffer: dev.alloc(batch * M * N + 2), offset: 2 };
    dev.math.gemmStridedBatched(false, false, M, N, K, 1, put(A), 0, put(B), K * N, 0, pc, M * N, batch);
    const got = get(pc, batch * M * N);
    for (let z = 0; z < batch; z++)
      for (let m = 0; m < M; m++)
        for (let n = 0; n < N; n++) {
          let s = 0;
          for (let k = 0; k < K; k++) s += A[m * K + k] * B[z * K * N + k * N + n];
          expect(Math.abs(got[z * M * N + m * N + n] - s)).toBeLessThan(1e-5);
        }
  });

  test.each(['tiled', 'register'] as const)('gemv both ways (%s)', (kind) => {
    dev.math.gemmKind = kind;
    const M = 33,
      N = 300;
    const A = rand(M * N, 4),
      x = rand(N, 5),
      xt = rand(M, 6);
    const y = put(new Float32Array(M).fill(1));
    dev.math.gemv(false, M, N, 2, put(A), put(x), 1, y);
    const yt = put(new Float32Array(N));
    dev.math.gemv(true, M, N, 1, put(A), put(xt), 0, yt);
    const g = get(y, M),
      gt = get(yt, N);
    for (let m = 0; m < M; m++) {
      let s = 0;
      for (let n = 0; n < N; n++) s += A[m * N + n] * x[n];
      expect(g[m]).toBeCloseTo(2 * s + 1, 4);
    }
    for (let n = 0; n < N; n++) {
      let s = 0;
      for (let m = 0; m < M; m++) s += A[m * N + n] * xt[m];
      expect(gt[n]).toBeCloseTo(s, 4);
    }
  });

  test('element-wise ops, in place and out of place, with offsets', () => {
    const n = 70000; // more than one grid-stride pass of 256-wide groups at the group cap? no: checks n > 256 * k
    const x = rand(n, 7),
      y = rand(n, 8);
    const px = put(x, 11),
      py = put(y, 13),
      out = { buffer: dev.alloc(n), offset: 0 };
    const check = (want: (i: number) => number, tol = 1e-6) => {
      const g = get(out, n);
      for (let i = 0; i < n; i += 997)
        expect(Math.abs(g[i] - want(i))).toBeLessThanOrEqual(tol * (1 + Math.abs(want(i))));
    };
    dev.math.add(n, px, py, out);
    check((i) => x[i] + y[i]);
    dev.math.sub(n, px, py, out);
    check((i) => x[i] - y[i]);
    dev.math.mul(n, px, py, out);
    check((i) => x[i] * y[i]);
    dev.math.div(n, px, py, out);
    check((i) => x[i] / y[i], 1e-5);
    dev.math.abs(n, px, out);
    check((i) => Math.abs(x[i]));
    dev.math.sign(n, px, out);
    check((i) => Math.sign(x[i]));
    dev.math.exp(n, px, out);
    check((i) => Math.exp(x[i]), 1e-5);
    dev.math.powx(n, px, 3, out);
    check((i) => x[i] ** 3, 1e-5);
    dev.math.powx(n, px, 2, out);
    check((i) => x[i] ** 2, 1e-6);
    dev.math.scale(n, -1.5, px, out);
    check((i) => -1.5 * x[i]);
    dev.math.abs(n, px, out);
    dev.math.sqrt(n, out, out);
    check((i) => Math.sqrt(Math.abs(x[i])));
    dev.math.copy(n, px, out);
    dev.math.log(n, out, out); // in place: NaN for negatives, as logf
    const g = get(out, n);
    expect(Number.isNaN(g[x.findIndex((v) => v < 0)])).toBe(true);
    dev.math.copy(n, px, out);
    dev.math.axpby(n, 2, py, 0.5, out);
    check((i) => 2 * y[i] + 0.5 * x[i], 1e-6);
    dev.math.axpy(n, -1, py, out);
    check((i) => y[i] + 0.5 * x[i], 1e-6);
    dev.math.scal(n, 3, out);
    check((i) => 3 * (y[i] + 0.5 * x[i]), 1e-6);
    dev.math.addScalar(n, 1, out);
    check((i) => 3 * (y[i] + 0.5 * x[i]) + 1, 1e-6);
    dev.math.set(n, 0.25, out);
    check(() => 0.25);
  });

  // powf- and expf-accurate (lavapipe's built-in pow is 11 ulp off): LRN's scale^-beta and ELU's exp are
  // compared with the CPU's
  test('powx, exp and log: within an ulp of pow, exp and log, and powf special cases', () => {
    const n = 20000;
    const x = Float32Array.from(rand(n, 21), (v) => Math.exp(v * 20)); // 2e-9 .. 5e8
    const px = put(x),
      out = { buffer: dev.alloc(n), offset: 0 };
    const ulp = (v: number) => {
      const f = new Float32Array([Math.abs(v)]);
      new Uint32Array(f.buffer)[0]++;
      return f[0] - Math.fround(Math.abs(v));
    };
    for (const p of [-0.75, -0.9, 0.5, 2.5, -3]) {
      dev.math.powx(n, px, p, out);
      const g = get(out, n);
      let worst = 0;
      for (let i = 0; i < n; i++)
        worst = Math.max(worst, Math.abs(g[i] - x[i] ** Math.fround(p)) / ulp(x[i] ** Math.fround(p)));
      expect(worst).toBeLessThan(1);
    }
    const s = new Float32Array([0, 0, -2, -2, 4, 7, 0, 0]);
    const ps = put(s),
      o = { buffer: dev.alloc(s.length), offset: 0 };
    const at = (p: number) => (dev.math.powx(s.length, ps, p, o), Array.from(get(o, s.length)));
    expect(at(-0.75).slice(0, 5)).toEqual([Infinity, Infinity, NaN, NaN, Math.fround(4 ** -0.75)]);
    expect(at(3).slice(2, 4)).toEqual([-8, -8]);
    expect(at(0)).toEqual([1, 1, 1, 1, 1, 1, 1, 1]);
    // exp (caffe_gpu_exp, ELU's) the same way: lavapipe's built-in is 18 ulp off
    const e = Float32Array.from(rand(n, 22), (v) => v * 80);
    dev.math.exp(n, put(e), out);
    const g = get(out, n);
    let worst = 0;
    for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(g[i] - Math.exp(e[i])) / ulp(Math.exp(e[i])));
    expect(worst).toBeLessThan(1);
    // log (caffe_gpu_log, the Log layer's) too, over 2e-9 .. 5e8 and the subnormals
    const l = Float32Array.from(x, (v, i) => (i % 10 === 0 ? v * 1e-30 : v));
    dev.math.log(n, put(l), out);
    const gl = get(out, n);
    worst = 0;
    for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(gl[i] - Math.log(l[i])) / ulp(Math.log(l[i])));
    expect(worst).toBeLessThan(1);
  });

  test('dot and asum', () => {
    const n = 100003;
    const x = rand(n, 9),
      y = rand(n, 10);
    let dot = 0,
      asum = 0;
    for (let i = 0; i < n; i++) {
      dot += x[i] * y[i];
      asum += Math.abs(x[i]);
    }
    expect(Math.abs(dev.math.dot(n, put(x, 1), put(y)) - dot)).toBeLessThan(1e-3);
    expect(Math.abs(dev.math.asum(n, put(x)) - asum)).toBeLessThan(1e-2 * 1e-3 * asum + 1e-3);
  });

  test('a buffer of the device is zeroed at allocation', () => {
    const p = { buffer: dev.alloc(1000), offset: 0 };
    expect(get(p, 1000).every((v) => v === 0)).toBe(true);
  });
});
