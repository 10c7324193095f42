import '../../src/layers/Exp';
import { createLayer } from '../../src/core/layer_factory';
import { Blob } from '../../src/core/blob';
import { checkGradient, checkInPlace, gaussianBlob, forwardValues } from '../gradient_checker';
import { describeEngines } from '../engines';

const run = forwardValues;

const make = (base: number, scale: number, shift: number) => () =>
  createLayer({ name: 'e', type: 'Exp', exp_param: { base, scale, shift } });
const cases: [number, number, number][] = [
  [-1, 1, 0],
  [-1, 1, 1],
  [2, 1, 0],
  [2, 1, 1],
  [2, 3, 0],
  [2, 3, 1],
];

describeEngines('Exp', () => {
  it('defaults: base e, scale 1, shift 0 (hand-computed)', () => {
    const y = run(createLayer({ name: 'e', type: 'Exp' }), [0, 1, -1]);
    expect(y).toEqual(Array.from(new Float32Array([1, Math.E, Math.exp(-1)])));
  });
  it('forward with base 2, scale 3, shift 1 (hand-computed)', () => {
    expect(run(make(2, 3, 1)(), [0, 1, -1, 0.5])).toEqual([2, 16, 0.25, 2 * Math.pow(2, 1.5)].map(Math.fround));
  });
  for (const [base, scale, shift] of cases) {
    it(`forward base ${base} scale ${scale} shift ${shift} (Caffe TestExpLayer*)`, () => {
      const x = gaussianBlob([2, 3, 4, 5]),
        y = new Blob(),
        l = make(base, scale, shift)();
      l.setUp([x], [y]);
      l.forward([x], [y]);
      x.cpuData().forEach((v, i) => {
        const want = base === -1 ? Math.exp(shift + scale * v) : Math.pow(base, shift + scale * v);
        expect(Math.abs(y.cpuData()[i] - want)).toBeLessThanOrEqual(Math.max(2e-4, 1e-6 * want));
      });
    });
    it(`gradient base ${base} scale ${scale} shift ${shift}`, () =>
      checkGradient(make(base, scale, shift)(), [gaussianBlob([2, 3, 4, 5])], [new Blob()], {
        stepsize: 1e-2,
        threshold: 1e-3,
      }));
  }
  it('rejects a non-positive base other than -1', () => {
    expect(() => make(-2, 1, 0)().setUp([gaussianBlob([3])], [new Blob()])).toThrow('base must be strictly positive.');
    expect(() => make(0, 1, 0)().setUp([gaussianBlob([3])], [new Blob()])).toThrow('base must be strictly positive.');
  });
  it('in place (forward and backward)', () => {
    checkInPlace(make(2, 3, 1), [2, 3, 4]);
    const x = gaussianBlob([2, 3]),
      x2 = gaussianBlob([2, 3]),
      y = new Blob();
    const a = make(2, 3, 1)(),
      b = make(2, 3, 1)();
    a.setUp([x], [y]);
    b.setUp([x2], [x2]);
    a.forward([x], [y]);
    b.forward([x2], [x2]);
    const g = gaussianBlob([2, 3], 5).cpuData();
    y.mutableCpuDiff().set(g);
    x2.mutableCpuDiff().set(g);
    a.backward([y], [true], [x]);
    b.backward([x2], [true], [x2]);
    expect(Array.from(x2.cpuDiff())).toEqual(Array.from(x.cpuDiff()));
  });
});
