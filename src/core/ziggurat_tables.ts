// The layer tables of boost's ziggurat samplers (boost/random 1.56+: normal_distribution and
// exponential_distribution), derived here from their definition rather than copied. For a decreasing
// density f on [0, inf) cut into n layers of equal area v:
//   x[1] = r (where the tail starts), y[i] = f(x[i]), x[0] = v / f(r) (the base layer: a rectangle plus
//   the tail), x[i+1] = f^-1(y[i] + v / x[i]), x[n] = 0, y[0] = 0, y[n] = f(0) = 1,
// and r is the root of y[n-1] + v / x[n-1] = 1.
//   normal:      f(x) = exp(-x^2 / 2), n = 128, v = r f(r) + integral of f from r to inf;
//   exponential: f(x) = exp(-x),       n = 256, v = (r + 1) exp(-r).
// Computed once, on first use, in 128-bit fixed point (BigInt), then rounded to doubles: these are the
// very doubles boost's 20-digit literals give (every entry of all four tables).

const P = 128n;
const ONE = 1n << P;
/** fixed-point product and quotient, truncated toward zero (so that series terms reach 0) */
const mul = (a: bigint, b: bigint) => (a * b) / ONE;
const div = (a: bigint, b: bigint) => (a * ONE) / b;
/** an integer, or a decimal with up to 6 digits after the point, in fixed point */
const fixed = (v: number) => (BigInt(Math.round(v * 1e6)) * ONE) / 1000000n;
/** the double nearest a fixed-point value (BigInt -> Number rounds to nearest) */
const toDouble = (a: bigint) => Number(a) * 2 ** -Number(P);

/** atanh(z) = z + z^3/3 + z^5/5 + ..., for small |z| */
function atanh(z: bigint): bigint {
  const z2 = mul(z, z);
  let s = 0n;
  for (let t = z, k = 1n; t !== 0n; t = mul(t, z2), k += 2n) s += t / k;
  return s;
}
const LN2 = 2n * atanh(div(ONE, fixed(3)));

/** exp(x) = 2^k exp(x - k ln 2), the remainder by its Taylor series */
function exp(x: bigint): bigint {
  const k = x / LN2,
    r = x - k * LN2;
  let s = 0n;
  for (let t = ONE, n = 1n; t !== 0n; t = mul(t, r) / n, n++) s += t;
  return k >= 0n ? s << k : s >> -k;
}

/** ln(y) = k ln 2 + 2 atanh((m - 1) / (m + 1)), y = m 2^k with m in [1/sqrt(2), sqrt(2)) */
function ln(y: bigint): bigint {
  let k = BigInt(y.toString(2).length) - 1n - P;
  let m = k >= 0n ? y >> k : y << -k;
  if (m * m > 2n * ONE * ONE) {
    m >>= 1n;
    k++;
  }
  return k * LN2 + 2n * atanh(div(m - ONE, m + ONE));
}

function sqrt(a: bigint): bigint {
  const n = a * ONE;
  // Newton from above converges to floor(sqrt(n))
  let x = BigInt(Math.ceil(Math.sqrt(Number(n)) * (1 + 1e-9))) + 1n;
  for (let y = (x + n / x) >> 1n; y < x; y = (x + n / x) >> 1n) x = y;
  return x;
}

/** atan(1/n) */
function atanInv(n: number): bigint {
  const x = div(ONE, fixed(n)),
    x2 = mul(x, x);
  let s = 0n;
  for (let t = x, k = 1n, sign = 1n; t !== 0n; t = mul(t, x2), k += 2n, sign = -sign) s += (sign * t) / k;
  return s;
}
const PI = 16n * atanInv(5) - 4n * atanInv(239); // Machin

/** integral of exp(-t^2/2) from r to infinity: sqrt(pi/2) - sum (-1)^n r^(2n+1) / (2^n n! (2n+1)) */
function normalTail(r: bigint): bigint {
  const h = mul(r, r) / 2n;
  let s = 0n;
  for (let t = r, n = 0n; t !== 0n; t = -mul(t, h) / (n + 1n), n++) s += t / (2n * n + 1n);
  return sqrt(PI / 2n) - s;
}

interface Layers {
  /** y[n-1] + v / x[n-1] - 1 (0 at the root r), or a large positive value when the layers ran out early */
  residual: bigint;
  x: bigint[];
  y: bigint[];
}

/** The layers from r: f, f^-1(y) and v(r) describe the density. */
function layers(n: number, r: bigint, f: (x: bigint) => bigint, fInv: (y: bigint) => bigint, v: bigint): Layers {
  const fr = f(r);
  const x = [div(v, fr), r],
    y = [0n, fr];
  for (let i = 1; i < n; i++) {
    const next = y[i] + div(v, x[i]);
    if (i === n - 1) return { residual: next - ONE, x: [...x, 0n], y: [...y, ONE] };
    if (next >= ONE) return { residual: ONE * BigInt(n - i), x, y };
    y.push(next);
    x.push(fInv(next));
  }
  throw new Error('unreachable');
}

/** r in [lo, hi] by regula falsi (Illinois), to the precision of the fixed point. */
function solve(residual: (r: bigint) => bigint, lo: bigint, hi: bigint): bigint {
  let flo = residual(lo),
    fhi = residual(hi),
    side = 0;
  for (let it = 0; it < 200 && hi - lo > 1n; it++) {
    let m = lo - ((hi - lo) * flo) / (fhi - flo);
    if (m <= lo || m >= hi) m = (lo + hi) / 2n;
    const fm = residual(m);
    if (fm === 0n) return m;
    if (fm > 0n === flo > 0n) {
      lo = m;
      flo = fm;
      if (side === -1) fhi /= 2n;
      side = -1;
    } else {
      hi = m;
      fhi = fm;
      if (side === 1) flo /= 2n;
      side = 1;
    }
  }
  return flo === 0n ? lo : lo - ((hi - lo) * flo) / (fhi - flo);
}

export interface ZigguratTable {
  x: Float64Array;
  y: Float64Array;
}

function table(
  n: number,
  lo: number,
  hi: number,
  f: (x: bigint) => bigint,
  fInv: (y: bigint) => bigint,
  v: (r: bigint) => bigint,
) {
  const run = (r: bigint) => layers(n, r, f, fInv, v(r));
  const r = solve((s) => run(s).residual, fixed(lo), fixed(hi));
  const { x, y } = run(r);
  return { x: Float64Array.from(x, toDouble), y: Float64Array.from(y, toDouble) };
}

let normal: ZigguratTable | null = null;
let exponential: ZigguratTable | null = null;

/** boost's normal_table<double>: 129 x and y. */
export function normalTable(): ZigguratTable {
  if (!normal) {
    const f = (x: bigint) => exp(-mul(x, x) / 2n);
    normal = table(
      128,
      3.44,
      3.45,
      f,
      (y) => sqrt(-2n * ln(y)),
      (r) => mul(r, f(r)) + normalTail(r),
    );
  }
  return normal;
}

/** boost's exponential_table<double>: 257 x and y. */
export function exponentialTable(): ZigguratTable {
  if (!exponential)
    exponential = table(
      256,
      7.69,
      7.7,
      (x) => exp(-x),
      (y) => -ln(y),
      (r) => mul(r + ONE, exp(-r)),
    );
  return exponential;
}
