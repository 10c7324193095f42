// Shared bits of the db tests: a seeded PRNG, deterministic records, quiet logs, Datum means.
import { decodeMessage } from '../../src/formats/wire';
import { DB } from '../../src/db';
import { setLogSink } from '../../src/util/logging';

/** mulberry32: small, seeded, good enough for test data. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomBytes(r: () => number, n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(r() * 256);
  return b;
}

/** `count` random byte strings of lengths below `maxLen`: slices of one random pool (fast). */
export function randomValues(seed: number, count: number, maxLen: number): Uint8Array[] {
  const r = rng(seed);
  const pool = randomBytes(r, 2 * maxLen + 4096);
  const out: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const len = Math.floor(r() * maxLen);
    const off = Math.floor(r() * (pool.length - len));
    out.push(pool.slice(off, off + len));
  }
  return out;
}

/** Drops log lines (the backends log "Opened lmdb ...", as Caffe) for the enclosing describe. */
export function quietLogs(): string[] {
  const lines: string[] = [];
  let restore: () => void = () => undefined;
  beforeAll(() => {
    restore = setLogSink((l) => lines.push(l));
  });
  afterAll(() => restore());
  return lines;
}

/** Every record of `db` in cursor order (values copied). */
export async function readAll(db: DB): Promise<Array<[string, Uint8Array]>> {
  const out: Array<[string, Uint8Array]> = [];
  const c = await db.newCursor();
  for (; c.valid; await c.next()) out.push([c.key, Uint8Array.from(c.value)]);
  await c.close();
  return out;
}

/** compute_image_mean's arithmetic: a float32 running sum per element, then sum / count. */
export async function datumMean(db: DB): Promise<{ mean: Float32Array; count: number; shape: number[] }> {
  const c = await db.newCursor();
  let sum: Float32Array | undefined;
  let shape: number[] = [];
  let count = 0;
  for (; c.valid; await c.next()) {
    const d = decodeMessage(c.value, 'caffe.Datum');
    const data = d.data as Uint8Array;
    if (!sum) {
      sum = new Float32Array(data.length);
      shape = [d.channels as number, d.height as number, d.width as number];
    }
    for (let i = 0; i < data.length; i++) sum[i] = Math.fround(sum[i] + data[i]);
    count++;
  }
  await c.close();
  const mean = new Float32Array(sum!.length);
  for (let i = 0; i < mean.length; i++) mean[i] = Math.fround(sum![i] / count);
  return { mean, count, shape };
}
