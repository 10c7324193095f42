// Seeded damage to a file's bytes, shared by the robustness tests: truncations, bit flips and zeroed
// blocks. Seeded, so that a failure names a reproducible case.
import { Rng } from '../../src/core/rng';

export interface Damage {
  /** lengths to truncate to */
  cuts: number[];
  /** mutants with 1 to 4 flipped bits each */
  flips: number;
  /** blocks zeroed at random offsets (multiples of `align` when given) */
  zeroed: number;
  /** block size (and alignment of the random offsets) */
  block?: number;
  align?: number;
  /** further offsets to zero a block at */
  zeroAt?: number[];
}

/** The mutants of `buf` that `d` asks for, each with a name that says how to make it again. */
export function mutants(buf: Buffer, seed: number, d: Damage): [string, Buffer][] {
  const out: [string, Buffer][] = [];
  const block = d.block ?? 4096;
  for (const n of d.cuts) out.push([`truncated to ${n}`, buf.subarray(0, n)]);
  const r = new Rng(seed);
  for (let k = 0; k < d.flips; k++) {
    const b = Buffer.from(buf);
    const flips = 1 + (k % 4);
    const at: number[] = [];
    for (let f = 0; f < flips; f++) {
      at.push(Math.floor(r.uniform(0, b.length)) % b.length);
      b[at[f]] ^= 1 << (Math.floor(r.uniform(0, 8)) % 8);
    }
    out.push([`bit flips #${k} (seed ${seed}, at ${at.join(', ')})`, b]);
  }
  const zero = (at: number) => {
    const b = Buffer.from(buf);
    b.fill(0, at, Math.min(b.length, at + block));
    out.push([`zeroed ${block} bytes at ${at}`, b]);
  };
  for (let k = 0; k < d.zeroed; k++) {
    const at = Math.floor(r.uniform(0, Math.max(1, buf.length - block)));
    zero(d.align ? at - (at % d.align) : at);
  }
  for (const at of d.zeroAt ?? []) zero(at);
  return out;
}
