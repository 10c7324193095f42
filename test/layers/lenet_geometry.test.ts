// Gradient checks in LeNet's exact geometries (1 input channel, 28x28, 5x5 kernels; 2x2/2 MAX pooling).
import '../../src/layers';
import { createLayer } from '../../src/core/layer_factory';
import { Blob } from '../../src/core/blob';
import { setRandomSeed } from '../../src/core/rng';
import { checkGradient, randomBlob } from '../gradient_checker';
import { describeEngines } from '../engines';

describeEngines('LeNet geometries', () => {
  beforeEach(() => setRandomSeed(5));
  it('conv1: 1 -> 20 channels, 5x5 on 28x28', () => {
    const l = createLayer({
      name: 'conv1',
      type: 'Convolution',
      convolution_param: {
        num_output: 20,
        kernel_size: [5],
        stride: [1],
        weight_filler: { type: 'xavier' },
        bias_filler: { type: 'constant', value: 0.1 },
      },
    });
    checkGradient(l, [randomBlob([2, 1, 28, 28])], [new Blob()], { stepsize: 1e-2, threshold: 1e-3, maxElements: 200 });
  });
  it('pool1: MAX 2x2 stride 2 on 24x24', () => {
    const l = createLayer({
      name: 'pool1',
      type: 'Pooling',
      pooling_param: { pool: 'MAX', kernel_size: 2, stride: 2 },
    });
    checkGradient(l, [randomBlob([2, 3, 24, 24])], [new Blob()], { stepsize: 1e-4, threshold: 1e-2, maxElements: 300 });
  });
});
