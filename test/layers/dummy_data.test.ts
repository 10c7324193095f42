import '../../src/layers/DummyData';
import { createLayer } from '../../src/core/layer_factory';
import { Blob } from '../../src/core/blob';
import { setRandomSeed } from '../../src/core/rng';

const make = (p: object) => createLayer({ name: 'dummy', type: 'DummyData', dummy_data_param: p });
const tops = (n: number) => Array.from({ length: n }, () => new Blob());
const all = (b: Blob, v: number) => Array.from(b.cpuData()).every((x) => x === v);

describe('DummyData', () => {
  beforeEach(() => setRandomSeed(1701));

  it('one top, legacy dims, no filler: zeros (Caffe TestOneTopConstant)', () => {
    const [a] = tops(1),
      l = make({ num: [5], channels: [3], height: [2], width: [4] });
    l.setUp([], [a]);
    expect(a.shape).toEqual([5, 3, 2, 4]);
    expect(all(a, 0)).toBe(true);
    l.forward([], [a]);
    expect(all(a, 0)).toBe(true);
  });

  it('two tops, legacy dims given once or per top, one constant filler (Caffe TestTwoTopConstant)', () => {
    const t = tops(2),
      l = make({ num: [5, 5], channels: [3], height: [2, 1], width: [4], data_filler: [{ value: 7 }] });
    l.setUp([], t);
    expect(t[0].shape).toEqual([5, 3, 2, 4]);
    expect(t[1].shape).toEqual([5, 3, 1, 4]);
    expect(all(t[0], 7) && all(t[1], 7)).toBe(true);
    l.forward([], t);
    expect(all(t[0], 7) && all(t[1], 7)).toBe(true);
  });

  it(
    'constant / gaussian / constant: constants filled once at set-up, gaussian refilled every forward ' +
      '(Caffe TestThreeTopConstantGaussianConstant)',
    () => {
      const t = tops(3);
      const l = make({
        num: [5],
        channels: [3],
        height: [2],
        width: [4],
        data_filler: [{ value: 7 }, { type: 'gaussian', mean: 3, std: 0.01 }, { value: 9 }],
      });
      l.setUp([], t);
      for (const b of t) expect(b.shape).toEqual([5, 3, 2, 4]);
      expect(all(t[0], 7)).toBe(true);
      expect(all(t[1], 0)).toBe(true); // not filled until the first forward
      expect(all(t[2], 9)).toBe(true);
      l.forward([], t);
      expect(all(t[0], 7) && all(t[2], 9)).toBe(true);
      for (const v of t[1].cpuData()) expect(Math.abs(v - 3)).toBeLessThan(0.1);
      const first = t[1].cpuData()[0],
        last = t[1].cpuData()[119];
      l.forward([], t);
      expect(t[1].cpuData()[0]).not.toBe(first);
      expect(t[1].cpuData()[119]).not.toBe(last);
      for (const v of t[1].cpuData()) expect(Math.abs(v - 3)).toBeLessThan(0.1);
    },
  );

  it('a constant top is not rewritten by forward', () => {
    const [a] = tops(1),
      l = make({ shape: [{ dim: [2] }], data_filler: [{ type: 'constant', value: 1 }] });
    l.setUp([], [a]);
    a.mutableCpuData()[0] = 5;
    l.forward([], [a]);
    expect(Array.from(a.cpuData())).toEqual([5, 1]);
  });

  it('shape, once for all tops or per top; one non-constant filler for all tops', () => {
    const t = tops(2),
      l = make({ shape: [{ dim: [2, 3] }], data_filler: [{ type: 'uniform', min: 1, max: 2 }] });
    l.setUp([], t);
    expect(t[0].shape).toEqual([2, 3]);
    expect(t[1].shape).toEqual([2, 3]);
    l.forward([], t);
    for (const b of t) for (const v of b.cpuData()) expect(v >= 1 && v < 2).toBe(true);
    const u = tops(2);
    make({ shape: [{ dim: [4] }, { dim: [1, 2, 3] }] }).setUp([], u);
    expect(u[0].shape).toEqual([4]);
    expect(u[1].shape).toEqual([1, 2, 3]);
  });

  it("rejects inconsistent parameters with Caffe's messages", () => {
    expect(() => make({ shape: [{ dim: [1] }], data_filler: [{}, {}] }).setUp([], tops(3))).toThrow(
      'Number of data fillers must be 0, 1 or equal to the number of tops: 3; you specified 2 data fillers.',
    );
    expect(() => make({ shape: [{ dim: [1] }], num: [1] }).setUp([], tops(1))).toThrow(
      'Both shape and legacy fields were specified',
    );
    expect(() => make({ channels: [1], height: [1], width: [1] }).setUp([], tops(1))).toThrow(
      "Must specify 'num' once, or once per top blob (1); specified 0.",
    );
    expect(() => make({ shape: [{ dim: [1] }, { dim: [2] }] }).setUp([], tops(3))).toThrow(
      "Must specify 'shape' once, or once per top blob (3); specified 2.",
    );
    expect(() => make({}).setUp([], tops(1))).toThrow(
      "Must specify 'shape' once, or once per top blob (1); specified 0.",
    );
  });
});
