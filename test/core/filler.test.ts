import { Blob } from '../../src/core/blob';
import { fillBlob } from '../../src/core/filler';
import { Rng, setRandomSeed } from '../../src/core/rng';

function stats(d: Float32Array) {
  let s = 0,
    s2 = 0,
    mn = Infinity,
    mx = -Infinity;
  for (const v of d) {
    s += v;
    s2 += v * v;
    mn = Math.min(mn, v);
    mx = Math.max(mx, v);
  }
  const mean = s / d.length;
  return { mean, std: Math.sqrt(s2 / d.length - mean * mean), min: mn, max: mx };
}

describe('fillers', () => {
  beforeEach(() => setRandomSeed(1701));
  const blob = () => new Blob([100, 20, 5, 5]); // fan_in 500, fan_out 2500

  it('constant', () => {
    const b = blob();
    fillBlob(b, { type: 'constant', value: 0.25 });
    expect(b.cpuData().every((v) => v === 0.25)).toBe(true);
    const z = blob();
    fillBlob(z, undefined); // Caffe's default filler: constant 0
    expect(z.cpuData().every((v) => v === 0)).toBe(true);
  });

  it('uniform within [min, max]', () => {
    const b = blob();
    fillBlob(b, { type: 'uniform', min: -0.3, max: 0.7 });
    const s = stats(b.cpuData());
    expect(s.min).toBeGreaterThanOrEqual(-0.3);
    expect(s.max).toBeLessThanOrEqual(0.7);
    expect(s.mean).toBeCloseTo(0.2, 2);
  });

  it('gaussian mean and std, and sparse keeps about sparse / num_outputs', () => {
    const b = blob();
    fillBlob(b, { type: 'gaussian', mean: 1, std: 0.5 });
    const s = stats(b.cpuData());
    expect(s.mean).toBeCloseTo(1, 1);
    expect(s.std).toBeCloseTo(0.5, 1);
    const sp = blob();
    fillBlob(sp, { type: 'gaussian', std: 1, sparse: 20 });
    const nonzero = sp.cpuData().filter((v) => v !== 0).length / sp.count;
    expect(nonzero).toBeGreaterThan(0.17);
    expect(nonzero).toBeLessThan(0.23);
  });

  it('xavier: uniform(+-sqrt(3 / n)) by variance_norm', () => {
    for (const [norm, n] of [
      ['FAN_IN', 500],
      ['FAN_OUT', 2500],
      ['AVERAGE', 1500],
    ] as const) {
      const b = blob();
      fillBlob(b, { type: 'xavier', variance_norm: norm });
      const s = stats(b.cpuData()),
        a = Math.sqrt(3 / n);
      expect(s.max).toBeLessThanOrEqual(a);
      expect(s.min).toBeGreaterThanOrEqual(-a);
      expect(s.std).toBeCloseTo(a / Math.sqrt(3), 3);
    }
  });

  it('msra: gaussian(0, sqrt(2 / n))', () => {
    const b = blob();
    fillBlob(b, { type: 'msra' });
    expect(stats(b.cpuData()).std).toBeCloseTo(Math.sqrt(2 / 500), 3);
  });

  it('positive_unitball: rows of non-negative values summing to 1', () => {
    const b = new Blob([4, 3, 2, 2]);
    fillBlob(b, { type: 'positive_unitball' });
    const d = b.cpuData();
    for (let n = 0; n < 4; n++) {
      const row = d.subarray(n * 12, n * 12 + 12);
      expect(row.every((v) => v >= 0)).toBe(true);
      expect(row.reduce((a, v) => a + v, 0)).toBeCloseTo(1, 5);
    }
  });

  it('bilinear: the 4x4 upsampling kernel', () => {
    const b = new Blob([1, 1, 4, 4]);
    fillBlob(b, { type: 'bilinear' });
    const w1 = [0.25, 0.75, 0.75, 0.25]; // f = 2, c = 0.75
    const want = w1.flatMap((y) => w1.map((x) => y * x));
    expect(Array.from(b.cpuData())).toEqual(Array.from(Float32Array.from(want)));
  });

  it('unknown filler in one line', () => {
    expect(() => fillBlob(blob(), { type: 'gausian' })).toThrow('Unknown filler name: gausian');
  });

  it('is reproducible from random_seed', () => {
    setRandomSeed(3);
    const a = blob();
    fillBlob(a, { type: 'gaussian' });
    setRandomSeed(3);
    const b = blob();
    fillBlob(b, { type: 'gaussian' });
    expect(Array.from(a.cpuData())).toEqual(Array.from(b.cpuData()));
  });
});

describe('Rng', () => {
  it('is MT19937 (the reference 10000th output for seed 5489)', () => {
    const r = new Rng(5489);
    let v = 0;
    for (let i = 0; i < 10000; i++) v = r.u32();
    expect(v).toBe(4123659995); // std::mt19937 default-seeded, 10000th invocation
  });
  it('int(n) stays in range and bernoulli(p) has mean p', () => {
    const r = new Rng(1);
    let hits = 0;
    for (let i = 0; i < 20000; i++) {
      const k = r.int(7);
      expect(k >= 0 && k < 7).toBe(true);
      hits += r.bernoulli(0.3);
    }
    expect(hits / 20000).toBeCloseTo(0.3, 1);
  });
});

describe("fillBlob's checks (Caffe's filler.hpp)", () => {
  const who = { type: 'InnerProduct', name: 'ip' };
  it.each(['constant', 'uniform', 'gaussian', 'xavier', 'msra'])(
    '%s refuses an empty blob, naming the layer',
    (type) => {
      const msg = `InnerProduct layer ip: Check failed: ${type === 'constant' ? 'count' : 'blob->count()'}`;
      expect(() => fillBlob(new Blob([0, 3]), { type }, who)).toThrow(msg);
    },
  );
  it('positive_unitball refuses rows of no values', () => {
    expect(() => fillBlob(new Blob([2, 0]), { type: 'positive_unitball' }, who)).toThrow('Check failed: dim');
  });
  it('sparse is for the gaussian filler only, and at least -1', () => {
    expect(() => fillBlob(new Blob([2, 3]), { type: 'xavier', sparse: 2 }, who)).toThrow(
      'InnerProduct layer ip: Check failed: this->filler_param_.sparse() == -1 (2 vs. -1) ' +
        'Sparsity not supported by this Filler.',
    );
    expect(() => fillBlob(new Blob([2, 3]), { type: 'gaussian', sparse: -2 })).toThrow(
      'Check failed: sparse >= -1 (-2 vs. -1)',
    );
  });
  it('bilinear wants a square 4-D blob', () => {
    expect(() => fillBlob(new Blob([2, 3]), { type: 'bilinear' })).toThrow('Blob must be 4 dim.');
    expect(() => fillBlob(new Blob([1, 1, 2, 3]), { type: 'bilinear' })).toThrow('Filter must be square');
  });
});
