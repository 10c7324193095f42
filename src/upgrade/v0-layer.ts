// V0 -> V1, one layer at a time: a V0 layer is a V1LayerParameter whose settings all live in
// its `layer` (V0LayerParameter) field; each V0 setting moves to the V1 *_param of its type.
import { log } from '../util/logging';
import { Message, add, cloneMessage, has, items, clearMessage, mutable } from '../proto/message';
import { fatal } from '../util/check';

// V0 type string -> V1LayerParameter.LayerType name.
const V0_TYPES: Record<string, string> = {
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

/** The V1 LayerType name of a V0 type string; anything else is fatal ("padding" included). */
export function upgradeV0LayerType(type: string): string {
  if (Object.prototype.hasOwnProperty.call(V0_TYPES, type)) return V0_TYPES[type];
  return fatal(null, `Unknown layer name: ${type}`);
}

/** Where a V0 setting goes: V1 sub-message, its field, and whether that field is repeated. */
type Dest = { param: string; field: string; repeated?: boolean };
const to = (param: string, field: string, repeated = false): Dest => ({ param, field, repeated });

interface Rule {
  v0: string; // the V0LayerParameter field
  label?: string; // its name in the error message, when that differs
  any?: Dest; // valid for every type
  byType?: Record<string, Dest>;
  convert?: (v: unknown) => unknown | undefined; // undefined = value not convertible
}

const POOL_METHODS = ['MAX', 'AVE', 'STOCHASTIC'];
const convertPool = (v: unknown): unknown =>
  typeof v === 'number' ? POOL_METHODS[v] : POOL_METHODS.includes(String(v)) ? v : undefined;

const dataSources = (field: string, types: string[]): Record<string, Dest> => {
  const params: Record<string, string> = {
    data: 'data_param',
    hdf5_data: 'hdf5_data_param',
    images: 'image_data_param',
    window_data: 'window_data_param',
    infogain_loss: 'infogain_loss_param',
  };
  return Object.fromEntries(types.map((t) => [t, to(params[t], field)]));
};

// In the order Caffe examines them (this fixes the order of its error lines).
const RULES: Rule[] = [
  {
    v0: 'num_output',
    byType: { conv: to('convolution_param', 'num_output'), innerproduct: to('inner_product_param', 'num_output') },
  },
  {
    v0: 'biasterm',
    byType: { conv: to('convolution_param', 'bias_term'), innerproduct: to('inner_product_param', 'bias_term') },
  },
  {
    v0: 'weight_filler',
    byType: {
      conv: to('convolution_param', 'weight_filler'),
      innerproduct: to('inner_product_param', 'weight_filler'),
    },
  },
  {
    v0: 'bias_filler',
    byType: { conv: to('convolution_param', 'bias_filler'), innerproduct: to('inner_product_param', 'bias_filler') },
  },
  { v0: 'pad', byType: { conv: to('convolution_param', 'pad', true), pool: to('pooling_param', 'pad') } },
  {
    v0: 'kernelsize',
    byType: { conv: to('convolution_param', 'kernel_size', true), pool: to('pooling_param', 'kernel_size') },
  },
  { v0: 'group', byType: { conv: to('convolution_param', 'group') } },
  { v0: 'stride', byType: { conv: to('convolution_param', 'stride', true), pool: to('pooling_param', 'stride') } },
  { v0: 'pool', byType: { pool: to('pooling_param', 'pool') }, convert: convertPool },
  { v0: 'dropout_ratio', byType: { dropout: to('dropout_param', 'dropout_ratio') } },
  { v0: 'local_size', byType: { lrn: to('lrn_param', 'local_size') } },
  { v0: 'alpha', byType: { lrn: to('lrn_param', 'alpha') } },
  { v0: 'beta', byType: { lrn: to('lrn_param', 'beta') } },
  { v0: 'k', byType: { lrn: to('lrn_param', 'k') } },
  { v0: 'source', byType: dataSources('source', ['data', 'hdf5_data', 'images', 'window_data', 'infogain_loss']) },
  { v0: 'scale', any: to('transform_param', 'scale') },
  { v0: 'meanfile', any: to('transform_param', 'mean_file') },
  { v0: 'batchsize', byType: dataSources('batch_size', ['data', 'hdf5_data', 'images', 'window_data']) },
  { v0: 'cropsize', any: to('transform_param', 'crop_size') },
  { v0: 'mirror', any: to('transform_param', 'mirror') },
  { v0: 'rand_skip', byType: dataSources('rand_skip', ['data', 'images']) },
  { v0: 'shuffle_images', label: 'shuffle', byType: { images: to('image_data_param', 'shuffle') } },
  { v0: 'new_height', byType: { images: to('image_data_param', 'new_height') } },
  { v0: 'new_width', byType: { images: to('image_data_param', 'new_width') } },
  { v0: 'concat_dim', byType: { concat: to('concat_param', 'concat_dim') } },
  { v0: 'det_fg_threshold', byType: { window_data: to('window_data_param', 'fg_threshold') } },
  { v0: 'det_bg_threshold', byType: { window_data: to('window_data_param', 'bg_threshold') } },
  { v0: 'det_fg_fraction', byType: { window_data: to('window_data_param', 'fg_fraction') } },
  { v0: 'det_context_pad', byType: { window_data: to('window_data_param', 'context_pad') } },
  { v0: 'det_crop_mode', byType: { window_data: to('window_data_param', 'crop_mode') } },
  { v0: 'hdf5_output_param', byType: { hdf5_output: to('hdf5_output_param', '') } },
];

/**
 * Rewrites the V0 layer `v0Layer` as a V1 layer into `layer` (cleared first). Settings that do
 * not belong to the layer's type are logged and dropped; returns false if any were.
 * V1-level fields of `v0Layer` other than bottom/top/layer are not carried over (as in Caffe).
 */
export function upgradeV0LayerParameter(v0Layer: Message, layer: Message): boolean {
  let compatible = true;
  const bottoms = items<string>(v0Layer, 'bottom');
  const tops = items<string>(v0Layer, 'top');
  const v0 = v0Layer.layer as Message | undefined;
  clearMessage(layer);
  for (const b of bottoms) add(layer, 'bottom', b);
  for (const t of tops) add(layer, 'top', t);
  if (v0 === undefined || v0 === null) return compatible;

  if (has(v0, 'name')) layer.name = v0.name;
  const type: string = v0.type ?? '';
  if (has(v0, 'type')) layer.type = upgradeV0LayerType(type);
  for (const b of items(v0, 'blobs')) add(layer, 'blobs', cloneMessage(b));
  for (const lr of items<number>(v0, 'blobs_lr')) add(layer, 'blobs_lr', lr);
  for (const wd of items<number>(v0, 'weight_decay')) add(layer, 'weight_decay', wd);

  for (const rule of RULES) {
    if (!has(v0, rule.v0)) continue;
    const dest = rule.any ?? (Object.prototype.hasOwnProperty.call(rule.byType, type) ? rule.byType![type] : undefined);
    if (!dest) {
      log.error(`Unknown parameter ${rule.label ?? rule.v0} for layer type ${type}`);
      compatible = false;
      continue;
    }
    let value: unknown = v0[rule.v0];
    if (rule.convert) {
      value = rule.convert(value);
      if (value === undefined) {
        log.error(`Unknown pool method ${String(v0[rule.v0])}`);
        compatible = false;
        continue;
      }
    }
    if (dest.field === '') {
      // the whole sub-message moves
      layer[dest.param] = cloneMessage(value);
    } else if (dest.repeated) {
      add(mutable(layer, dest.param), dest.field, value);
    } else {
      mutable(layer, dest.param)[dest.field] = cloneMessage(value);
    }
  }
  return compatible;
}
