import '../../src/layers/Swish';
import { createLayer } from '../../src/core/layer_factory';
import { Blob } from '../../src/core/blob';
import { checkGradient, checkInPlace, gaussianBlob, forwardValues } from '../gradient_checker';
import { describeEngines } from '../engines';

const run = forwardValues;

const make = (p?: object) => () => createLayer({ name: 's', type: 'Swish', ...(p ? { swish_param: p } : {}) });
const G = { stepsize: 1e-2, threshold: 1e-3, kink: 0, kinkRange: 0.01 };
const sig = (v: number) => 1 / (1 + Math.exp(-v));

describeEngines('Swish', () => {
  it('forward is x * sigmoid(x) by default (hand-computed)', () => {
    const y = run(make()(), [0, 1, -2]);
    expect(y[0]).toBe(0);
    expect(y[1]).toBeCloseTo(sig(1), 6);
    expect(y[2]).toBeCloseTo(-2 * sig(-2), 6);
  });
  it('forward with beta 1.5 (Caffe TestSwishWithBeta)', () => {
    const x = gaussianBlob([2, 3, 4, 5]),
      y = new Blob(),
      l = make({ beta: 1.5 })();
    l.setUp([x], [y]);
    l.forward([x], [y]);
    x.cpuData().forEach((v, i) => expect(y.cpuData()[i]).toBeCloseTo(v / (1 + Math.exp(-1.5 * v)), 6));
  });
  it('beta 0 is x / 2 (Caffe TestSwishAsLinear)', () => {
    const x = gaussianBlob([2, 3, 4, 5]),
      y = new Blob(),
      l = make({ beta: 0 })();
    l.setUp([x], [y]);
    l.forward([x], [y]);
    x.cpuData().forEach((v, i) => expect(y.cpuData()[i]).toBe(Math.fround(v / 2)));
  });
  it('backward is beta y + s (1 - beta y)', () => {
    const x = new Blob([1]);
    x.mutableCpuData().set([1]);
    const y = new Blob(),
      l = make({ beta: 2 })();
    l.setUp([x], [y]);
    l.forward([x], [y]);
    y.mutableCpuDiff().set([1]);
    l.backward([y], [true], [x]);
    const s = sig(2),
      yy = s;
    expect(x.cpuDiff()[0]).toBeCloseTo(2 * yy + s * (1 - 2 * yy), 6);
  });
  it('gradient', () => checkGradient(make()(), [gaussianBlob([2, 3, 4, 5])], [new Blob()], G));
  it('gradient, beta 1.5', () => checkGradient(make({ beta: 1.5 })(), [gaussianBlob([2, 3, 4, 5])], [new Blob()], G));
  it('gradient, beta 0', () => checkGradient(make({ beta: 0 })(), [gaussianBlob([2, 3, 4, 5])], [new Blob()], G));
  it('in place (forward and backward)', () => {
    checkInPlace(make({ beta: 1.5 }), [2, 3, 4]);
    const x = gaussianBlob([2, 3]),
      x2 = gaussianBlob([2, 3]),
      y = new Blob();
    const a = make({ beta: 1.5 })(),
      b = make({ beta: 1.5 })();
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
