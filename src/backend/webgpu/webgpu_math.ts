// Caffe's math_functions (caffe_gpu_*) on the WebGPU device: each op one dispatch of a program of
// programs.ts. Reductions (dot, asum) leave REDUCE_GROUPS partial sums on the device, read back and
// added on the host.
import { DeviceMath, DevicePtr, ptrAt } from '../device';
import { EW_WORKGROUP, GEMM_RB_COLS, GEMM_RB_ROWS, GEMM_TILE, MAX_GROUPS, REDUCE_GROUPS } from './programs';
import type { WebGpuDevice } from './webgpu_device';
import { packParams } from './webgpu_device';

/** Workgroups for an element-wise op over n (grid-stride beyond MAX_GROUPS). */
export function ewGroups(n: number): [number, number, number] {
  return [Math.min(Math.ceil(n / EW_WORKGROUP), MAX_GROUPS), 1, 1];
}

/** The GEMM programs: tiled in workgroup memory (GPUs), register-blocked (CPU adapters). */
export type GemmKind = 'tiled' | 'register';

export class WebGpuMath implements DeviceMath {
  private partials: DevicePtr | null = null;

  constructor(
    private readonly dev: WebGpuDevice,
    /** which GEMM program runs (chosen by the adapter; tests set both) */
    public gemmKind: GemmKind,
  ) {}

  /** An element-wise program over n with up to four pointers and scalars a, b (programs.ts EW_PARAMS). */
  ew(prog: string, n: number, ptrs: DevicePtr[], a = 0, b = 0): void {
    if (n <= 0) return;
    const o = [0, 0, 0, 0];
    ptrs.forEach((p, i) => (o[i] = p.offset));
    this.dev.dispatch(prog, ptrs, packParams('uuuuuff', [n, ...o, a, b]), ewGroups(n));
  }

  gemm(
    transA: boolean,
    transB: boolean,
    M: number,
    N: number,
    K: number,
    alpha: number,
    A: DevicePtr,
    B: DevicePtr,
    beta: number,
    C: DevicePtr,
  ): void {
    this.gemmStridedBatched(transA, transB, M, N, K, alpha, A, 0, B, 0, beta, C, 0, 1);
  }

  gemmStridedBatched(
    transA: boolean,
    transB: boolean,
    M: number,
    N: number,
    K: number,
    alpha: number,
    A: DevicePtr,
    strideA: number,
    B: DevicePtr,
    strideB: number,
    beta: number,
    C: DevicePtr,
    strideC: number,
    batch: number,
  ): void {
    if (M <= 0 || N <= 0 || batch <= 0) return;
    if (K <= 0) {
      // BLAS: an empty product leaves beta C
      for (let z = 0; z < batch; z++) this.scal(M * N, beta, ptrAt(C, z * strideC));
      return;
    }
    const t = [transA ? 1 : 0, transB ? 1 : 0];
    const params = packParams('uuuuuuffuuuuu', [
      M,
      N,
      K,
      A.offset,
      B.offset,
      C.offset,
      alpha,
      beta,
      ...t,
      strideA,
      strideB,
      strideC,
    ]);
    for (let z0 = 0; z0 < batch; z0 += MAX_GROUPS) {
      const n = Math.min(MAX_GROUPS, batch - z0);
      if (z0 > 0) params.set([A.offset + z0 * strideA, B.offset + z0 * strideB, C.offset + z0 * strideC], 3);
      if (this.gemmKind === 'register') {
        const groups: [number, number, number] = [Math.ceil(N / GEMM_RB_COLS), Math.ceil(M / GEMM_RB_ROWS), n];
        this.dev.dispatch('gemm_rb', [A, B, C], params.slice(), groups);
      } else {
        const groups: [number, number, number] = [Math.ceil(N / GEMM_TILE), Math.ceil(M / GEMM_TILE), n];
        this.dev.dispatch('gemm', [A, B, C], params.slice(), groups);
      }
    }
  }

  gemv(
    transA: boolean,
    M: number,
    N: number,
    alpha: number,
    A: DevicePtr,
    x: DevicePtr,
    beta: number,
    y: DevicePtr,
  ): void {
    // y (M) = A x, or y (N) = A^T x: a GEMM with one column
    if (transA) this.gemm(true, false, N, 1, M, alpha, A, x, beta, y);
    else this.gemm(false, false, M, 1, N, alpha, A, x, beta, y);
  }

  set(n: number, alpha: number, y: DevicePtr): void {
    this.ew('set', n, [y], alpha);
  }
  copy(n: number, x: DevicePtr, y: DevicePtr): void {
    if (x.buffer === y.buffer && x.offset === y.offset) return;
    this.dev.copy(n, x, y);
  }
  axpy(n: number, alpha: number, x: DevicePtr, y: DevicePtr): void {
    this.ew('axpy', n, [x, y], alpha);
  }
  axpby(n: number, alpha: number, x: DevicePtr, beta: number, y: DevicePtr): void {
    this.ew('axpby', n, [x, y], alpha, beta);
  }
  scal(n: number, alpha: number, x: DevicePtr): void {
    if (alpha === 0)
      this.set(n, 0, x); // as BLAS sscal by 0 on a finite-free buffer: zeros
    else this.ew('scal', n, [x], alpha);
  }
  scale(n: number, alpha: number, x: DevicePtr, y: DevicePtr): void {
    this.ew('scale', n, [x, y], alpha);
  }
  addScalar(n: number, alpha: number, y: DevicePtr): void {
    this.ew('add_scalar', n, [y], alpha);
  }
  add(n: number, a: DevicePtr, b: DevicePtr, y: DevicePtr): void {
    this.ew('add', n, [a, b, y]);
  }
  sub(n: number, a: DevicePtr, b: DevicePtr, y: DevicePtr): void {
    this.ew('sub', n, [a, b, y]);
  }
  mul(n: number, a: DevicePtr, b: DevicePtr, y: DevicePtr): void {
    this.ew('mul', n, [a, b, y]);
  }
  div(n: number, a: DevicePtr, b: DevicePtr, y: DevicePtr): void {
    this.ew('div', n, [a, b, y]);
  }
  powx(n: number, a: DevicePtr, p: number, y: DevicePtr): void {
    this.ew('powx', n, [a, y], p);
  }
  exp(n: number, a: DevicePtr, y: DevicePtr): void {
    this.ew('exp', n, [a, y]);
  }
  log(n: number, a: DevicePtr, y: DevicePtr): void {
    this.ew('log', n, [a, y]);
  }
  sqrt(n: number, a: DevicePtr, y: DevicePtr): void {
    this.ew('sqrt', n, [a, y]);
  }
  abs(n: number, a: DevicePtr, y: DevicePtr): void {
    this.ew('abs', n, [a, y]);
  }
  sign(n: number, a: DevicePtr, y: DevicePtr): void {
    this.ew('sign', n, [a, y]);
  }

  dot(n: number, x: DevicePtr, y: DevicePtr): number {
    return this.reduce('dot', n, x, y);
  }
  asum(n: number, x: DevicePtr): number {
    return this.reduce('asum', n, x, x);
  }

  private reduce(prog: string, n: number, x: DevicePtr, y: DevicePtr): number {
    if (n <= 0) return 0;
    if (!this.partials) this.partials = { buffer: this.dev.alloc(REDUCE_GROUPS), offset: 0 };
    const groups = Math.min(REDUCE_GROUPS, Math.ceil(n / 256));
    const p = this.partials;
    this.dev.dispatch(prog, [x, y, p], packParams('uuuuuff', [n, x.offset, y.offset, 0, 0, 0, 0]), [groups, 1, 1]);
    const [parts] = this.dev.read([{ id: p.buffer.id, offset: 0, count: groups }]);
    let s = 0;
    for (const v of parts) s += v;
    return s;
  }
}
