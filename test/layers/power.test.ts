import '../../src/layers/Power';
import { createLayer } from '../../src/core/layer_factory';
import { Blob } from '../../src/core/blob';
import { checkGradient, checkInPlace, gaussianBlob, forwardValues } from '../gradient_checker';
import { describeEngines } from '../engines';

const run = forwardValues;

const make = (power: number, scale: number, shift: number) => () =>
  createLayer({ name: 'p', type: 'Power', power_param: { power, scale, shift } });
const cases: [string, number, number, number][] = [
  ['general', 0.37, 0.83, -2.4],
  ['shift 0', 0.37, 0.83, 0],
  ['power 0', 0, 0.83, -2.4],
  ['power 1', 1, 0.83, -2.4],
  ['power 2', 2, 0.34, -2.4],
  ['power 2, scale 0.5', 2, 0.5, -2.4],
  ['scale 0', 3, 0, -2],
];
const f = Math.fround;

describeEngines('Power', () => {
  it('defaults are the identity (power 1, scale 1, shift 0)', () => {
    expect(run(createLayer({ name: 'p', type: 'Power' }), [-2, 0.5, 3])).toEqual([-2, 0.5, 3]);
  });
  it('forward (hand-computed)', () => {
    expect(run(make(2, 0.5, 1)(), [2, -4, 0])).toEqual([4, 1, 1]);
    expect(run(make(0.5, 2, 0)(), [2, 8])).toEqual([2, 4]);
    expect(run(make(0, 5, 7)(), [2, 8])).toEqual([1, 1]); // power 0: constant 1
    expect(run(make(3, 0, -2)(), [2, 8])).toEqual([-8, -8]); // scale 0: constant shift^power
  });

  for (const [name, power, scale, shift] of cases) {
    it(`forward is (shift + scale x)^power: ${name} (Caffe TestPower*)`, () => {
      const x = gaussianBlob([2, 3, 4, 5]),
        y = new Blob(),
        l = make(power, scale, shift)();
      l.setUp([x], [y]);
      l.forward([x], [y]);
      x.cpuData().forEach((v, i) => {
        const want = Math.pow(f(shift) + f(scale) * v, f(power)),
          got = y.cpuData()[i];
        if (power === 0 || power === 1 || power === 2) expect(Number.isNaN(got)).toBe(false);
        if (Number.isNaN(want)) expect(Number.isNaN(got)).toBe(true);
        else expect(Math.abs(got - want)).toBeLessThanOrEqual(Math.max(Math.abs(want * 1e-4), 1e-5));
      });
    });
    it(`gradient: ${name} (Caffe TestPower*Gradient)`, () => {
      const x = gaussianBlob([2, 3, 4, 5]);
      if (power !== 0 && power !== 1 && power !== 2 && scale !== 0) {
        // keep shift + scale x >= 0 (no NaNs)
        const d = x.mutableCpuData(),
          min = -shift / scale;
        for (let i = 0; i < d.length; i++) if (d[i] < min) d[i] = min + (min - d[i]);
      }
      checkGradient(make(power, scale, shift)(), [x], [new Blob()], {
        stepsize: 1e-3,
        threshold: 1e-2,
        kink: 0,
        kinkRange: 0.01,
      });
    });
  }

  it('backward special cases: power*scale == 0 gives 0, power 1 gives scale', () => {
    for (const [p, s, want] of [
      [0, 2, 0],
      [2, 0, 0],
      [1, 3, 3],
    ] as const) {
      const x = new Blob([2]);
      x.mutableCpuData().set([1.5, -2]);
      const y = new Blob(),
        l = make(p, s, 0.5)();
      l.setUp([x], [y]);
      l.forward([x], [y]);
      y.mutableCpuDiff().set([1, 2]);
      l.backward([y], [true], [x]);
      expect(Array.from(x.cpuDiff())).toEqual([want, 2 * want]);
    }
  });
  it('in place (forward)', () => checkInPlace(make(2, 0.5, 1), [2, 3, 4]));
});
