#!/usr/bin/env node
// Writes the train_val.prototxt and deploy.prototxt of models/cifar10_quick, cifar10_full, bvlc_alexnet,
// bvlc_reference_caffenet and bvlc_googlenet. Each net is described once, as plain NetParameter
// objects; `train` picks what differs between the two files (Data layers, learning-rate multipliers,
// fillers, loss / accuracy layers vs. Input and Softmax). The architectures and hyper-parameters are
// those of the nets published with Caffe (its CIFAR-10 example and model zoo), so weights trained by
// either tool load into the other. The solvers are written by hand (models/*/solver*.prototxt).
// Usage: npx tsc -p . && node scripts/gen-models.js [--check]   (--check: exit 1 if a file is stale)
'use strict';
const fs = require('fs');
const path = require('path');
const { printPrototxt } = require('../dist');

const MODELS = path.join(__dirname, '..', 'models');

// ---- layer builders --------------------------------------------------------------------------------

/** lr_mult 1 / 2 on weights / biases, as all these nets use; decay on biases off where `decay`. */
const mults = (decay) =>
  decay
    ? [
        { lr_mult: 1, decay_mult: 1 },
        { lr_mult: 2, decay_mult: 0 },
      ]
    : [{ lr_mult: 1 }, { lr_mult: 2 }];
const gaussian = (std) => ({ type: 'gaussian', std });
const xavier = () => ({ type: 'xavier' });
/** constant bias filler; `undefined` leaves the value at its default (0) unwritten */
const constant = (value) => (value === undefined ? { type: 'constant' } : { type: 'constant', value });

/**
 * Convolution or InnerProduct. `o`: num, kernel / pad / stride / group (convolution), and for the
 * train net param (the ParamSpecs, or null for none), weight and bias (fillers).
 */
function learnable(train, type, name, bottom, o) {
  const l = { name, type, bottom: [bottom], top: [name] };
  if (train && o.param) l.param = o.param;
  const p = { num_output: o.num };
  if (type === 'Convolution') {
    if (o.pad) p.pad = [o.pad];
    p.kernel_size = [o.kernel];
    if (o.stride) p.stride = [o.stride];
    if (o.group) p.group = o.group;
  }
  if (train) {
    p.weight_filler = o.weight;
    p.bias_filler = o.bias;
  }
  l[type === 'Convolution' ? 'convolution_param' : 'inner_product_param'] = p;
  return l;
}
const conv = (train, name, bottom, o) => learnable(train, 'Convolution', name, bottom, o);
const fc = (train, name, bottom, o) => learnable(train, 'InnerProduct', name, bottom, o);
const relu = (name, blob) => ({ name, type: 'ReLU', bottom: [blob], top: [blob] });
const dropout = (name, blob, ratio) => ({
  name,
  type: 'Dropout',
  bottom: [blob],
  top: [blob],
  dropout_param: { dropout_ratio: ratio },
});
function pool(name, bottom, method, kernel, stride, pad) {
  const p = { pool: method, kernel_size: kernel, stride };
  if (pad) p.pad = pad;
  return { name, type: 'Pooling', bottom: [bottom], top: [name], pooling_param: p };
}
function lrn(name, bottom, size, alpha, withinChannel) {
  const p = { local_size: size, alpha, beta: 0.75 };
  if (withinChannel) p.norm_region = 'WITHIN_CHANNEL';
  return { name, type: 'LRN', bottom: [bottom], top: [name], lrn_param: p };
}
const input = (dims) => ({ name: 'data', type: 'Input', top: ['data'], input_param: { shape: [{ dim: dims }] } });
/** the TRAIN and TEST Data layers: `d` gives the layer name, sources, batch sizes and transform_param */
function dataLayers(d) {
  return ['TRAIN', 'TEST'].map((phase) => ({
    name: d.name,
    type: 'Data',
    top: ['data', 'label'],
    include: [{ phase }],
    transform_param: d.transform(phase),
    data_param: { source: d.source[phase], batch_size: d.batch[phase], backend: 'LMDB' },
  }));
}
const accuracy = (name, bottom, top, topK) => {
  const l = { name, type: 'Accuracy', bottom: [bottom, 'label'], top: [top], include: [{ phase: 'TEST' }] };
  if (topK) l.accuracy_param = { top_k: topK };
  return l;
};
const softmaxLoss = (name, bottom, top, weight) => {
  const l = { name, type: 'SoftmaxWithLoss', bottom: [bottom, 'label'], top: [top] };
  if (weight !== undefined) l.loss_weight = [weight];
  return l;
};
const softmax = (bottom) => ({ name: 'prob', type: 'Softmax', bottom: [bottom], top: ['prob'] });

// ---- CIFAR-10 ---------------------------------------------------------------------------------------

const CIFAR_DATA = {
  name: 'cifar',
  source: { TRAIN: 'cifar10_train_lmdb', TEST: 'cifar10_test_lmdb' },
  batch: { TRAIN: 100, TEST: 100 },
  transform: () => ({ mean_file: 'mean.binaryproto' }),
};

/** CIFAR-10 quick: 3 conv (5x5, pad 2) + 2 inner products, about 75% accuracy in 5000 iterations. */
function cifar10Quick(train) {
  const m = mults(false),
    b = constant();
  return [
    ...(train ? dataLayers(CIFAR_DATA) : [input([1, 3, 32, 32])]),
    conv(train, 'conv1', 'data', {
      num: 32,
      pad: 2,
      kernel: 5,
      stride: 1,
      param: m,
      weight: gaussian(0.0001),
      bias: b,
    }),
    pool('pool1', 'conv1', 'MAX', 3, 2),
    relu('relu1', 'pool1'),
    conv(train, 'conv2', 'pool1', { num: 32, pad: 2, kernel: 5, stride: 1, param: m, weight: gaussian(0.01), bias: b }),
    relu('relu2', 'conv2'),
    pool('pool2', 'conv2', 'AVE', 3, 2),
    conv(train, 'conv3', 'pool2', { num: 64, pad: 2, kernel: 5, stride: 1, param: m, weight: gaussian(0.01), bias: b }),
    relu('relu3', 'conv3'),
    pool('pool3', 'conv3', 'AVE', 3, 2),
    fc(train, 'ip1', 'pool3', { num: 64, param: m, weight: gaussian(0.1), bias: b }),
    fc(train, 'ip2', 'ip1', { num: 10, param: m, weight: gaussian(0.1), bias: b }),
    ...(train ? [accuracy('accuracy', 'ip2', 'accuracy'), softmaxLoss('loss', 'ip2', 'loss')] : [softmax('ip2')]),
  ];
}

/** CIFAR-10 full: cifar10_quick with local response normalisation and one (strongly decayed) classifier. */
function cifar10Full(train) {
  const m = mults(false),
    b = constant();
  return [
    ...(train ? dataLayers(CIFAR_DATA) : [input([1, 3, 32, 32])]),
    conv(train, 'conv1', 'data', {
      num: 32,
      pad: 2,
      kernel: 5,
      stride: 1,
      param: m,
      weight: gaussian(0.0001),
      bias: b,
    }),
    pool('pool1', 'conv1', 'MAX', 3, 2),
    relu('relu1', 'pool1'),
    lrn('norm1', 'pool1', 3, 5e-5, true),
    conv(train, 'conv2', 'norm1', { num: 32, pad: 2, kernel: 5, stride: 1, param: m, weight: gaussian(0.01), bias: b }),
    relu('relu2', 'conv2'),
    pool('pool2', 'conv2', 'AVE', 3, 2),
    lrn('norm2', 'pool2', 3, 5e-5, true),
    // the published net leaves conv3's multipliers at their defaults (1 and 1)
    conv(train, 'conv3', 'norm2', {
      num: 64,
      pad: 2,
      kernel: 5,
      stride: 1,
      param: null,
      weight: gaussian(0.01),
      bias: b,
    }),
    relu('relu3', 'conv3'),
    pool('pool3', 'conv3', 'AVE', 3, 2),
    fc(train, 'ip1', 'pool3', {
      num: 10,
      param: [
        { lr_mult: 1, decay_mult: 250 },
        { lr_mult: 2, decay_mult: 0 },
      ],
      weight: gaussian(0.01),
      bias: b,
    }),
    ...(train ? [accuracy('accuracy', 'ip1', 'accuracy'), softmaxLoss('loss', 'ip1', 'loss')] : [softmax('ip1')]),
  ];
}

// ---- ImageNet (ILSVRC-2012) ---------------------------------------------------------------------------

const imagenetData = (crop, trainBatch, transform) => ({
  name: 'data',
  source: { TRAIN: 'ilsvrc12_train_lmdb', TEST: 'ilsvrc12_val_lmdb' },
  batch: { TRAIN: trainBatch, TEST: 50 },
  transform: (phase) => ({ mirror: phase === 'TRAIN', crop_size: crop, ...transform }),
});

/**
 * AlexNet (Krizhevsky et al. 2012) and CaffeNet, its Caffe variant: the same layers, but CaffeNet pools
 * before normalising and starts its biases at 1 where AlexNet starts them at 0.1.
 */
function alexnetLike(train, caffenet) {
  const m = mults(true),
    one = caffenet ? 1 : 0.1,
    zero = constant(0);
  const c = (name, bottom, o, std = 0.01) => conv(train, name, bottom, { ...o, param: m, weight: gaussian(std) });
  const f = (name, bottom, num, std, bias) => fc(train, name, bottom, { num, param: m, weight: gaussian(std), bias });
  const normPool = (n, blob) =>
    caffenet
      ? [pool(`pool${n}`, blob, 'MAX', 3, 2), lrn(`norm${n}`, `pool${n}`, 5, 0.0001)]
      : [lrn(`norm${n}`, blob, 5, 0.0001), pool(`pool${n}`, `norm${n}`, 'MAX', 3, 2)];
  const after1 = caffenet ? 'norm1' : 'pool1',
    after2 = caffenet ? 'norm2' : 'pool2';
  return [
    ...(train
      ? dataLayers(imagenetData(227, 256, { mean_file: 'imagenet_mean.binaryproto' }))
      : [input([10, 3, 227, 227])]),
    c('conv1', 'data', { num: 96, kernel: 11, stride: 4, bias: zero }),
    relu('relu1', 'conv1'),
    ...normPool(1, 'conv1'),
    c('conv2', after1, { num: 256, pad: 2, kernel: 5, group: 2, bias: constant(one) }),
    relu('relu2', 'conv2'),
    ...normPool(2, 'conv2'),
    c('conv3', after2, { num: 384, pad: 1, kernel: 3, bias: zero }),
    relu('relu3', 'conv3'),
    c('conv4', 'conv3', { num: 384, pad: 1, kernel: 3, group: 2, bias: constant(one) }),
    relu('relu4', 'conv4'),
    c('conv5', 'conv4', { num: 256, pad: 1, kernel: 3, group: 2, bias: constant(one) }),
    relu('relu5', 'conv5'),
    pool('pool5', 'conv5', 'MAX', 3, 2),
    f('fc6', 'pool5', 4096, 0.005, constant(one)),
    relu('relu6', 'fc6'),
    dropout('drop6', 'fc6', 0.5),
    f('fc7', 'fc6', 4096, 0.005, constant(one)),
    relu('relu7', 'fc7'),
    dropout('drop7', 'fc7', 0.5),
    f('fc8', 'fc7', 1000, 0.01, zero),
    ...(train ? [accuracy('accuracy', 'fc8', 'accuracy'), softmaxLoss('loss', 'fc8', 'loss')] : [softmax('fc8')]),
  ];
}

/** GoogLeNet's inception modules: [name, 1x1, 3x3 reduce, 3x3, 5x5 reduce, 5x5, pool projection] */
const INCEPTION = [
  ['3a', 64, 96, 128, 16, 32, 32],
  ['3b', 128, 128, 192, 32, 96, 64],
  ['4a', 192, 96, 208, 16, 48, 64],
  ['4b', 160, 112, 224, 24, 64, 64],
  ['4c', 128, 128, 256, 24, 64, 64],
  ['4d', 112, 144, 288, 32, 64, 64],
  ['4e', 256, 160, 320, 32, 128, 128],
  ['5a', 256, 160, 320, 32, 128, 128],
  ['5b', 384, 192, 384, 48, 128, 128],
];

/** GoogLeNet (Szegedy et al. 2014) as replicated in Caffe's model zoo: xavier weights, biases 0.2. */
function googlenet(train) {
  const m = mults(true);
  const c = (name, bottom, num, kernel, pad, stride) =>
    conv(train, name, bottom, { num, kernel, pad, stride, param: m, weight: xavier(), bias: constant(0.2) });
  /** a convolution and its ReLU, named <scope>/<what> and <scope>/relu_<what> (conv1's: relu_7x7) */
  const convRelu = (scope, what, bottom, num, kernel, pad, stride) => [
    c(`${scope}/${what}`, bottom, num, kernel, pad, stride),
    relu(`${scope}/relu_${what.replace(/_s2$/, '')}`, `${scope}/${what}`),
  ];

  const layers = train
    ? dataLayers(imagenetData(224, 32, { mean_value: [104, 117, 123] }))
    : [input([10, 3, 224, 224])];
  layers.push(
    ...convRelu('conv1', '7x7_s2', 'data', 64, 7, 3, 2),
    pool('pool1/3x3_s2', 'conv1/7x7_s2', 'MAX', 3, 2),
    lrn('pool1/norm1', 'pool1/3x3_s2', 5, 0.0001),
    ...convRelu('conv2', '3x3_reduce', 'pool1/norm1', 64, 1),
    ...convRelu('conv2', '3x3', 'conv2/3x3_reduce', 192, 3, 1),
    lrn('conv2/norm2', 'conv2/3x3', 5, 0.0001),
    pool('pool2/3x3_s2', 'conv2/norm2', 'MAX', 3, 2),
  );
  let bottom = 'pool2/3x3_s2';
  for (const [id, n1, n3r, n3, n5r, n5, np] of INCEPTION) {
    const s = `inception_${id}`;
    layers.push(
      ...convRelu(s, '1x1', bottom, n1, 1),
      ...convRelu(s, '3x3_reduce', bottom, n3r, 1),
      ...convRelu(s, '3x3', `${s}/3x3_reduce`, n3, 3, 1),
      ...convRelu(s, '5x5_reduce', bottom, n5r, 1),
      ...convRelu(s, '5x5', `${s}/5x5_reduce`, n5, 5, 2),
      pool(`${s}/pool`, bottom, 'MAX', 3, 1, 1),
      ...convRelu(s, 'pool_proj', `${s}/pool`, np, 1),
      {
        name: `${s}/output`,
        type: 'Concat',
        bottom: ['1x1', '3x3', '5x5', 'pool_proj'].map((b) => `${s}/${b}`),
        top: [`${s}/output`],
      },
    );
    bottom = `${s}/output`;
    if (id === '3b' || id === '4e') {
      const p = id === '3b' ? 'pool3/3x3_s2' : 'pool4/3x3_s2';
      layers.push(pool(p, bottom, 'MAX', 3, 2));
      bottom = p;
    }
    // the two auxiliary classifiers, on 4a and 4d, only help training: the deploy net has none
    if (train && (id === '4a' || id === '4d')) layers.push(...auxClassifier(id === '4a' ? 'loss1' : 'loss2', bottom));
  }
  layers.push(
    pool('pool5/7x7_s1', bottom, 'AVE', 7, 1),
    dropout('pool5/drop_7x7_s1', 'pool5/7x7_s1', 0.4),
    fc(train, 'loss3/classifier', 'pool5/7x7_s1', { num: 1000, param: m, weight: xavier(), bias: constant(0) }),
  );
  if (!train) layers.push(softmax('loss3/classifier'));
  else layers.push(...classifierOutputs('loss3', 1));
  return layers;

  function auxClassifier(s, from) {
    return [
      pool(`${s}/ave_pool`, from, 'AVE', 5, 3),
      c(`${s}/conv`, `${s}/ave_pool`, 128, 1),
      relu(`${s}/relu_conv`, `${s}/conv`),
      fc(train, `${s}/fc`, `${s}/conv`, { num: 1024, param: m, weight: xavier(), bias: constant(0.2) }),
      relu(`${s}/relu_fc`, `${s}/fc`),
      dropout(`${s}/drop_fc`, `${s}/fc`, 0.7),
      fc(train, `${s}/classifier`, `${s}/fc`, { num: 1000, param: m, weight: xavier(), bias: constant(0) }),
      ...classifierOutputs(s, 0.3),
    ];
  }
  /** loss (weighted) and top-1 / top-5 accuracy of classifier <s>/classifier */
  function classifierOutputs(s, weight) {
    return [
      softmaxLoss(s === 'loss3' ? 'loss3/loss3' : `${s}/loss`, `${s}/classifier`, `${s}/${s}`, weight),
      accuracy(`${s}/top-1`, `${s}/classifier`, `${s}/top-1`),
      accuracy(`${s}/top-5`, `${s}/classifier`, `${s}/top-5`, 5),
    ];
  }
}

// ---- the files ------------------------------------------------------------------------------------------

const GENERATED = 'Generated by scripts/gen-models.js: edit the generator, not this file.';
const CIFAR_IN = "3x32x32 CIFAR-10 image (BGR, 0-255) less the training set's mean image";
const CIFAR_DATA_NOTE = [
  'Data: cifar10_train_lmdb / cifar10_test_lmdb (32x32 colour images, labels 0-9) and their mean image',
  'mean.binaryproto, in the folder training runs from (see models/README.md).',
];
const IMAGENET_DATA_NOTE = (crop) => [
  'Data: ilsvrc12_train_lmdb / ilsvrc12_val_lmdb (ILSVRC-2012 images resized to 256x256, labels 0-999) in the',
  `folder training runs from (see models/README.md); random ${crop}x${crop} crops and mirroring in training,`,
  `the centre ${crop}x${crop} crop in testing.`,
];

const NETS = {
  cifar10_quick: {
    name: 'CIFAR10_quick',
    build: cifar10Quick,
    trainVal: [
      'CIFAR-10 quick: three 5x5 convolution + pooling stages and two inner products, trained',
      'on the 10 CIFAR-10 classes (about 75% test accuracy).',
      ...CIFAR_DATA_NOTE,
    ],
    deploy: [`CIFAR-10 quick for classification: one ${CIFAR_IN}`, '(mean.binaryproto), 10 class probabilities out.'],
  },
  cifar10_full: {
    name: 'CIFAR10_full',
    build: cifar10Full,
    trainVal: [
      'CIFAR-10 full: CIFAR-10 quick with local response normalisation after the first two',
      'stages and a single inner product (about 81% test accuracy).',
      ...CIFAR_DATA_NOTE,
    ],
    deploy: [`CIFAR-10 full for classification: one ${CIFAR_IN}`, '(mean.binaryproto), 10 class probabilities out.'],
  },
  bvlc_alexnet: {
    name: 'AlexNet',
    build: (t) => alexnetLike(t, false),
    trainVal: [
      "AlexNet (Krizhevsky et al. 2012) for the 1000 ILSVRC-2012 classes, BVLC's replication,",
      'with the mean image imagenet_mean.binaryproto subtracted.',
      ...IMAGENET_DATA_NOTE(227),
    ],
    deploy: [
      'AlexNet for classification: ten 3x227x227 crops (BGR, 0-255) less the ImageNet mean',
      '(imagenet_mean.binaryproto), 1000 class probabilities out.',
    ],
  },
  bvlc_reference_caffenet: {
    name: 'CaffeNet',
    build: (t) => alexnetLike(t, true),
    trainVal: [
      'CaffeNet: AlexNet as first trained with Caffe (pooling before normalisation), for the 1000',
      'ILSVRC-2012 classes, with the mean image imagenet_mean.binaryproto subtracted.',
      ...IMAGENET_DATA_NOTE(227),
    ],
    deploy: [
      'CaffeNet for classification: ten 3x227x227 crops (BGR, 0-255) less the ImageNet mean',
      '(imagenet_mean.binaryproto), 1000 class probabilities out.',
    ],
  },
  bvlc_googlenet: {
    name: 'GoogleNet',
    build: googlenet,
    trainVal: [
      "GoogLeNet (Szegedy et al. 2014), BVLC's replication, for the 1000 ILSVRC-2012 classes: nine",
      'inception modules, with two auxiliary classifiers (loss weight 0.3) during training.',
      'Mean subtraction by per-channel values (B 104, G 117, R 123), no mean file.',
      ...IMAGENET_DATA_NOTE(224),
    ],
    deploy: [
      'GoogLeNet for classification: ten 3x224x224 crops (BGR, 0-255) less the per-channel mean',
      '(B 104, G 117, R 123), 1000 class probabilities out.',
    ],
  },
};

function render(header, name, layers) {
  const comment = [...header, GENERATED].map((l) => `# ${l}\n`).join('');
  return comment + printPrototxt({ name, layer: layers }, 'caffe.NetParameter');
}

function main() {
  const check = process.argv.includes('--check');
  let stale = 0;
  for (const [dir, net] of Object.entries(NETS)) {
    const files = {
      'train_val.prototxt': render(net.trainVal, net.name, net.build(true)),
      'deploy.prototxt': render(net.deploy, net.name, net.build(false)),
    };
    for (const [file, text] of Object.entries(files)) {
      const p = path.join(MODELS, dir, file);
      const rel = path.relative(process.cwd(), p);
      const old = fs.existsSync(p) ? fs.readFileSync(p, 'utf8') : null;
      if (old === text) continue;
      if (check) {
        console.error(`${rel} is out of date: run node scripts/gen-models.js`);
        stale++;
        continue;
      }
      fs.mkdirSync(path.dirname(p), { recursive: true });
      fs.writeFileSync(p, text);
      console.log(`wrote ${rel}`);
    }
  }
  if (stale) process.exitCode = 1;
}

module.exports = { NETS };
if (require.main === module) main();
