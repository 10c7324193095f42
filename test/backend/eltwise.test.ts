// native/eltwise.cc against the TypeScript formulas it replaced, bit for bit (double products and sums
// rounded to float once), on special values and on arrays below and above its parallel threshold.
import { native } from '../../src/native/addon';
import { Rng } from '../../src/core/rng';

const special = [NaN, -0, 0, Infinity, -Infinity, 1e-45, -1e-45, 3.4e38, -3.4e38, 1, -1];

function values(n: number, seed: number): Float32Array {
  const r = new Rng(seed),
    a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = r.u32() % 4 === 0 ? special[r.u32() % special.length] : r.uniform(-3, 3);
  return a;
}

const sameBits = (a: Float32Array, b: Float32Array) =>
  Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength));

describe('native element-wise kernels', () => {
  for (const n of [1, 1000, 100_003]) {
    for (const slope of [0, 0.1, -2.5, 1 / 3]) {
      it(`ReLU forward and backward, ${n} values, slope ${slope}`, () => {
        const x = values(n, n + 1),
          dy = values(n, n + 2);
        const y = new Float32Array(n),
          want = new Float32Array(n);
        native().reluForward(x, y, slope);
        for (let i = 0; i < n; i++) want[i] = x[i] > 0 ? x[i] : 0 + x[i] * slope;
        expect(sameBits(y, want)).toBe(0);
        const dx = new Float32Array(n);
        native().reluBackward(x, dy, dx, slope);
        for (let i = 0; i < n; i++) want[i] = x[i] > 0 ? dy[i] : dy[i] * slope;
        expect(sameBits(dx, want)).toBe(0);
        const inPlace = x.slice();
        native().reluForward(inPlace, inPlace, slope);
        expect(sameBits(inPlace, y)).toBe(0);
      });
    }
    for (const alpha of [1, -0.5, 1 / 3, 1e-4]) {
      it(`axpy, ${n} values, alpha ${alpha}`, () => {
        const x = values(n, n + 3),
          y = values(n, n + 4),
          want = y.slice();
        for (let i = 0; i < n; i++) want[i] = alpha * x[i] + want[i];
        native().axpy(alpha, x, y);
        expect(sameBits(y, want)).toBe(0);
      });
    }
  }

  it('refuses arrays shorter than the output in one TypeError', () => {
    expect(() => native().reluForward(new Float32Array(2), new Float32Array(3), 0)).toThrow(
      /Float32Array of the output/,
    );
    expect(() => native().axpy(1, new Float32Array(2), new Float32Array(3))).toThrow(/Float32Array of the output/);
  });
});
