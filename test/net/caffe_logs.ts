// Generated from reference BVLC Caffe 1.0 (`caffe time --model=<net> --iterations=1`, plus
// `--phase=TEST --level=2 --stage=a,b` for "filt"): each net's prototxt and the log lines Caffe wrote
// while building it (glog prefix reduced to the severity letter). Do not edit by hand.

export interface CaffeNetLog {
  prototxt: string;
  state: { phase: 'TRAIN' | 'TEST'; level: number; stages: string[] };
  lines: string[];
}

export const CAFFE_NET_LOGS: Record<string, CaffeNetLog> = {
  mlp: {
    prototxt:
      'name: "mlp"\n' +
      'layer { name: "data" type: "Input" top: "data" top: "label" input_param { shape { dim: 4 dim: 3 } ' +
      'shape { dim: 4 dim: 2 } } }\n' +
      'layer { name: "ip1" type: "InnerProduct" bottom: "data" top: "ip1" ' +
      'inner_product_param { num_output: 5 } }\n' +
      'layer { name: "relu1" type: "ReLU" bottom: "ip1" top: "ip1" }\n' +
      'layer { name: "ip2" type: "InnerProduct" bottom: "ip1" top: "ip2" ' +
      'inner_product_param { num_output: 2 } }\n' +
      'layer { name: "ip3" type: "InnerProduct" bottom: "ip1" top: "ip3" ' +
      'inner_product_param { num_output: 2 } }\n' +
      'layer { name: "loss" type: "EuclideanLoss" bottom: "ip2" bottom: "label" top: "loss" }\n',
    state: { phase: 'TRAIN', level: 0, stages: [''] },
    lines: [
      'I Initializing net from parameters: \nname: "mlp"\nstate {\n  phase: TRAIN\n  level: 0\n' +
        '  stage: ""\n}\nlayer {\n  name: "data"\n  type: "Input"\n  top: "data"\n  top: "label"\n' +
        '  input_param {\n    shape {\n      dim: 4\n      dim: 3\n    }\n    shape {\n      dim: 4\n' +
        '      dim: 2\n    }\n  }\n}\nlayer {\n  name: "ip1"\n  type: "InnerProduct"\n  bottom: "data"\n' +
        '  top: "ip1"\n  inner_product_param {\n    num_output: 5\n  }\n}\nlayer {\n  name: "relu1"\n' +
        '  type: "ReLU"\n  bottom: "ip1"\n  top: "ip1"\n}\nlayer {\n  name: "ip2"\n' +
        '  type: "InnerProduct"\n  bottom: "ip1"\n  top: "ip2"\n  inner_product_param {\n' +
        '    num_output: 2\n  }\n}\nlayer {\n  name: "ip3"\n  type: "InnerProduct"\n  bottom: "ip1"\n' +
        '  top: "ip3"\n  inner_product_param {\n    num_output: 2\n  }\n}\nlayer {\n  name: "loss"\n' +
        '  type: "EuclideanLoss"\n  bottom: "ip2"\n  bottom: "label"\n  top: "loss"\n}',
      'I Creating layer data',
      'I Creating Layer data',
      'I data -> data',
      'I data -> label',
      'I Setting up data',
      'I Top shape: 4 3 (12)',
      'I Top shape: 4 2 (8)',
      'I Memory required for data: 80',
      'I Creating layer ip1',
      'I Creating Layer ip1',
      'I ip1 <- data',
      'I ip1 -> ip1',
      'I Setting up ip1',
      'I Top shape: 4 5 (20)',
      'I Memory required for data: 160',
      'I Creating layer relu1',
      'I Creating Layer relu1',
      'I relu1 <- ip1',
      'I relu1 -> ip1 (in-place)',
      'I Setting up relu1',
      'I Top shape: 4 5 (20)',
      'I Memory required for data: 240',
      'I Creating layer ip1_relu1_0_split',
      'I Creating Layer ip1_relu1_0_split',
      'I ip1_relu1_0_split <- ip1',
      'I ip1_relu1_0_split -> ip1_relu1_0_split_0',
      'I ip1_relu1_0_split -> ip1_relu1_0_split_1',
      'I Setting up ip1_relu1_0_split',
      'I Top shape: 4 5 (20)',
      'I Top shape: 4 5 (20)',
      'I Memory required for data: 400',
      'I Creating layer ip2',
      'I Creating Layer ip2',
      'I ip2 <- ip1_relu1_0_split_0',
      'I ip2 -> ip2',
      'I Setting up ip2',
      'I Top shape: 4 2 (8)',
      'I Memory required for data: 432',
      'I Creating layer ip3',
      'I Creating Layer ip3',
      'I ip3 <- ip1_relu1_0_split_1',
      'I ip3 -> ip3',
      'I Setting up ip3',
      'I Top shape: 4 2 (8)',
      'I Memory required for data: 464',
      'I Creating layer loss',
      'I Creating Layer loss',
      'I loss <- ip2',
      'I loss <- label',
      'I loss -> loss',
      'I Setting up loss',
      'I Top shape: (1)',
      'I     with loss weight 1',
      'I Memory required for data: 468',
      'I loss needs backward computation.',
      'I ip3 does not need backward computation.',
      'I ip2 needs backward computation.',
      'I ip1_relu1_0_split needs backward computation.',
      'I relu1 needs backward computation.',
      'I ip1 needs backward computation.',
      'I data does not need backward computation.',
      'I This network produces output ip3',
      'I This network produces output loss',
      'I Network initialization done.',
    ],
  },
  three: {
    prototxt:
      'name: "three"\n' +
      'layer { name: "data" type: "Input" top: "data" top: "label" input_param { shape { dim: 2 dim: 3 } ' +
      'shape { dim: 2 dim: 4 } } }\n' +
      'layer { name: "ip1" type: "InnerProduct" bottom: "data" top: "ip1" ' +
      'inner_product_param { num_output: 4 } }\n' +
      'layer { name: "relu1" type: "ReLU" bottom: "ip1" top: "ip1" }\n' +
      'layer { name: "relu1b" type: "ReLU" bottom: "ip1" top: "ip1" relu_param { negative_slope: 0.1 } }\n' +
      'layer { name: "ip2" type: "InnerProduct" bottom: "ip1" top: "ip2" ' +
      'inner_product_param { num_output: 4 } }\n' +
      'layer { name: "ip3" type: "InnerProduct" bottom: "ip1" top: "ip3" ' +
      'inner_product_param { num_output: 4 } }\n' +
      'layer { name: "ip4" type: "InnerProduct" bottom: "ip1" top: "ip4" inner_product_param { num_output: 4 } ' +
      'param { lr_mult: 0 } param { lr_mult: 0 } }\n' +
      'layer { name: "loss2" type: "EuclideanLoss" bottom: "ip2" bottom: "label" top: "loss2" }\n' +
      'layer { name: "loss3" type: "EuclideanLoss" bottom: "ip3" bottom: "label" top: "loss3" ' +
      'loss_weight: 0.5 }\n' +
      'layer { name: "loss4" type: "EuclideanLoss" bottom: "ip4" bottom: "label" top: "loss4" ' +
      'propagate_down: false propagate_down: false }\n',
    state: { phase: 'TRAIN', level: 0, stages: [''] },
    lines: [
      'I Initializing net from parameters: \nname: "three"\nstate {\n  phase: TRAIN\n  level: 0\n' +
        '  stage: ""\n}\nlayer {\n  name: "data"\n  type: "Input"\n  top: "data"\n  top: "label"\n' +
        '  input_param {\n    shape {\n      dim: 2\n      dim: 3\n    }\n    shape {\n      dim: 2\n' +
        '      dim: 4\n    }\n  }\n}\nlayer {\n  name: "ip1"\n  type: "InnerProduct"\n  bottom: "data"\n' +
        '  top: "ip1"\n  inner_product_param {\n    num_output: 4\n  }\n}\nlayer {\n  name: "relu1"\n' +
        '  type: "ReLU"\n  bottom: "ip1"\n  top: "ip1"\n}\nlayer {\n  name: "relu1b"\n  type: "ReLU"\n' +
        '  bottom: "ip1"\n  top: "ip1"\n  relu_param {\n    negative_slope: 0.1\n  }\n}\nlayer {\n' +
        '  name: "ip2"\n  type: "InnerProduct"\n  bottom: "ip1"\n  top: "ip2"\n  inner_product_param {\n' +
        '    num_output: 4\n  }\n}\nlayer {\n  name: "ip3"\n  type: "InnerProduct"\n  bottom: "ip1"\n' +
        '  top: "ip3"\n  inner_product_param {\n    num_output: 4\n  }\n}\nlayer {\n  name: "ip4"\n' +
        '  type: "InnerProduct"\n  bottom: "ip1"\n  top: "ip4"\n  param {\n    lr_mult: 0\n  }\n  param {\n' +
        '    lr_mult: 0\n  }\n  inner_product_param {\n    num_output: 4\n  }\n}\nlayer {\n  name: "loss2"\n' +
        '  type: "EuclideanLoss"\n  bottom: "ip2"\n  bottom: "label"\n  top: "loss2"\n}\nlayer {\n' +
        '  name: "loss3"\n  type: "EuclideanLoss"\n  bottom: "ip3"\n  bottom: "label"\n  top: "loss3"\n' +
        '  loss_weight: 0.5\n}\nlayer {\n  name: "loss4"\n  type: "EuclideanLoss"\n  bottom: "ip4"\n' +
        '  bottom: "label"\n  top: "loss4"\n  propagate_down: false\n  propagate_down: false\n}',
      'I Creating layer data',
      'I Creating Layer data',
      'I data -> data',
      'I data -> label',
      'I Setting up data',
      'I Top shape: 2 3 (6)',
      'I Top shape: 2 4 (8)',
      'I Memory required for data: 56',
      'I Creating layer label_data_1_split',
      'I Creating Layer label_data_1_split',
      'I label_data_1_split <- label',
      'I label_data_1_split -> label_data_1_split_0',
      'I label_data_1_split -> label_data_1_split_1',
      'I label_data_1_split -> label_data_1_split_2',
      'I Setting up label_data_1_split',
      'I Top shape: 2 4 (8)',
      'I Top shape: 2 4 (8)',
      'I Top shape: 2 4 (8)',
      'I Memory required for data: 152',
      'I Creating layer ip1',
      'I Creating Layer ip1',
      'I ip1 <- data',
      'I ip1 -> ip1',
      'I Setting up ip1',
      'I Top shape: 2 4 (8)',
      'I Memory required for data: 184',
      'I Creating layer relu1',
      'I Creating Layer relu1',
      'I relu1 <- ip1',
      'I relu1 -> ip1 (in-place)',
      'I Setting up relu1',
      'I Top shape: 2 4 (8)',
      'I Memory required for data: 216',
      'I Creating layer relu1b',
      'I Creating Layer relu1b',
      'I relu1b <- ip1',
      'I relu1b -> ip1 (in-place)',
      'I Setting up relu1b',
      'I Top shape: 2 4 (8)',
      'I Memory required for data: 248',
      'I Creating layer ip1_relu1b_0_split',
      'I Creating Layer ip1_relu1b_0_split',
      'I ip1_relu1b_0_split <- ip1',
      'I ip1_relu1b_0_split -> ip1_relu1b_0_split_0',
      'I ip1_relu1b_0_split -> ip1_relu1b_0_split_1',
      'I ip1_relu1b_0_split -> ip1_relu1b_0_split_2',
      'I Setting up ip1_relu1b_0_split',
      'I Top shape: 2 4 (8)',
      'I Top shape: 2 4 (8)',
      'I Top shape: 2 4 (8)',
      'I Memory required for data: 344',
      'I Creating layer ip2',
      'I Creating Layer ip2',
      'I ip2 <- ip1_relu1b_0_split_0',
      'I ip2 -> ip2',
      'I Setting up ip2',
      'I Top shape: 2 4 (8)',
      'I Memory required for data: 376',
      'I Creating layer ip3',
      'I Creating Layer ip3',
      'I ip3 <- ip1_relu1b_0_split_1',
      'I ip3 -> ip3',
      'I Setting up ip3',
      'I Top shape: 2 4 (8)',
      'I Memory required for data: 408',
      'I Creating layer ip4',
      'I Creating Layer ip4',
      'I ip4 <- ip1_relu1b_0_split_2',
      'I ip4 -> ip4',
      'I Setting up ip4',
      'I Top shape: 2 4 (8)',
      'I Memory required for data: 440',
      'I Creating layer loss2',
      'I Creating Layer loss2',
      'I loss2 <- ip2',
      'I loss2 <- label_data_1_split_0',
      'I loss2 -> loss2',
      'I Setting up loss2',
      'I Top shape: (1)',
      'I     with loss weight 1',
      'I Memory required for data: 444',
      'I Creating layer loss3',
      'I Creating Layer loss3',
      'I loss3 <- ip3',
      'I loss3 <- label_data_1_split_1',
      'I loss3 -> loss3',
      'I Setting up loss3',
      'I Top shape: (1)',
      'I     with loss weight 0.5',
      'I Memory required for data: 448',
      'I Creating layer loss4',
      'I Creating Layer loss4',
      'I loss4 <- ip4',
      'I loss4 <- label_data_1_split_2',
      'I loss4 -> loss4',
      'I Setting up loss4',
      'I Top shape: (1)',
      'I     with loss weight 1',
      'I Memory required for data: 452',
      'I loss4 needs backward computation.',
      'I loss3 needs backward computation.',
      'I loss2 needs backward computation.',
      'I ip4 does not need backward computation.',
      'I ip3 needs backward computation.',
      'I ip2 needs backward computation.',
      'I ip1_relu1b_0_split needs backward computation.',
      'I relu1b needs backward computation.',
      'I relu1 needs backward computation.',
      'I ip1 needs backward computation.',
      'I label_data_1_split does not need backward computation.',
      'I data does not need backward computation.',
      'I This network produces output loss2',
      'I This network produces output loss3',
      'I This network produces output loss4',
      'I Network initialization done.',
    ],
  },
  lossw: {
    prototxt:
      'name: "lossw"\n' +
      'layer { name: "data" type: "Input" top: "data" top: "label" input_param { shape { dim: 2 dim: 3 } ' +
      'shape { dim: 2 dim: 4 } } }\n' +
      'layer { name: "ip1" type: "InnerProduct" bottom: "data" top: "ip1" loss_weight: 2.5 ' +
      'inner_product_param { num_output: 4 } }\n' +
      'layer { name: "ip2" type: "InnerProduct" bottom: "ip1" top: "ip2" ' +
      'inner_product_param { num_output: 4 } }\n' +
      'layer { name: "ip3" type: "InnerProduct" bottom: "ip1" top: "ip3" ' +
      'inner_product_param { num_output: 4 } }\n' +
      'layer { name: "loss" type: "EuclideanLoss" bottom: "ip2" bottom: "label" top: "loss" loss_weight: 1 }\n' +
      'layer { name: "lossrelu" type: "ReLU" bottom: "loss" top: "lossrelu" }\n' +
      'layer { name: "loss_b" type: "EuclideanLoss" bottom: "ip3" bottom: "label" top: "loss_b" }\n' +
      'layer { name: "loss_b_relu" type: "ReLU" bottom: "loss_b" top: "loss_b_relu" }\n',
    state: { phase: 'TRAIN', level: 0, stages: [''] },
    lines: [
      'I Initializing net from parameters: \nname: "lossw"\nstate {\n  phase: TRAIN\n  level: 0\n' +
        '  stage: ""\n}\nlayer {\n  name: "data"\n  type: "Input"\n  top: "data"\n  top: "label"\n' +
        '  input_param {\n    shape {\n      dim: 2\n      dim: 3\n    }\n    shape {\n      dim: 2\n' +
        '      dim: 4\n    }\n  }\n}\nlayer {\n  name: "ip1"\n  type: "InnerProduct"\n  bottom: "data"\n' +
        '  top: "ip1"\n  loss_weight: 2.5\n  inner_product_param {\n    num_output: 4\n  }\n}\nlayer {\n' +
        '  name: "ip2"\n  type: "InnerProduct"\n  bottom: "ip1"\n  top: "ip2"\n  inner_product_param {\n' +
        '    num_output: 4\n  }\n}\nlayer {\n  name: "ip3"\n  type: "InnerProduct"\n  bottom: "ip1"\n' +
        '  top: "ip3"\n  inner_product_param {\n    num_output: 4\n  }\n}\nlayer {\n  name: "loss"\n' +
        '  type: "EuclideanLoss"\n  bottom: "ip2"\n  bottom: "label"\n  top: "loss"\n  loss_weight: 1\n' +
        '}\nlayer {\n  name: "lossrelu"\n  type: "ReLU"\n  bottom: "loss"\n  top: "lossrelu"\n}\n' +
        'layer {\n  name: "loss_b"\n  type: "EuclideanLoss"\n  bottom: "ip3"\n  bottom: "label"\n' +
        '  top: "loss_b"\n}\nlayer {\n  name: "loss_b_relu"\n  type: "ReLU"\n  bottom: "loss_b"\n' +
        '  top: "loss_b_relu"\n}',
      'I Creating layer data',
      'I Creating Layer data',
      'I data -> data',
      'I data -> label',
      'I Setting up data',
      'I Top shape: 2 3 (6)',
      'I Top shape: 2 4 (8)',
      'I Memory required for data: 56',
      'I Creating layer label_data_1_split',
      'I Creating Layer label_data_1_split',
      'I label_data_1_split <- label',
      'I label_data_1_split -> label_data_1_split_0',
      'I label_data_1_split -> label_data_1_split_1',
      'I Setting up label_data_1_split',
      'I Top shape: 2 4 (8)',
      'I Top shape: 2 4 (8)',
      'I Memory required for data: 120',
      'I Creating layer ip1',
      'I Creating Layer ip1',
      'I ip1 <- data',
      'I ip1 -> ip1',
      'I Setting up ip1',
      'I Top shape: 2 4 (8)',
      'I Memory required for data: 152',
      'I Creating layer ip1_ip1_0_split',
      'I Creating Layer ip1_ip1_0_split',
      'I ip1_ip1_0_split <- ip1',
      'I ip1_ip1_0_split -> ip1_ip1_0_split_0',
      'I ip1_ip1_0_split -> ip1_ip1_0_split_1',
      'I ip1_ip1_0_split -> ip1_ip1_0_split_2',
      'I Setting up ip1_ip1_0_split',
      'I Top shape: 2 4 (8)',
      'I     with loss weight 2.5',
      'I Top shape: 2 4 (8)',
      'I Top shape: 2 4 (8)',
      'I Memory required for data: 248',
      'I Creating layer ip2',
      'I Creating Layer ip2',
      'I ip2 <- ip1_ip1_0_split_1',
      'I ip2 -> ip2',
      'I Setting up ip2',
      'I Top shape: 2 4 (8)',
      'I Memory required for data: 280',
      'I Creating layer ip3',
      'I Creating Layer ip3',
      'I ip3 <- ip1_ip1_0_split_2',
      'I ip3 -> ip3',
      'I Setting up ip3',
      'I Top shape: 2 4 (8)',
      'I Memory required for data: 312',
      'I Creating layer loss',
      'I Creating Layer loss',
      'I loss <- ip2',
      'I loss <- label_data_1_split_0',
      'I loss -> loss',
      'I Setting up loss',
      'I Top shape: (1)',
      'I     with loss weight 1',
      'I Memory required for data: 316',
      'I Creating layer loss_loss_0_split',
      'I Creating Layer loss_loss_0_split',
      'I loss_loss_0_split <- loss',
      'I loss_loss_0_split -> loss_loss_0_split_0',
      'I loss_loss_0_split -> loss_loss_0_split_1',
      'I Setting up loss_loss_0_split',
      'I Top shape: (1)',
      'I     with loss weight 1',
      'I Top shape: (1)',
      'I Memory required for data: 324',
      'I Creating layer lossrelu',
      'I Creating Layer lossrelu',
      'I lossrelu <- loss_loss_0_split_1',
      'I lossrelu -> lossrelu',
      'I Setting up lossrelu',
      'I Top shape: (1)',
      'I Memory required for data: 328',
      'I Creating layer loss_b',
      'I Creating Layer loss_b',
      'I loss_b <- ip3',
      'I loss_b <- label_data_1_split_1',
      'I loss_b -> loss_b',
      'I Setting up loss_b',
      'I Top shape: (1)',
      'I     with loss weight 1',
      'I Memory required for data: 332',
      'I Creating layer loss_b_relu',
      'I Creating Layer loss_b_relu',
      'I loss_b_relu <- loss_b',
      'I loss_b_relu -> loss_b_relu',
      'I Setting up loss_b_relu',
      'I Top shape: (1)',
      'I Memory required for data: 336',
      'I loss_b_relu does not need backward computation.',
      'I loss_b does not need backward computation.',
      'I lossrelu does not need backward computation.',
      'I loss_loss_0_split needs backward computation.',
      'I loss needs backward computation.',
      'I ip3 does not need backward computation.',
      'I ip2 needs backward computation.',
      'I ip1_ip1_0_split needs backward computation.',
      'I ip1 needs backward computation.',
      'I label_data_1_split does not need backward computation.',
      'I data does not need backward computation.',
      'I This network produces output ip1_ip1_0_split_0',
      'I This network produces output loss_b_relu',
      'I This network produces output loss_loss_0_split_0',
      'I This network produces output lossrelu',
      'I Network initialization done.',
    ],
  },
  share: {
    prototxt:
      'name: "share"\n' +
      'force_backward: true\n' +
      'layer { name: "data" type: "Input" top: "data" top: "label" input_param { shape { dim: 2 dim: 3 } ' +
      'shape { dim: 2 dim: 4 } } }\n' +
      'layer { name: "ipA" type: "InnerProduct" bottom: "data" top: "ipA" param { name: "w" lr_mult: 2 } ' +
      'param { name: "b" decay_mult: 0 } inner_product_param { num_output: 4 } }\n' +
      'layer { name: "ipB" type: "InnerProduct" bottom: "data" top: "ipB" param { name: "w" } ' +
      'param { name: "b" lr_mult: 3 } inner_product_param { num_output: 4 } }\n' +
      'layer { name: "sum" type: "EuclideanLoss" bottom: "ipA" bottom: "ipB" top: "dist" }\n' +
      'layer { name: "loss" type: "EuclideanLoss" bottom: "ipA" bottom: "label" top: "loss" }\n',
    state: { phase: 'TRAIN', level: 0, stages: [''] },
    lines: [
      'I Initializing net from parameters: \nname: "share"\nforce_backward: true\nstate {\n  phase: TRAIN\n' +
        '  level: 0\n  stage: ""\n}\nlayer {\n  name: "data"\n  type: "Input"\n  top: "data"\n' +
        '  top: "label"\n  input_param {\n    shape {\n      dim: 2\n      dim: 3\n    }\n    shape {\n' +
        '      dim: 2\n      dim: 4\n    }\n  }\n}\nlayer {\n  name: "ipA"\n  type: "InnerProduct"\n' +
        '  bottom: "data"\n  top: "ipA"\n  param {\n    name: "w"\n    lr_mult: 2\n  }\n  param {\n' +
        '    name: "b"\n    decay_mult: 0\n  }\n  inner_product_param {\n    num_output: 4\n  }\n}\nlayer {\n' +
        '  name: "ipB"\n  type: "InnerProduct"\n  bottom: "data"\n  top: "ipB"\n  param {\n' +
        '    name: "w"\n  }\n  param {\n    name: "b"\n    lr_mult: 3\n  }\n  inner_product_param {\n' +
        '    num_output: 4\n  }\n}\nlayer {\n  name: "sum"\n  type: "EuclideanLoss"\n  bottom: "ipA"\n' +
        '  bottom: "ipB"\n  top: "dist"\n}\nlayer {\n  name: "loss"\n  type: "EuclideanLoss"\n' +
        '  bottom: "ipA"\n  bottom: "label"\n  top: "loss"\n}',
      'I Creating layer data',
      'I Creating Layer data',
      'I data -> data',
      'I data -> label',
      'I Setting up data',
      'I Top shape: 2 3 (6)',
      'I Top shape: 2 4 (8)',
      'I Memory required for data: 56',
      'I Creating layer data_data_0_split',
      'I Creating Layer data_data_0_split',
      'I data_data_0_split <- data',
      'I data_data_0_split -> data_data_0_split_0',
      'I data_data_0_split -> data_data_0_split_1',
      'I Setting up data_data_0_split',
      'I Top shape: 2 3 (6)',
      'I Top shape: 2 3 (6)',
      'I Memory required for data: 104',
      'I Creating layer ipA',
      'I Creating Layer ipA',
      'I ipA <- data_data_0_split_0',
      'I ipA -> ipA',
      'I Setting up ipA',
      'I Top shape: 2 4 (8)',
      'I Memory required for data: 136',
      'I Creating layer ipA_ipA_0_split',
      'I Creating Layer ipA_ipA_0_split',
      'I ipA_ipA_0_split <- ipA',
      'I ipA_ipA_0_split -> ipA_ipA_0_split_0',
      'I ipA_ipA_0_split -> ipA_ipA_0_split_1',
      'I Setting up ipA_ipA_0_split',
      'I Top shape: 2 4 (8)',
      'I Top shape: 2 4 (8)',
      'I Memory required for data: 200',
      'I Creating layer ipB',
      'I Creating Layer ipB',
      'I ipB <- data_data_0_split_1',
      'I ipB -> ipB',
      'I Setting up ipB',
      'I Top shape: 2 4 (8)',
      'I Memory required for data: 232',
      "I Sharing parameters 'w' owned by layer 'ipA', param index 0",
      "I Sharing parameters 'b' owned by layer 'ipA', param index 1",
      'I Creating layer sum',
      'I Creating Layer sum',
      'I sum <- ipA_ipA_0_split_0',
      'I sum <- ipB',
      'I sum -> dist',
      'I Setting up sum',
      'I Top shape: (1)',
      'I     with loss weight 1',
      'I Memory required for data: 236',
      'I Creating layer loss',
      'I Creating Layer loss',
      'I loss <- ipA_ipA_0_split_1',
      'I loss <- label',
      'I loss -> loss',
      'I Setting up loss',
      'I Top shape: (1)',
      'I     with loss weight 1',
      'I Memory required for data: 240',
      'I loss needs backward computation.',
      'I sum needs backward computation.',
      'I ipB needs backward computation.',
      'I ipA_ipA_0_split needs backward computation.',
      'I ipA needs backward computation.',
      'I data_data_0_split does not need backward computation.',
      'I data does not need backward computation.',
      'I This network produces output dist',
      'I This network produces output loss',
      'I Network initialization done.',
    ],
  },
  filt: {
    prototxt:
      'name: "filt"\n' +
      'layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 2 dim: 3 } } }\n' +
      'layer { name: "trainonly" type: "ReLU" bottom: "data" top: "t1" include { phase: TRAIN } }\n' +
      'layer { name: "testonly" type: "ReLU" bottom: "data" top: "t2" include { phase: TEST } }\n' +
      'layer { name: "lvl" type: "ReLU" bottom: "data" top: "t3" include { min_level: 3 } ' +
      'include { max_level: 1 } }\n' +
      'layer { name: "lvl2" type: "ReLU" bottom: "data" top: "t4" include { min_level: 1 max_level: 2 } }\n' +
      'layer { name: "stg" type: "ReLU" bottom: "data" top: "t5" include { stage: "a" stage: "c" } ' +
      'include { stage: "b" } }\n' +
      'layer { name: "nstg" type: "ReLU" bottom: "data" top: "t6" exclude { not_stage: "a" } ' +
      'exclude { stage: "b" phase: TEST } }\n' +
      'layer { name: "nstg2" type: "ReLU" bottom: "data" top: "t7" include { not_stage: "b" } }\n',
    state: { phase: 'TEST', level: 2, stages: ['a', 'b'] },
    lines: [
      'I The NetState phase (1) differed from the phase (0) specified by a rule in layer trainonly',
      'I The NetState level (2) is above the min_level (3) specified by a rule in layer lvl',
      'I The NetState level (2) is above the max_level (1) specified by a rule in layer lvl',
      "I The NetState did not contain stage 'c' specified by a rule in layer stg",
      "I The NetState contained a not_stage 'a' specified by a rule in layer nstg",
      "I The NetState contained a not_stage 'b' specified by a rule in layer nstg2",
      'I Initializing net from parameters: \nname: "filt"\nstate {\n  phase: TEST\n  level: 2\n' +
        '  stage: "a"\n  stage: "b"\n}\nlayer {\n  name: "data"\n  type: "Input"\n  top: "data"\n' +
        '  input_param {\n    shape {\n      dim: 2\n      dim: 3\n    }\n  }\n}\nlayer {\n  name: "testonly"\n' +
        '  type: "ReLU"\n  bottom: "data"\n  top: "t2"\n  include {\n    phase: TEST\n  }\n}\nlayer {\n' +
        '  name: "lvl2"\n  type: "ReLU"\n  bottom: "data"\n  top: "t4"\n  include {\n    min_level: 1\n' +
        '    max_level: 2\n  }\n}\nlayer {\n  name: "stg"\n  type: "ReLU"\n  bottom: "data"\n' +
        '  top: "t5"\n  include {\n    stage: "a"\n    stage: "c"\n  }\n  include {\n    stage: "b"\n' +
        '  }\n}',
      'I Creating layer data',
      'I Creating Layer data',
      'I data -> data',
      'I Setting up data',
      'I Top shape: 2 3 (6)',
      'I Memory required for data: 24',
      'I Creating layer data_data_0_split',
      'I Creating Layer data_data_0_split',
      'I data_data_0_split <- data',
      'I data_data_0_split -> data_data_0_split_0',
      'I data_data_0_split -> data_data_0_split_1',
      'I data_data_0_split -> data_data_0_split_2',
      'I Setting up data_data_0_split',
      'I Top shape: 2 3 (6)',
      'I Top shape: 2 3 (6)',
      'I Top shape: 2 3 (6)',
      'I Memory required for data: 96',
      'I Creating layer testonly',
      'I Creating Layer testonly',
      'I testonly <- data_data_0_split_0',
      'I testonly -> t2',
      'I Setting up testonly',
      'I Top shape: 2 3 (6)',
      'I Memory required for data: 120',
      'I Creating layer lvl2',
      'I Creating Layer lvl2',
      'I lvl2 <- data_data_0_split_1',
      'I lvl2 -> t4',
      'I Setting up lvl2',
      'I Top shape: 2 3 (6)',
      'I Memory required for data: 144',
      'I Creating layer stg',
      'I Creating Layer stg',
      'I stg <- data_data_0_split_2',
      'I stg -> t5',
      'I Setting up stg',
      'I Top shape: 2 3 (6)',
      'I Memory required for data: 168',
      'I stg does not need backward computation.',
      'I lvl2 does not need backward computation.',
      'I testonly does not need backward computation.',
      'I data_data_0_split does not need backward computation.',
      'I data does not need backward computation.',
      'I This network produces output t2',
      'I This network produces output t4',
      'I This network produces output t5',
      'I Network initialization done.',
    ],
  },
  twotop: {
    prototxt:
      'name: "twotop"\n' +
      'layer { name: "data" type: "Input" top: "data" top: "label" loss_weight: 1 loss_weight: 3 input_param { ' +
      'shape { dim: 2 dim: 3 } shape { dim: 2 dim: 4 } } }\n' +
      'layer { name: "ip1" type: "InnerProduct" bottom: "data" top: "ip1" ' +
      'inner_product_param { num_output: 4 } }\n',
    state: { phase: 'TRAIN', level: 0, stages: [''] },
    lines: [
      'I Initializing net from parameters: \nname: "twotop"\nstate {\n  phase: TRAIN\n  level: 0\n' +
        '  stage: ""\n}\nlayer {\n  name: "data"\n  type: "Input"\n  top: "data"\n  top: "label"\n' +
        '  loss_weight: 1\n  loss_weight: 3\n  input_param {\n    shape {\n      dim: 2\n      dim: 3\n    }\n' +
        '    shape {\n      dim: 2\n      dim: 4\n    }\n  }\n}\nlayer {\n  name: "ip1"\n' +
        '  type: "InnerProduct"\n  bottom: "data"\n  top: "ip1"\n  inner_product_param {\n' +
        '    num_output: 4\n  }\n}',
      'I Creating layer data',
      'I Creating Layer data',
      'I data -> data',
      'I data -> label',
      'I Setting up data',
      'I Top shape: 2 3 (6)',
      'I Top shape: 2 4 (8)',
      'I Memory required for data: 56',
      'I Creating layer data_data_0_split',
      'I Creating Layer data_data_0_split',
      'I data_data_0_split <- data',
      'I data_data_0_split -> data_data_0_split_0',
      'I data_data_0_split -> data_data_0_split_1',
      'I Setting up data_data_0_split',
      'I Top shape: 2 3 (6)',
      'I     with loss weight 1',
      'I Top shape: 2 3 (6)',
      'I Memory required for data: 104',
      'I Creating layer ip1',
      'I Creating Layer ip1',
      'I ip1 <- data_data_0_split_1',
      'I ip1 -> ip1',
      'I Setting up ip1',
      'I Top shape: 2 4 (8)',
      'I Memory required for data: 136',
      'I ip1 does not need backward computation.',
      'I data_data_0_split does not need backward computation.',
      'I data does not need backward computation.',
      'I This network produces output data_data_0_split_0',
      'I This network produces output ip1',
      'I This network produces output label',
      'I Network initialization done.',
    ],
  },
  auto: {
    prototxt:
      'name: "auto"\n' +
      'layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 2 dim: 3 } } }\n' +
      'layer { name: "ip1" type: "InnerProduct" bottom: "data" top: "ip1" ' +
      'inner_product_param { num_output: 4 } }\n' +
      'layer { name: "l2" type: "EuclideanLoss" bottom: "ip1" bottom: "ip1" }\n' +
      'layer { name: "l3" type: "EuclideanLoss" bottom: "data" bottom: "data" loss_weight: 0.25 }\n',
    state: { phase: 'TRAIN', level: 0, stages: [''] },
    lines: [
      'I Initializing net from parameters: \nname: "auto"\nstate {\n  phase: TRAIN\n  level: 0\n' +
        '  stage: ""\n}\nlayer {\n  name: "data"\n  type: "Input"\n  top: "data"\n  input_param {\n' +
        '    shape {\n      dim: 2\n      dim: 3\n    }\n  }\n}\nlayer {\n  name: "ip1"\n' +
        '  type: "InnerProduct"\n  bottom: "data"\n  top: "ip1"\n  inner_product_param {\n' +
        '    num_output: 4\n  }\n}\nlayer {\n  name: "l2"\n  type: "EuclideanLoss"\n  bottom: "ip1"\n' +
        '  bottom: "ip1"\n}\nlayer {\n  name: "l3"\n  type: "EuclideanLoss"\n  bottom: "data"\n' +
        '  bottom: "data"\n  loss_weight: 0.25\n}',
      'I Creating layer data',
      'I Creating Layer data',
      'I data -> data',
      'I Setting up data',
      'I Top shape: 2 3 (6)',
      'I Memory required for data: 24',
      'I Creating layer data_data_0_split',
      'I Creating Layer data_data_0_split',
      'I data_data_0_split <- data',
      'I data_data_0_split -> data_data_0_split_0',
      'I data_data_0_split -> data_data_0_split_1',
      'I data_data_0_split -> data_data_0_split_2',
      'I Setting up data_data_0_split',
      'I Top shape: 2 3 (6)',
      'I Top shape: 2 3 (6)',
      'I Top shape: 2 3 (6)',
      'I Memory required for data: 96',
      'I Creating layer ip1',
      'I Creating Layer ip1',
      'I ip1 <- data_data_0_split_0',
      'I ip1 -> ip1',
      'I Setting up ip1',
      'I Top shape: 2 4 (8)',
      'I Memory required for data: 128',
      'I Creating layer ip1_ip1_0_split',
      'I Creating Layer ip1_ip1_0_split',
      'I ip1_ip1_0_split <- ip1',
      'I ip1_ip1_0_split -> ip1_ip1_0_split_0',
      'I ip1_ip1_0_split -> ip1_ip1_0_split_1',
      'I Setting up ip1_ip1_0_split',
      'I Top shape: 2 4 (8)',
      'I Top shape: 2 4 (8)',
      'I Memory required for data: 192',
      'I Creating layer l2',
      'I Creating Layer l2',
      'I l2 <- ip1_ip1_0_split_0',
      'I l2 <- ip1_ip1_0_split_1',
      'I l2 -> (automatic)',
      'I Setting up l2',
      'I Top shape: (1)',
      'I     with loss weight 1',
      'I Memory required for data: 196',
      'I Creating layer l3',
      'I Creating Layer l3',
      'I l3 <- data_data_0_split_1',
      'I l3 <- data_data_0_split_2',
      'I l3 -> (automatic)',
      'I Setting up l3',
      'I Top shape: (1)',
      'I     with loss weight 0.25',
      'I Memory required for data: 200',
      'I l3 does not need backward computation.',
      'I l2 needs backward computation.',
      'I ip1_ip1_0_split needs backward computation.',
      'I ip1 needs backward computation.',
      'I data_data_0_split does not need backward computation.',
      'I data does not need backward computation.',
      'I Network initialization done.',
    ],
  },
};
