import {
  netNeedsV0ToV1Upgrade,
  upgradeV0Net,
  upgradeV0PaddingLayers,
  upgradeV0LayerParameter,
  upgradeV0LayerType,
} from '../../src/upgrade';
import { CaffeError } from '../../src/util/errors';
import { captureLog } from './capture';
import type { Message } from '../../src/proto/schema';

const v0 = (layer: object, bottom: string[] = [], top: string[] = []) => ({ layer, bottom, top });

describe('netNeedsV0ToV1Upgrade', () => {
  it('is true only when some `layers` entry has a V0 `layer`', () => {
    expect(netNeedsV0ToV1Upgrade({})).toBe(false);
    expect(netNeedsV0ToV1Upgrade({ layers: [{ name: 'a', type: 'RELU' }] })).toBe(false);
    expect(netNeedsV0ToV1Upgrade({ layers: [{ name: 'a' }, v0({ type: 'relu' })] })).toBe(true);
    expect(netNeedsV0ToV1Upgrade({ layer: [{ name: 'a', type: 'ReLU' }] })).toBe(false);
  });
});

describe('upgradeV0LayerType', () => {
  it('maps every V0 type string', () => {
    const expected: Record<string, string> = {
      accuracy: 'ACCURACY',
      bnll: 'BNLL',
      concat: 'CONCAT',
      conv: 'CONVOLUTION',
      data: 'DATA',
      dropout: 'DROPOUT',
      euclidean_loss: 'EUCLIDEAN_LOSS',
      flatten: 'FLATTEN',
      hdf5_data: 'HDF5_DATA',
      hdf5_output: 'HDF5_OUTPUT',
      im2col: 'IM2COL',
      images: 'IMAGE_DATA',
      infogain_loss: 'INFOGAIN_LOSS',
      innerproduct: 'INNER_PRODUCT',
      lrn: 'LRN',
      multinomial_logistic_loss: 'MULTINOMIAL_LOGISTIC_LOSS',
      pool: 'POOLING',
      relu: 'RELU',
      sigmoid: 'SIGMOID',
      softmax: 'SOFTMAX',
      softmax_loss: 'SOFTMAX_LOSS',
      split: 'SPLIT',
      tanh: 'TANH',
      window_data: 'WINDOW_DATA',
    };
    for (const [k, v] of Object.entries(expected)) expect(upgradeV0LayerType(k)).toBe(v);
  });
  it('is fatal on anything else, padding and prototype names included', () => {
    for (const t of ['padding', 'gelu', 'toString', '']) {
      expect(() => upgradeV0LayerType(t)).toThrow(new CaffeError(`Unknown layer name: ${t}`));
    }
  });
});

describe('upgradeV0PaddingLayers', () => {
  it('folds a padding layer into the conv reading it and rewires its bottom', () => {
    const net = {
      name: 'n',
      input: ['data'],
      input_dim: [1, 3, 5, 5],
      layers: [
        v0({ name: 'pad1', type: 'padding', pad: 2 }, ['data'], ['pad1']),
        v0({ name: 'conv1', type: 'conv', num_output: 4, kernelsize: 3 }, ['pad1'], ['conv1']),
      ],
    };
    const before = JSON.stringify(net);
    const out: Message = { junk: 1 };
    upgradeV0PaddingLayers(net, out);
    expect(out).toEqual({
      name: 'n',
      input: ['data'],
      input_dim: [1, 3, 5, 5],
      layers: [v0({ name: 'conv1', type: 'conv', num_output: 4, kernelsize: 3, pad: 2 }, ['data'], ['conv1'])],
    });
    expect(JSON.stringify(net)).toBe(before); // input untouched
  });
  it('folds an unset pad as an explicit 0 and drops unused padding layers', () => {
    const out: Message = {};
    upgradeV0PaddingLayers(
      {
        input: ['d'],
        layers: [
          v0({ type: 'padding' }, ['d'], ['p']),
          v0({ type: 'pool', pad: 7 }, ['p'], ['q']),
          v0({ type: 'padding', pad: 1 }, ['q'], ['unused']),
        ],
      },
      out,
    );
    expect(out.layers).toEqual([v0({ type: 'pool', pad: 0 }, ['d'], ['q'])]);
  });
  it('is fatal when a padding layer feeds something other than conv/pool', () => {
    const net = {
      input: ['d'],
      layers: [v0({ type: 'padding', pad: 1 }, ['d'], ['p']), v0({ type: 'relu' }, ['p'], ['r'])],
    };
    expect(() => upgradeV0PaddingLayers(net, {})).toThrow(
      'Check failed: (layer_param.type() == "conv") || (layer_param.type() == "pool") ' +
        'Padding layer input to non-convolutional / non-pooling layer type relu',
    );
  });
  it('is fatal when the conv reading a padding layer has two bottoms', () => {
    const net = {
      input: ['d', 'e'],
      layers: [v0({ type: 'padding', pad: 1 }, ['d'], ['p']), v0({ type: 'conv' }, ['e', 'p'], ['c'])],
    };
    expect(() => upgradeV0PaddingLayers(net, {})).toThrow(
      'Check failed: layer_connection.bottom_size() == 1 (2 vs. 1) Conv Layer takes a single blob as input.',
    );
  });
  it('is fatal when a padding layer has two tops', () => {
    const net = {
      input: ['d'],
      layers: [v0({ type: 'padding', pad: 1 }, ['d'], ['p', 'p2']), v0({ type: 'conv' }, ['p'], ['c'])],
    };
    expect(() => upgradeV0PaddingLayers(net, {})).toThrow(
      'Check failed: source_layer.top_size() == 1 (2 vs. 1) Padding Layer produces a single blob as output.',
    );
  });
  it('reports an unknown bottom with the bottom index (Caffe says "layer")', () => {
    const net = { input: ['d'], layers: [v0({ type: 'relu' }, ['d', 'nowhere'], ['r'])] };
    expect(() => upgradeV0PaddingLayers(net, {})).toThrow(new CaffeError('Unknown blob input nowhere to layer 1'));
  });
});

describe('upgradeV0LayerParameter', () => {
  it('moves conv settings into convolution_param (pad/kernel/stride repeated)', () => {
    const out: Message = {};
    const { result, log } = captureLog(() =>
      upgradeV0LayerParameter(
        v0(
          {
            name: 'c',
            type: 'conv',
            num_output: 8,
            biasterm: false,
            pad: 1,
            kernelsize: 3,
            group: 2,
            stride: 2,
            weight_filler: { type: 'gaussian', std: 0.01 },
            bias_filler: { type: 'constant' },
            blobs_lr: [1, 2],
            weight_decay: [1, 0],
          },
          ['x'],
          ['y'],
        ),
        out,
      ),
    );
    expect(result).toBe(true);
    expect(log).toEqual([]);
    expect(out).toEqual({
      bottom: ['x'],
      top: ['y'],
      name: 'c',
      type: 'CONVOLUTION',
      blobs_lr: [1, 2],
      weight_decay: [1, 0],
      convolution_param: {
        num_output: 8,
        bias_term: false,
        pad: [1],
        kernel_size: [3],
        group: 2,
        stride: [2],
        weight_filler: { type: 'gaussian', std: 0.01 },
        bias_filler: { type: 'constant' },
      },
    });
  });
  it('moves data settings, transformation ones into transform_param', () => {
    const out: Message = {};
    expect(
      upgradeV0LayerParameter(
        v0(
          {
            type: 'data',
            source: 's',
            batchsize: 4,
            rand_skip: 3,
            scale: 0.5,
            meanfile: 'm',
            cropsize: 9,
            mirror: true,
          },
          [],
          ['d'],
        ),
        out,
      ),
    ).toBe(true);
    expect(out).toEqual({
      top: ['d'],
      type: 'DATA',
      data_param: { source: 's', batch_size: 4, rand_skip: 3 },
      transform_param: { scale: 0.5, mean_file: 'm', crop_size: 9, mirror: true },
    });
  });
  it('maps pool methods and the window/image/lrn/concat/dropout/hdf5 settings', () => {
    const up = (l: object) => {
      const o: Message = {};
      upgradeV0LayerParameter(v0(l), o);
      return o;
    };
    expect(up({ type: 'pool', pool: 'STOCHASTIC', kernelsize: 2, stride: 1, pad: 1 }).pooling_param).toEqual({
      pool: 'STOCHASTIC',
      kernel_size: 2,
      stride: 1,
      pad: 1,
    });
    expect(
      up({
        type: 'window_data',
        det_fg_threshold: 0.6,
        det_bg_threshold: 0.4,
        det_fg_fraction: 0.3,
        det_context_pad: 16,
        det_crop_mode: 'square',
      }).window_data_param,
    ).toEqual({ fg_threshold: 0.6, bg_threshold: 0.4, fg_fraction: 0.3, context_pad: 16, crop_mode: 'square' });
    expect(up({ type: 'images', shuffle_images: true, new_height: 3, new_width: 4 }).image_data_param).toEqual({
      shuffle: true,
      new_height: 3,
      new_width: 4,
    });
    expect(up({ type: 'lrn', local_size: 3, alpha: 2, beta: 0.5, k: 1 }).lrn_param).toEqual({
      local_size: 3,
      alpha: 2,
      beta: 0.5,
      k: 1,
    });
    expect(up({ type: 'concat', concat_dim: 2 }).concat_param).toEqual({ concat_dim: 2 });
    expect(up({ type: 'dropout', dropout_ratio: 0.2 }).dropout_param).toEqual({ dropout_ratio: 0.2 });
    expect(up({ type: 'hdf5_output', hdf5_output_param: { file_name: 'f' } }).hdf5_output_param).toEqual({
      file_name: 'f',
    });
    expect(up({ type: 'infogain_loss', source: 'H' }).infogain_loss_param).toEqual({ source: 'H' });
    expect(up({ type: 'hdf5_data', source: 'h', batchsize: 2 }).hdf5_data_param).toEqual({
      source: 'h',
      batch_size: 2,
    });
  });
  it('logs each setting its type cannot take, in Caffe order and names, and carries on', () => {
    const out: Message = {};
    const { result, log } = captureLog(() =>
      upgradeV0LayerParameter(
        v0({
          name: 'r',
          type: 'relu',
          shuffle_images: true,
          num_output: 3,
          pool: 'AVE',
          scale: 2,
          new_num: 1,
        }),
        out,
      ),
    );
    expect(result).toBe(false);
    expect(log).toEqual([
      'E Unknown parameter num_output for layer type relu',
      'E Unknown parameter pool for layer type relu',
      'E Unknown parameter shuffle for layer type relu',
    ]);
    expect(out).toEqual({ name: 'r', type: 'RELU', transform_param: { scale: 2 } });
  });
  it('keeps only bottom/top of the V1 wrapper, and of entries without a V0 layer', () => {
    const out: Message = {};
    expect(
      upgradeV0LayerParameter(
        { name: 'x', type: 'RELU', bottom: ['a'], top: ['b'], include: [{ phase: 'TEST' }] },
        out,
      ),
    ).toBe(true);
    expect(out).toEqual({ bottom: ['a'], top: ['b'] });
    const { log } = captureLog(() => upgradeV0LayerParameter(v0({ num_output: 2 }), out));
    expect(log).toEqual(['E Unknown parameter num_output for layer type ']);
    expect(out).toEqual({});
  });
});

describe('upgradeV0Net', () => {
  it('keeps name/input/input_dim/force_backward only and upgrades every layer', () => {
    const net: Message = {
      name: 'n',
      input: ['d'],
      input_dim: [1, 1, 2, 2],
      input_shape: [{ dim: [3] }],
      force_backward: false,
      state: { phase: 'TEST' },
      debug_info: true,
      layer: [{ name: 'v2', type: 'ReLU' }],
      layers: [
        v0({ name: 'r', type: 'relu', num_output: 1 }, ['d'], ['r']),
        v0({ name: 's', type: 'sigmoid' }, ['r'], ['s']),
      ],
    };
    const { result, log } = captureLog(() => upgradeV0Net(net, net));
    expect(result).toBe(false);
    expect(log).toEqual(['E Unknown parameter num_output for layer type relu']);
    expect(net).toEqual({
      name: 'n',
      input: ['d'],
      input_dim: [1, 1, 2, 2],
      force_backward: false,
      layers: [
        { name: 'r', type: 'RELU', bottom: ['d'], top: ['r'] },
        { name: 's', type: 'SIGMOID', bottom: ['r'], top: ['s'] },
      ],
    });
  });
});
