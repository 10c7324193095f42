// LSTM (Caffe's test_lstm_layer.cpp: set-up, forward of a sequence against its steps, gradient checks with
// and without sequence restarts and with a static input) and what the unrolled net must keep Caffe's:
// the parameter blobs and their order, expose_hidden, debug_info and the one-line checks.
import { Blob } from '../../src/core/blob';
import { Layer } from '../../src/core/layer';
import { setLogSink } from '../../src/util/logging';
import { describeEngines } from '../engines';
import { randomBlob } from '../gradient_checker';
import { bodies } from '../solvers/solver_helpers';
import { NUM_OUTPUT, checkRecurrentGradient, checkSequenceVsSteps, contBlob, makeRecurrent } from './recurrent_helpers';

let lines: string[] = [];
let restoreLog: () => void;
beforeAll(() => {
  restoreLog = setLogSink((l) => lines.push(l));
});
afterAll(() => restoreLog());

/** Sets up and runs `layer` forward; returns the tops. */
function run(layer: Layer, bottom: Blob[], numTops = 1): Blob[] {
  const top = Array.from({ length: numTops }, () => new Blob());
  layer.setUp(bottom, top);
  layer.forward(bottom, top);
  return top;
}

describeEngines('LSTM', () => {
  it('sets up T x N x num_output (Caffe TestSetUp)', () => {
    const [top] = run(makeRecurrent('LSTM'), [randomBlob([1, 3, 3, 2]), contBlob(1, 3, 2)]);
    expect(top.shape).toEqual([1, 3, NUM_OUTPUT]);
  });

  it("has the unrolled net's owned parameters as its blobs, in Caffe's order", () => {
    const H = NUM_OUTPUT;
    lines = [];
    const plain = makeRecurrent('LSTM');
    run(plain, [randomBlob([2, 3, 3, 2]), contBlob(2, 3, 2)]);
    expect(plain.blobs.map((b) => b.shape)).toEqual([[4 * H, 6], [4 * H], [4 * H, H]]); // W_xc, b_c, W_hc
    const withStatic = makeRecurrent('LSTM');
    run(withStatic, [randomBlob([2, 3, 3, 2]), contBlob(2, 3, 2), randomBlob([3, 2, 3, 4])]);
    // W_xc, b_c, W_xc_static, W_hc
    expect(withStatic.blobs.map((b) => b.shape)).toEqual([[4 * H, 6], [4 * H], [4 * H, 24], [4 * H, H]]);
    expect(bodies(lines).filter((l) => /Adding parameter/.test(l))).toEqual([
      'Adding parameter 0: W_xc',
      'Adding parameter 1: b_c',
      'Adding parameter 2: W_hc',
      'Adding parameter 0: W_xc',
      'Adding parameter 1: b_c',
      'Adding parameter 2: W_xc_static',
      'Adding parameter 3: W_hc',
    ]);
  });

  it('forward of a sequence equals its steps with the state carried over (Caffe TestForward)', () => {
    checkSequenceVsSteps('LSTM');
  });

  it('expose_hidden: the initial state is a bottom, the final h and c are tops', () => {
    const T = 3,
      N = 2,
      H = NUM_OUTPUT;
    const x = randomBlob([T, N, 3, 2], -1, 1, 5),
      cont = contBlob(T, N, 1);
    const [h] = run(makeRecurrent('LSTM'), [x, cont]);
    const zeros = () => new Blob([1, N, H]);
    const exposed = makeRecurrent('LSTM', { expose_hidden: true });
    const [h2, hT, cT] = run(exposed, [x, cont, zeros(), zeros()], 3);
    expect(Array.from(h2.cpuData())).toEqual(Array.from(h.cpuData())); // zero initial state
    expect(hT.shape).toEqual([1, N, H]);
    expect(cT.shape).toEqual([1, N, H]);
    expect(Array.from(hT.cpuData())).toEqual(Array.from(h.cpuData().subarray((T - 1) * N * H)));
    // the next batch, continuing from the exposed state, equals the carried-over state of a plain layer
    const plain = makeRecurrent('LSTM');
    const x2 = randomBlob([T, N, 3, 2], -1, 1, 6),
      cont2 = contBlob(T, N, -1);
    const [p] = run(plain, [x, cont]);
    plain.forward([x2, cont2], [p]);
    const [q] = run(makeRecurrent('LSTM', { expose_hidden: true }), [x2, cont2, hT, cT], 3);
    expect(Array.from(q.cpuData())).toEqual(Array.from(p.cpuData()));
  });

  it('gradient (Caffe TestGradient: every sequence starts)', () => {
    checkRecurrentGradient('LSTM', 1, 3, 2);
  });

  it('gradient with sequences continuing, T = 2 (Caffe TestGradientNonZeroContBufferSize2)', () => {
    checkRecurrentGradient('LSTM', 2, 2, 2);
  });

  it('gradient with a static input, to x and x_static (Caffe ...BufferSize2WithStaticInput)', () => {
    checkRecurrentGradient('LSTM', 2, 2, 2, true);
  });

  it("debug_info logs the unrolled net's forward and backward lines", () => {
    lines = [];
    const l = makeRecurrent('LSTM', { debug_info: true });
    const x = randomBlob([2, 2, 3, 2]);
    const [top] = run(l, [x, contBlob(2, 2, 1)]);
    top.mutableCpuDiff().fill(1);
    l.backward([top], [true, false], [x, contBlob(2, 2, 1)]);
    const debug = bodies(lines).filter((s) => /^ {4}\[(Forward|Backward)\]/.test(s));
    expect(debug).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^ {4}\[Forward\] Layer lstm_x_transform, top blob W_xc_x data: \d/),
        expect.stringMatching(/^ {4}\[Forward\] Layer lstm_transform_2, param blob W_hc data: \d/),
        expect.stringMatching(/^ {4}\[Backward\] Layer lstm_unit_2, bottom blob c_1 diff: \d/),
      ]),
    );
    expect(debug.filter((s) => /pseudoloss/.test(s))).toEqual([]); // never run
  });

  it('refuses what Caffe refuses, in one line', () => {
    const x = () => randomBlob([2, 3, 4]);
    expect(() => run(makeRecurrent('LSTM', { num_output: 0 }), [x(), contBlob(2, 3, 2)])).toThrow(
      'LSTM layer lstm: Check failed: num_output > 0 (0 vs. 0) num_output must be positive',
    );
    expect(() => run(makeRecurrent('LSTM'), [x(), new Blob([2, 3, 1])])).toThrow(
      'Check failed: bottom[1]->num_axes() == 2 (3 vs. 2) bottom[1] must have exactly 2 axes -- (#timesteps, #streams)',
    );
    expect(() => run(makeRecurrent('LSTM'), [x(), contBlob(3, 3, 2)])).toThrow(
      'Check failed: T_ == bottom[1]->shape(0) (2 vs. 3)',
    );
    const l = makeRecurrent('LSTM');
    const [top] = run(l, [x(), contBlob(2, 3, 2)]);
    expect(() => l.forward([randomBlob([3, 3, 4]), contBlob(3, 3, 2)], [top])).toThrow(
      'Check failed: T_ == bottom[0]->shape(0) (2 vs. 3) input number of timesteps changed',
    );
    const exposed = makeRecurrent('LSTM', { expose_hidden: true });
    expect(() => run(exposed, [x(), contBlob(2, 3, 2), new Blob([1, 3, 5]), new Blob([1, 3, 7])], 3)).toThrow(
      'LSTM layer lstm: Check failed: recur_input_blobs_[j]->shape() == bottom[i]->shape() ' +
        'bottom[2] shape must match hidden state input shape: 1 3 7 (21)',
    );
    expect(() => run(makeRecurrent('LSTM'), [x(), contBlob(2, 3, 2)], 2)).toThrow(
      'LSTM Layer lstm produces 1 top blob(s) as output.',
    );
    expect(() => l.backward([top], [true, true], [x(), contBlob(2, 3, 2)])).toThrow(
      'Cannot backpropagate to sequence indicators.',
    );
  });
});
