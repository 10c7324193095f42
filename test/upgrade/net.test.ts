import { netNeedsUpgrade, upgradeNetAsNeeded } from '../../src/upgrade';
import { captureLog } from './capture';
import type { Message } from '../../src/proto/schema';

const V0_NOTE =
  'W Note that future Caffe releases will not support V0NetParameter; use ' +
  './build/tools/upgrade_net_proto_text for prototxt and ./build/tools/upgrade_net_proto_binary for ' +
  'model weights upgrade this and any other net protos to the new format.';

describe('netNeedsUpgrade', () => {
  it('looks for every kind of old content', () => {
    expect(netNeedsUpgrade({ layer: [{ type: 'ReLU' }] })).toBe(false);
    expect(netNeedsUpgrade({ layers: [{ type: 'RELU' }] })).toBe(true);
    expect(netNeedsUpgrade({ input: ['x'] })).toBe(true);
    expect(netNeedsUpgrade({ layer: [{ type: 'BatchNorm', param: [{}, {}, {}] }] })).toBe(true);
  });
});

describe('upgradeNetAsNeeded', () => {
  it('runs V0 -> V1 -> V2 -> inputs in order, continuing after a V0 problem', () => {
    const net: Message = {
      name: 'old',
      input: ['data'],
      input_dim: [1, 3, 4, 4],
      layers: [
        { layer: { name: 'pad', type: 'padding', pad: 1 }, bottom: ['data'], top: ['p'] },
        {
          layer: { name: 'conv', type: 'conv', num_output: 2, kernelsize: 3, blobs_lr: [1, 2] },
          bottom: ['p'],
          top: ['c'],
        },
        { layer: { name: 'relu', type: 'relu', dropout_ratio: 0.5 }, bottom: ['c'], top: ['c'] },
      ],
    };
    const { result, log } = captureLog(() => upgradeNetAsNeeded('old.prototxt', net));
    expect(result).toBe(false);
    expect(log).toEqual([
      'I Attempting to upgrade input file specified using deprecated V0LayerParameter: old.prototxt',
      'E Unknown parameter dropout_ratio for layer type relu',
      'E Warning: had one or more problems upgrading V0NetParameter to NetParameter (see above); continuing anyway.',
      V0_NOTE,
      'I Attempting to upgrade input file specified using deprecated V1LayerParameter: old.prototxt',
      'I Successfully upgraded file specified using deprecated V1LayerParameter',
      'I Attempting to upgrade input file specified using deprecated input fields: old.prototxt',
      'I Successfully upgraded file specified using deprecated input fields.',
      'W Note that future Caffe releases will only support input layers and not input fields.',
    ]);
    expect(net).toEqual({
      name: 'old',
      layer: [
        { name: 'input', type: 'Input', top: ['data'], input_param: { shape: [{ dim: [1, 3, 4, 4] }] } },
        {
          name: 'conv',
          type: 'Convolution',
          bottom: ['data'],
          top: ['c'],
          param: [{ lr_mult: 1 }, { lr_mult: 2 }],
          convolution_param: { num_output: 2, kernel_size: [3], pad: [1] },
        },
        { name: 'relu', type: 'ReLU', bottom: ['c'], top: ['c'] },
      ],
    });
    expect(netNeedsUpgrade(net)).toBe(false);
  });

  it('upgrades data transformation fields before V1 layers, and BatchNorm last', () => {
    const net: Message = {
      layers: [{ name: 'd', type: 'DATA', top: ['x'], data_param: { source: 's', mirror: true } }],
      layer: undefined,
    };
    const { result, log } = captureLog(() => upgradeNetAsNeeded('f', net));
    expect(result).toBe(true);
    expect(log).toEqual([
      'I Attempting to upgrade input file specified using deprecated transformation parameters: f',
      'I Successfully upgraded file specified using deprecated data transformation parameters.',
      'W Note that future Caffe releases will only support transform_param messages for transformation fields.',
      'I Attempting to upgrade input file specified using deprecated V1LayerParameter: f',
      'I Successfully upgraded file specified using deprecated V1LayerParameter',
    ]);
    expect(net).toEqual({
      layer: [{ name: 'd', type: 'Data', top: ['x'], data_param: { source: 's' }, transform_param: { mirror: true } }],
    });

    const bn: Message = {
      layer: [{ name: 'bn', type: 'BatchNorm', param: [{ lr_mult: 0 }, { lr_mult: 0 }, { lr_mult: 0 }] }],
    };
    const r = captureLog(() => upgradeNetAsNeeded('bn.prototxt', bn));
    expect(r.result).toBe(true);
    expect(r.log).toEqual([
      'I Attempting to upgrade batch norm layers using deprecated params: bn.prototxt',
      'I Successfully upgraded batch norm layers using deprecated params.',
    ]);
    expect(bn.layer[0].param).toEqual([0, 1, 2].map(() => ({ lr_mult: 0, decay_mult: 0 })));
  });

  it('treats an undefined key as unset, and leaves a current net alone', () => {
    const net: Message = { layers: [{ name: 'x', type: 'RELU' }] };
    net.layers[0].layer = undefined; // absent
    expect(captureLog(() => upgradeNetAsNeeded('f', net)).result).toBe(true);
    const current = { name: 'n', layer: [{ name: 'r', type: 'ReLU' }] };
    const copy = JSON.parse(JSON.stringify(current));
    expect(captureLog(() => upgradeNetAsNeeded('f', current))).toEqual({ result: true, log: [] });
    expect(current).toEqual(copy);
  });
});
