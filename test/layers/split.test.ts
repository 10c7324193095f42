import '../../src/layers/Split';
import { createLayer } from '../../src/core/layer_factory';
import { Blob } from '../../src/core/blob';
import { checkGradient, randomBlob } from '../gradient_checker';
import { describeEngines } from '../engines';

const make = () => createLayer({ name: 'split', type: 'Split' });

describeEngines('Split', () => {
  it("gives every top the bottom's shape and shares its data (no copy)", () => {
    const x = randomBlob([2, 3, 4]),
      t1 = new Blob(),
      t2 = new Blob(),
      t3 = new Blob();
    const l = make();
    l.setUp([x], [t1, t2, t3]);
    expect(t1.shape).toEqual([2, 3, 4]);
    expect(t3.shape).toEqual([2, 3, 4]);
    l.forward([x], [t1, t2, t3]);
    for (const t of [t1, t2, t3]) {
      expect(t.dataMemory).toBe(x.dataMemory);
      expect(Array.from(t.cpuData())).toEqual(Array.from(x.cpuData()));
      expect(t.diffMemory).not.toBe(x.diffMemory);
    }
    x.mutableCpuData()[5] = 42; // a later write to the bottom is seen by every top
    expect(t2.cpuData()[5]).toBe(42);
  });

  it('sums the top diffs into the bottom diff (overwriting it)', () => {
    const x = new Blob([3]),
      t1 = new Blob(),
      t2 = new Blob(),
      t3 = new Blob();
    const l = make();
    l.setUp([x], [t1, t2, t3]);
    l.forward([x], [t1, t2, t3]);
    t1.mutableCpuDiff().set([1, 2, 3]);
    t2.mutableCpuDiff().set([10, 20, 30]);
    t3.mutableCpuDiff().set([100, 200, 300]);
    x.mutableCpuDiff().fill(7);
    l.backward([t1, t2, t3], [true], [x]);
    expect(Array.from(x.cpuDiff())).toEqual([111, 222, 333]);
    l.backward([t1], [true], [x]); // one top: a copy
    expect(Array.from(x.cpuDiff())).toEqual([1, 2, 3]);
  });

  it('leaves the bottom diff alone without propagate_down', () => {
    const x = new Blob([2]),
      t1 = new Blob(),
      t2 = new Blob();
    const l = make();
    l.setUp([x], [t1, t2]);
    x.mutableCpuDiff().set([5, 6]);
    t1.mutableCpuDiff().fill(1);
    l.backward([t1, t2], [false], [x]);
    expect(Array.from(x.cpuDiff())).toEqual([5, 6]);
  });

  it('refuses in-place use and wrong blob counts', () => {
    const x = new Blob([2]);
    expect(() => make().setUp([x], [x])).toThrow('Split Layer does not allow in-place computation.');
    expect(() => make().setUp([x], [])).toThrow('Split Layer split produces at least 1 top blob(s) as output.');
    expect(() => make().setUp([x, new Blob([2])], [new Blob()])).toThrow('takes 1 bottom blob(s) as input.');
  });

  it('passes the gradient check with two and three tops', () => {
    checkGradient(make(), [randomBlob([2, 3, 6, 5])], [new Blob(), new Blob()]);
    checkGradient(make(), [randomBlob([2, 3, 6, 5])], [new Blob(), new Blob(), new Blob()]);
  });
});
