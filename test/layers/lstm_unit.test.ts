// LSTMUnit (Caffe's TestLSTMUnitSetUp, TestLSTMUnitGradient, TestLSTMUnitGradientNonZeroCont), a forward
// computed by hand from the LSTM equations, and its one-line checks. Its forward against reference Caffe
// (bit for bit under CAFFE) is in test/golden/layer_goldens.test.ts.
import '../../src/layers/LSTMUnit';
import { Blob } from '../../src/core/blob';
import { createLayer } from '../../src/core/layer_factory';
import { describeEngines } from '../engines';
import { checkGradient, randomBlob } from '../gradient_checker';

const H = 7, // Caffe's num_output_
  N = 3;
const make = () => createLayer({ name: 'unit', type: 'LSTMUnit' });
const cont = (v: number[]) => {
  const b = new Blob([1, v.length]);
  b.mutableCpuData().set(v);
  return b;
};
/** c_{t-1} (1 x N x H), the gate inputs (1 x N x 4H), cont (1 x N). */
const bottoms = (c: number[]) => [randomBlob([1, N, H], -1, 1, 11), randomBlob([1, N, 4 * H], -1, 1, 12), cont(c)];

describeEngines('LSTMUnit', () => {
  it('shapes c_t and h_t like c_{t-1} (Caffe TestLSTMUnitSetUp)', () => {
    const top = [new Blob(), new Blob()];
    make().setUp(bottoms([0, 0, 0]), top);
    expect(top.map((t) => t.shape)).toEqual([
      [1, N, H],
      [1, N, H],
    ]);
  });

  it('forward: c = cont f c_prev + i g, h = o tanh(c)', () => {
    const b = [new Blob([1, 2, 1]), new Blob([1, 2, 4]), cont([0.5, 0])];
    b[0].mutableCpuData().set([0.8, -1.2]);
    b[1].mutableCpuData().set([0.3, -0.7, 1.1, 0.4, -2, 0.25, 0.9, -1.5]);
    const top = [new Blob(), new Blob()],
      l = make();
    l.setUp(b, top);
    l.forward(b, top);
    const sig = (x: number) => 1 / (1 + Math.exp(-x));
    const want = [0, 1].map((n) => {
      const [i, f, o, g] = [0, 1, 2, 3].map((k) => b[1].cpuData()[4 * n + k]);
      const c = [0.5, 0][n] * sig(f) * b[0].cpuData()[n] + sig(i) * Math.tanh(g);
      return [c, sig(o) * Math.tanh(c)];
    });
    want.forEach(([c, h], n) => {
      expect(top[0].cpuData()[n]).toBeCloseTo(c, 6);
      expect(top[1].cpuData()[n]).toBeCloseTo(h, 6);
    });
  });

  it('gradient, every sequence starting (Caffe TestLSTMUnitGradient)', () => {
    checkGradient(make(), bottoms([0, 0, 0]), [new Blob(), new Blob()], {
      stepsize: 1e-2,
      threshold: 1e-3,
      checkBottom: [0, 1],
    });
  });

  it('gradient, cont 1 0 1 (Caffe TestLSTMUnitGradientNonZeroCont)', () => {
    checkGradient(make(), bottoms([1, 0, 1]), [new Blob(), new Blob()], {
      stepsize: 1e-2,
      threshold: 1e-3,
      checkBottom: [0, 1],
    });
  });

  it('refuses what Caffe refuses, in one line', () => {
    const top = () => [new Blob(), new Blob()];
    expect(() => make().setUp([new Blob([1, N, H]), new Blob([1, N, 4 * H + 1]), cont([0, 0, 0])], top())).toThrow(
      'LSTMUnit layer unit: Check failed: 4 * hidden_dim_ == bottom[1]->shape(2) (28 vs. 29)',
    );
    expect(() => make().setUp([new Blob([2, N, H]), new Blob([2, N, 4 * H]), new Blob([2, N])], top())).toThrow(
      'Check failed: 1 == bottom[i]->shape(0) (1 vs. 2)',
    );
    expect(() => make().setUp([new Blob([1, N, H]), new Blob([1, N, 4 * H]), new Blob([1, N, 1])], top())).toThrow(
      'Check failed: 2 == bottom[i]->num_axes() (2 vs. 3)',
    );
    const l = make(),
      b = bottoms([0, 0, 0]),
      t = top();
    l.setUp(b, t);
    expect(() => l.backward(t, [true, true, true], b)).toThrow('Cannot backpropagate to sequence indicators.');
  });
});
