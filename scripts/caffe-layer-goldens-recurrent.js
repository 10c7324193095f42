// The recurrent suite of scripts/caffe-layer-goldens.js: LSTM, RNN and LSTMUnit.
// - forward: LSTM and RNN with and without x_static and expose_hidden (the final hidden states are
//   outputs too), over 4 timesteps of 3 streams whose sequences start at different timesteps, from fixed
//   weights; LSTMUnit with cont 0, 1 and 0.5;
// - training: a sequence-labelling net over HDF5 data, HDF5Data (T = 5 timesteps of N = 3 streams, two
//   batches in the file, every sequence continuing from one batch into the next, so the hidden state
//   carried between batches matters) -> LSTM (with a static input) -> RNN -> InnerProduct -> SoftmaxWithLoss,
//   with Accuracy in a test phase every 10 iterations (a test net sharing the train net's weights).
'use strict';
const path = require('path');

const T = 5; // timesteps per batch of the training data
const N = 3; // streams
const D = 4; // input features
const BATCHES = 2;

/** `h`: the helpers of caffe-layer-goldens.js (values, blob, layer, fixed, learn, ...). */
module.exports = function recurrentSuite(h) {
  const { values, blob, layer, fixed, learn } = h;

  // ---------------------------------------------------------------- forward
  const H_LSTM = 6,
    H_RNN = 5;
  const inputs = {
    x: [[4, 3, 5], values(60, 31, -1, 1)],
    // stream 0 starts at t = 0 only, stream 1 at t = 0 and 2, stream 2 at t = 0 and 1
    cont: [
      [4, 3],
      [0, 0, 0, 1, 1, 0, 1, 0, 1, 1, 1, 1],
    ],
    xs: [[3, 2, 2], values(12, 32, -1, 1)], // x_static: 4 values per stream
    h0: [[1, 3, H_LSTM], values(18, 33, -0.8, 0.8)],
    c0: [[1, 3, H_LSTM], values(18, 34, -1.5, 1.5)],
    rh0: [[1, 3, H_RNN], values(15, 35, -0.8, 0.8)],
    unit_c: [[1, 3, 4], values(12, 36, -1.5, 1.5)],
    unit_x: [[1, 3, 16], values(48, 37, -3, 3)],
    unit_cont: [
      [1, 3],
      [0, 1, 0.5],
    ],
  };
  const rec = (name, type, bottom, numOutput, hidden) =>
    layer(name, type, bottom, {
      top: [name, ...hidden.map((s) => `${name}_${s}`)],
      recurrent_param: { num_output: numOutput, ...(hidden.length ? { expose_hidden: true } : {}) },
    });
  const lstmCase = (name, stat, hidden) =>
    rec(
      name,
      'LSTM',
      ['x', 'cont', ...(stat ? ['xs'] : []), ...(hidden ? ['h0', 'c0'] : [])],
      H_LSTM,
      hidden ? ['h', 'c'] : [],
    );
  const rnnCase = (name, stat, hidden) =>
    rec(name, 'RNN', ['x', 'cont', ...(stat ? ['xs'] : []), ...(hidden ? ['rh0'] : [])], H_RNN, hidden ? ['h'] : []);
  const cases = [
    lstmCase('lstm', false, false),
    lstmCase('lstm_static', true, false),
    lstmCase('lstm_hidden', false, true),
    lstmCase('lstm_static_hidden', true, true),
    rnnCase('rnn', false, false),
    rnnCase('rnn_static', true, false),
    rnnCase('rnn_hidden', false, true),
    rnnCase('rnn_static_hidden', true, true),
    layer('unit', 'LSTMUnit', ['unit_c', 'unit_x', 'unit_cont'], { top: ['unit', 'unit_h'] }),
  ];

  /** Fixed weights of the recurrent cases, in Caffe's blob order. */
  const weights = cases
    .filter((c) => c.type !== 'LSTMUnit')
    .map((c, k) => {
      const stat = c.bottom.includes('xs'),
        seed = 40 + 10 * k;
      const w = (n, m, i, scale) => blob([n, m], values(n * m, seed + i, -scale, scale));
      const b = (n, i) => blob([n], values(n, seed + i, -0.3, 0.3));
      const blobs =
        c.type === 'LSTM'
          ? [w(4 * H_LSTM, 5, 0, 0.6), b(4 * H_LSTM, 1), ...(stat ? [w(4 * H_LSTM, 4, 2, 0.5)] : [])]
          : [w(H_RNN, 5, 0, 0.6), b(H_RNN, 1), ...(stat ? [w(H_RNN, 4, 2, 0.5)] : [])];
      if (c.type === 'LSTM') blobs.push(w(4 * H_LSTM, H_LSTM, 3, 0.5));
      else blobs.push(w(H_RNN, H_RNN, 3, 0.5), w(H_RNN, H_RNN, 4, 0.6), b(H_RNN, 5));
      return { name: c.name, type: c.type, blobs };
    });

  // ---------------------------------------------------------------- training
  /**
   * The HDF5 data: rows are timesteps (T per batch) of N streams. Each stream's sequences (cont 0 at
   * their first timestep) run across the batch boundary; the label of a timestep is the number of
   * positive first features so far in its sequence, mod 3.
   */
  function trainData() {
    const rows = T * BATCHES;
    const starts = [[0, 4, 8], [0], [0, 2, 7]]; // the first timestep of each sequence, by stream
    const data = values(rows * N * D, 61, -1, 1);
    const cont = new Float32Array(rows * N),
      label = new Float32Array(rows * N);
    for (let n = 0; n < N; n++) {
      let count = 0;
      for (let t = 0; t < rows; t++) {
        const first = starts[n].includes(t);
        if (first) count = 0;
        cont[t * N + n] = first ? 0 : 1;
        if (data[(t * N + n) * D] > 0) count++;
        label[t * N + n] = count % 3;
      }
    }
    return { data, cont, label };
  }

  const SEQ = { data: [T * BATCHES, N, D], cont: [T * BATCHES, N], label: [T * BATCHES, N] };
  /** Writes train.h5 and the list file train.txt into `dir` (`hdf5`: caffets' io/hdf5 module). */
  function writeData(hdf5, dir) {
    const d = trainData();
    hdf5.writeHdf5File(
      path.join(dir, 'train.h5'),
      Object.fromEntries(Object.keys(SEQ).map((k) => [k, { shape: SEQ[k], data: d[k] }])),
    );
    require('fs').writeFileSync(path.join(dir, 'train.txt'), `${path.join(dir, 'train.h5')}\n`);
  }

  const trainNet = (dir) => ({
    name: 'RecurrentGoldensTrain',
    layer: [
      {
        name: 'data',
        type: 'HDF5Data',
        top: ['data', 'cont', 'label'],
        hdf5_data_param: { source: path.join(dir, 'train.txt'), batch_size: T },
      },
      fixed('input_static', [N, 2]),
      {
        name: 'lstm',
        type: 'LSTM',
        bottom: ['data', 'cont', 'static'],
        top: ['lstm'],
        recurrent_param: { num_output: 6 },
      },
      { name: 'rnn', type: 'RNN', bottom: ['lstm', 'cont'], top: ['rnn'], recurrent_param: { num_output: 5 } },
      {
        name: 'ip',
        type: 'InnerProduct',
        bottom: ['rnn'],
        top: ['ip'],
        param: learn,
        inner_product_param: { num_output: 3, axis: 2 },
      },
      {
        name: 'accuracy',
        type: 'Accuracy',
        bottom: ['ip', 'label'],
        top: ['accuracy'],
        accuracy_param: { axis: 2 },
        include: [{ phase: 'TEST' }],
      },
      { name: 'loss', type: 'SoftmaxWithLoss', bottom: ['ip', 'label'], top: ['loss'], softmax_param: { axis: 2 } },
    ],
  });

  const trainInit = () => ({
    name: 'RecurrentGoldensTrain',
    layer: [
      { name: 'input_static', type: 'Parameter', blobs: [blob([N, 2], values(N * 2, 62, -1, 1))] },
      {
        name: 'lstm',
        type: 'LSTM',
        blobs: [
          blob([24, D], values(24 * D, 63, -0.5, 0.5)), // W_xc
          blob([24], values(24, 64, -0.2, 0.2)), // b_c
          blob([24, 2], values(48, 65, -0.4, 0.4)), // W_xc_static
          blob([24, 6], values(144, 66, -0.4, 0.4)), // W_hc
        ],
      },
      {
        name: 'rnn',
        type: 'RNN',
        blobs: [
          blob([5, 6], values(30, 67, -0.5, 0.5)), // W_xh
          blob([5], values(5, 68, -0.2, 0.2)), // b_h
          blob([5, 5], values(25, 69, -0.4, 0.4)), // W_hh
          blob([5, 5], values(25, 70, -0.5, 0.5)), // W_ho
          blob([5], values(5, 71, -0.2, 0.2)), // b_o
        ],
      },
      {
        name: 'ip',
        type: 'InnerProduct',
        blobs: [blob([3, 5], values(15, 72, -0.6, 0.6)), blob([3], values(3, 73, -0.1, 0.1))],
      },
    ],
  });

  return {
    golden: path.join(__dirname, '../test/golden/recurrent-goldens-caffe.json'),
    netName: 'RecurrentGoldens',
    types: ['LSTM', 'RNN', 'LSTMUnit'],
    inputs,
    cases,
    weights,
    maxIter: 20,
    trainNet,
    trainInit,
    writeData,
    solver: {
      type: 'SGD',
      base_lr: 0.1,
      momentum: 0.9,
      weight_decay: 0.0005,
      lr_policy: 'fixed',
      test_iter: [BATCHES],
      test_interval: 10,
    },
  };
};
