import '../../src/layers/Log';
import { createLayer } from '../../src/core/layer_factory';
import { Blob } from '../../src/core/blob';
import { Rng } from '../../src/core/rng';
import { checkGradient, checkInPlace, forwardValues } from '../gradient_checker';
import { describeEngines } from '../engines';

const run = forwardValues;

const make = (base: number, scale: number, shift: number) => () =>
  createLayer({ name: 'l', type: 'Log', log_param: { base, scale, shift } });
const cases: [number, number, number][] = [
  [-1, 1, 0],
  [2, 1, 0],
  [2, 1, 1],
  [2, 3, 0],
  [2, 3, 1],
];
/**
 * Caffe's LogBottomInit: exp of a gaussian fill, strictly positive. Its fixture has already filled the
 * blob once after set_random_seed(1701), so the values are exp of the second `count` draws.
 */
function positiveBlob(shape: number[]): Blob {
  const b = new Blob(shape),
    d = b.mutableCpuData(),
    r = new Rng(1701);
  for (let i = 0; i < d.length; i++) r.gaussian(0, 1);
  for (let i = 0; i < d.length; i++) d[i] = Math.exp(r.gaussian(0, 1));
  return b;
}

describeEngines('Log', () => {
  it('defaults: natural log (hand-computed)', () => {
    expect(run(createLayer({ name: 'l', type: 'Log' }), [1, Math.E, 0.5])).toEqual(
      [0, Math.log(Math.fround(Math.E)), Math.log(0.5)].map(Math.fround),
    );
  });
  it('forward with base 2, scale 3, shift 1 (hand-computed)', () => {
    expect(run(make(2, 3, 1)(), [1, 5, 0])).toEqual([2, 4, 0]);
  });
  for (const [base, scale, shift] of cases) {
    it(`forward base ${base} scale ${scale} shift ${shift} (Caffe TestLogLayer*)`, () => {
      const x = positiveBlob([2, 3, 4, 5]),
        y = new Blob(),
        l = make(base, scale, shift)();
      l.setUp([x], [y]);
      l.forward([x], [y]);
      x.cpuData().forEach((v, i) => {
        const want = base === -1 ? Math.log(shift + scale * v) : Math.log(shift + scale * v) / Math.log(base);
        expect(Math.abs(y.cpuData()[i] - want)).toBeLessThanOrEqual(2e-4);
      });
    });
    it(`gradient base ${base} scale ${scale} shift ${shift}`, () =>
      checkGradient(make(base, scale, shift)(), [positiveBlob([2, 3, 4, 5])], [new Blob()], {
        stepsize: 1e-2,
        threshold: 1e-2,
      }));
  }
  it('rejects a bad base', () => {
    expect(() => make(-3, 1, 0)().setUp([positiveBlob([3])], [new Blob()])).toThrow('base must be strictly positive.');
    expect(() => make(1, 1, 0)().setUp([positiveBlob([3])], [new Blob()])).toThrow(
      'Inf result: 1/log(base) = 1/log(1)',
    );
  });
  it('in place (forward)', () => checkInPlace(make(2, 3, 1), [2, 3, 4], 0.1, 2));
});
