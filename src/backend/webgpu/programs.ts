// WGSL compute programs of the WebGPU device, by name. A program's source refers to its storage
// buffers as B0, B1, ... (slots, bound in the order the dispatch lists them) and to its uniform block
// as P (struct Params). The worker binds each distinct buffer once: slots that name the same buffer
// (in-place ops, C and A in one buffer) are renamed to one binding, so WebGPU's no-aliasing rule for
// writable bindings holds. Offsets in P count floats from the start of each buffer.
//
// Element-wise programs share one Params layout (EW_PARAMS) and a grid-stride loop, so one dispatch
// covers any n with at most 65535 workgroups.

export interface Program {
  /** number of storage-buffer slots */
  slots: number;
  /** WGSL: struct Params, helpers and the @compute entry point `main` */
  source: string;
}

/** Element-wise uniform block: n elements, slot offsets o0..o3, scalars a and b. */
export const EW_PARAMS = ['n', 'o0', 'o1', 'o2', 'o3', 'a', 'b'] as const;
export const EW_WORKGROUP = 256;
export const MAX_GROUPS = 65535;

const EW_STRUCT = 'struct Params { n: u32, o0: u32, o1: u32, o2: u32, o3: u32, a: f32, b: f32 }';

/** An element-wise program: `stmt` runs for each i < n (x0(i) = B0[P.o0 + i], ...). */
export function ew(slots: number, stmt: string, helpers = ''): Program {
  return {
    slots,
    source: `${EW_STRUCT}
${helpers}
@compute @workgroup_size(${EW_WORKGROUP})
fn main(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let stride = nw.x * ${EW_WORKGROUP}u;
  for (var i = g.x; i < P.n; i += stride) {
    ${stmt}
  }
}`,
  };
}

// y = f(x) with x in slot 0 and y in slot 1 (in place when both name one buffer)
const unary = (expr: string, helpers = '') => ew(2, `let x = B0[P.o0 + i]; B1[P.o1 + i] = ${expr};`, helpers);
// y = f(a, b) with a, b, y in slots 0, 1, 2
const binary = (expr: string) => ew(3, `let x = B0[P.o0 + i]; let y = B1[P.o1 + i]; B2[P.o2 + i] = ${expr};`);

/** Tile sizes of the GEMM program: TILE x TILE outputs per workgroup, KT of K per step. */
export const GEMM_TILE = 64;
const GEMM_KT = 16;

// C = alpha op(A) op(B) + beta C, row-major; A, B, C in slots 0, 1, 2. 16 x 16 threads, each 4 x 4
// outputs; tiles of op(A) and op(B) staged in workgroup memory, loaded along the stored rows.
const GEMM = `struct Params {
  M: u32, N: u32, K: u32, oA: u32, oB: u32, oC: u32, alpha: f32, beta: f32, tA: u32, tB: u32,
  sA: u32, sB: u32, sC: u32,
}
var<workgroup> As: array<f32, ${GEMM_TILE * GEMM_KT}>;
var<workgroup> Bs: array<f32, ${GEMM_TILE * GEMM_KT}>;
fn opA(a: u32, m: u32, k: u32) -> f32 {
  if (m >= P.M || k >= P.K) { return 0.0; }
  if (P.tA == 0u) { return B0[a + m * P.K + k]; }
  return B0[a + k * P.M + m];
}
fn opB(b: u32, k: u32, n: u32) -> f32 {
  if (k >= P.K || n >= P.N) { return 0.0; }
  if (P.tB == 0u) { return B1[b + k * P.N + n]; }
  return B1[b + n * P.K + k];
}
@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) l: vec3u) {
  // batch z of a strided batched GEMM (cublasSgemmStridedBatched): matrix z starts z * stride further on
  let a = P.oA + wg.z * P.sA;
  let b = P.oB + wg.z * P.sB;
  let c = P.oC + wg.z * P.sC;
  let m0 = wg.y * ${GEMM_TILE}u;
  let n0 = wg.x * ${GEMM_TILE}u;
  let tid = l.y * 16u + l.x;
  var acc: array<f32, 16>;
  for (var k0 = 0u; k0 < P.K; k0 += ${GEMM_KT}u) {
    for (var r = 0u; r < 4u; r++) {
      let e = tid + r * 256u;
      // As[kk][mm], Bs[kk][nn]: consecutive threads read consecutive stored elements
      var mm = e % ${GEMM_TILE}u;
      var kk = e / ${GEMM_TILE}u;
      if (P.tA == 0u) { mm = e / ${GEMM_KT}u; kk = e % ${GEMM_KT}u; }
      As[kk * ${GEMM_TILE}u + mm] = opA(a, m0 + mm, k0 + kk);
      var nn = e % ${GEMM_TILE}u;
      kk = e / ${GEMM_TILE}u;
      if (P.tB != 0u) { nn = e / ${GEMM_KT}u; kk = e % ${GEMM_KT}u; }
      Bs[kk * ${GEMM_TILE}u + nn] = opB(b, k0 + kk, n0 + nn);
    }
    workgroupBarrier();
    for (var kk = 0u; kk < ${GEMM_KT}u; kk++) {
      var av: array<f32, 4>;
      var bv: array<f32, 4>;
      for (var i = 0u; i < 4u; i++) {
        av[i] = As[kk * ${GEMM_TILE}u + l.y * 4u + i];
        bv[i] = Bs[kk * ${GEMM_TILE}u + l.x * 4u + i];
      }
      for (var i = 0u; i < 4u; i++) {
        for (var j = 0u; j < 4u; j++) { acc[i * 4u + j] = fma(av[i], bv[j], acc[i * 4u + j]); }
      }
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < 4u; i++) {
    let m = m0 + l.y * 4u + i;
    if (m >= P.M) { continue; }
    for (var j = 0u; j < 4u; j++) {
      let n = n0 + l.x * 4u + j;
      if (n >= P.N) { continue; }
      let idx = c + m * P.N + n;
      var v = P.alpha * acc[i * 4u + j];
      if (P.beta != 0.0) { v += P.beta * B2[idx]; }
      B2[idx] = v;
    }
  }
}`;

/** Outputs of the register-blocked GEMM: each invocation 4 rows x 4 columns, 64 invocations a group. */
export const GEMM_RB_ROWS = 4;
export const GEMM_RB_COLS = 256;

// The same GEMM for CPU adapters (llvmpipe): no workgroup memory or barriers (costly there, where the
// invocations of a group run as SIMD lanes); each invocation keeps a 4 x 4 block of C in registers,
// its columns n0 + lane + 64 j so that the lanes' loads of a row of op(B) are contiguous, and the
// loads of op(A) are the same for all lanes. Out-of-range rows and columns compute on clamped
// indices and are not written.
const GEMM_RB = `struct Params {
  M: u32, N: u32, K: u32, oA: u32, oB: u32, oC: u32, alpha: f32, beta: f32, tA: u32, tB: u32,
  sA: u32, sB: u32, sC: u32,
}
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) l: vec3u) {
  let a = P.oA + wg.z * P.sA;
  let b = P.oB + wg.z * P.sB;
  let c = P.oC + wg.z * P.sC;
  let m0 = wg.y * 4u;
  let n0 = wg.x * 256u + l.x;
  var am: array<u32, 4>;
  var ak = 1u;
  for (var i = 0u; i < 4u; i++) {
    let m = min(m0 + i, P.M - 1u);
    am[i] = select(a + m * P.K, a + m, P.tA != 0u);
  }
  if (P.tA != 0u) { ak = P.M; }
  var bn: array<u32, 4>;
  var bk = P.N;
  for (var j = 0u; j < 4u; j++) {
    let n = min(n0 + 64u * j, P.N - 1u);
    bn[j] = select(b + n, b + n * P.K, P.tB != 0u);
  }
  if (P.tB != 0u) { bk = 1u; }
  var acc: array<f32, 16>;
  for (var k = 0u; k < P.K; k++) {
    var av: array<f32, 4>;
    var bv: array<f32, 4>;
    for (var i = 0u; i < 4u; i++) { av[i] = B0[am[i] + k * ak]; }
    for (var j = 0u; j < 4u; j++) { bv[j] = B1[bn[j] + k * bk]; }
    for (var i = 0u; i < 4u; i++) {
      for (var j = 0u; j < 4u; j++) { acc[i * 4u + j] = fma(av[i], bv[j], acc[i * 4u + j]); }
    }
  }
  for (var i = 0u; i < 4u; i++) {
    let m = m0 + i;
    if (m >= P.M) { continue; }
    for (var j = 0u; j < 4u; j++) {
      let n = n0 + 64u * j;
      if (n >= P.N) { continue; }
      let idx = c + m * P.N + n;
      var v = P.alpha * acc[i * 4u + j];
      if (P.beta != 0.0) { v += P.beta * B2[idx]; }
      B2[idx] = v;
    }
  }
}`;

/** Partial sums per workgroup of a reduction (dot, asum): REDUCE_GROUPS partials, summed on the host. */
export const REDUCE_GROUPS = 64;

// partials[wg] = sum over the workgroup's grid-stride share of term(i); x, y, partials in slots 0, 1, 2
const reduce = (term: string): Program => ({
  slots: 3,
  source: `${EW_STRUCT}
var<workgroup> s: array<f32, 256>;
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) g: vec3u, @builtin(local_invocation_id) l: vec3u,
        @builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nw: vec3u) {
  var acc = 0.0;
  for (var i = g.x; i < P.n; i += nw.x * 256u) { acc += ${term}; }
  s[l.x] = acc;
  workgroupBarrier();
  for (var w = 128u; w > 0u; w = w / 2u) {
    if (l.x < w) { s[l.x] += s[l.x + w]; }
    workgroupBarrier();
  }
  if (l.x == 0u) { B2[P.o2 + wg.x] = s[0]; }
}`,
});

// Accurate exp and pow in float-float arithmetic (a value as hi + lo): the built-in exp, log2 and pow of
// drivers are several ulp off (lavapipe: exp 18, pow 11), where Caffe's expf / powf are within one.
// Error-free products split the factors by masking (12 + 12 bits: exact partial products, so contraction
// into fma changes nothing, and no fma is needed: lavapipe does not fuse it); error-free sums go through
// an opaque 1 (from the Params' n, at least 1 in any dispatch) so that no compiler simplifies the rounding
// error away. A program using them needs P.n.
const FF_MATH = `fn ff_one() -> f32 { return f32(min(P.n, 1u)); }
fn two_sum(a: f32, b: f32) -> vec2f {
  let s = (a + b) * ff_one();
  let bb = (s - a) * ff_one();
  return vec2f(s, (a - (s - bb)) + (b - bb));
}
fn ff_split(a: f32) -> vec2f { let h = bitcast<f32>(bitcast<u32>(a) & 0xfffff000u); return vec2f(h, a - h); }
fn two_prod(a: f32, b: f32) -> vec2f {
  let p = (a * b) * ff_one();
  let x = ff_split(a); let y = ff_split(b);
  return vec2f(p, (((x.x * y.x - p) + x.x * y.y) + x.y * y.x) + x.y * y.y);
}
fn ff_add(a: vec2f, b: vec2f) -> vec2f { let s = two_sum(a.x, b.x); return two_sum(s.x, s.y + (a.y + b.y)); }
fn ff_mul_f(a: vec2f, b: f32) -> vec2f { let p = two_prod(a.x, b); return two_sum(p.x, p.y + a.y * b); }
const LN2_HI = 0.693145751953125; // 16 significant bits: k LN2_HI is exact for |k| < 256
const LN2_LO = 1.42860682030941723212e-6;
// log(x) for finite x > 0: x = m 2^e, m in [sqrt(1/2), sqrt(2)); log m = 2 atanh(t), t = (m - 1) / (m + 1)
fn ff_log(x0: f32) -> vec2f {
  var x = x0; var e = 0;
  if (x < 1.17549435e-38) { x = x * 16777216.0; e = -24; }
  let bits = bitcast<u32>(x);
  e += i32(bits >> 23u) - 127;
  var m = bitcast<f32>((bits & 0x007fffffu) | 0x3f800000u);
  if (m > 1.41421356) { m = m * 0.5; e += 1; }
  let f = m - 1.0;
  let d = two_sum(m, 1.0);
  let q = f / d.x;
  let r = two_prod(q, d.x);
  let t = two_sum(q, (((f - r.x) - r.y) - q * d.y) / d.x);
  let t2 = t.x * t.x;
  let s = t2 * (1.0 / 3.0 + t2 * (0.2 + t2 * (1.0 / 7.0 + t2 * (1.0 / 9.0 + t2 * (1.0 / 11.0 + t2 / 13.0)))));
  let lm = ff_add(vec2f(2.0 * t.x, 2.0 * t.y), two_prod(2.0 * t.x, s));
  let fe = f32(e);
  return ff_add(ff_add(vec2f(fe * LN2_HI, 0.0), two_prod(fe, LN2_LO)), lm);
}
// exp(y): y = k log 2 + r, |r| <= log(2) / 2, exp(r) = 1 + r + r^2 / 2 + r^3 P(r); out of range (overflow,
// subnormal results) and NaN by the built-in
fn ff_exp(y: vec2f) -> f32 {
  if (!(y.x > -87.3 && y.x < 88.72)) { return exp(y.x); }
  let k = round(y.x * 1.44269504);
  let r = ff_add(ff_add(y, vec2f(-k * LN2_HI, 0.0)), two_prod(-k, LN2_LO));
  let h = r.x;
  let h2 = two_prod(h, h);
  let p = 1.0 / 6.0 + h * (1.0 / 24.0 + h * (1.0 / 120.0 + h * (1.0 / 720.0 + h * (1.0 / 5040.0 + h / 40320.0))));
  let acc = ff_add(two_sum(1.0, h), vec2f(0.5 * h2.x, 0.5 * h2.y));
  return ldexp(acc.x + (acc.y + (h * h2.x * p + r.y * (1.0 + h))), i32(k));
}
fn exp_acc(x: f32) -> f32 { return ff_exp(vec2f(x, 0.0)); }
// logf-accurate for finite x > 0; zero, negative, infinite and NaN x by the built-in
fn log_acc(x: f32) -> f32 {
  if (x > 0.0 && x <= bitcast<f32>(0x7f7fffffu)) { let r = ff_log(x); return r.x + r.y; }
  return log(x);
}`;

// caffe_gpu_powx is powf: the special cases of powf (x^0 = 1, zero and infinite x, negative x with an
// integer exponent, NaN with a fractional one) are explicit, the rest float-float
export const POWX = `${FF_MATH}
fn powx(x: f32, p: f32) -> f32 {
  if (p == 0.0) { return 1.0; }
  if (p == 2.0) { return x * x; }
  if (x == 0.0) { return select(0.0, 1.0 / x, p < 0.0); } // 1 / 0: inf (WGSL has no inf constant)
  let a = abs(x);
  var r = 0.0;
  if (a > bitcast<f32>(0x7f7fffffu)) { r = select(0.0, a, p > 0.0); } // inf
  else if (a == a) { r = ff_exp(ff_mul_f(ff_log(a), p)); }
  else { return x; } // NaN
  if (x > 0.0) { return r; }
  if (fract(p) != 0.0) { return sqrt(x); } // of a negative x: NaN, as powf
  return select(r, -r, fract(p * 0.5) != 0.0);
}`;

/** Helpers for programs needing an accurate exp or log: exp_acc(x), log_acc(x). */
export const EXP_ACC = FF_MATH;

export const PROGRAMS: Record<string, Program> = {
  set: ew(1, 'B0[P.o0 + i] = P.a;'),
  copy: unary('x'),
  axpy: ew(2, 'B1[P.o1 + i] = fma(P.a, B0[P.o0 + i], B1[P.o1 + i]);'),
  axpby: ew(2, 'B1[P.o1 + i] = fma(P.a, B0[P.o0 + i], P.b * B1[P.o1 + i]);'),
  scal: ew(1, 'B0[P.o0 + i] = P.a * B0[P.o0 + i];'),
  scale: unary('P.a * x'),
  add_scalar: ew(1, 'B0[P.o0 + i] = B0[P.o0 + i] + P.a;'),
  add: binary('x + y'),
  sub: binary('x - y'),
  mul: binary('x * y'),
  div: binary('x / y'),
  powx: unary('powx(x, P.a)', POWX),
  exp: unary('exp_acc(x)', EXP_ACC), // expf-accurate, as powx
  log: unary('log_acc(x)', EXP_ACC), // logf-accurate
  sqrt: unary('sqrt(x)'),
  abs: unary('abs(x)'),
  sign: unary('sign(x)'),
  dot: reduce('B0[P.o0 + i] * B1[P.o1 + i]'),
  asum: reduce('abs(B0[P.o0 + i])'),
  gemm: { slots: 3, source: GEMM },
  gemm_rb: { slots: 3, source: GEMM_RB },
};
