// A seedable Mersenne Twister (MT19937) with the distributions Caffe's fillers and layers draw from.
// One global generator, seeded by `random_seed` like Caffe::set_random_seed.

export class Rng {
  private mt = new Uint32Array(624);
  private idx = 625;
  private spare: number | null = null;

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
    this.spare = null;
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

  /** Uniform in [0, 1). */
  next(): number {
    return this.u32() / 4294967296;
  }
  uniform(a: number, b: number): number {
    return a + (b - a) * this.next();
  }
  /** Normal(mean, sigma) by Box-Muller. */
  gaussian(mean: number, sigma: number): number {
    if (this.spare !== null) {
      const s = this.spare;
      this.spare = null;
      return mean + sigma * s;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next(),
      r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return mean + sigma * r * Math.cos(2 * Math.PI * v);
  }
  bernoulli(p: number): number {
    return this.next() < p ? 1 : 0;
  }
  /** Integer in [0, n). */
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
