import '../../src/layers/InnerProduct';
import { createLayer } from '../../src/core/layer_factory';
import { Blob } from '../../src/core/blob';
import { setRandomSeed } from '../../src/core/rng';
import { checkGradient, randomBlob } from '../gradient_checker';
import { describeEngines } from '../engines';

const make = (ip: object) => createLayer({ name: 'ip', type: 'InnerProduct', inner_product_param: ip });

describeEngines('InnerProduct', () => {
  beforeEach(() => setRandomSeed(1701));
  const filled = {
    num_output: 10,
    weight_filler: { type: 'uniform', min: -1, max: 1 },
    bias_filler: { type: 'uniform', min: 1, max: 2 },
  };

  it('computes x W^T + b', () => {
    const l = make({ num_output: 2, weight_filler: { type: 'constant', value: 0 } });
    const x = new Blob([1, 3]);
    x.mutableCpuData().set([1, 2, 3]);
    const y = new Blob();
    l.setUp([x], [y]);
    l.blobs[0].mutableCpuData().set([1, 0, 0, 0, 1, 1]);
    l.blobs[1].mutableCpuData().set([0.5, -1]);
    l.forward([x], [y]);
    expect(y.shape).toEqual([1, 2]);
    expect(Array.from(y.cpuData())).toEqual([1.5, 4]);
  });

  it('flattens from axis (default 1): 2x3x4x5 -> 2x10', () => {
    const l = make(filled),
      y = new Blob();
    l.setUp([randomBlob([2, 3, 4, 5])], [y]);
    expect(y.shape).toEqual([2, 10]);
    expect(l.blobs[0].shape).toEqual([10, 60]);
  });

  it('passes the gradient check', () => {
    checkGradient(make(filled), [randomBlob([2, 3, 4, 5])], [new Blob()], { stepsize: 1e-2, threshold: 1e-2 });
  });

  it('passes the gradient check transposed', () => {
    checkGradient(make({ ...filled, transpose: true }), [randomBlob([2, 3, 4, 5])], [new Blob()]);
  });

  it('passes the gradient check without bias', () => {
    checkGradient(make({ ...filled, bias_term: false }), [randomBlob([3, 7])], [new Blob()]);
  });
});
