// The C library's rand() as Caffe's HDF5Data layer meets it. That layer shuffles with
// std::random_shuffle(first, last), which libstdc++ implements with std::rand(), never with Caffe's
// own generator: the order depends neither on random_seed nor on anything else Caffe draws. Caffe
// never calls srand(), so every run starts from glibc's default state (seed 1) and all HDF5Data
// layers of a process (train and test nets alike) share one stream. Verified against the reference
// binary: `caffe test` with shuffle: true serves rows in exactly the order this module gives.
//
// glibc's rand() is random() with the default TYPE_3 state: an additive lagged-Fibonacci generator
// r[i] = r[i-3] + r[i-31] (mod 2^32) returning r[i] >> 1, seeded by a Park-Miller sequence and run
// 310 steps before its first output.

const DEG = 31;
const SEP = 3;

class GlibcRandom {
  private readonly state = new Int32Array(DEG);
  private f = SEP;
  private r = 0;

  constructor(seed: number) {
    this.seed(seed);
  }

  /** srand(seed) */
  seed(seed: number): void {
    const s = this.state;
    let word = seed >>> 0 === 0 ? 1 : seed | 0; // srandom_r: seed 0 is taken as 1
    s[0] = word;
    for (let i = 1; i < DEG; i++) {
      // 16807 * word % 2147483647 without overflow (Schrage), as glibc computes it
      const hi = Math.trunc(word / 127773),
        lo = word % 127773;
      word = 16807 * lo - 2836 * hi;
      if (word < 0) word += 2147483647;
      s[i] = word;
    }
    this.f = SEP;
    this.r = 0;
    for (let i = 0; i < 10 * DEG; i++) this.next();
  }

  /** rand(): an integer in [0, RAND_MAX = 2^31 - 1] */
  next(): number {
    const s = this.state;
    s[this.f] = (s[this.f] + s[this.r]) | 0;
    const out = (s[this.f] >>> 1) & 0x7fffffff;
    if (++this.f >= DEG) {
      this.f = 0;
      ++this.r;
    } else if (++this.r >= DEG) this.r = 0;
    return out;
  }
}

/** The process's rand() state (glibc's default, as after srand(1)). */
const cState = new GlibcRandom(1);

/** C's rand(). */
export function cRand(): number {
  return cState.next();
}

/**
 * C's srand(seed). Caffe never calls it; a long-lived process (a test runner) may, to start over as
 * a fresh Caffe process does (seed 1).
 */
export function cSrand(seed = 1): void {
  cState.seed(seed);
}

/** libstdc++'s std::random_shuffle(first, last): swaps a[i] with a[rand() % (i + 1)], i = 1, 2, ... */
export function randomShuffle<T>(a: T[]): void {
  for (let i = 1; i < a.length; i++) {
    const j = cRand() % (i + 1);
    if (j !== i) {
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
  }
}
