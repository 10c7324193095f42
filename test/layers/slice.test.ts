import '../../src/layers/Slice';
import { createLayer } from '../../src/core/layer_factory';
import { Blob } from '../../src/core/blob';
import { checkGradient, randomBlob } from '../gradient_checker';
import { describeEngines } from '../engines';

const make = (p: object = {}) => createLayer({ name: 'slice', type: 'Slice', slice_param: p });
const tops = (n: number) => Array.from({ length: n }, () => new Blob());

/** Each top must be its window of the bottom along `axis`, element by element. */
function expectSlices(bottom: Blob, top: Blob[], axis: number): void {
  const x = bottom.cpuData(),
    bs = bottom.shape;
  const outer = bottom.countRange(0, axis),
    inner = bottom.countRange(axis + 1);
  let base = 0;
  for (const t of top) {
    const y = t.cpuData(),
      a = t.shape[axis];
    for (let o = 0; o < outer; o++) {
      for (let k = 0; k < a; k++) {
        for (let i = 0; i < inner; i++)
          expect(y[(o * a + k) * inner + i]).toBe(x[(o * bs[axis] + base + k) * inner + i]);
      }
    }
    base += a;
  }
}

describeEngines('Slice', () => {
  const bottom = () => randomBlob([6, 12, 2, 3], -1, 1, 1701); // Caffe's fixture shape

  it('sets up across num: 3 equal parts (Caffe TestSetupNum)', () => {
    const t = tops(3);
    make({ axis: 0 }).setUp([bottom()], t);
    for (const b of t) expect(b.shape).toEqual([2, 12, 2, 3]);
  });

  it('sets up across channels at slice_point 3 (Caffe TestSetupChannels)', () => {
    const t = tops(2);
    make({ slice_point: [3] }).setUp([bottom()], t);
    expect(t[0].shape).toEqual([6, 3, 2, 3]);
    expect(t[1].shape).toEqual([6, 9, 2, 3]);
  });

  it('a single top is the bottom itself, sharing data and diff (Caffe TestTrivialSlice)', () => {
    const x = bottom(),
      [t] = tops(1),
      l = make();
    l.setUp([x], [t]);
    l.forward([x], [t]);
    expect(t.shape).toEqual(x.shape);
    expect(t.dataMemory).toBe(x.dataMemory);
    expect(t.diffMemory).toBe(x.diffMemory);
    t.mutableCpuDiff().fill(0.5);
    l.backward([t], [true], [x]);
    expect(Array.from(x.cpuDiff()).every((v) => v === 0.5)).toBe(true);
  });

  it('forward across num and across channels at 2, 8 (Caffe TestSliceAcrossNum / Channels)', () => {
    const x = bottom();
    const t2 = tops(2),
      l = make({ axis: 0 });
    l.setUp([x], t2);
    l.forward([x], t2);
    expect(t2[0].shape[0]).toBe(3);
    expectSlices(x, t2, 0);
    const t3 = tops(3),
      l3 = make({ slice_point: [2, 8] });
    l3.setUp([x], t3);
    l3.forward([x], t3);
    expect(t3.map((t) => t.shape[1])).toEqual([2, 6, 4]);
    expectSlices(x, t3, 1);
  });

  it('forward along axis 2, axis -1 and legacy slice_dim 0 / 2', () => {
    const x = bottom();
    const cases: [object, number, number][] = [
      [{ axis: 2 }, 2, 2],
      [{ axis: -1, slice_point: [1] }, 3, 2],
      [{ slice_dim: 0, slice_point: [1, 5] }, 0, 3],
      [{ slice_dim: 2 }, 2, 2],
    ];
    for (const [p, axis, n] of cases) {
      const t = tops(n),
        l = make(p);
      l.setUp([x], t);
      l.forward([x], t);
      expect(t.reduce((s, b) => s + b.shape[axis], 0)).toBe(x.shape[axis]);
      expectSlices(x, t, axis);
    }
  });

  it("rejects bad parameters with Caffe's messages", () => {
    expect(() => make({ axis: 1, slice_dim: 1 }).setUp([bottom()], tops(2))).toThrow(
      'Either axis or slice_dim should be specified; not both.',
    );
    expect(() => make({ slice_point: [3] }).setUp([bottom()], tops(3))).toThrow(
      'Check failed: slice_point_.size() == top.size() - 1 (1 vs. 2)',
    );
    expect(() => make({ slice_point: [4, 4] }).setUp([bottom()], tops(3))).toThrow(
      'Check failed: slice_point_[i] > prev (4 vs. 4)',
    );
    // past the end: Blob's own check, as in Caffe
    expect(() => make({ slice_point: [4, 14] }).setUp([bottom()], tops(3))).toThrow('invalid blob dimension -2');
    expect(() => make().setUp([bottom()], tops(5))).toThrow(
      'Number of top blobs (5) should evenly divide input slice axis (12)',
    );
    expect(() => make({ axis: 2, slice_point: [1, 2] }).setUp([bottom()], tops(3))).toThrow(
      'Check failed: top.size() <= bottom_slice_axis (3 vs. 2) slice axis: 2, bottom[0] shape: 6 12 2 3 (432)',
    );
    expect(() => make({ slice_dim: 4 }).setUp([bottom()], tops(2))).toThrow('slice_dim out of range.');
  });

  // Caffe reduces the bottom to 4x5x2x2 for these, stepsize 1e-2, threshold 1e-3
  it('gradient across num (Caffe TestGradientAcrossNum)', () => {
    checkGradient(make({ axis: 0 }), [randomBlob([4, 5, 2, 2])], tops(2), { stepsize: 1e-2, threshold: 1e-3 });
  });

  it('gradient across channels at 4 (Caffe TestGradientAcrossChannels)', () => {
    checkGradient(make({ slice_point: [4] }), [randomBlob([4, 5, 2, 2])], tops(2), { stepsize: 1e-2, threshold: 1e-3 });
  });

  it('gradient along axis 2 with three tops and legacy slice_dim 3', () => {
    checkGradient(make({ axis: 2, slice_point: [1, 3] }), [randomBlob([2, 3, 5, 2])], tops(3), {
      stepsize: 1e-2,
      threshold: 1e-3,
    });
    checkGradient(make({ slice_dim: 3 }), [randomBlob([2, 3, 2, 4])], tops(2), { stepsize: 1e-2, threshold: 1e-3 });
  });
});
