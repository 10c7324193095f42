import '../../src/layers/Filter';
import { createLayer } from '../../src/core/layer_factory';
import { Blob } from '../../src/core/blob';
import { checkGradient, randomBlob } from '../gradient_checker';
import { describeEngines } from '../engines';

const make = () => createLayer({ name: 'filter', type: 'Filter' });

// Caffe's fixture: data 4x3x6x4, labels 4x1x1x1 (integers), selector 4x1x1x1 = 0 1 1 0
function fixture(sel = [0, 1, 1, 0]) {
  const data = randomBlob([4, 3, 6, 4], -1, 1, 1890);
  const labels = new Blob([4, 1, 1, 1]);
  labels.mutableCpuData().set([3, 0, 4, 1]);
  const selector = new Blob([4, 1, 1, 1]);
  selector.mutableCpuData().set(sel);
  return { data, labels, selector, bottom: [data, labels, selector], top: [new Blob(), new Blob()] };
}

describeEngines('Filter', () => {
  it('the first set-up keeps all items; a reshape counts the selected ones (Caffe TestReshape)', () => {
    const f = fixture(),
      l = make();
    l.setUp(f.bottom, f.top);
    expect(f.top[0].shape).toEqual([4, 3, 6, 4]);
    l.reshape(f.bottom, f.top);
    expect(f.top[0].shape).toEqual([2, 3, 6, 4]);
    expect(f.top[1].shape).toEqual([2, 1, 1, 1]);
  });

  it('forward passes the selected items in order (Caffe TestForward)', () => {
    const f = fixture(),
      l = make();
    l.setUp(f.bottom, f.top);
    l.forward(f.bottom, f.top);
    expect(Array.from(f.top[1].cpuData())).toEqual([0, 4]);
    const dim = 72,
      x = f.data.cpuData();
    expect(Array.from(f.top[0].cpuData())).toEqual([
      ...Array.from(x.subarray(dim, 2 * dim)),
      ...Array.from(x.subarray(2 * dim, 3 * dim)),
    ]);
  });

  it('any non-zero selector value selects; all selected is the identity', () => {
    const f = fixture([-2, 0, 0.5, 0]),
      l = make();
    l.setUp(f.bottom, f.top);
    l.forward(f.bottom, f.top);
    expect(Array.from(f.top[1].cpuData())).toEqual([3, 4]);
    const g = fixture([1, 1, 1, 1]),
      l2 = make();
    l2.setUp(g.bottom, g.top);
    l2.forward(g.bottom, g.top);
    expect(Array.from(g.top[0].cpuData())).toEqual(Array.from(g.data.cpuData()));
  });

  it('with nothing selected: empty tops, and backward zeroes the bottom diffs', () => {
    const f = fixture([0, 0, 0, 0]),
      l = make();
    l.setUp(f.bottom, f.top);
    l.forward(f.bottom, f.top);
    expect(f.top[0].shape).toEqual([0, 3, 6, 4]);
    expect(f.top[0].count).toBe(0);
    f.data.mutableCpuDiff().fill(7);
    l.backward(f.top, [true, false, false], f.bottom);
    expect(f.data.asumDiff()).toBe(0);
  });

  it('backward scatters the top diff to the selected items and zeroes the rest', () => {
    const f = fixture([1, 0, 0, 1]),
      l = make();
    l.setUp(f.bottom, f.top);
    l.forward(f.bottom, f.top);
    f.labels.mutableCpuDiff().fill(9);
    f.top[1].mutableCpuDiff().set([5, 6]);
    l.backward(f.top, [false, true, false], f.bottom);
    expect(Array.from(f.labels.cpuDiff())).toEqual([5, 0, 0, 6]);
  });

  it('refuses to backpropagate to the selector, and checks the shapes', () => {
    const f = fixture(),
      l = make();
    l.setUp(f.bottom, f.top);
    l.forward(f.bottom, f.top);
    expect(() => l.backward(f.top, [true, false, true], f.bottom)).toThrow(
      'Filter Layer cannot backpropagate to filter index inputs',
    );
    const g = fixture();
    expect(() => make().setUp(g.bottom, [new Blob()])).toThrow(
      'Check failed: top.size() == bottom.size() - 1 (1 vs. 2)',
    );
    expect(() => make().setUp([g.data, new Blob([4, 2])], [new Blob()])).toThrow(
      'Selector blob dimensions must be singletons (1), except the first',
    );
    expect(() => make().setUp([randomBlob([3, 2]), g.selector], [new Blob()])).toThrow(
      'Each bottom should have the same 0th dimension as the selector blob',
    );
  });

  // Caffe: stepsize 1e-2, threshold 1e-3, data only (labels and selector are integers)
  it('gradient (Caffe TestGradient)', () => {
    const f = fixture();
    checkGradient(make(), f.bottom, f.top, { stepsize: 1e-2, threshold: 1e-3, checkBottom: [0] });
    const g = fixture([1, 0, 1, 1]);
    checkGradient(make(), [g.data, g.selector], [new Blob()], { stepsize: 1e-2, threshold: 1e-3, checkBottom: [0] });
  });
});
