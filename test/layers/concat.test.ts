import '../../src/layers/Concat';
import { createLayer } from '../../src/core/layer_factory';
import { Blob } from '../../src/core/blob';
import { checkGradient, randomBlob } from '../gradient_checker';
import { describeEngines } from '../engines';

const make = (p: object = {}) => createLayer({ name: 'concat', type: 'Concat', concat_param: p });

function constBlob(shape: number[], v: number): Blob {
  const b = new Blob(shape);
  b.mutableCpuData().fill(v);
  return b;
}

/** The expected concatenation along `axis`, computed index by index. */
function expectConcat(bottoms: Blob[], top: Blob, axis: number): void {
  const ts = top.shape,
    y = top.cpuData();
  const outer = top.countRange(0, axis),
    inner = top.countRange(axis + 1);
  let base = 0;
  for (const b of bottoms) {
    const x = b.cpuData(),
      a = b.shape[axis];
    for (let o = 0; o < outer; o++) {
      for (let k = 0; k < a; k++) {
        for (let i = 0; i < inner; i++) {
          expect(y[(o * ts[axis] + base + k) * inner + i]).toBe(x[(o * a + k) * inner + i]);
        }
      }
    }
    base += a;
  }
}

describeEngines('Concat', () => {
  // Caffe's fixture: 2x3x6x5 (ones), 2x5x6x5 (twos), 5x3x6x5 (threes)
  const b0 = () => constBlob([2, 3, 6, 5], 1),
    b1 = () => constBlob([2, 5, 6, 5], 2),
    b2 = () => constBlob([5, 3, 6, 5], 3);

  it('sets up along num (axis 0)', () => {
    const top = new Blob();
    make({ axis: 0 }).setUp([b0(), b2()], [top]);
    expect(top.shape).toEqual([7, 3, 6, 5]);
  });

  it('sets up along channels (default axis 1), also as axis -3 and legacy concat_dim 1', () => {
    for (const p of [{}, { axis: -3 }, { concat_dim: 1 }]) {
      const top = new Blob();
      make(p).setUp([b0(), b1()], [top]);
      expect(top.shape).toEqual([2, 8, 6, 5]);
    }
  });

  it('forward along num and channels (Caffe TestForwardNum / TestForwardChannels)', () => {
    const top = new Blob(),
      l = make({ axis: 0 }),
      x0 = b0(),
      x2 = b2();
    l.setUp([x0, x2], [top]);
    l.forward([x0, x2], [top]);
    const y = top.cpuData(),
      per = 3 * 6 * 5;
    for (let i = 0; i < 2 * per; i++) expect(y[i]).toBe(1);
    for (let i = 2 * per; i < 7 * per; i++) expect(y[i]).toBe(3);
    const top2 = new Blob(),
      l2 = make(),
      x1 = b1();
    l2.setUp([x0, x1], [top2]);
    l2.forward([x0, x1], [top2]);
    for (let n = 0; n < 2; n++) {
      for (let c = 0; c < 8; c++) expect(top2.cpuData()[top2.offset(n, c, 3, 2)]).toBe(c < 3 ? 1 : 2);
    }
  });

  it('forward on random data along axes 0, 1, 2, -1 and legacy concat_dim 0 / 2', () => {
    const cases: [object, number, number[][]][] = [
      [
        { axis: 0 },
        0,
        [
          [2, 3, 4],
          [1, 3, 4],
          [3, 3, 4],
        ],
      ],
      [
        { axis: 1 },
        1,
        [
          [2, 3, 4],
          [2, 1, 4],
        ],
      ],
      [
        { axis: 2 },
        2,
        [
          [2, 3, 4, 5],
          [2, 3, 2, 5],
          [2, 3, 1, 5],
        ],
      ],
      [
        { axis: -1 },
        2,
        [
          [2, 3, 4],
          [2, 3, 2],
        ],
      ],
      [
        { concat_dim: 0 },
        0,
        [
          [2, 3],
          [4, 3],
        ],
      ],
      [
        { concat_dim: 2 },
        2,
        [
          [2, 3, 4, 5],
          [2, 3, 3, 5],
        ],
      ],
    ];
    for (const [p, axis, shapes] of cases) {
      const bottoms = shapes.map((s, i) => randomBlob(s, -1, 1, 10 + i)),
        top = new Blob(),
        l = make(p);
      l.setUp(bottoms, [top]);
      l.forward(bottoms, [top]);
      const want = shapes[0].slice();
      want[axis] = shapes.reduce((s, sh) => s + sh[axis], 0);
      expect(top.shape).toEqual(want);
      expectConcat(bottoms, top, axis);
    }
  });

  it('a single bottom: top shares its data and diff (Caffe TestForwardTrivial)', () => {
    const x = randomBlob([2, 3, 6, 5]),
      top = new Blob(),
      l = make();
    l.setUp([x], [top]);
    l.forward([x], [top]);
    expect(top.shape).toEqual(x.shape);
    expect(top.dataMemory).toBe(x.dataMemory);
    expect(top.diffMemory).toBe(x.diffMemory);
    expect(Array.from(top.cpuData())).toEqual(Array.from(x.cpuData()));
    top.mutableCpuDiff().fill(0.25);
    l.backward([top], [true], [x]);
    expect(Array.from(x.cpuDiff()).every((v) => v === 0.25)).toBe(true);
  });

  it("rejects bad parameters and shapes with Caffe's messages", () => {
    expect(() => make({ axis: 1, concat_dim: 1 }).setUp([b0(), b1()], [new Blob()])).toThrow(
      'Either axis or concat_dim should be specified; not both.',
    );
    expect(() => make({ axis: 0 }).setUp([b0(), b1()], [new Blob()])).toThrow(
      'Check failed: top_shape[j] == bottom[i]->shape(j) (3 vs. 5) ' +
        'All inputs must have the same shape, except at concat_axis.',
    );
    expect(() => make().setUp([b0(), new Blob([2, 3, 6])], [new Blob()])).toThrow(
      'All inputs must have the same #axes.',
    );
    expect(() => make({ concat_dim: 4 }).setUp([b0(), b0()], [new Blob()])).toThrow('concat_dim out of range.');
    expect(() => make({ concat_dim: 2 ** 32 - 1 }).setUp([b0(), b0()], [new Blob()])).toThrow(
      'produced negative result',
    );
    expect(() => make({ axis: 4 }).setUp([b0(), b0()], [new Blob()])).toThrow('axis 4 out of range');
    expect(() => make().setUp([], [new Blob()])).toThrow('takes at least 1 bottom blob(s)');
  });

  it('gradient along num (Caffe TestGradientNum)', () => {
    checkGradient(
      make({ axis: 0 }),
      [randomBlob([2, 3, 6, 5], -1, 1, 1), randomBlob([5, 3, 6, 5], -1, 1, 2)],
      [new Blob()],
      { stepsize: 1e-2, threshold: 1e-2 },
    );
  });

  it('gradient along channels (Caffe TestGradientChannels)', () => {
    checkGradient(make(), [randomBlob([2, 3, 6, 5], -1, 1, 1), randomBlob([2, 5, 6, 5], -1, 1, 2)], [new Blob()], {
      stepsize: 1e-2,
      threshold: 1e-2,
    });
  });

  it('gradient to bottom 1 only (Caffe TestGradientChannelsBottomOneOnly)', () => {
    checkGradient(make(), [randomBlob([2, 3, 6, 5], -1, 1, 1), randomBlob([2, 5, 6, 5], -1, 1, 2)], [new Blob()], {
      stepsize: 1e-2,
      threshold: 1e-2,
      checkBottom: [1],
    });
  });

  it('gradient along axis 2 and legacy concat_dim 2, three bottoms', () => {
    for (const p of [{ axis: 2 }, { concat_dim: 2 }]) {
      checkGradient(
        make(p),
        [randomBlob([2, 3, 4, 2], -1, 1, 1), randomBlob([2, 3, 1, 2], -1, 1, 2), randomBlob([2, 3, 3, 2], -1, 1, 3)],
        [new Blob()],
        { stepsize: 1e-2, threshold: 1e-2 },
      );
    }
  });

  it('backward leaves bottoms without propagate_down alone', () => {
    const x0 = randomBlob([2, 3]),
      x1 = randomBlob([2, 2]),
      top = new Blob(),
      l = make();
    l.setUp([x0, x1], [top]);
    l.forward([x0, x1], [top]);
    x0.mutableCpuDiff().fill(7);
    top.mutableCpuDiff().set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    l.backward([top], [false, true], [x0, x1]);
    expect(Array.from(x0.cpuDiff())).toEqual([7, 7, 7, 7, 7, 7]);
    expect(Array.from(x1.cpuDiff())).toEqual([4, 5, 9, 10]);
  });
});
