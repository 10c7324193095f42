// The CAFFE engine: Caffe's own CPU arithmetic. Matrix products go to the system CBLAS (OpenBLAS
// where installed: the library Caffe links), convolutions are im2col + gemm per image and group
// as Caffe's BaseConvolutionLayer does them. The same BLAS library then gives Caffe's results bit
// for bit (OpenBLAS picks its kernels by CPU; OPENBLAS_CORETYPE=Haswell forces AVX2 ones).
// LRN across channels follows Caffe's BLAS sequence too (caffe_lrn.ts); pooling and the other
// element-wise kernels are shared with the DEFAULT engine (they already round as Caffe does).
import { ConvDesc, ConvPrimitive, DeviceInfo, LRNDesc, emptyGemm } from './backend';
import { lrnAcrossBackward, lrnAcrossForward } from './caffe_lrn';
import { CpuBackend } from './cpu';
import { Im2colConvolution } from './im2col_conv';
import { native } from '../native/addon';
import { CaffeError } from '../util/errors';

export class CaffeBackend extends CpuBackend {
  override readonly name: string = 'caffe';
  readonly blasLibrary: string;

  constructor() {
    super();
    const lib = native().blasLibrary();
    if (!lib) {
      throw new CaffeError(
        `engine CAFFE needs a CBLAS library and none was found (${native().blasError()}); ` +
          'install OpenBLAS (apt-get install -y libopenblas0) or set CAFFETS_BLAS to a CBLAS library',
      );
    }
    this.blasLibrary = lib;
  }

  // BLAS has the threads (OpenBLAS reads OPENBLAS_NUM_THREADS, else OMP_NUM_THREADS, else one per CPU);
  // OpenMP workers of our pooling/LRN kernels would compete with them
  override setThreads(n: number | undefined): void {
    native().ompThreads(1);
    if (n !== undefined) native().blasThreads(n);
  }

  /** OpenBLAS's thread count (null for another BLAS). */
  blasThreads(): number | null {
    return native().blasThreads();
  }

  override info(): DeviceInfo {
    const i = super.info();
    return {
      backend: 'caffe',
      lines: [
        ...i.lines,
        `Engine: CAFFE (im2col + BLAS from ${this.blasLibrary}, ${this.blasThreads() ?? '?'} threads)`,
      ],
    };
  }

  override gemm(
    transA: boolean,
    transB: boolean,
    M: number,
    N: number,
    K: number,
    alpha: number,
    A: Float32Array,
    B: Float32Array,
    beta: number,
    C: Float32Array,
  ): void {
    if (emptyGemm(M, N, K, beta, C)) return;
    native().blasGemm(transA, transB, M, N, K, alpha, A, B, beta, C);
  }

  override gemv(
    transA: boolean,
    M: number,
    N: number,
    alpha: number,
    A: Float32Array,
    x: Float32Array,
    beta: number,
    y: Float32Array,
  ): void {
    if (emptyGemm(1, transA ? N : M, transA ? M : N, beta, y)) return;
    native().blasGemv(transA, M, N, alpha, A, x, beta, y);
  }

  override axpy(alpha: number, x: Float32Array, y: Float32Array): void {
    native().blasAxpy(alpha, x, y);
  }

  override scal(alpha: number, x: Float32Array): void {
    native().blasScal(alpha, x);
  }

  /** the C library's expf, as Caffe (its float rounding differs from Math.exp's in rare cases) */
  override exp(x: Float32Array, y: Float32Array): void {
    native().expf(x, y);
  }

  /** the C library's exp on doubles (V8's Math.exp may differ from it in the last bit) */
  override expDouble(x: Float64Array, y: Float64Array): void {
    native().expd(x, y);
  }

  /** the C library's logf, as Caffe */
  override log(x: Float32Array, y: Float32Array): void {
    native().logf(x, y);
  }

  /** the C library's tanhf, as Caffe's TanH */
  override tanh(x: Float32Array, y: Float32Array): void {
    native().tanhf(x, y);
  }

  /** the C library's powf, as Caffe */
  override powx(x: Float32Array, p: number, y: Float32Array): void {
    native().powx(x, p, y);
  }

  override asum(x: Float32Array): number {
    return native().blasAsum(x);
  }

  override dot(x: Float32Array, y: Float32Array): number {
    return native().blasDot(x.length, x, 1, y, 1);
  }

  /** Caffe's arithmetic: a ReLU stays its own layer. */
  override readonly fusesConvReLU: boolean = false;

  override convolution(d: ConvDesc): ConvPrimitive {
    return new Im2colConvolution(d, this);
  }

  override lrnAcrossForward(d: LRNDesc, x: Float32Array, scale: Float32Array, y: Float32Array): void {
    lrnAcrossForward(this, d, x, scale, y);
  }

  override lrnAcrossBackward(
    d: LRNDesc,
    x: Float32Array,
    y: Float32Array,
    scale: Float32Array,
    dy: Float32Array,
    dx: Float32Array,
  ): void {
    lrnAcrossBackward(this, d, x, y, scale, dy, dx);
  }
}
