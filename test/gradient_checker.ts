// Numerical gradient check (the idea of Caffe's GradientChecker): for the objective
//   L = sum_t sum_i top_t.data[i] * R_t[i]      (R fixed random weights)
// backward() with top diffs R must give dL/dbottom and dL/dparam equal to central differences
//   (L(x + h) - L(x - h)) / 2h,  |analytic - numeric| <= threshold * max(1, |analytic|, |numeric|).
// Elements within `kinkRange` of `kink` (e.g. ReLU at 0) are skipped. It also checks Caffe's diff rules:
// bottom diffs are overwritten (not accumulated), parameter diffs accumulate.
import { Blob } from '../src/core/blob';
import { Layer } from '../src/core/layer';
import { Rng, setRandomSeed } from '../src/core/rng';

export interface GradCheckOptions {
  stepsize?: number; // default 1e-2 (as Caffe's tests)
  threshold?: number; // default 1e-2
  kink?: number; // skip inputs near this value...
  kinkRange?: number; // ...within this distance (default: no kink handling)
  seed?: number; // reseed the global RNG before every forward (stochastic layers)
  checkBottom?: number[]; // which bottoms to check (default all); labels should be excluded
  checkParams?: boolean; // default true
  maxElements?: number; // check at most this many elements per blob (evenly spaced), default all
}

function objective(layer: Layer, bottom: Blob[], top: Blob[], R: Float32Array[], seed?: number): number {
  if (seed !== undefined) setRandomSeed(seed);
  layer.forward(bottom, top);
  let L = 0;
  for (let t = 0; t < top.length; t++) {
    const d = top[t].cpuData();
    for (let i = 0; i < d.length; i++) L += d[i] * R[t][i];
  }
  return L;
}

/** Sets up `layer` on bottom/top and checks all gradients; throws with a precise message on failure. */
export function checkGradient(layer: Layer, bottom: Blob[], top: Blob[], opts: GradCheckOptions = {}): void {
  const h = opts.stepsize ?? 1e-2,
    thr = opts.threshold ?? 1e-2;
  const kinkRange = opts.kinkRange ?? -1,
    kink = opts.kink ?? 0;
  if (opts.seed !== undefined) setRandomSeed(opts.seed);
  layer.setUp(bottom, top);
  const rand = new Rng(1701);
  // one forward to learn the top shapes, then fixed random top weights
  objective(
    layer,
    bottom,
    top,
    top.map((t) => new Float32Array(t.count)),
    opts.seed,
  );
  const R = top.map((t) => Float32Array.from({ length: t.count }, () => rand.uniform(-1, 1)));
  const checkBottom = opts.checkBottom ?? bottom.map((_, i) => i);
  const propagate = bottom.map((_, i) => checkBottom.includes(i));
  const params = opts.checkParams === false ? [] : layer.blobs;
  layer.paramPropagateDown = layer.blobs.map(() => opts.checkParams !== false);

  const analytic = (): { b: Float32Array[]; p: Float32Array[] } => {
    objective(layer, bottom, top, R, opts.seed);
    for (const p of layer.blobs) p.mutableCpuDiff().fill(0);
    // bottom diffs must be overwritten; filled first, since a top may share its diff with its bottom
    for (let i = 0; i < bottom.length; i++) if (propagate[i]) bottom[i].mutableCpuDiff().fill(NaN);
    for (let t = 0; t < top.length; t++) top[t].mutableCpuDiff().set(R[t]);
    layer.backward(top, propagate, bottom);
    return {
      b: bottom.map((b) => Float32Array.from(b.cpuDiff())),
      p: layer.blobs.map((p) => Float32Array.from(p.cpuDiff())),
    };
  };
  const grads = analytic();

  // parameter diffs accumulate: a second backward without clearing doubles them
  if (params.length) {
    objective(layer, bottom, top, R, opts.seed);
    for (let t = 0; t < top.length; t++) top[t].mutableCpuDiff().set(R[t]);
    layer.backward(top, propagate, bottom);
    params.forEach((p, j) => {
      const d = p.cpuDiff();
      for (let i = 0; i < d.length; i++) {
        const want = 2 * grads.p[j][i];
        if (Math.abs(d[i] - want) > 1e-4 * Math.max(1, Math.abs(want))) {
          throw new Error(
            `${layer.type}: param blob ${j} diff does not accumulate ` +
              `(element ${i}: ${d[i]} after two backwards, expected ${want})`,
          );
        }
      }
    });
  }

  const checkBlob = (blob: Blob, got: Float32Array, what: string) => {
    // mutableCpuData at every write, as Caffe's checker: a device copy then knows the host is ahead
    const x = () => blob.mutableCpuData();
    const n = blob.count,
      step = opts.maxElements && n > opts.maxElements ? n / opts.maxElements : 1;
    for (let f = 0; f < n; f += step) {
      const i = Math.floor(f);
      const x0 = x()[i];
      if (kinkRange > 0 && Math.abs(x0 - kink) < kinkRange) continue;
      x()[i] = x0 + h;
      const lp = objective(layer, bottom, top, R, opts.seed);
      x()[i] = x0 - h;
      const lm = objective(layer, bottom, top, R, opts.seed);
      x()[i] = x0;
      const est = (lp - lm) / (2 * h),
        comp = got[i];
      if (!Number.isFinite(comp) || Math.abs(est - comp) > thr * Math.max(1, Math.abs(est), Math.abs(comp))) {
        throw new Error(
          `${layer.type}: gradient mismatch for ${what}[${i}] (value ${x0}): analytic ${comp}, numeric ${est}`,
        );
      }
    }
  };
  bottom.forEach((b, i) => {
    if (propagate[i]) checkBlob(b, grads.b[i], `bottom ${i}`);
  });
  params.forEach((p, j) => checkBlob(p, grads.p[j], `param ${j}`));
}

/** A blob of `shape` filled uniformly in [lo, hi) from a fixed seed. */
export function randomBlob(shape: number[], lo = -1, hi = 1, seed = 1234): Blob {
  const b = new Blob(shape),
    r = new Rng(seed),
    d = b.mutableCpuData();
  for (let i = 0; i < d.length; i++) d[i] = r.uniform(lo, hi);
  return b;
}

/** Forward on separate and on in-place tops must agree (for layers that allow in-place use). */
export function checkInPlace(make: () => Layer, bottomShape: number[], lo = -1, hi = 1): void {
  const a = randomBlob(bottomShape, lo, hi),
    ta = new Blob();
  const l1 = make();
  l1.setUp([a], [ta]);
  l1.forward([a], [ta]);
  const b = randomBlob(bottomShape, lo, hi);
  const l2 = make();
  l2.setUp([b], [b]);
  l2.forward([b], [b]);
  expect(Array.from(b.cpuData())).toEqual(Array.from(ta.cpuData()));
}

/** A blob of `shape` filled from N(0, 1) with a fixed seed (Caffe's layer tests use gaussian fillers). */
export function gaussianBlob(shape: number[], seed = 1701): Blob {
  const b = new Blob(shape),
    r = new Rng(seed),
    d = b.mutableCpuData();
  for (let i = 0; i < d.length; i++) d[i] = r.gaussian(0, 1);
  return b;
}

/** Sets `layer` up on a 1-D bottom holding `values` and returns its top after one forward. */
export function forwardValues(layer: Layer, values: number[]): number[] {
  const x = new Blob([values.length]);
  x.mutableCpuData().set(values);
  const y = new Blob();
  layer.setUp([x], [y]);
  layer.forward([x], [y]);
  return Array.from(y.cpuData());
}

/** `a` rounded to float32, for comparing with layer outputs. */
export const f32 = (a: number[]): number[] => Array.from(new Float32Array(a));
