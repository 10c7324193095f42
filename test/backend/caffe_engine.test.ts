// The CAFFE engine (src/backend/caffe.ts): the system CBLAS through the native addon, and
// convolution as im2col + gemm. Checked against direct loops and against the DEFAULT engine (oneDNN);
// the layers' gradient checks and forward tests run under CAFFE too (test/engines.ts, test/layers).
import '../../src/layers/Convolution';
import '../../src/layers/Deconvolution';
import '../../src/layers/LRN';
import { ENGINES, backend, parseEngine, setEngine } from '../../src/backend';
import { CaffeBackend } from '../../src/backend/caffe';
import { native } from '../../src/native/addon';
import { Blob } from '../../src/core/blob';
import { createLayer } from '../../src/core/layer_factory';
import { setRandomSeed } from '../../src/core/rng';
import { setLogSink } from '../../src/util/logging';
import { gaussianBlob } from '../gradient_checker';
import { G, Geo, expectClose, paramFor } from '../layers/conv_geometry';

const HAVE_BLAS = native().blasLibrary() !== null;
// CI installs OpenBLAS (.ci/run); elsewhere the engine's tests need one too
const describeBlas =
  HAVE_BLAS || process.env.CI
    ? describe
    : (name: string, fn: () => void) =>
        describe.skip(`${name} [skipped: no CBLAS library: ${native().blasError()}]`, fn);

function rand(n: number, seed: number): Float32Array {
  const a = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    a[i] = s / 2147483648 - 0.5;
  }
  return a;
}

describe('engine selection', () => {
  afterEach(() => setEngine('DEFAULT'));
  it('parses engine names case-insensitively and rejects others in one line', () => {
    expect(ENGINES).toEqual(['DEFAULT', 'CAFFE']);
    expect(parseEngine('caffe')).toBe('CAFFE');
    expect(() => parseEngine('cudnn')).toThrow("unknown engine 'cudnn' (expected DEFAULT or CAFFE)");
  });
  it('DEFAULT is the oneDNN backend', () => {
    expect(setEngine('DEFAULT').name).toBe('cpu');
    expect(backend().name).toBe('cpu');
  });
});

describeBlas('engine CAFFE: BLAS calls', () => {
  let be: CaffeBackend;
  beforeAll(() => {
    be = new CaffeBackend();
  });

  it('names its library and thread count', () => {
    expect(be.blasLibrary).toMatch(/blas/);
    expect(be.info().lines.at(-1)).toMatch(/^Engine: CAFFE \(im2col \+ BLAS from .*blas.*\)$/);
  });

  it.each([
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ])('gemm transA=%s transB=%s, with beta', (ta, tb) => {
    const M = 7,
      N = 13,
      K = 19;
    const A = rand(M * K, 1),
      B = rand(K * N, 2),
      C = rand(M * N, 3),
      want = new Float32Array(M * N);
    for (let i = 0; i < M; i++)
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += (ta ? A[k * M + i] : A[i * K + k]) * (tb ? B[j * K + k] : B[k * N + j]);
        want[i * N + j] = 0.5 * s + 2 * C[i * N + j];
      }
    be.gemm(ta, tb, M, N, K, 0.5, A, B, 2, C);
    expectClose(C, want, 1e-5);
  });

  it.each([false, true])('gemv transA=%s, on subarray views', (ta) => {
    const M = 9,
      N = 31,
      buf = rand(M * N + 5, 4),
      A = buf.subarray(5);
    const x = rand(ta ? M : N, 5),
      y = rand(ta ? N : M, 6),
      want = new Float32Array(y.length);
    for (let i = 0; i < y.length; i++) {
      let s = 0;
      for (let k = 0; k < x.length; k++) s += (ta ? A[k * N + i] : A[i * N + k]) * x[k];
      want[i] = 3 * s + y[i];
    }
    be.gemv(ta, M, N, 3, A, x, 1, y);
    expectClose(y, want, 1e-5);
  });

  it('refuses arrays shorter than the sizes say, in one line (no read past the end)', () => {
    expect(() =>
      be.gemm(false, false, 2, 2, 2, 1, new Float32Array(3), new Float32Array(4), 0, new Float32Array(4)),
    ).toThrow('blasGemm: array argument 6 holds 3 floats, 4 needed');
    expect(() => be.gemv(true, 3, 2, 1, new Float32Array(6), new Float32Array(2), 0, new Float32Array(2))).toThrow(
      /^blasGemv: array argument 5 /,
    );
    expect(() => be.axpy(1, new Float32Array(2), new Float32Array(3))).toThrow(/^blasAxpy: /);
    expect(() => native().expf(new Float32Array(3), new Float32Array(2))).toThrow(
      'element-wise: the output is shorter than the input',
    );
    expect(() => native().expd(new Float64Array(3), new Float64Array(2))).toThrow(
      'element-wise: the output is shorter than the input',
    );
  });

  it('expDouble: the C library exp on doubles, in place (within an ulp of Math.exp)', () => {
    const x = Float64Array.from({ length: 200 }, (_, i) => (i - 100) / 7 + 1e-3 * Math.sin(i)),
      y = new Float64Array(200);
    be.expDouble(x, y);
    y.forEach((v, i) => expect(Math.abs(v - Math.exp(x[i]))).toBeLessThanOrEqual(Math.exp(x[i]) * 2 ** -52));
    be.expDouble(x, x);
    expect(Array.from(x)).toEqual(Array.from(y));
  });

  it('axpy and scal', () => {
    const x = rand(37, 7),
      y = rand(37, 8),
      want = y.map((v, i) => Math.fround(0.25 * x[i] + v));
    be.axpy(0.25, x, y);
    expectClose(y, want, 1e-7);
    be.scal(-2, y);
    expectClose(
      y,
      want.map((v) => -2 * v),
      0,
    );
  });
});

describeBlas('engine CAFFE: layers agree with the DEFAULT engine', () => {
  let restoreLog: () => void;
  beforeAll(() => {
    restoreLog = setLogSink(() => undefined);
  });
  afterAll(() => restoreLog());
  beforeEach(() => setRandomSeed(1701));
  afterEach(() => setEngine('DEFAULT'));

  /**
   * forward + backward of a fresh layer under `engine` with the given weights; returns top, bottom diff and
   * param diffs
   */
  function run(type: string, cp: object, blobs: Blob[], x: Blob, dyValues: Float32Array, engine: 'DEFAULT' | 'CAFFE') {
    setEngine(engine);
    const layer = createLayer({ name: 'l', type, convolution_param: cp });
    const bottom = new Blob(x.shape),
      top = new Blob();
    bottom.mutableCpuData().set(x.cpuData());
    layer.setUp([bottom], [top]);
    blobs.forEach((b, i) => layer.blobs[i].mutableCpuData().set(b.cpuData()));
    layer.forward([bottom], [top]);
    top.mutableCpuDiff().set(dyValues.subarray(0, top.count));
    for (const b of layer.blobs) b.mutableCpuDiff().fill(0);
    layer.backward([top], [true], [bottom]);
    return {
      y: Float32Array.from(top.cpuData()),
      dx: Float32Array.from(bottom.cpuDiff()),
      dparams: layer.blobs.map((b) => Float32Array.from(b.cpuDiff())),
    };
  }

  const geos: [string, Geo][] = [
    ['3x3', G({})],
    ['group 2, pad 1, stride 2', G({ group: 2, ph: 1, pw: 1, sh: 2, sw: 2 })],
    ['5x3, dilation 2, pad 2x1', G({ kh: 5, kw: 3, dh: 2, dw: 2, ph: 2, pw: 1 })],
    ['1x1 (no im2col)', G({ kh: 1, kw: 1 })],
  ];

  describe.each(['Convolution', 'Deconvolution'])('%s', (type) => {
    it.each(geos)('%s: forward, data, weight and bias gradients', (_name, g) => {
      const x = gaussianBlob([2, 4, 9, 8], 11);
      setEngine('DEFAULT');
      const proto = createLayer({ name: 'p', type, convolution_param: paramFor(6, g, true) });
      const pb = new Blob();
      proto.setUp([x], [pb]);
      const dy = rand(pb.count, 12);
      const ref = run(type, paramFor(6, g, true), proto.blobs, x, dy, 'DEFAULT');
      const got = run(type, paramFor(6, g, true), proto.blobs, x, dy, 'CAFFE');
      expectClose(got.y, ref.y);
      expectClose(got.dx, ref.dx);
      got.dparams.forEach((d, i) => expectClose(d, ref.dparams[i]));
    });
  });

  it("LRN across channels (BLAS running sums, powf): the DEFAULT engine's values", () => {
    const lrn = { local_size: 5, alpha: 0.3, beta: 0.75, k: 2 };
    const x = gaussianBlob([2, 7, 3, 4], 5),
      dy = rand(x.count, 6);
    const runLrn = (engine: 'DEFAULT' | 'CAFFE') => {
      setEngine(engine);
      const layer = createLayer({ name: 'n', type: 'LRN', lrn_param: lrn });
      const top = new Blob(),
        bottom = new Blob(x.shape);
      bottom.mutableCpuData().set(x.cpuData());
      layer.setUp([bottom], [top]);
      layer.forward([bottom], [top]);
      top.mutableCpuDiff().set(dy);
      layer.backward([top], [true], [bottom]);
      return [Float32Array.from(top.cpuData()), Float32Array.from(bottom.cpuDiff())];
    };
    const [y0, dx0] = runLrn('DEFAULT'),
      [y1, dx1] = runLrn('CAFFE');
    expectClose(y1, y0, 1e-5);
    expectClose(dx1, dx0, 1e-5);
  });
});
