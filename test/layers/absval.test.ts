import '../../src/layers/AbsVal';
import { createLayer } from '../../src/core/layer_factory';
import { Blob } from '../../src/core/blob';
import { checkGradient, gaussianBlob, forwardValues } from '../gradient_checker';
import { describeEngines } from '../engines';

const run = forwardValues;

const make = () => createLayer({ name: 'a', type: 'AbsVal' });

describeEngines('AbsVal', () => {
  it('forward (hand-computed)', () => {
    expect(run(make(), [-2.5, 0, 3, -0.25])).toEqual([2.5, 0, 3, 0.25]);
  });
  it('backward is sign(x) dy, 0 at 0', () => {
    const x = new Blob([3]);
    x.mutableCpuData().set([-2, 0, 3]);
    const y = new Blob(),
      l = make();
    l.setUp([x], [y]);
    l.forward([x], [y]);
    y.mutableCpuDiff().set([5, 5, 5]);
    l.backward([y], [true], [x]);
    expect(Array.from(x.cpuDiff())).toEqual([-5, 0, 5]);
  });
  it('gradient', () =>
    checkGradient(make(), [gaussianBlob([2, 3, 4, 5])], [new Blob()], {
      stepsize: 1e-2,
      threshold: 1e-3,
      kink: 0,
      kinkRange: 0.01,
    }));
  it('does not allow in-place computation', () => {
    const x = gaussianBlob([2, 3]);
    expect(() => make().setUp([x], [x])).toThrow('AbsVal Layer does not allow in-place computation.');
  });
});
