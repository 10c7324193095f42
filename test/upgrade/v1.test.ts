import { netNeedsV1ToV2Upgrade, upgradeV1Net, upgradeV1LayerParameter, upgradeV1LayerType } from '../../src/upgrade';
import { CaffeError } from '../../src/util/errors';
import { captureLog } from './capture';
import type { Message } from '../../src/proto/schema';

describe('upgradeV1LayerType', () => {
  it('maps V1 enum names (and numbers) to type strings, NONE to ""', () => {
    expect(upgradeV1LayerType('CONVOLUTION')).toBe('Convolution');
    expect(upgradeV1LayerType('SOFTMAX_LOSS')).toBe('SoftmaxWithLoss');
    expect(upgradeV1LayerType('IM2COL')).toBe('Im2col');
    expect(upgradeV1LayerType('TANH')).toBe('TanH');
    expect(upgradeV1LayerType('DECONVOLUTION')).toBe('Deconvolution');
    expect(upgradeV1LayerType('NONE')).toBe('');
    expect(upgradeV1LayerType(4)).toBe('Convolution');
    expect(upgradeV1LayerType(31)).toBe('Threshold');
  });
  it('is fatal on unknown values, printing the number', () => {
    expect(() => upgradeV1LayerType(99)).toThrow(new CaffeError('Unknown V1LayerParameter layer type: 99'));
    expect(() => upgradeV1LayerType('BOGUS')).toThrow('Unknown V1LayerParameter layer type: BOGUS');
  });
});

describe('upgradeV1LayerParameter', () => {
  it('builds param specs from param/blob_share_mode/blobs_lr/weight_decay', () => {
    const out: Message = {};
    const ok = upgradeV1LayerParameter(
      {
        name: 'conv',
        type: 'CONVOLUTION',
        bottom: ['data'],
        top: ['conv'],
        blobs_lr: [1, 2, 3],
        weight_decay: [1],
        param: ['w'],
        blob_share_mode: ['STRICT', 'PERMISSIVE'],
        include: [{ phase: 'TRAIN' }],
        exclude: [{ stage: ['x'] }],
        loss_weight: [0.5],
        convolution_param: { num_output: 3, kernel_size: [3] },
      },
      out,
    );
    expect(ok).toBe(true);
    expect(out).toEqual({
      name: 'conv',
      type: 'Convolution',
      bottom: ['data'],
      top: ['conv'],
      include: [{ phase: 'TRAIN' }],
      exclude: [{ stage: ['x'] }],
      loss_weight: [0.5],
      param: [
        { name: 'w', share_mode: 'STRICT', lr_mult: 1, decay_mult: 1 },
        { share_mode: 'PERMISSIVE', lr_mult: 2 },
        { lr_mult: 3 },
      ],
      convolution_param: { num_output: 3, kernel_size: [3] },
    });
  });
  it('copies every *_param (deeply) and blobs', () => {
    const params = [
      'accuracy_param',
      'argmax_param',
      'concat_param',
      'contrastive_loss_param',
      'convolution_param',
      'data_param',
      'dropout_param',
      'dummy_data_param',
      'eltwise_param',
      'exp_param',
      'hdf5_data_param',
      'hdf5_output_param',
      'hinge_loss_param',
      'image_data_param',
      'infogain_loss_param',
      'inner_product_param',
      'lrn_param',
      'memory_data_param',
      'mvn_param',
      'pooling_param',
      'power_param',
      'relu_param',
      'sigmoid_param',
      'softmax_param',
      'slice_param',
      'tanh_param',
      'threshold_param',
      'window_data_param',
      'transform_param',
      'loss_param',
    ];
    const v1: Message = { blobs: [{ shape: { dim: [2] }, data: new Float32Array([1, 2]) }] };
    params.forEach((p, i) => {
      v1[p] = { x: { y: i } };
    });
    const out: Message = {};
    expect(upgradeV1LayerParameter(v1, out)).toBe(true);
    expect(out).toEqual(v1);
    expect(out.relu_param).not.toBe(v1.relu_param);
    expect(out.relu_param.x).not.toBe(v1.relu_param.x);
  });
  it('logs and drops a V0 layer', () => {
    const out: Message = {};
    const { result, log } = captureLog(() => upgradeV1LayerParameter({ name: 'a', layer: { type: 'relu' } }, out));
    expect(result).toBe(false);
    expect(log).toEqual(['E Input NetParameter has V0 layer -- ignoring.']);
    expect(out).toEqual({ name: 'a' });
  });
  it('is fatal on an unknown blob_share_mode', () => {
    expect(() => upgradeV1LayerParameter({ blob_share_mode: ['LOOSE'] }, {})).toThrow('Unknown blob_share_mode: LOOSE');
  });
});

describe('upgradeV1Net', () => {
  it('turns layers into layer, keeping every net-level field', () => {
    const net: Message = {
      name: 'n',
      input: ['d'],
      input_dim: [1, 2, 3, 4],
      state: { phase: 'TEST' },
      debug_info: true,
      layers: [{ name: 'r', type: 'RELU', bottom: ['d'], top: ['r'] }],
    };
    expect(netNeedsV1ToV2Upgrade(net)).toBe(true);
    expect(upgradeV1Net(net, net)).toBe(true);
    expect(net).toEqual({
      name: 'n',
      input: ['d'],
      input_dim: [1, 2, 3, 4],
      state: { phase: 'TEST' },
      debug_info: true,
      layer: [{ name: 'r', type: 'ReLU', bottom: ['d'], top: ['r'] }],
    });
    expect(netNeedsV1ToV2Upgrade(net)).toBe(false);
  });
  it('logs the index of each layer that failed and returns false', () => {
    const net: Message = { layers: [{ name: 'ok' }, { name: 'bad', layer: {} }] };
    const { result, log } = captureLog(() => upgradeV1Net(net, net));
    expect(result).toBe(false);
    expect(log).toEqual(['E Input NetParameter has V0 layer -- ignoring.', 'E Upgrade of input layer 1 failed.']);
    expect(net).toEqual({ layer: [{ name: 'ok' }, { name: 'bad' }] });
  });
  it('refuses a net with both layers and layer', () => {
    const net = { layers: [{ type: 'RELU' }], layer: [{ type: 'ReLU' }] };
    expect(() => upgradeV1Net(net, {})).toThrow(
      new CaffeError(
        "Refusing to upgrade inconsistent NetParameter input; the definition includes both 'layer' and " +
          "'layers' fields. The current format defines 'layer' fields with string type like layer { type: " +
          "'Layer' ... } and not layers { type: LAYER ... }. Manually switch the definition to 'layer' " +
          'format to continue.',
      ),
    );
  });
});
