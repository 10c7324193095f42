// BatchReindex: Caffe's test_batch_reindex_layer.cpp (a 5x4x3x2 bottom reindexed by {4, 0, 4, 0, 1, 2}),
// the backward sum into repeated indices, and the set-up / index checks as one-line errors.
import '../../src/layers/BatchReindex';
import { createLayer } from '../../src/core/layer_factory';
import { Blob } from '../../src/core/blob';
import { CaffeError } from '../../src/util/errors';
import { checkGradient, gaussianBlob } from '../gradient_checker';
import { describeEngines } from '../engines';

const make = () => createLayer({ name: 'reindex', type: 'BatchReindex' });
const PERM = [4, 0, 4, 0, 1, 2];
const indexBlob = (v: number[]) => {
  const b = new Blob([v.length]);
  b.mutableCpuData().set(v);
  return b;
};

describeEngines('BatchReindex', () => {
  it('Caffe TestForward: top item i is bottom item perm[i]', () => {
    const x = new Blob([5, 4, 3, 2]);
    x.mutableCpuData().forEach((_, i, a) => (a[i] = i));
    const top = new Blob(),
      l = make(),
      b = [x, indexBlob(PERM)];
    l.setUp(b, [top]);
    expect(top.shape).toEqual([6, 4, 3, 2]);
    l.forward(b, [top]);
    const inner = 24;
    for (let i = 0; i < top.count; i++) {
      expect(top.cpuData()[i]).toBe(PERM[Math.floor(i / inner)] * inner + (i % inner));
    }
  });

  it('backward sums the diffs of repeated indices and zeroes unpicked items', () => {
    const x = gaussianBlob([5, 2, 3]),
      top = new Blob(),
      l = make(),
      b = [x, indexBlob(PERM)];
    l.setUp(b, [top]);
    l.forward(b, [top]);
    top.mutableCpuDiff().forEach((_, i, a) => (a[i] = i + 1));
    x.mutableCpuDiff().fill(NaN);
    l.backward([top], [true, false], b);
    const dx = x.cpuDiff(),
      dy = top.cpuDiff();
    for (let n = 0; n < 5; n++) {
      for (let j = 0; j < 6; j++) {
        let want = 0;
        PERM.forEach((p, i) => {
          if (p === n) want += dy[i * 6 + j];
        });
        expect(dx[n * 6 + j]).toBe(want);
      }
    }
    expect(Array.from(dx.subarray(18, 24))).toEqual([0, 0, 0, 0, 0, 0]); // item 3 is never picked
  });

  it('Caffe TestGradient (1e-4, 1e-2) w.r.t. the data, with repeated indices', () => {
    checkGradient(make(), [gaussianBlob([5, 4, 3, 2]), indexBlob(PERM)], [new Blob()], {
      stepsize: 1e-4,
      threshold: 1e-2,
      checkBottom: [0],
    });
  });

  it('an empty index list gives an empty top', () => {
    const top = new Blob(),
      l = make(),
      b = [gaussianBlob([3, 2]), new Blob([0])];
    l.setUp(b, [top]);
    l.forward(b, [top]);
    expect(top.shape).toEqual([0, 2]);
  });

  it.each([
    [[0, 5], /BatchReindex layer reindex: Check failed: ridx_data\[i\] < initial_num \(5 vs\. 5\) Index .* greater/],
    [[-1], /Check failed: ridx_data\[i\] >= 0 \(-1 vs\. 0\) Index specified for reindex layer was negative/],
    [[NaN], /Check failed: ridx_data\[i\] >= 0 \(nan vs\. 0\)/],
  ])('index %p is a one-line error', (idx, re) => {
    const l = make(),
      b = [gaussianBlob([5, 2]), indexBlob(idx as number[])];
    l.setUp(b, [new Blob()]);
    const run = () => l.forward(b, [new Blob()]);
    expect(run).toThrow(CaffeError);
    expect(run).toThrow(re);
    try {
      run();
    } catch (e) {
      expect((e as Error).message).not.toContain('\n');
    }
  });

  it('the indices must be a 1-D blob and receive no gradient', () => {
    const b = [gaussianBlob([5, 2]), new Blob([2, 1])];
    expect(() => make().setUp(b, [new Blob()])).toThrow(/Check failed: 1 == bottom\[1\]->num_axes\(\) \(1 vs\. 2\)/);
    expect(make().allowForceBackward(1)).toBe(false);
    const l = make(),
      ok = [gaussianBlob([5, 2]), indexBlob([1])],
      top = new Blob();
    l.setUp(ok, [top]);
    l.forward(ok, [top]);
    expect(() => l.backward([top], [true, true], ok)).toThrow(/Cannot backprop to index/);
  });
});
