// src/layers/index.ts imports every built-in layer file by name: each capitalised file in
// src/layers is a layer type, and each must be registered once the index is loaded.
import * as fs from 'fs';
import * as path from 'path';
import '../../src/layers';
import { layerTypeList } from '../../src/core/layer_factory';

describe('built-in layer registration', () => {
  it('registers the type of every capitalised file in src/layers', () => {
    const dir = path.join(__dirname, '../../src/layers');
    const types = fs
      .readdirSync(dir)
      .filter((f) => /^[A-Z][A-Za-z0-9]*\.ts$/.test(f))
      .map((f) => f.replace(/\.ts$/, ''));
    expect(types.length).toBeGreaterThan(0);
    const registered = layerTypeList();
    expect(types.filter((t) => !registered.includes(t))).toEqual([]);
  });

  it("registers Caffe 1.0's layer types by their type strings (all but the ones not written yet)", () => {
    // every REGISTER_LAYER_CLASS / REGISTER_LAYER_CREATOR of BVLC Caffe 1.0's src/caffe/layers
    const caffe = (
      'AbsVal Accuracy ArgMax BNLL BatchNorm BatchReindex Bias Concat ContrastiveLoss Convolution Crop Data ' +
      'Deconvolution Dropout DummyData ELU Eltwise Embed EuclideanLoss Exp Filter Flatten HDF5Data HDF5Output ' +
      'HingeLoss Im2col ImageData InfogainLoss InnerProduct Input LRN LSTM LSTMUnit Log MVN MemoryData ' +
      'MultinomialLogisticLoss PReLU Parameter Pooling Power Python RNN ReLU Reduction Reshape SPP Scale Sigmoid ' +
      'SigmoidCrossEntropyLoss Silence Slice Softmax SoftmaxWithLoss Split TanH Threshold Tile WindowData'
    ).split(' ');
    const registered = layerTypeList();
    expect(caffe.filter((t) => !registered.includes(t))).toEqual(['Python']);
  });
});
