// boost::random 1.74's distributions as Caffe draws them, against reference Caffe's own draws
// (test/golden/init-goldens-caffe.json, made by scripts/caffe-init-goldens.js): the first draws of
// Caffe's generator after set_random_seed, read back from filler blobs and a Dropout mask.
import { createHash } from 'crypto';
import { Engine32, bernoulli, nextAfterFloat, uniformReal } from '../../src/core/boost_random';
import { Rng, caffeRngBernoulli, caffeRngGaussian, caffeRngUniform, setRandomSeed } from '../../src/core/rng';
import { exponentialTable, normalTable } from '../../src/core/ziggurat_tables';

interface Draws {
  seed: number;
  count: number;
  sha256: string;
  head: number[];
}
const golden: {
  draws: Record<string, Draws> & { dropout: { seed: number; ratio: number; mask: string } };
} = require('../golden/init-goldens-caffe.json');
const G = require('../../scripts/caffe-init-goldens.js');

const sha = (a: Float32Array) => createHash('sha256').update(Buffer.from(a.buffer)).digest('hex');
const expectDraws = (got: Float32Array, want: Draws) => {
  // + 0: JSON has no -0
  expect(Array.from(got.subarray(0, 8), (v) => v + 0)).toEqual(Array.from(new Float32Array(want.head)));
  expect(sha(got)).toBe(want.sha256);
};

describe("boost's distributions, draw for draw with reference Caffe", () => {
  it('normal_distribution<float>(0, 1): 100,000 draws, 59 of them in the tail beyond r', () => {
    const g = golden.draws.gaussian,
      out = new Float32Array(g.count);
    setRandomSeed(g.seed);
    caffeRngGaussian(g.count, 0, 1, out);
    expect(out.filter((v) => Math.abs(v) > normalTable().x[1]).length).toBe(59);
    expectDraws(out, g);
  });

  it('uniform_real<float>(-1, nextafter(1)), as caffe_rng_uniform(-1, 1)', () => {
    const g = golden.draws.uniform,
      out = new Float32Array(g.count);
    setRandomSeed(g.seed);
    caffeRngUniform(g.count, -1, 1, out);
    expectDraws(out, g);
  });

  it('the sparse gaussian filler: normal draws, then bernoulli_distribution<float>(7 / 1000)', () => {
    const g = golden.draws.sparse,
      r = new Rng(g.seed),
      out = new Float32Array(g.count);
    for (let i = 0; i < g.count; i++) out[i] = r.gaussian(0, 1);
    for (let i = 0; i < g.count; i++) out[i] *= r.bernoulli(Math.fround(7 / 1000), true);
    expectDraws(out, g);
  });

  it("bernoulli_distribution<double>(1 - 0.3): a Dropout layer's mask", () => {
    const g = golden.draws.dropout,
      mask = new Uint8Array(1000);
    setRandomSeed(g.seed);
    caffeRngBernoulli(mask.length, 1 - Math.fround(g.ratio), mask);
    expect(G.maskHex(Array.from(mask))).toBe(g.mask);
  });
});

/** An engine replaying `outputs`, counting what was drawn. */
function replay(outputs: number[]): Engine32 & { drawn: number } {
  return {
    drawn: 0,
    u32() {
      return outputs[this.drawn++];
    },
  };
}

describe("boost's algorithms", () => {
  it('uniform_real draws again when float(raw) / 2^32 rounds to 1 and the value reaches b', () => {
    const e = replay([0xffffffff, 0x80000000]);
    expect(uniformReal(e, -1, 1)).toBe(0);
    expect(e.drawn).toBe(2);
  });

  it('bernoulli_distribution(0) draws nothing; float and double compare the raw output differently', () => {
    const e = replay([0]);
    expect(bernoulli(e, 0)).toBe(0);
    expect(e.drawn).toBe(0);
    // 0.5 * (2^32 - 1) = 2147483647.5 in double; float(2^31 + 64) = 2^31 <= 0.5 * 2^32 in float
    expect(bernoulli(replay([2 ** 31 + 64]), 0.5)).toBe(0);
    expect(bernoulli(replay([2 ** 31 + 64]), 0.5, true)).toBe(1);
  });

  it('nextafter toward FLT_MAX, as caffe_nextafter<float>', () => {
    expect(nextAfterFloat(1)).toBe(1 + 2 ** -23);
    expect(nextAfterFloat(-1)).toBe(-1 + 2 ** -24);
    expect(nextAfterFloat(0)).toBe(2 ** -149);
    expect(nextAfterFloat(-0)).toBe(2 ** -149);
  });

  it("caffe_rng_*'s checks", () => {
    const out = new Float32Array(2);
    expect(() => caffeRngGaussian(2, 0, 0, out)).toThrow('Check failed: sigma > 0 (0 vs. 0)');
    expect(() => caffeRngUniform(2, 1, 0, out)).toThrow('Check failed: a <= b (1 vs. 0)');
    expect(() => caffeRngBernoulli(2, 2, new Uint8Array(2))).toThrow('Check failed: p <= 1 (2 vs. 1)');
  });
});

describe('the ziggurat tables, derived from their definition', () => {
  // r: boost's literals 3.4426198558966521214 and 7.6971174701310497140, as doubles
  const cases = [
    ['normal', normalTable, 128, (x: number) => Math.exp((-x * x) / 2), 3.4426198558966523],
    ['exponential', exponentialTable, 256, (x: number) => Math.exp(-x), 7.69711747013105],
  ] as const;
  it.each(cases)('%s: n layers of equal area from r (as boost has it) down to x = 0, y = f(x)', (_, table, n, f, r) => {
    const { x, y } = table();
    expect(x).toHaveLength(n + 1);
    expect(x[1]).toBe(r);
    expect([x[n], y[0], y[n]]).toEqual([0, 0, 1]);
    const v = x[0] * y[1];
    for (let i = 1; i < n; i++) {
      expect(Math.abs(x[i] * (y[i + 1] - y[i]) - v) / v).toBeLessThan(1e-12);
      expect(Math.abs(y[i] - f(x[i])) / y[i]).toBeLessThan(1e-14);
    }
  });
});
