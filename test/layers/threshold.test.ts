import '../../src/layers/Threshold';
import { createLayer } from '../../src/core/layer_factory';
import { Blob } from '../../src/core/blob';
import { checkInPlace, gaussianBlob, forwardValues } from '../gradient_checker';
import { describeEngines } from '../engines';

const run = forwardValues;

const make = (p?: object) => () => createLayer({ name: 't', type: 'Threshold', ...(p ? { threshold_param: p } : {}) });

describeEngines('Threshold', () => {
  it('forward, threshold 0 by default (hand-computed)', () => {
    expect(run(make()(), [-1, 0, 1e-6, 3])).toEqual([0, 0, 1, 1]);
  });
  it('forward with threshold 0.5 (Caffe TestThreshold2)', () => {
    const x = gaussianBlob([2, 3, 6, 5]),
      y = new Blob(),
      l = make({ threshold: 0.5 })();
    l.setUp([x], [y]);
    l.forward([x], [y]);
    expect(y.shape).toEqual([2, 3, 6, 5]);
    x.cpuData().forEach((v, i) => expect(y.cpuData()[i]).toBe(v > 0.5 ? 1 : 0));
    expect(run(make({ threshold: 0.5 })(), [0.5, 0.51])).toEqual([0, 1]);
  });
  it('has no backward (Caffe: Not Implemented Yet)', () => {
    const x = gaussianBlob([4]),
      y = new Blob(),
      l = make()();
    l.setUp([x], [y]);
    l.forward([x], [y]);
    expect(() => l.backward([y], [true], [x])).toThrow('Not Implemented Yet');
    expect(() => l.backward([y], [false], [x])).not.toThrow();
  });
  it('in place', () => checkInPlace(make({ threshold: 0.1 }), [2, 3, 4]));
});
