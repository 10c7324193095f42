// A seedable Mersenne Twister (MT19937, = boost::mt19937, Caffe's caffe::rng_t) with the boost
// distributions Caffe's fillers and layers draw from (boost_random.ts), and Caffe's caffe_rng_uniform /
// caffe_rng_gaussian / caffe_rng_bernoulli (math_functions.cpp) over the global generator. One global
// generator, seeded by `random_seed` like Caffe::set_random_seed.
import { bernoulli, nextAfterFloat, normal, uniformReal } from './boost_random';
import { Who, checkOp } from '../util/check';

export class Rng {
  private mt = new Uint32Array(624);
  private idx = 625;

  constructor(seed = 5489) {
    this.seed(seed);
  }

  seed(s: number): void {
    this.mt[0] = s >>> 0;
    for (let i = 1; i < 624; i++) {
      const p = this.mt[i - 1] ^ (this.mt[i - 1] >>> 30);
      this.mt[i] = (Math.imul(1812433253, p) + i) >>> 0;
    }
    this.idx = 624;
  }

  /** Next 32-bit output. */
  u32(): number {
    if (this.idx >= 624) this.twist();
    let y = this.mt[this.idx++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  private twist(): void {
    const mt = this.mt;
    for (let i = 0; i < 624; i++) {
      const y = (mt[i] & 0x80000000) | (mt[(i + 1) % 624] & 0x7fffffff);
      mt[i] = mt[(i + 397) % 624] ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
    }
    this.idx = 0;
  }

  /** Uniform in [0, 1) (53-bit; for caffets' own uses, not a Caffe draw). */
  next(): number {
    return this.u32() / 4294967296;
  }
  /** boost::uniform_real<float>(a, b): a float in [a, b). */
  uniform(a: number, b: number): number {
    return uniformReal(this, a, b);
  }
  /** boost::normal_distribution<float>(mean, sigma) (the ziggurat). */
  gaussian(mean: number, sigma: number): number {
    return normal(this, mean, sigma);
  }
  /** boost::bernoulli_distribution<double>(p), or <float> when `float32`: 1 or 0. */
  bernoulli(p: number, float32 = false): number {
    return bernoulli(this, p, float32);
  }
  /** Integer in [0, n) (for caffets' own uses, not a Caffe draw). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
}

let global = new Rng(Date.now() >>> 0);

/** Caffe::set_random_seed: reseeds the generator all fillers and random layers use. */
export function setRandomSeed(seed: number): void {
  global = new Rng(seed);
}
export function rng(): Rng {
  return global;
}

/** caffe_rng_uniform<float>: n draws of uniform_real<float>(a, nextafter(b)), so b itself can be drawn. */
export function caffeRngUniform(n: number, a: number, b: number, r: Float32Array, who: Who = null): void {
  checkOp(who, n, '>=', 0, 'n >= 0');
  checkOp(who, a, '<=', b, 'a <= b');
  const g = global,
    lo = Math.fround(a),
    hi = nextAfterFloat(b);
  for (let i = 0; i < n; i++) r[i] = uniformReal(g, lo, hi);
}

/** caffe_rng_gaussian<float>: n draws of normal_distribution<float>(mu, sigma). */
export function caffeRngGaussian(n: number, mu: number, sigma: number, r: Float32Array, who: Who = null): void {
  checkOp(who, n, '>=', 0, 'n >= 0');
  checkOp(who, sigma, '>', 0, 'sigma > 0');
  const g = global;
  for (let i = 0; i < n; i++) r[i] = normal(g, mu, sigma);
}

/**
 * caffe_rng_bernoulli<Dtype>: n draws of bernoulli_distribution<Dtype>(p), Dtype float when `float32`
 * (the sparse gaussian filler), double otherwise (Dropout passes `1. - threshold_`, a double).
 */
export function caffeRngBernoulli(
  n: number,
  p: number,
  r: Uint8Array | Int32Array,
  float32 = false,
  who: Who = null,
): void {
  checkOp(who, n, '>=', 0, 'n >= 0');
  checkOp(who, p, '>=', 0, 'p >= 0');
  checkOp(who, p, '<=', 1, 'p <= 1');
  const g = global;
  for (let i = 0; i < n; i++) r[i] = bernoulli(g, p, float32);
}
