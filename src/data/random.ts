// The random draws of Caffe's data layers, on the same MT19937 stream as Caffe's caffe::rng_t
// (boost::mt19937), so that a seeded run draws the same numbers in the same order:
//   - caffe_rng_rand()          = one raw 32-bit output of the generator (Rng.u32());
//   - DataTransformer::Rand(n)  = raw output % n;
//   - caffe::shuffle            = Fisher-Yates from the back with boost::uniform_int<ptrdiff_t>(0, i),
//                                 whose bucket rejection algorithm is reproduced by boostUniformInt.
import { Rng } from '../core/rng';

/** boost::random::uniform_int_distribution(min, max) on a 32-bit engine (boost's generate_uniform_int). */
export function boostUniformInt(rng: Rng, min: number, max: number): number {
  const range = max - min;
  if (range === 0) return min;
  const brange = 0xffffffff;
  if (range === brange) return min + rng.u32();
  if (range > brange) throw new RangeError(`boostUniformInt: range ${range} exceeds 32 bits`);
  // brange > range: equal buckets of bucket_size outputs, the ragged top rejected
  let bucketSize = Math.floor(brange / (range + 1));
  if (brange % (range + 1) === range) bucketSize++;
  for (;;) {
    const result = Math.floor(rng.u32() / bucketSize);
    if (result <= range) return min + result;
  }
}

/** caffe::shuffle (caffe/util/rng.hpp): in place, as Caffe's ImageData layer shuffles its list. */
export function caffeShuffle<T>(items: T[], rng: Rng): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = boostUniformInt(rng, 0, i);
    const t = items[i];
    items[i] = items[j];
    items[j] = t;
  }
}
