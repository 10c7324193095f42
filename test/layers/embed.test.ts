import '../../src/layers/Embed';
import { createLayer } from '../../src/core/layer_factory';
import { Blob } from '../../src/core/blob';
import { setRandomSeed } from '../../src/core/rng';
import { checkGradient } from '../gradient_checker';
import { describeEngines } from '../engines';

const uniform10 = { type: 'uniform', min: -10, max: 10 };
const make = (p: object) => createLayer({ name: 'embed', type: 'Embed', embed_param: p });
const indices = (v: number[]) => {
  const b = new Blob([4, 1, 1, 1]);
  b.mutableCpuData().set(v);
  return b;
}; // Caffe's fixture shape

describeEngines('Embed', () => {
  beforeEach(() => setRandomSeed(1701));

  it('top = bottom shape + num_output; weights input_dim x num_output (Caffe TestSetUp)', () => {
    const top = new Blob(),
      l = make({ num_output: 10, input_dim: 5 });
    l.setUp([indices([0, 1, 2, 3])], [top]);
    expect(top.shape).toEqual([4, 1, 1, 1, 10]);
    expect(l.blobs.map((b) => b.shape)).toEqual([[5, 10], [10]]);
  });

  it('forward looks up weight rows (Caffe TestForward)', () => {
    const x = indices([4, 0, 2, 2]),
      top = new Blob(),
      l = make({ num_output: 10, input_dim: 5, weight_filler: uniform10, bias_term: false });
    l.setUp([x], [top]);
    expect(l.blobs.length).toBe(1);
    l.forward([x], [top]);
    const w = l.blobs[0].cpuData();
    [4, 0, 2, 2].forEach((k, i) => {
      for (let j = 0; j < 10; j++) expect(top.cpuData()[i * 10 + j]).toBe(w[k * 10 + j]);
    });
  });

  it('forward adds the bias (Caffe TestForwardWithBias)', () => {
    const x = indices([1, 3, 3, 0]),
      top = new Blob();
    const l = make({ num_output: 10, input_dim: 5, weight_filler: uniform10, bias_filler: uniform10, bias_term: true });
    l.setUp([x], [top]);
    l.forward([x], [top]);
    expect(l.blobs.length).toBe(2);
    const w = l.blobs[0].cpuData(),
      b = l.blobs[1].cpuData();
    [1, 3, 3, 0].forEach((k, i) => {
      for (let j = 0; j < 10; j++) expect(top.cpuData()[i * 10 + j]).toBeCloseTo(w[k * 10 + j] + b[j], 5);
    });
  });

  it('backward accumulates every top row into its weight row (repeated indices add up)', () => {
    const x = new Blob([3]);
    x.mutableCpuData().set([1, 0, 1]);
    const top = new Blob(),
      l = make({ num_output: 2, input_dim: 3 });
    l.setUp([x], [top]);
    l.forward([x], [top]);
    top.mutableCpuDiff().set([1, 2, 10, 20, 100, 200]);
    l.backward([top], [false], [x]);
    expect(Array.from(l.blobs[0].cpuDiff())).toEqual([10, 20, 101, 202, 0, 0]);
    expect(Array.from(l.blobs[1].cpuDiff())).toEqual([111, 222]);
  });

  it('checks indices, parameters, and refuses a gradient for the indices', () => {
    const top = new Blob(),
      l = make({ num_output: 2, input_dim: 5 });
    l.setUp([indices([0, 1, 2, 5])], [top]);
    expect(() => l.forward([indices([0, 1, 2, 5])], [top])).toThrow(
      'embedding index 5 at position 3 is not an integer in [0, 5)',
    );
    expect(() => l.forward([indices([0, -1, 2, 3])], [top])).toThrow('embedding index -1');
    expect(() => l.forward([indices([0, 1.5, 2, 3])], [top])).toThrow('embedding index 1.5');
    l.forward([indices([0, 1, 2, 3])], [top]);
    expect(() => l.backward([top], [true], [indices([0, 1, 2, 3])])).toThrow(
      "Can't backpropagate to EmbedLayer input.",
    );
    expect(() => make({ input_dim: 5 }).setUp([indices([0, 0, 0, 0])], [new Blob()])).toThrow(
      'EmbedLayer num_output must be positive.',
    );
    expect(() => make({ num_output: 5 }).setUp([indices([0, 0, 0, 0])], [new Blob()])).toThrow(
      'EmbedLayer input_dim must be positive.',
    );
  });

  // Caffe: stepsize 1e-2, threshold 1e-3, indices 4 2 2 3, parameters only
  it('gradient without bias (Caffe TestGradient)', () => {
    checkGradient(
      make({ num_output: 10, input_dim: 5, bias_term: false, weight_filler: uniform10 }),
      [indices([4, 2, 2, 3])],
      [new Blob()],
      { stepsize: 1e-2, threshold: 1e-3, checkBottom: [] },
    );
  });

  it('gradient with bias (Caffe TestGradientWithBias)', () => {
    checkGradient(
      make({ num_output: 10, input_dim: 5, bias_term: true, weight_filler: uniform10, bias_filler: uniform10 }),
      [indices([4, 2, 2, 3])],
      [new Blob()],
      { stepsize: 1e-2, threshold: 1e-3, checkBottom: [] },
    );
  });
});
