// Inputs of the golden tests: small prototxt files run through reference Caffe's upgrade tools.
// Caffe's results are pasted in golden-expected.ts (regenerate: CAFFETS_REGEN_GOLDEN=1 npx jest test/upgrade/golden).

export interface GoldenCase {
  name: string;
  kind: 'net' | 'solver';
  what: string;
  input: string;
}

export const CASES: GoldenCase[] = [
  {
    name: 'v0_all_types',
    kind: 'net',
    what: 'every V0 layer type Caffe knows, two padding folds, all V0 fields on their proper types',
    input: `name: "v0_all"
input: "extra"
input_dim: 2
input_dim: 1
input_dim: 4
input_dim: 4
force_backward: true
layers {
  layer { name: "data" type: "data" source: "train_lmdb" batchsize: 64 scale: 0.00390625
    meanfile: "mean.binaryproto" cropsize: 27 mirror: true rand_skip: 5 }
  top: "data" top: "label"
}
layers {
  layer { name: "images" type: "images" source: "list.txt" batchsize: 8 shuffle_images: true
    new_height: 32 new_width: 30 rand_skip: 2 mirror: false }
  top: "img" top: "img_label"
}
layers {
  layer { name: "win" type: "window_data" source: "windows.txt" batchsize: 4
    det_fg_threshold: 0.6 det_bg_threshold: 0.4 det_fg_fraction: 0.3 det_context_pad: 16
    det_crop_mode: "square" cropsize: 227 meanfile: "m.binaryproto" }
  top: "win" top: "win_label"
}
layers {
  layer { name: "h5" type: "hdf5_data" source: "h5list.txt" batchsize: 10 }
  top: "h5data" top: "h5label"
}
layers {
  layer { name: "pad1" type: "padding" pad: 2 }
  bottom: "data" top: "pad1"
}
layers {
  layer { name: "conv1" type: "conv" num_output: 16 biasterm: false kernelsize: 5 stride: 2 group: 1
    weight_filler { type: "gaussian" std: 0.01 } bias_filler { type: "constant" value: 0.1 }
    blobs_lr: 1 blobs_lr: 2 weight_decay: 1 weight_decay: 0 }
  bottom: "pad1" top: "conv1"
}
layers {
  layer { name: "relu1" type: "relu" }
  bottom: "conv1" top: "conv1"
}
layers {
  layer { name: "pad2" type: "padding" pad: 1 }
  bottom: "conv1" top: "pad2"
}
layers {
  layer { name: "pool1" type: "pool" pool: MAX kernelsize: 3 stride: 2 }
  bottom: "pad2" top: "pool1"
}
layers {
  layer { name: "pool2" type: "pool" pool: AVE kernelsize: 2 stride: 1 pad: 1 }
  bottom: "pool1" top: "pool2"
}
layers {
  layer { name: "pool3" type: "pool" pool: STOCHASTIC kernelsize: 2 }
  bottom: "pool2" top: "pool3"
}
layers {
  layer { name: "norm1" type: "lrn" local_size: 3 alpha: 0.0001 beta: 0.75 k: 2 }
  bottom: "pool3" top: "norm1"
}
layers {
  layer { name: "conv2" type: "conv" num_output: 8 kernelsize: 3 pad: 1 group: 2 }
  bottom: "norm1" top: "conv2"
}
layers {
  layer { name: "im2col" type: "im2col" }
  bottom: "conv2" top: "cols"
}
layers {
  layer { name: "sig" type: "sigmoid" }
  bottom: "conv2" top: "sig"
}
layers {
  layer { name: "tanh" type: "tanh" }
  bottom: "sig" top: "tanh"
}
layers {
  layer { name: "bnll" type: "bnll" }
  bottom: "tanh" top: "bnll"
}
layers {
  layer { name: "flat" type: "flatten" }
  bottom: "bnll" top: "flat"
}
layers {
  layer { name: "split" type: "split" }
  bottom: "flat" top: "flat_a" top: "flat_b"
}
layers {
  layer { name: "concat" type: "concat" concat_dim: 1 }
  bottom: "flat_a" bottom: "flat_b" top: "cat"
}
layers {
  layer { name: "drop" type: "dropout" dropout_ratio: 0.3 }
  bottom: "cat" top: "cat"
}
layers {
  layer { name: "fc" type: "innerproduct" num_output: 10 biasterm: true
    weight_filler { type: "xavier" } bias_filler { type: "constant" }
    blobs_lr: 1 blobs_lr: 2 weight_decay: 1 weight_decay: 0
    blobs { num: 1 channels: 1 height: 1 width: 2 data: 0.5 data: -0.25 } }
  bottom: "cat" top: "fc"
}
layers {
  layer { name: "prob" type: "softmax" }
  bottom: "fc" top: "prob"
}
layers {
  layer { name: "acc" type: "accuracy" }
  bottom: "prob" bottom: "label" top: "accuracy"
}
layers {
  layer { name: "loss" type: "softmax_loss" }
  bottom: "fc" bottom: "label" top: "loss"
}
layers {
  layer { name: "mlogit" type: "multinomial_logistic_loss" }
  bottom: "prob" bottom: "label"
}
layers {
  layer { name: "infogain" type: "infogain_loss" source: "H.binaryproto" }
  bottom: "prob" bottom: "label"
}
layers {
  layer { name: "eucl" type: "euclidean_loss" }
  bottom: "fc" bottom: "extra"
}
layers {
  layer { name: "out" type: "hdf5_output" hdf5_output_param { file_name: "out.h5" } }
  bottom: "fc" bottom: "label"
}
layers {
  layer { name: "resize" type: "relu" new_num: 1 new_channels: 2 }
  bottom: "fc" top: "fc_relu"
}
`,
  },
  {
    name: 'v0_bad_fields',
    kind: 'net',
    what: 'V0 settings on types that cannot take them; V1/V2-only fields of a V0 net are dropped',
    input: `name: "v0_bad"
input: "data"
input_dim: 1 input_dim: 3 input_dim: 8 input_dim: 8
layers {
  layer { name: "relu" type: "relu" num_output: 3 biasterm: false kernelsize: 2 stride: 2 pad: 1
    weight_filler { type: "xavier" } bias_filler { type: "constant" } group: 2 pool: AVE
    dropout_ratio: 0.1 local_size: 3 alpha: 1 beta: 2 k: 3 source: "x" batchsize: 2 rand_skip: 1
    shuffle_images: true new_height: 2 new_width: 3 concat_dim: 2 det_fg_threshold: 0.1
    det_bg_threshold: 0.2 det_fg_fraction: 0.3 det_context_pad: 4 det_crop_mode: "warp"
    hdf5_output_param { file_name: "f" } scale: 2 }
  bottom: "data" top: "r"
}
layers {
  layer { num_output: 4 }
  bottom: "r" top: "t"
}
layers {
  name: "v1_name_dropped"
  type: RELU
  bottom: "t" top: "u"
}
layers {
  layer { name: "conv" type: "conv" pool: MAX new_num: 2 kernelsize: 3 }
  bottom: "u" top: "c"
  include { phase: TEST }
  blobs_lr: 3
}
layer { name: "v2_dropped" type: "ReLU" bottom: "c" top: "c" }
input_shape { dim: 5 }
state { phase: TEST }
debug_info: true
`,
  },
  {
    name: 'v0_pad_nopad',
    kind: 'net',
    what: 'padding without pad folds as pad 0 (overriding the conv own pad); unused padding dropped',
    input: `input: "data"
layers { layer { name: "pad" type: "padding" } bottom: "data" top: "p" }
layers { layer { name: "conv" type: "conv" num_output: 2 pad: 7 kernelsize: 3 } bottom: "p" top: "c" }
layers { layer { name: "pad2" type: "padding" pad: 3 } bottom: "c" top: "p2" }
layers { layer { name: "pool" type: "pool" pad: 5 kernelsize: 2 } bottom: "p2" top: "q" }
layers { layer { name: "pad3" type: "padding" pad: 9 } bottom: "q" top: "p3" }
layers { layer { name: "conv2" type: "conv" num_output: 1 kernelsize: 1 } bottom: "data" top: "p" }
layers { layer { name: "conv3" type: "conv" num_output: 1 kernelsize: 1 } bottom: "p" top: "c3" }
`,
  },
  {
    name: 'v0_pad_into_relu',
    kind: 'net',
    what: 'padding feeding a non-conv/pool layer: CHECK failure',
    input: `input: "data"
layers { layer { name: "pad" type: "padding" pad: 1 } bottom: "data" top: "p" }
layers { layer { name: "relu" type: "relu" } bottom: "p" top: "r" }
`,
  },
  {
    name: 'v0_pad_two_bottoms',
    kind: 'net',
    what: 'padding feeding a conv with two bottoms: CHECK_EQ failure',
    input: `input: "data"
input: "data2"
layers { layer { name: "pad" type: "padding" pad: 1 } bottom: "data" top: "p" }
layers { layer { name: "conv" type: "conv" } bottom: "data2" bottom: "p" top: "c" }
`,
  },
  {
    name: 'v0_unknown_blob',
    kind: 'net',
    what: 'a bottom nobody produced: fatal, reported with the bottom index',
    input: `input: "data"
layers { layer { name: "relu" type: "relu" } bottom: "data" bottom: "nowhere" top: "r" }
`,
  },
  {
    name: 'v0_unknown_type',
    kind: 'net',
    what: 'an unknown V0 type: fatal',
    input: `layers { layer { name: "x" type: "gelu" } top: "r" }
`,
  },
  {
    name: 'v1_full',
    kind: 'net',
    what: 'every V1 type and *_param, param specs, include/exclude, data upgrade, input_dim with extras',
    input:
      `name: "v1_full"
input: "aux"
input_dim: 1 input_dim: 2 input_dim: 3 input_dim: 4
input: "aux2"
input_dim: 5 input_dim: 6 input_dim: 7 input_dim: 8
input_dim: 99
state { phase: TRAIN level: 2 }
debug_info: true
layers {
  name: "data" type: DATA top: "data" top: "label"
  data_param { source: "lmdb" batch_size: 32 scale: 0.5 mean_file: "mean.bp" crop_size: 10 mirror: true backend: LMDB }
  include { phase: TRAIN }
}
layers {
  name: "data_test" type: DATA top: "data" top: "label"
  data_param { source: "lmdb_test" batch_size: 16 }
  transform_param { scale: 3 mirror: false }
  include { phase: TEST stage: "val" }
}
layers {
  name: "data_nop" type: DATA top: "d3" top: "l3"
  exclude { phase: TEST not_stage: "x" min_level: 1 max_level: 3 }
}
layers {
  name: "img" type: IMAGE_DATA top: "img" top: "il"
  image_data_param { source: "list" batch_size: 2 mirror: true crop_size: 5 shuffle: true }
  transform_param { mean_value: 104 mean_value: 117 }
}
layers {
  name: "win" type: WINDOW_DATA top: "win" top: "wl"
  window_data_param { source: "w" batch_size: 2 mean_file: "wm" scale: 0.1 }
}
layers {
  name: "conv1" type: CONVOLUTION bottom: "data" top: "conv1"
  blobs_lr: 1 blobs_lr: 2 weight_decay: 1 weight_decay: 0
  param: "w_shared" param: "b_shared"
  blob_share_mode: STRICT blob_share_mode: PERMISSIVE
  convolution_param { num_output: 4 kernel_size: 3 pad: 1 stride: 1 weight_filler { type: "gaussian" std: 0.01 } }
}
layers {
  name: "conv2" type: CONVOLUTION bottom: "data" top: "conv2"
  param: "w_shared"
  blobs_lr: 1 blobs_lr: 2 blobs_lr: 3
  weight_decay: 5
  convolution_param { num_output: 4 kernel_size: 3 }
}
layers { name: "deconv" type: DECONVOLUTION bottom: "conv2" top: "deconv" ` +
      `convolution_param { num_output: 2 kernel_size: 2 } }
layers { name: "abs" type: ABSVAL bottom: "conv1" top: "abs" }
layers { name: "argmax" type: ARGMAX bottom: "abs" top: "am" argmax_param { top_k: 2 out_max_val: true } }
layers { name: "bnll" type: BNLL bottom: "abs" top: "bnll" }
layers { name: "concat" type: CONCAT bottom: "conv1" bottom: "conv2" top: "cat" concat_param { axis: 1 } }
layers { name: "closs" type: CONTRASTIVE_LOSS bottom: "a" bottom: "b" bottom: "c" top: "closs" ` +
      `contrastive_loss_param { margin: 2 } loss_weight: 0.5 }
layers { name: "drop" type: DROPOUT bottom: "cat" top: "cat" dropout_param { dropout_ratio: 0.4 } }
layers { name: "dummy" type: DUMMY_DATA top: "dummy" ` +
      `dummy_data_param { shape { dim: 2 dim: 3 } data_filler { type: "constant" value: 1 } } }
layers { name: "eucl" type: EUCLIDEAN_LOSS bottom: "a" bottom: "b" top: "el" ` +
      `loss_weight: 2 loss_param { normalize: false ignore_label: 3 } }
layers { name: "eltwise" type: ELTWISE bottom: "a" bottom: "b" top: "e" ` +
      `eltwise_param { operation: MAX coeff: 1 coeff: -1 } }
layers { name: "exp" type: EXP bottom: "a" top: "exp" exp_param { base: 2 scale: 0.5 shift: 1 } }
layers { name: "flat" type: FLATTEN bottom: "a" top: "flat" }
layers { name: "h5" type: HDF5_DATA top: "h5" hdf5_data_param { source: "h" batch_size: 3 shuffle: true } }
layers { name: "h5o" type: HDF5_OUTPUT bottom: "a" bottom: "b" hdf5_output_param { file_name: "o.h5" } }
layers { name: "hinge" type: HINGE_LOSS bottom: "a" bottom: "b" hinge_loss_param { norm: L2 } }
layers { name: "im2col" type: IM2COL bottom: "a" top: "cols" convolution_param { kernel_size: 2 } }
layers { name: "infogain" type: INFOGAIN_LOSS bottom: "a" bottom: "b" infogain_loss_param { source: "H" } }
layers { name: "ip" type: INNER_PRODUCT bottom: "a" top: "ip" ` +
      `inner_product_param { num_output: 3 bias_term: false } ` +
      `blobs { shape { dim: 2 } data: 1 data: 2 } blobs { shape { dim: 1 } } }
layers { name: "lrn" type: LRN bottom: "a" top: "lrn" lrn_param { local_size: 3 norm_region: WITHIN_CHANNEL } }
layers { name: "mem" type: MEMORY_DATA top: "m" top: "ml" ` +
      `memory_data_param { batch_size: 1 channels: 2 height: 3 width: 4 } }
layers { name: "mlogit" type: MULTINOMIAL_LOGISTIC_LOSS bottom: "a" bottom: "b" }
layers { name: "mvn" type: MVN bottom: "a" top: "mvn" mvn_param { normalize_variance: false across_channels: true } }
layers { name: "pool" type: POOLING bottom: "a" top: "pool" ` +
      `pooling_param { pool: AVE kernel_size: 3 stride: 2 global_pooling: false } }
layers { name: "power" type: POWER bottom: "a" top: "pow" power_param { power: 2 scale: 3 shift: 4 } }
layers { name: "relu" type: RELU bottom: "a" top: "relu" relu_param { negative_slope: 0.1 } }
layers { name: "sigmoid" type: SIGMOID bottom: "a" top: "sig" sigmoid_param { engine: CAFFE } }
layers { name: "sce" type: SIGMOID_CROSS_ENTROPY_LOSS bottom: "a" bottom: "b" }
layers { name: "silence" type: SILENCE bottom: "a" }
layers { name: "softmax" type: SOFTMAX bottom: "a" top: "sm" softmax_param { axis: 1 } }
layers { name: "loss" type: SOFTMAX_LOSS bottom: "a" bottom: "b" top: "loss" loss_weight: 1 loss_weight: 0 }
layers { name: "split" type: SPLIT bottom: "a" top: "a1" top: "a2" }
layers { name: "slice" type: SLICE bottom: "a" top: "s1" top: "s2" slice_param { slice_dim: 1 slice_point: 1 } }
layers { name: "tanh" type: TANH bottom: "a" top: "tanh" tanh_param { engine: DEFAULT } }
layers { name: "thresh" type: THRESHOLD bottom: "a" top: "th" threshold_param { threshold: 0.5 } }
layers { name: "acc" type: ACCURACY bottom: "a" bottom: "b" top: "acc" ` +
      `accuracy_param { top_k: 5 } include { phase: TEST } }
layers { name: "none" type: NONE bottom: "a" top: "n" }
layers { name: "untyped" bottom: "a" top: "u" }
layers { bottom: "a" }
`,
  },
  {
    name: 'v1_vs_v2',
    kind: 'net',
    what: 'both layers and layer: fatal',
    input: `layers { name: "a" type: RELU bottom: "x" top: "y" }
layer { name: "b" type: "ReLU" bottom: "y" top: "z" }
`,
  },
  {
    name: 'v1_v0_mix_ordered',
    kind: 'net',
    what: 'data upgrade before V1 upgrade, input layer inserted first, NONE type',
    input: `name: "v1_with_inputs_and_bn_names"
input: "data"
input_dim: 1 input_dim: 1 input_dim: 2 input_dim: 2
layers { name: "bn" type: NONE bottom: "data" top: "bn" param: "a" param: "b" param: "c" }
layers { name: "img" type: IMAGE_DATA top: "i" top: "l" image_data_param { source: "s" scale: 2 } }
`,
  },
  {
    name: 'input_shape',
    kind: 'net',
    what: 'input_shape wins over input_dim; Input layer goes first',
    input: `name: "shapes"
input: "data"
input_shape { dim: 1 dim: 3 dim: 4 dim: 5 }
input: "label"
input_shape { dim: 1 }
input_dim: 7
layer { name: "relu" type: "ReLU" bottom: "data" top: "r" }
`,
  },
  {
    name: 'input_only',
    kind: 'net',
    what: 'inputs without shapes are simply dropped',
    input: `name: "bare_inputs"
input: "data"
input: "label"
layer { name: "loss" type: "SoftmaxWithLoss" bottom: "data" bottom: "label" top: "loss" }
`,
  },
  {
    name: 'input_shape_no_input',
    kind: 'net',
    what: 'input_shape alone needs no upgrade',
    input: `input_shape { dim: 2 }
layer { name: "relu" type: "ReLU" bottom: "x" top: "y" }
`,
  },
  {
    name: 'batchnorm',
    kind: 'net',
    what: 'old BatchNorm param specs get lr_mult/decay_mult 0 and are kept',
    input: `name: "bn"
layer { name: "conv" type: "Convolution" bottom: "data" top: "conv"
  param { lr_mult: 1 } param { lr_mult: 1 } param { lr_mult: 1 }
  convolution_param { num_output: 2 kernel_size: 1 } }
layer { name: "bn1" type: "BatchNorm" bottom: "conv" top: "conv"
  param { lr_mult: 0 } param { lr_mult: 0 } param { name: "shared_var" lr_mult: 0 decay_mult: 1 share_mode: PERMISSIVE }
  batch_norm_param { use_global_stats: true } }
layer { name: "bn2" type: "BatchNorm" bottom: "conv" top: "bn2" param { lr_mult: 0 } param { lr_mult: 0 } }
layer { name: "bn3" type: "BatchNorm" bottom: "conv" top: "bn3" }
`,
  },
  {
    name: 'current',
    kind: 'net',
    what: 'already current',
    input: `name: "current"
layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 1 dim: 2 } } }
layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip" inner_product_param { num_output: 3 } }
`,
  },
  {
    name: 'solver_nesterov',
    kind: 'solver',
    what: 'solver_type NESTEROV',
    input: `net: "train_val.prototxt"
base_lr: 0.01
momentum: 0.9
lr_policy: "step"
stepsize: 1000
gamma: 0.1
solver_type: NESTEROV
solver_mode: CPU
`,
  },
  {
    name: 'solver_adagrad_snapshot',
    kind: 'solver',
    what: 'solver_type ADAGRAD',
    input: `net: "n.prototxt"
base_lr: 0.1
delta: 1e-8
solver_type: ADAGRAD
snapshot: 100
`,
  },
  {
    name: 'solver_both',
    kind: 'solver',
    what: 'solver_type and type both set: CHECK failure',
    input: `base_lr: 0.1
solver_type: SGD
type: "Adam"
`,
  },
  {
    name: 'solver_current',
    kind: 'solver',
    what: 'solver already current',
    input: `base_lr: 0.1
type: "RMSProp"
`,
  },
];
