// RNN (Caffe's test_rnn_layer.cpp: set-up, forward of a sequence against its steps, gradient checks with
// and without sequence restarts and with a static input), its parameter blobs in Caffe's order, and
// expose_hidden. Its forward and training against reference Caffe are in test/golden/layer_goldens.test.ts.
import { Blob } from '../../src/core/blob';
import { setLogSink } from '../../src/util/logging';
import { describeEngines } from '../engines';
import { randomBlob } from '../gradient_checker';
import { NUM_OUTPUT, checkRecurrentGradient, checkSequenceVsSteps, contBlob, makeRecurrent } from './recurrent_helpers';

let restoreLog: () => void;
beforeAll(() => {
  restoreLog = setLogSink(() => {});
});
afterAll(() => restoreLog());

describeEngines('RNN', () => {
  it('sets up T x N x num_output, with W_xh, b_h, [W_xh_static,] W_hh, W_ho, b_o as its blobs', () => {
    const H = NUM_OUTPUT;
    for (const withStatic of [false, true]) {
      const l = makeRecurrent('RNN'),
        top = new Blob();
      const bottom = [randomBlob([2, 3, 3, 2]), contBlob(2, 3, 2), ...(withStatic ? [randomBlob([3, 2, 3, 4])] : [])];
      l.setUp(bottom, [top]);
      expect(top.shape).toEqual([2, 3, H]);
      expect(l.blobs.map((b) => b.shape)).toEqual([[H, 6], [H], ...(withStatic ? [[H, 24]] : []), [H, H], [H, H], [H]]);
    }
  });

  it('forward of a sequence equals its steps with the state carried over (Caffe TestForward)', () => {
    checkSequenceVsSteps('RNN');
  });

  it('expose_hidden: h_0 is a bottom, h_T a top (a sequence equals its steps chained through them)', () => {
    const T = 3,
      N = 2,
      H = NUM_OUTPUT;
    const x = randomBlob([T, N, 3, 2], -1, 1, 5),
      cont = contBlob(T, N, -1); // every stream continuing from h_0
    const h0 = randomBlob([1, N, H], -1, 1, 6);
    const whole = makeRecurrent('RNN', { expose_hidden: true }),
      top = [new Blob(), new Blob()];
    whole.setUp([x, cont, h0], top);
    whole.forward([x, cont, h0], top);
    expect(top[1].shape).toEqual([1, N, H]);
    let h = h0;
    for (let t = 0; t < T; t++) {
      const step = makeRecurrent('RNN', { expose_hidden: true }),
        st = [new Blob(), new Blob()];
      const xt = new Blob([1, N, 3, 2]);
      xt.mutableCpuData().set(x.cpuData().subarray(t * N * 6, (t + 1) * N * 6));
      step.setUp([xt, contBlob(1, N, -1), h], st);
      step.forward([xt, contBlob(1, N, -1), h], st);
      const want = top[0].cpuData().subarray(t * N * H, (t + 1) * N * H);
      st[0].cpuData().forEach((v, i) => expect(Math.abs(v - want[i])).toBeLessThan(1e-5));
      h = new Blob([1, N, H]);
      h.mutableCpuData().set(st[1].cpuData());
    }
    h.cpuData().forEach((v, i) => expect(Math.abs(v - top[1].cpuData()[i])).toBeLessThan(1e-5));
  });

  it('gradient (Caffe TestGradient: every sequence starts)', () => {
    checkRecurrentGradient('RNN', 1, 3, 2);
  });

  it('gradient with sequences continuing, T = 2 (Caffe TestGradientNonZeroContBufferSize2)', () => {
    checkRecurrentGradient('RNN', 2, 2, 2);
  });

  it('gradient with a static input, to x and x_static (Caffe ...BufferSize2WithStaticInput)', () => {
    checkRecurrentGradient('RNN', 2, 2, 2, true);
  });

  it('takes 2 or 3 bottoms, 3 or 4 with expose_hidden', () => {
    const x = randomBlob([2, 3, 4]);
    expect(() => makeRecurrent('RNN').setUp([x], [new Blob()])).toThrow(
      'RNN Layer rnn takes at least 2 bottom blob(s) as input.',
    );
    expect(() => makeRecurrent('RNN', { expose_hidden: true }).setUp([x, contBlob(2, 3, 2)], [new Blob()])).toThrow(
      'RNN Layer rnn takes at least 3 bottom blob(s) as input.',
    );
  });
});
