import type { Message } from '../../src/proto/schema';
import {
  netNeedsInputUpgrade,
  upgradeNetInput,
  netNeedsBatchNormUpgrade,
  upgradeNetBatchNorm,
  netNeedsDataUpgrade,
  upgradeNetDataTransformation,
} from '../../src/upgrade';

describe('upgradeNetInput', () => {
  it('turns input/input_dim (4 per input) into a first Input layer', () => {
    const net: Message = {
      name: 'n',
      input: ['data', 'label'],
      input_dim: [10, 3, 227, 227, 10, 1, 1, 1, 42],
      layer: [
        { name: 'conv', type: 'Convolution' },
        { name: 'relu', type: 'ReLU' },
      ],
    };
    expect(netNeedsInputUpgrade(net)).toBe(true);
    upgradeNetInput(net);
    expect(net).toEqual({
      name: 'n',
      layer: [
        {
          name: 'input',
          type: 'Input',
          top: ['data', 'label'],
          input_param: { shape: [{ dim: [10, 3, 227, 227] }, { dim: [10, 1, 1, 1] }] },
        },
        { name: 'conv', type: 'Convolution' },
        { name: 'relu', type: 'ReLU' },
      ],
    });
    expect(netNeedsInputUpgrade(net)).toBe(false);
  });
  it('prefers input_shape over input_dim', () => {
    const net: Message = { input: ['a'], input_shape: [{ dim: [1, 2] }], input_dim: [9, 9, 9, 9] };
    upgradeNetInput(net);
    expect(net).toEqual({
      layer: [{ name: 'input', type: 'Input', top: ['a'], input_param: { shape: [{ dim: [1, 2] }] } }],
    });
  });
  it('just drops inputs given without shapes (old binary models)', () => {
    const net: Message = { input: ['data'], layer: [{ name: 'x' }] };
    upgradeNetInput(net);
    expect(net).toEqual({ layer: [{ name: 'x' }] });
  });
  it('refuses too few dims or shapes (Caffe reads past the end)', () => {
    expect(() => upgradeNetInput({ input: ['a', 'b'], input_dim: [1, 3, 7, 7, 1] })).toThrow(/input_dim/);
    expect(() => upgradeNetInput({ input: ['a', 'b'], input_shape: [{ dim: [1] }] })).toThrow(/input_shape/);
  });
  it('is not needed for input_shape alone', () => {
    expect(netNeedsInputUpgrade({ input_shape: [{ dim: [1] }] })).toBe(false);
  });
});

describe('upgradeNetBatchNorm', () => {
  it('zeroes lr_mult/decay_mult of BatchNorm layers with exactly three param specs, keeping them', () => {
    const net: Message = {
      layer: [
        {
          name: 'bn',
          type: 'BatchNorm',
          param: [{ lr_mult: 0 }, { lr_mult: 0 }, { lr_mult: 0, name: 'x', decay_mult: 3 }],
        },
        { name: 'bn2', type: 'BatchNorm', param: [{ lr_mult: 1 }, { lr_mult: 1 }] },
        { name: 'conv', type: 'Convolution', param: [{ lr_mult: 1 }, { lr_mult: 1 }, { lr_mult: 1 }] },
      ],
    };
    expect(netNeedsBatchNormUpgrade(net)).toBe(true);
    upgradeNetBatchNorm(net);
    expect(net.layer[0].param).toEqual([
      { lr_mult: 0, decay_mult: 0 },
      { lr_mult: 0, decay_mult: 0 },
      { lr_mult: 0, decay_mult: 0, name: 'x' },
    ]);
    expect(net.layer[1].param).toEqual([{ lr_mult: 1 }, { lr_mult: 1 }]);
    expect(net.layer[2].param).toEqual([{ lr_mult: 1 }, { lr_mult: 1 }, { lr_mult: 1 }]);
    expect(netNeedsBatchNormUpgrade(net)).toBe(true); // still "needed", as in Caffe
    expect(netNeedsBatchNormUpgrade({ layer: [{ type: 'BatchNorm' }] })).toBe(false);
  });
});

describe('upgradeNetDataTransformation', () => {
  it('moves scale/mean_file/crop_size/mirror of V1 data layers into transform_param', () => {
    const net: Message = {
      layers: [
        { type: 'DATA', data_param: { source: 's', scale: 0.5, mean_file: 'm', crop_size: 3, mirror: true } },
        { type: 'IMAGE_DATA', image_data_param: { mirror: false }, transform_param: { mean_value: [1], mirror: true } },
        { type: 'WINDOW_DATA', window_data_param: { crop_size: 227 } },
        { type: 'DATA' },
        { type: 'CONVOLUTION', data_param: { scale: 2 } },
      ],
    };
    expect(netNeedsDataUpgrade(net)).toBe(true);
    upgradeNetDataTransformation(net);
    expect(net.layers).toEqual([
      {
        type: 'DATA',
        data_param: { source: 's' },
        transform_param: { scale: 0.5, mean_file: 'm', crop_size: 3, mirror: true },
      },
      { type: 'IMAGE_DATA', image_data_param: {}, transform_param: { mean_value: [1], mirror: false } },
      { type: 'WINDOW_DATA', window_data_param: {}, transform_param: { crop_size: 227 } },
      { type: 'DATA', data_param: {}, transform_param: {} }, // created empty, as Caffe does
      { type: 'CONVOLUTION', data_param: { scale: 2 } },
    ]);
    expect(netNeedsDataUpgrade(net)).toBe(false);
  });
  it('only looks at V1 layers of the three data types', () => {
    expect(netNeedsDataUpgrade({ layers: [{ type: 'CONVOLUTION', data_param: { scale: 2 } }] })).toBe(false);
    expect(netNeedsDataUpgrade({ layer: [{ type: 'Data', data_param: { scale: 2 } }] })).toBe(false);
  });
});
