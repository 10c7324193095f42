// Spot checks that proto/caffe.proto carries BVLC Caffe's field numbers, labels,
// packing and defaults (the full mechanical comparison is done against Caffe's file).
import * as protobuf from 'protobufjs';
import { caffeRoot, fieldDefault, getField, messageType, subMessageType, withDefaults } from '../../src/proto/schema';

function field(typeName: string, name: string): protobuf.Field {
  const f = messageType(typeName).fields[name];
  if (!f) throw new Error(`${typeName}.${name} not found`);
  f.resolve();
  return f;
}

function enumType(fullName: string): protobuf.Enum {
  return caffeRoot().lookupEnum(fullName);
}

describe('proto/caffe.proto', () => {
  test('loads as package caffe with the top-level Phase enum', () => {
    const phase = enumType('caffe.Phase');
    expect(phase.values).toEqual({ TRAIN: 0, TEST: 1 });
    expect(messageType('caffe.NetParameter').fullName).toBe('.caffe.NetParameter');
  });

  test('LayerParameter field numbers', () => {
    expect(field('LayerParameter', 'convolution_param').id).toBe(106);
    expect(field('LayerParameter', 'convolution_param').type).toBe('ConvolutionParameter');
    expect(field('LayerParameter', 'clip_param').id).toBe(148);
    expect(field('LayerParameter', 'swish_param').id).toBe(147);
    expect(field('LayerParameter', 'transform_param').id).toBe(100);
    expect(field('LayerParameter', 'propagate_down').repeated).toBe(true);
    expect(field('NetParameter', 'layer').id).toBe(100);
    expect(field('NetParameter', 'layers').id).toBe(2);
  });

  test('BlobProto.data is field 5, packed repeated float', () => {
    const f = field('BlobProto', 'data');
    expect(f.id).toBe(5);
    expect(f.type).toBe('float');
    expect(f.repeated).toBe(true);
    expect(f.packed).toBe(true);
    expect(field('BlobProto', 'double_diff').id).toBe(9);
    expect(field('BlobProto', 'double_diff').packed).toBe(true);
  });

  test('BlobShape.dim is packed repeated int64', () => {
    const f = field('BlobShape', 'dim');
    expect(f.id).toBe(1);
    expect(f.type).toBe('int64');
    expect(f.repeated).toBe(true);
    expect(f.packed).toBe(true);
  });

  test('Datum.float_data is repeated float and NOT packed (as in Caffe)', () => {
    const f = field('Datum', 'float_data');
    expect(f.id).toBe(6);
    expect(f.type).toBe('float');
    expect(f.repeated).toBe(true);
    expect(f.packed).toBe(false);
    expect(f.options?.packed).toBeUndefined();
  });

  test('SolverParameter.weights is 42 repeated string; solver_mode defaults to GPU', () => {
    const w = field('SolverParameter', 'weights');
    expect(w.id).toBe(42);
    expect(w.type).toBe('string');
    expect(w.repeated).toBe(true);
    expect(fieldDefault(field('SolverParameter', 'solver_mode'))).toBe('GPU');
    expect(getField({}, 'caffe.SolverParameter', 'solver_mode')).toBe('GPU');
    expect(getField({}, 'caffe.SolverParameter', 'type')).toBe('SGD');
    expect(getField({}, 'caffe.SolverParameter', 'random_seed')).toBe(-1);
    expect(getField({}, 'caffe.SolverParameter', 'snapshot_format')).toBe('BINARYPROTO');
    expect(getField({}, 'caffe.SolverParameter', 'regularization_type')).toBe('L2');
    expect(caffeRoot().lookupEnum('caffe.SolverParameter.SolverMode').values).toEqual({ CPU: 0, GPU: 1 });
  });

  test('PoolingParameter.round_mode defaults to CEIL', () => {
    const f = field('PoolingParameter', 'round_mode');
    expect(f.id).toBe(13);
    expect(fieldDefault(f)).toBe('CEIL');
    expect(enumType('caffe.PoolingParameter.RoundMode').values).toEqual({ CEIL: 0, FLOOR: 1 });
    expect(getField({ round_mode: 'FLOOR' }, 'caffe.PoolingParameter', 'round_mode')).toBe('FLOOR');
  });

  test('LRNParameter defaults: alpha 1, beta 0.75, k 1, local_size 5', () => {
    expect(getField({}, 'caffe.LRNParameter', 'alpha')).toBe(1);
    expect(getField({}, 'caffe.LRNParameter', 'beta')).toBe(0.75);
    expect(getField({}, 'caffe.LRNParameter', 'k')).toBe(1);
    expect(getField({}, 'caffe.LRNParameter', 'local_size')).toBe(5);
    expect(getField({}, 'caffe.LRNParameter', 'norm_region')).toBe('ACROSS_CHANNELS');
  });

  test('ConvolutionParameter defaults', () => {
    expect(getField({}, 'caffe.ConvolutionParameter', 'bias_term')).toBe(true);
    expect(getField({}, 'caffe.ConvolutionParameter', 'group')).toBe(1);
    expect(getField({}, 'caffe.ConvolutionParameter', 'axis')).toBe(1);
    expect(getField({}, 'caffe.ConvolutionParameter', 'kernel_size')).toEqual([]);
    expect(field('ConvolutionParameter', 'dilation').id).toBe(18);
  });

  test('V1LayerParameter.LayerType has CONVOLUTION = 4', () => {
    const e = enumType('caffe.V1LayerParameter.LayerType');
    expect(e.values.CONVOLUTION).toBe(4);
    expect(e.values.NONE).toBe(0);
    expect(e.values.DECONVOLUTION).toBe(39);
    expect(field('V1LayerParameter', 'type').type).toBe('LayerType');
  });

  test('DataParameter.backend defaults to LEVELDB', () => {
    expect(getField({}, 'caffe.DataParameter', 'backend')).toBe('LEVELDB');
    expect(getField({}, 'caffe.DataParameter', 'prefetch')).toBe(4);
  });

  test('ClipParameter min/max are required floats', () => {
    expect(field('ClipParameter', 'min').required).toBe(true);
    expect(field('ClipParameter', 'max').required).toBe(true);
    expect(field('ClipParameter', 'max').type).toBe('float');
  });

  test('other well-known defaults', () => {
    expect(getField({}, 'caffe.FillerParameter', 'type')).toBe('constant');
    expect(getField({}, 'caffe.FillerParameter', 'std')).toBe(1);
    expect(getField({}, 'caffe.NetState', 'phase')).toBe('TEST');
    expect(getField({}, 'caffe.ParamSpec', 'lr_mult')).toBe(1);
    expect(getField({}, 'caffe.LossParameter', 'normalization')).toBe('VALID');
    expect(getField({}, 'caffe.HingeLossParameter', 'norm')).toBe('L1');
    expect(getField({}, 'caffe.SwishParameter', 'beta')).toBe(1);
    expect(getField({}, 'caffe.BatchNormParameter', 'eps')).toBeCloseTo(1e-5, 12);
  });

  test('binary round trip of a BlobProto keeps packed float data', () => {
    const T = messageType('BlobProto');
    // data alone: one packed record, tag (5 << 3 | 2) = 0x2a, then 6 floats * 4 bytes
    const only = T.encode(T.fromObject({ data: [1, 2, 3, 4, 5, 6] })).finish();
    expect(only[0]).toBe(0x2a);
    expect(only[1]).toBe(24);
    expect(only.length).toBe(26);
    const bytes = T.encode(T.fromObject({ shape: { dim: [2, 3] }, data: [1, 2, 3, 4, 5, 6] })).finish();
    const back = T.toObject(T.decode(bytes), { longs: Number });
    expect(back.shape.dim).toEqual([2, 3]);
    expect(Array.from(back.data as number[])).toEqual([1, 2, 3, 4, 5, 6]);
  });
});

describe('withDefaults: a message read through its schema defaults', () => {
  test('set fields win, unset scalars and enums read their defaults, sub-messages stay unset', () => {
    const ip = withDefaults('caffe.InnerProductParameter', { num_output: 10 });
    expect(ip.num_output).toBe(10);
    expect(ip.bias_term).toBe(true);
    expect(ip.axis).toBe(1);
    expect(ip.transpose).toBe(false);
    expect(ip.weight_filler).toBeUndefined();
    expect(withDefaults('caffe.PoolingParameter', undefined).pool).toBe('MAX');
  });

  test('repeated fields default to a frozen empty array; the view never writes back', () => {
    const m = { kernel_size: [3] };
    const conv = withDefaults('caffe.ConvolutionParameter', m);
    expect(conv.kernel_size).toEqual([3]);
    expect(conv.pad).toEqual([]);
    expect(Object.isFrozen(conv.pad)).toBe(true);
    (conv as { group: number }).group = 2; // a view is an object of its own
    expect(conv.group).toBe(2);
    expect(m).toEqual({ kernel_size: [3] });
    expect(withDefaults('caffe.ConvolutionParameter', {}).group).toBe(1);
  });

  test('subMessageType names the type of a message field', () => {
    expect(subMessageType('caffe.LayerParameter', 'inner_product_param')).toBe('caffe.InnerProductParameter');
    expect(() => subMessageType('caffe.LayerParameter', 'name')).toThrow('not a message field');
  });
});
