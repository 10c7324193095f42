// V1 -> V2: `layers { type: CONVOLUTION ... }` becomes `layer { type: "Convolution" ... }`,
// with blobs_lr / weight_decay / param / blob_share_mode gathered into ParamSpecs.
import { log } from '../util/logging';
import { Message, add, clearMessage, cloneMessage, enumNumber, has, items } from '../proto/message';
import { fatal } from '../util/check';

// V1LayerParameter.LayerType name -> V2 type string.
const V1_TYPES: Record<string, string> = {
  NONE: '',
  ABSVAL: 'AbsVal',
  ACCURACY: 'Accuracy',
  ARGMAX: 'ArgMax',
  BNLL: 'BNLL',
  CONCAT: 'Concat',
  CONTRASTIVE_LOSS: 'ContrastiveLoss',
  CONVOLUTION: 'Convolution',
  DECONVOLUTION: 'Deconvolution',
  DATA: 'Data',
  DROPOUT: 'Dropout',
  DUMMY_DATA: 'DummyData',
  EUCLIDEAN_LOSS: 'EuclideanLoss',
  ELTWISE: 'Eltwise',
  EXP: 'Exp',
  FLATTEN: 'Flatten',
  HDF5_DATA: 'HDF5Data',
  HDF5_OUTPUT: 'HDF5Output',
  HINGE_LOSS: 'HingeLoss',
  IM2COL: 'Im2col',
  IMAGE_DATA: 'ImageData',
  INFOGAIN_LOSS: 'InfogainLoss',
  INNER_PRODUCT: 'InnerProduct',
  LRN: 'LRN',
  MEMORY_DATA: 'MemoryData',
  MULTINOMIAL_LOGISTIC_LOSS: 'MultinomialLogisticLoss',
  MVN: 'MVN',
  POOLING: 'Pooling',
  POWER: 'Power',
  RELU: 'ReLU',
  SIGMOID: 'Sigmoid',
  SIGMOID_CROSS_ENTROPY_LOSS: 'SigmoidCrossEntropyLoss',
  SILENCE: 'Silence',
  SOFTMAX: 'Softmax',
  SOFTMAX_LOSS: 'SoftmaxWithLoss',
  SPLIT: 'Split',
  SLICE: 'Slice',
  TANH: 'TanH',
  WINDOW_DATA: 'WindowData',
  THRESHOLD: 'Threshold',
};

// The per-type sub-messages V1 and V2 share, in the order Caffe copies them.
const SHARED_PARAMS = [
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

/** The V2 type string of a V1 LayerType (NONE gives ""); unknown values are fatal. */
export function upgradeV1LayerType(type: string | number): string {
  const name = typeof type === 'number' ? numberToV1Name(type) : type;
  if (name !== undefined && Object.prototype.hasOwnProperty.call(V1_TYPES, name)) return V1_TYPES[name];
  return fatal(null, `Unknown V1LayerParameter layer type: ${enumNumber('V1LayerParameter', 'type', type)}`);
}

const V1_NUMBERS: Record<number, string> = {
  0: 'NONE',
  35: 'ABSVAL',
  1: 'ACCURACY',
  30: 'ARGMAX',
  2: 'BNLL',
  3: 'CONCAT',
  37: 'CONTRASTIVE_LOSS',
  4: 'CONVOLUTION',
  39: 'DECONVOLUTION',
  5: 'DATA',
  6: 'DROPOUT',
  32: 'DUMMY_DATA',
  7: 'EUCLIDEAN_LOSS',
  25: 'ELTWISE',
  38: 'EXP',
  8: 'FLATTEN',
  9: 'HDF5_DATA',
  10: 'HDF5_OUTPUT',
  28: 'HINGE_LOSS',
  11: 'IM2COL',
  12: 'IMAGE_DATA',
  13: 'INFOGAIN_LOSS',
  14: 'INNER_PRODUCT',
  15: 'LRN',
  29: 'MEMORY_DATA',
  16: 'MULTINOMIAL_LOGISTIC_LOSS',
  34: 'MVN',
  17: 'POOLING',
  26: 'POWER',
  18: 'RELU',
  19: 'SIGMOID',
  27: 'SIGMOID_CROSS_ENTROPY_LOSS',
  36: 'SILENCE',
  20: 'SOFTMAX',
  21: 'SOFTMAX_LOSS',
  22: 'SPLIT',
  33: 'SLICE',
  23: 'TANH',
  24: 'WINDOW_DATA',
  31: 'THRESHOLD',
};
const numberToV1Name = (n: number): string | undefined => V1_NUMBERS[n];

/** True iff the net still has V1 `layers`. */
export function netNeedsV1ToV2Upgrade(net: Message): boolean {
  return has(net, 'layers');
}

/**
 * Rebuilds V1 `v1Net` as a current net in `net` (may be the same object): every net-level
 * field is kept, `layers` become `layer`. A net with both `layers` and `layer` is refused
 * (fatal). Returns false if some layer could not be fully upgraded (each one is logged).
 */
export function upgradeV1Net(v1Net: Message, net: Message): boolean {
  if (has(v1Net, 'layer')) {
    fatal(
      null,
      'Refusing to upgrade inconsistent NetParameter input; the definition includes both ' +
        "'layer' and 'layers' fields. The current format defines 'layer' fields with string type " +
        "like layer { type: 'Layer' ... } and not layers { type: LAYER ... }. Manually switch the " +
        "definition to 'layer' format to continue.",
    );
  }
  const v1Layers = items<Message>(v1Net, 'layers');
  const rest = { ...v1Net };
  delete rest.layers;
  delete rest.layer;
  const copy = cloneMessage(rest);
  clearMessage(net);
  Object.assign(net, copy);
  let compatible = true;
  v1Layers.forEach((v1Layer, i) => {
    const layer: Message = {};
    add(net, 'layer', layer);
    if (!upgradeV1LayerParameter(v1Layer, layer)) {
      log.error(`Upgrade of input layer ${i} failed.`);
      compatible = false;
    }
  });
  return compatible;
}

/** ParamSpec i of `layer`, adding empty ones up to it (Caffe's `while (param_size() <= i)`). */
function paramSpec(layer: Message, i: number): Message {
  while (items(layer, 'param').length <= i) add(layer, 'param', {});
  return layer.param[i] as Message;
}

/**
 * Rewrites the V1 layer `v1Layer` into the current LayerParameter `layer` (cleared first).
 * Returns false (after logging) when it still holds a V0 `layer`, which is dropped.
 */
export function upgradeV1LayerParameter(v1Layer: Message, layer: Message): boolean {
  const src = v1Layer === layer ? { ...v1Layer } : v1Layer;
  clearMessage(layer);
  let compatible = true;
  for (const b of items<string>(src, 'bottom')) add(layer, 'bottom', b);
  for (const t of items<string>(src, 'top')) add(layer, 'top', t);
  if (has(src, 'name')) layer.name = src.name;
  for (const rule of items(src, 'include')) add(layer, 'include', cloneMessage(rule));
  for (const rule of items(src, 'exclude')) add(layer, 'exclude', cloneMessage(rule));
  if (has(src, 'type')) layer.type = upgradeV1LayerType(src.type);
  for (const blob of items(src, 'blobs')) add(layer, 'blobs', cloneMessage(blob));
  items<string>(src, 'param').forEach((name, i) => {
    paramSpec(layer, i).name = name;
  });
  items<string | number>(src, 'blob_share_mode').forEach((mode, i) => {
    const spec = paramSpec(layer, i);
    if (mode === 'STRICT' || mode === 0) spec.share_mode = 'STRICT';
    else if (mode === 'PERMISSIVE' || mode === 1) spec.share_mode = 'PERMISSIVE';
    else fatal(null, `Unknown blob_share_mode: ${mode}`);
  });
  items<number>(src, 'blobs_lr').forEach((lr, i) => {
    paramSpec(layer, i).lr_mult = lr;
  });
  items<number>(src, 'weight_decay').forEach((wd, i) => {
    paramSpec(layer, i).decay_mult = wd;
  });
  for (const w of items<number>(src, 'loss_weight')) add(layer, 'loss_weight', w);
  for (const p of SHARED_PARAMS) {
    if (has(src, p)) layer[p] = cloneMessage(src[p]);
  }
  if (has(src, 'layer')) {
    log.error('Input NetParameter has V0 layer -- ignoring.');
    compatible = false;
  }
  return compatible;
}
