// Shared by the LSTM and RNN tests: Caffe's recurrent test fixture (x of T x N x 3 x 2, num_output 7,
// gaussian weights std 0.2 and biases std 0.1, phase TEST) and its checks that apply to both types.
import '../../src/layers'; // the unrolled nets use most layer types
import { Blob } from '../../src/core/blob';
import { Layer } from '../../src/core/layer';
import { createLayer } from '../../src/core/layer_factory';
import { setRandomSeed } from '../../src/core/rng';
import { checkGradient, randomBlob } from '../gradient_checker';

export const NUM_OUTPUT = 7;

/** The layer of Caffe's fixture, weights drawn after random seed `seed` (so two layers can be equal). */
export function makeRecurrent(type: string, extra: object = {}, seed = 1701): Layer {
  setRandomSeed(seed);
  return createLayer({
    name: type.toLowerCase(),
    type,
    phase: 'TEST',
    recurrent_param: {
      num_output: NUM_OUTPUT,
      weight_filler: { type: 'gaussian', std: 0.2 },
      bias_filler: { type: 'gaussian', std: 0.1 },
      ...extra,
    },
  });
}

/** cont of T x N: 0 where i <= zeroUpTo (flat index), else 1. */
export function contBlob(T: number, N: number, zeroUpTo: number): Blob {
  const b = new Blob([T, N]);
  b.mutableCpuData().forEach((_, i, a) => (a[i] = i > zeroUpTo ? 1 : 0));
  return b;
}

/**
 * Caffe's TestForward: a 3-step sequence in one batch equals the same steps fed one batch at a time (the
 * hidden state carried between batches); with every cont 0 the steps after the first differ.
 */
export function checkSequenceVsSteps(type: string): void {
  const T = 3,
    N = 3;
  const x = randomBlob([T, N, 3, 2], -2, 2, 99);
  const top = new Blob();
  const whole = makeRecurrent(type);
  const cont = contBlob(T, N, N - 1); // the sequence begins at the first timestep
  whole.setUp([x, cont], [top]);
  whole.forward([x, cont], [top]);
  const full = Float32Array.from(top.cpuData());
  const stepSize = N * NUM_OUTPUT;

  for (const restart of [false, true]) {
    const step = makeRecurrent(type);
    const xt = new Blob([1, N, 3, 2]),
      ct = new Blob([1, N]),
      yt = new Blob();
    step.setUp([xt, ct], [yt]);
    for (let t = 0; t < T; t++) {
      xt.mutableCpuData().set(x.cpuData().subarray(t * N * 6, (t + 1) * N * 6));
      ct.mutableCpuData().fill(t > 0 && !restart ? 1 : 0);
      step.forward([xt, ct], [yt]);
      const want = full.subarray(t * stepSize, (t + 1) * stepSize);
      const got = yt.cpuData();
      for (let i = 0; i < stepSize; i++) {
        if (restart && t > 0) expect(got[i]).not.toBe(want[i]);
        else expect(Math.abs(got[i] - want[i])).toBeLessThan(1e-5);
      }
    }
  }
}

/** Caffe's gradient checks of a recurrent layer (stepsize 1e-2, threshold 1e-3) on x (and x_static). */
export function checkRecurrentGradient(type: string, T: number, N: number, zeroUpTo: number, withStatic = false): void {
  const bottom = [randomBlob([T, N, 3, 2], -1, 1, 7), contBlob(T, N, zeroUpTo)];
  if (withStatic) bottom.push(randomBlob([N, 2, 3, 4], -1, 1, 8));
  checkGradient(makeRecurrent(type), bottom, [new Blob()], {
    stepsize: 1e-2,
    threshold: 1e-3,
    checkBottom: withStatic ? [0, 2] : [0],
  });
}
