// The boost::random 1.74 distributions Caffe draws from (math_functions.cpp), over a 32-bit engine
// (boost::mt19937), step for step, each in the float type Caffe instantiates it with (Math.fround after
// every float operation), so that a seeded run draws Caffe's very numbers and consumes the same outputs:
//   uniform_real<float>(a, b)     u = float(raw) / 2^32; a + u * (b - a), drawn again when it reaches b;
//   uniform_01<float>             float(raw) * 2^-32, drawn again when it rounds to 1;
//   normal_distribution<float>    the ziggurat of 128 layers (normal_table) with its exponential tail;
//   exponential_distribution<float>  the ziggurat of 256 layers (exponential_table);
//   bernoulli_distribution<T>     p == 0 ? false (no draw) : T(raw) <= p * T(2^32 - 1).
// generate_int_float_pair<float, 8> takes one raw output: its low 8 bits pick the layer (the normal's
// lowest bit its sign), its high 24 bits are the fraction.
import { native } from '../native/addon';
import { exponentialTable, normalTable } from './ziggurat_tables';

/** A source of raw 32-bit outputs (boost::mt19937). */
export interface Engine32 {
  u32(): number;
}

const f32 = Math.fround;
const TWO_POW_32 = 4294967296;

/** The C library's expf (the boost code calls std::exp on floats); Math.exp rounds differently now and then. */
const expfIn = new Float32Array(1),
  expfOut = new Float32Array(1);
function expf(x: number): number {
  expfIn[0] = x;
  native().expf(expfIn, expfOut);
  return expfOut[0];
}

/** boost::uniform_01<float>. */
export function uniform01(e: Engine32): number {
  for (;;) {
    const r = f32(e.u32()) / TWO_POW_32;
    if (r < 1) return r;
  }
}

/** boost::uniform_real<float>(a, b): a float in [a, b), a < b. */
export function uniformReal(e: Engine32, a: number, b: number): number {
  const FLT_MAX_HALF = 1.7014117331926443e38;
  if (f32(f32(b / 2) - f32(a / 2)) > FLT_MAX_HALF) return 2 * uniformReal(e, f32(a / 2), f32(b / 2));
  const span = f32(b - a);
  for (;;) {
    const r = f32(f32((f32(e.u32()) / TWO_POW_32) * span) + a);
    if (r < b) return r;
  }
}

/** The float after x toward +FLT_MAX (boost::math::nextafter, as caffe_nextafter<float>). */
export function nextAfterFloat(x: number): number {
  const f = new Float32Array([x]),
    u = new Uint32Array(f.buffer);
  if (!Number.isFinite(f[0]) || f[0] === 3.4028234663852886e38) return f[0];
  if (f[0] === 0) u[0] = 1;
  else if (f[0] > 0) u[0]++;
  else u[0]--;
  return f[0];
}

/** boost's unit_normal_distribution<float> (the ziggurat). */
export function unitNormal(e: Engine32): number {
  const { x: tx, y: ty } = normalTable();
  for (;;) {
    const u = e.u32();
    const sign = (u & 1) * 2 - 1,
      i = (u & 255) >> 1;
    const x = f32(((u >>> 8) / 16777216) * f32(tx[i]));
    if (x < tx[i + 1]) return x * sign; // compared in double, as boost compares with the double table
    if (i === 0) return normalTail(e) * sign;
    const y01 = uniform01(e);
    const y = f32(f32(ty[i]) + f32(y01 * f32(ty[i + 1] - ty[i])));
    // the chord of the layer and the tangent at its corner bound f between them
    const chord = f32(f32(f32(tx[i] - tx[i + 1]) * y01) - f32(f32(tx[i]) - x));
    const tangent = f32(y - f32(f32(ty[i]) + f32(f32(f32(f32(tx[i]) - x) * f32(ty[i])) * f32(tx[i]))));
    const [aboveUpper, aboveLower] = tx[i] >= 1 ? [chord, tangent] : [tangent, chord]; // convex : concave
    if (aboveUpper < 0 && (aboveLower < 0 || y < expf(-f32(f32(x * x) / 2)))) return x * sign;
  }
}

/** The normal's tail beyond r = table_x[1]: x = r + E1 / r, accepted when 2 E2 > (E1 / r)^2. */
function normalTail(e: Engine32): number {
  const r = f32(normalTable().x[1]);
  for (;;) {
    const x = exponential(e, r),
      y = exponential(e, 1);
    if (f32(2 * y) > f32(x * x)) return f32(x + r);
  }
}

/** boost's unit_exponential_distribution<float> (the ziggurat). */
export function unitExponential(e: Engine32): number {
  const { x: tx, y: ty } = exponentialTable();
  let shift = 0;
  for (;;) {
    const u = e.u32(),
      i = u & 255;
    const x = f32(((u >>> 8) / 16777216) * f32(tx[i]));
    if (x < f32(tx[i + 1])) return f32(shift + x);
    if (i === 0) {
      shift = f32(shift + f32(tx[1])); // the tail is the distribution again, shifted by r
      continue;
    }
    const y01 = uniform01(e);
    const y = f32(f32(ty[i]) + f32(y01 * f32(ty[i + 1] - ty[i])));
    const aboveUpper = f32(f32(f32(tx[i] - tx[i + 1]) * y01) - f32(f32(tx[i]) - x));
    const aboveLower = f32(y - f32(f32(ty[i + 1]) + f32(f32(f32(tx[i + 1]) - x) * f32(ty[i + 1]))));
    if (aboveUpper < 0 && (aboveLower < 0 || y < expf(-x))) return f32(x + shift);
  }
}

/** boost::normal_distribution<float>(mean, sigma). */
export function normal(e: Engine32, mean: number, sigma: number): number {
  return f32(f32(unitNormal(e) * f32(sigma)) + f32(mean));
}

/** boost::exponential_distribution<float>(lambda). */
export function exponential(e: Engine32, lambda: number): number {
  return f32(unitExponential(e) / f32(lambda));
}

/** boost::bernoulli_distribution<double>(p), or <float> when `float32`: 1 or 0. */
export function bernoulli(e: Engine32, p: number, float32 = false): number {
  if (p === 0) return 0;
  if (float32) return f32(e.u32()) <= f32(f32(p) * TWO_POW_32) ? 1 : 0; // float(2^32 - 1) is 2^32
  return e.u32() <= p * (TWO_POW_32 - 1) ? 1 : 0;
}
