// The native addon (build/Release/caffets_native.node, built from native/*.cc by `npm ci` via
// node-gyp), loaded on first use, and the TypeScript description of everything it exports. Tensors
// are Float32Arrays the addon reads and writes in place. Used by the backends (oneDNN and CBLAS
// arithmetic), the LMDB database and the data layers (batch copies and the uint8 transform).
import * as path from 'path';
import type { ConvDesc, ConvPrimitive } from '../backend/backend';
import { CaffeError } from '../util/errors';

/** The pooling kernels' geometry (native/pool_util.h ReadGeo): planes = num * channels. */
export type NativePoolGeometry = [
  planes: number,
  height: number,
  width: number,
  outH: number,
  outW: number,
  kernelH: number,
  kernelW: number,
  strideH: number,
  strideW: number,
  padH: number,
  padW: number,
];

/** im2col / col2im geometry of one image (native/blas.cc). */
export type NativeIm2colGeometry = [
  channels: number,
  height: number,
  width: number,
  kernelH: number,
  kernelW: number,
  padH: number,
  padW: number,
  strideH: number,
  strideW: number,
  dilationH: number,
  dilationW: number,
];

/** An LMDB environment's statistics (mdb_stat and mdb_env_info). */
export interface LmdbStat {
  entries: number;
  depth: number;
  pageSize: number;
  branchPages: number;
  leafPages: number;
  overflowPages: number;
  mapSize: number;
  lastPage: number;
  maxKeySize: number;
  noLock: boolean;
}

/**
 * An LMDB environment (native/lmdb.cc). Errors are Errors `<op> <path>: <mdb_strerror>` with the
 * properties code, lmdbMessage, op and path.
 */
export interface NativeLmdbEnv {
  stat(): LmdbStat;
  /** one write transaction holding every pair, the map grown (`grown` steps) as needed */
  putBatch(keys: Buffer[], values: Uint8Array[]): { mapSize: number; grown: number };
  /** putBatch on libuv's pool; the environment is busy (every other call throws) until it settles */
  putBatchAsync(keys: Buffer[], values: Uint8Array[]): Promise<{ mapSize: number; grown: number }>;
  close(): void;
}

/** A read-only transaction and cursor on an LmdbEnv (a snapshot). */
export interface NativeLmdbCursor {
  /** false: past the end */
  first(): boolean;
  next(): boolean;
  /** copies of the current record */
  key(): Buffer;
  value(): Buffer;
  /**
   * The current record and those after it (at most `max`, past `maxBytes` only for the first)
   * copied into one buffer as key, value, key, value...; `ends` holds their end offsets. The cursor
   * stays on the last record copied. null when the cursor is not on a record.
   */
  readBatch(max: number, maxBytes: number): { buf: Buffer; ends: Int32Array } | null;
  close(): void;
}

/** What the addon exports (native/addon.cc and the Init* functions of the other native/*.cc). */
export interface NativeAddon {
  // addon.cc
  /** memcpy of n floats (stays a memcpy for SharedArrayBuffers); RangeError when n exceeds an array */
  copyFloats(dst: Float32Array, src: Float32Array, n: number): void;
  /** row-major C = alpha op(A) op(B) + beta C with oneDNN's sgemm (caffe_cpu_gemm's arguments) */
  gemm(
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
  ): void;
  /** the OpenMP thread count of our kernels and oneDNN's (0: libgomp's default, OMP_NUM_THREADS or one per CPU) */
  ompThreads(n: number): void;
  /** Points fd 2 at /dev/null; returns the saved fd (-1: unchanged) for restoreStderr. */
  silenceStderr(): number;
  restoreStderr(saved: number): void;
  /** oneDNN's version, its CPU ISA (dnnl_cpu_isa_t), OpenMP threads, hardware threads */
  info(): { dnnl: string; isa: number; threads: number; hardwareThreads: number };
  /** glibc malloc keeps freed blocks up to 4 MiB and heap tops up to 64 MiB (process-wide; false: not glibc) */
  keepFreedMemory(): boolean;

  // conv.cc
  /** a oneDNN convolution (native/conv.cc) of the backend's geometry; primitives built on first use */
  Conv: new (desc: ConvDesc) => ConvPrimitive;
  /** The scratch one convolution call may take before its batch runs in chunks (bytes); returns the old. */
  setConvScratchBudget(bytes: number): number;

  // pool.cc: argmax indices are plane-local, in `mask` (Int32) or `topMask` (floats)
  maxPoolForward(
    x: Float32Array,
    y: Float32Array,
    mask: Int32Array | null,
    topMask: Float32Array | null,
    ...geo: NativePoolGeometry
  ): void;
  indexPoolBackward(
    dy: Float32Array,
    mask: Int32Array | null,
    topMask: Float32Array | null,
    dx: Float32Array,
    ...geo: NativePoolGeometry
  ): void;
  avePoolForward(x: Float32Array, y: Float32Array, ...geo: NativePoolGeometry): void;
  avePoolBackward(dy: Float32Array, dx: Float32Array, ...geo: NativePoolGeometry): void;
  /** TRAIN samples with `rand` into y and idx; TEST (rand null) gives sum x^2 / sum x */
  stochasticPoolForward(
    x: Float32Array,
    y: Float32Array,
    rand: Float32Array | null,
    idx: Int32Array | null,
    ...geo: NativePoolGeometry
  ): void;

  // lrn.cc
  lrnAcrossForward(
    x: Float32Array,
    scale: Float32Array,
    y: Float32Array,
    num: number,
    channels: number,
    spatial: number,
    localSize: number,
    alpha: number,
    beta: number,
    k: number,
  ): void;
  lrnAcrossBackward(
    x: Float32Array,
    y: Float32Array,
    scale: Float32Array,
    dy: Float32Array,
    dx: Float32Array,
    num: number,
    channels: number,
    spatial: number,
    localSize: number,
    alpha: number,
    beta: number,
  ): void;
  lrnWithinForward(
    x: Float32Array,
    pooled: Float32Array,
    power: Float32Array,
    y: Float32Array,
    planes: number,
    height: number,
    width: number,
    localSize: number,
    alpha: number,
    beta: number,
  ): void;
  lrnWithinBackward(
    x: Float32Array,
    pooled: Float32Array,
    power: Float32Array,
    dy: Float32Array,
    dx: Float32Array,
    planes: number,
    height: number,
    width: number,
    localSize: number,
    alpha: number,
    beta: number,
  ): void;

  // lmdb.cc
  /** mode 0 READ, 1 WRITE, 2 NEW (mkdir first); mapSize in bytes for WRITE / NEW (0: the file's own) */
  LmdbEnv: new (path: string, mode: number, mapSize?: number) => NativeLmdbEnv;
  LmdbCursor: new (env: NativeLmdbEnv) => NativeLmdbCursor;
  /** liblmdb's version, "major.minor.patch" */
  lmdbVersion: string;

  // blas.cc: the system CBLAS (found at run time) and Caffe's own loops
  /** the CBLAS library's name, or null (blasError() says why) */
  blasLibrary(): string | null;
  blasError(): string;
  blasGemm(
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
  ): void;
  blasGemv(
    transA: boolean,
    M: number,
    N: number,
    alpha: number,
    A: Float32Array,
    x: Float32Array,
    beta: number,
    y: Float32Array,
  ): void;
  /** y += alpha x over y's length */
  blasAxpy(alpha: number, x: Float32Array, y: Float32Array): void;
  blasScal(alpha: number, x: Float32Array): void;
  /** caffe_cpu_strided_dot */
  blasDot(n: number, x: Float32Array, incx: number, y: Float32Array, incy: number): number;
  /** sum of |x| over x's length */
  blasAsum(x: Float32Array): number;
  /** OpenBLAS's thread count (set first when n is given); null for another BLAS */
  blasThreads(n?: number): number | null;
  /** y = f(x) element-wise with the C library's float functions (in place allowed) */
  expf(x: Float32Array, y: Float32Array): void;
  /** y = exp(x) element-wise with the C library's exp on doubles (in place allowed) */
  expd(x: Float64Array, y: Float64Array): void;
  tanhf(x: Float32Array, y: Float32Array): void;
  logf(x: Float32Array, y: Float32Array): void;
  powx(x: Float32Array, p: number, y: Float32Array): void;
  im2col(im: Float32Array, col: Float32Array, ...geo: NativeIm2colGeometry): void;
  /** im = 0, then each column entry added to its pixel in im2col's order */
  col2im(col: Float32Array, im: Float32Array, ...geo: NativeIm2colGeometry): void;

  // transform.cc: DataTransformer on uint8 pixels; geo = offset, C, datum H, datum W, H, W, h_off,
  // w_off, mirror (9 numbers per item)
  transformUint8(
    src: Uint8Array,
    mean: Float32Array | null,
    meanValues: Float32Array | null,
    scale: number,
    out: Float32Array,
    geo: Int32Array,
  ): void;
  /**
   * A batch of items in one call: item i's pixels are bytes [geos[12i + 10], + geos[12i + 11]) of
   * bufs[geos[12i + 9]], its geometry the 9 numbers before (the items of a batch share few buffers)
   */
  transformUint8Batch(
    bufs: Uint8Array[],
    geos: Int32Array,
    items: number,
    mean: Float32Array | null,
    meanValues: Float32Array | null,
    scale: number,
    out: Float32Array,
  ): void;

  // eltwise.cc: element-wise kernels over both cores, the same bits as the TypeScript loops (double
  // products and sums, rounded to float once); lengths are the output's
  reluForward(x: Float32Array, y: Float32Array, slope: number): void;
  reluBackward(x: Float32Array, dy: Float32Array, dx: Float32Array, slope: number): void;
  axpy(alpha: number, x: Float32Array, y: Float32Array): void;

  // datum.cc: the plain uint8 Datums of a read-ahead batch; 8 numbers per record: plain (1/0),
  // channels, height, width, label, data offset, data length, 0
  parseDatums(bytes: Uint8Array, ends: Int32Array, from: number, count: number, out: Int32Array): void;

  // image.cc: Caffe's image path (cv::imread of a JPEG, cv::resize INTER_LINEAR, CVMatToDatum's order)
  /** a JPEG by the system libjpeg as cv::imread sets it up (HWC, BGR or gray); null: the general decoder's */
  jpegDecode(
    buf: Uint8Array,
    gray: boolean,
  ): { width: number; height: number; channels: 1 | 3; data: Uint8Array } | null;
  /** cv::resize INTER_LINEAR of 8-bit HWC pixels, bit-exact with OpenCV 4.5 */
  resizeLinear(
    src: Uint8Array,
    channels: number,
    height: number,
    width: number,
    dst: Uint8Array,
    dstHeight: number,
    dstWidth: number,
  ): void;
  /** HWC to CHW (CVMatToDatum) into dst from dstOffset */
  hwcToChw(src: Uint8Array, channels: number, height: number, width: number, dst: Uint8Array, dstOffset: number): void;
  /** CVMatToDatum (+ set_label) of HWC pixels, serialized as a caffe.Datum */
  imageDatum(src: Uint8Array, channels: number, height: number, width: number, label?: number): Uint8Array;
  /**
   * ReadImageToDatum of a JPEG file, serialized, on the libuv thread pool (jpegDecode, resizeLinear when both
   * sizes are > 0, imageDatum; dims = channels * height * width); null: not a JPEG, or one the general path
   * must take
   */
  jpegFileDatum(
    path: string,
    gray: boolean,
    height: number,
    width: number,
    label: number,
    /** written into (bytes: a view of it) when large enough; untouched until the promise settles */
    reuse?: Uint8Array,
  ): Promise<{ bytes: Uint8Array; dims: number } | null>;
}

let addon: NativeAddon | undefined;

/**
 * Idle threads sleep instead of spinning, unless the environment says otherwise. libgomp (our kernels'
 * and oneDNN's OpenMP) reads OMP_WAIT_POLICY when the addon loads: passive blocks a team thread on a
 * futex at once, where the default spins ~300,000 rounds first and, on a loaded machine, takes the core
 * from the thread with the work. OpenBLAS (the CAFFE engine, loaded later) reads OPENBLAS_THREAD_TIMEOUT:
 * its threads yield-spin for 2^n cycles before sleeping (default 2^28, a tenth of a second); 2^4.
 */
export const WAIT_DEFAULTS: Readonly<Record<string, string>> = {
  OMP_WAIT_POLICY: 'passive',
  OPENBLAS_THREAD_TIMEOUT: '4',
};

export function native(): NativeAddon {
  if (!addon) {
    for (const [k, v] of Object.entries(WAIT_DEFAULTS)) if (process.env[k] === undefined) process.env[k] = v;
    const file = path.resolve(__dirname, '../../build/Release/caffets_native.node');
    try {
      addon = require(file) as NativeAddon;
    } catch (e) {
      throw new CaffeError(
        `cannot load the native backend ${file} (${(e as Error).message.split('\n')[0]}); ` +
          'run `npm ci` (needs libdnnl-dev and liblmdb-dev: apt-get install -y libdnnl-dev liblmdb-dev)',
      );
    }
  }
  return addon;
}
