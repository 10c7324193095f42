// Weights in and out of a Net: toProto (snapshots), copyTrainedLayersFrom (by layer name, with
// Caffe's checks and messages; legacy 4-d blob shapes as V1 models store them), .caffemodel files,
// shareTrainedLayersWith (test nets on the train net's weights), and parity with reference Caffe.
import * as fs from 'fs';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { Net } from '../../src/net';
import { Blob } from '../../src/core/blob';
import { setRandomSeed, Rng } from '../../src/core/rng';
import { Message } from '../../src/proto/schema';
import { decodeMessage, encodeMessage } from '../../src/formats/wire';
import { writeProtoToBinaryFile, readNetParamsFromBinaryFile } from '../../src/io/proto_io';
import { HAVE_CAFFE, HAVE_SHARED, sharedPath, tmpDir } from '../helpers';
import { CAFFE_NET_LOGS } from './caffe_logs';
import { captureLog, netParam } from './support';

const FILL = 'weight_filler { type: "gaussian" std: 0.5 } bias_filler { type: "gaussian" std: 0.5 }';
const MLP =
  `name: "mlp"
layer { name: "data" type: "Input" top: "data" top: "label" ` +
  `input_param { shape { dim: 4 dim: 3 } shape { dim: 4 dim: 2 } } }
layer { name: "ip1" type: "InnerProduct" bottom: "data" top: "ip1" inner_product_param { num_output: 5 ${FILL} } }
layer { name: "relu1" type: "ReLU" bottom: "ip1" top: "ip1" }
layer { name: "ip2" type: "InnerProduct" bottom: "ip1" top: "ip2" inner_product_param { num_output: 2 ${FILL} } }
layer { name: "ip3" type: "InnerProduct" bottom: "ip1" top: "ip3" inner_product_param { num_output: 2 ${FILL} } }
layer { name: "loss" type: "TestEuclideanLoss" bottom: "ip2" bottom: "label" top: "loss" }`;

function build(text: string | Message, seed = 1701, overrides = {}): Net {
  setRandomSeed(seed);
  const net = captureLog(() => new Net(typeof text === 'string' ? netParam(text) : text, overrides)).result;
  const r = new Rng(7);
  for (const b of net.inputBlobs) {
    const d = b.mutableCpuData();
    for (let i = 0; i < d.length; i++) d[i] = r.uniform(-1, 1);
  }
  return net;
}
const quiet = <T>(fn: () => T) => captureLog(fn).result;
const values = (b: Blob) => Array.from(b.cpuData());

describe('Net.toProto', () => {
  it('writes every layer (splits included) with its definition and parameter blobs', () => {
    const net = build(MLP);
    net.forwardBackward();
    const p = net.toProto();
    expect(p.name).toBe('mlp');
    expect(p.layer.map((l: Message) => l.name)).toEqual([
      'data',
      'ip1',
      'relu1',
      'ip1_relu1_0_split',
      'ip2',
      'ip3',
      'loss',
    ]);
    expect(p.layer[3]).toEqual({
      name: 'ip1_relu1_0_split',
      type: 'Split',
      bottom: ['ip1'],
      top: ['ip1_relu1_0_split_0', 'ip1_relu1_0_split_1'],
      phase: 'TEST',
    });
    const ip1 = p.layer[1];
    expect(ip1.phase).toBe('TEST'); // the net's phase, filled in as Caffe does
    expect(ip1.inner_product_param.num_output).toBe(5);
    expect(ip1.blobs.map((b: Message) => b.shape.dim)).toEqual([[5, 3], [5]]);
    expect(Array.from(ip1.blobs[0].data)).toEqual(values(net.params[0]));
    expect(ip1.blobs[0].diff).toBeUndefined();
    expect(p.layer[6].loss_weight).toEqual([1]); // loss layers record their default weight
    const withDiff = net.toProto(true);
    expect(Array.from(withDiff.layer[1].blobs[0].diff)).toEqual(Array.from(net.params[0].cpuDiff()));
    expect(net.layers[1].layerParam.blobs).toBeUndefined(); // the layer's own definition is untouched
  });

  it('round-trips through the binary format into another net', () => {
    const a = build(MLP, 1),
      b = build(MLP, 2);
    const la = a.forward();
    expect(b.forward()).not.toBeCloseTo(la, 3);
    const bytes = encodeMessage(a.toProto(), 'caffe.NetParameter');
    const { lines } = captureLog(() => b.copyTrainedLayersFrom(decodeMessage(bytes, 'caffe.NetParameter')));
    expect(lines).toEqual([]);
    expect(b.forward()).toBe(la);
    b.params.forEach((p, i) => expect(values(p)).toEqual(values(a.params[i])));
  });
});

describe('Net.copyTrainedLayersFrom', () => {
  const src = (layers: Message[]) => ({ name: 'src', layer: layers });
  const blob = (shape: number[], fill = 0.5) => ({
    shape: { dim: shape },
    data: new Array(shape.reduce((x, y) => x * y, 1)).fill(fill),
  });

  it('copies by layer name, ignoring unknown source layers and leaving the others', () => {
    const net = build(MLP);
    const ip2Before = values(net.params[2]);
    const { lines } = captureLog(() =>
      net.copyTrainedLayersFrom(
        src([
          { name: 'conv0', type: 'Convolution', blobs: [blob([2, 2])] },
          { name: 'ip1', type: 'InnerProduct', blobs: [blob([5, 3], 0.25), blob([5], -1)] },
          { name: 'relu1', type: 'ReLU' },
        ]),
      ),
    );
    expect(lines).toEqual(['I Ignoring source layer conv0']);
    expect(values(net.params[0])).toEqual(new Array(15).fill(0.25));
    expect(values(net.params[1])).toEqual(new Array(5).fill(-1));
    expect(values(net.params[2])).toEqual(ip2Before);
  });

  it('accepts legacy 4-d blob shapes (num, channels, height, width) as V1 models store them', () => {
    const net = build(MLP);
    const legacy = (s: number[], fill: number) => ({
      num: s[0],
      channels: s[1],
      height: s[2],
      width: s[3],
      data: new Array(s.reduce((x, y) => x * y, 1)).fill(fill),
    });
    quiet(() =>
      net.copyTrainedLayersFrom(src([{ name: 'ip1', blobs: [legacy([1, 1, 5, 3], 2), legacy([1, 1, 1, 5], 3)] }])),
    );
    expect(values(net.params[0])).toEqual(new Array(15).fill(2));
    expect(values(net.params[1])).toEqual(new Array(5).fill(3));
    expect(() =>
      net.copyTrainedLayersFrom(src([{ name: 'ip1', blobs: [legacy([1, 5, 1, 3], 2), legacy([1, 1, 1, 5], 3)] }])),
    ).toThrow(
      "Cannot copy param 0 weights from layer 'ip1'; shape mismatch.  " +
        'Source param shape is 1 5 1 3 (15); target param shape is 5 3 (15).',
    );
  });

  it("fails on a shape or blob-count mismatch with Caffe's messages", () => {
    const net = build(MLP);
    expect(() => net.copyTrainedLayersFrom(src([{ name: 'ip1', blobs: [blob([5, 4]), blob([5])] }]))).toThrow(
      "Cannot copy param 0 weights from layer 'ip1'; shape mismatch.  " +
        'Source param shape is 5 4 (20); target param shape is 5 3 (15). ' +
        "To learn this layer's parameters from scratch rather than copying from a saved net, rename the layer.",
    );
    expect(() => net.copyTrainedLayersFrom(src([{ name: 'ip1', blobs: [blob([5, 3])] }]))).toThrow(
      'Check failed: target_blobs.size() == source_layer.blobs_size() (2 vs. 1) ' +
        'Incompatible number of blobs for layer ip1',
    );
  });

  it('reads a .caffemodel file', () => {
    const a = build(MLP, 3),
      b = build(MLP, 4);
    const dir = tmpDir();
    const file = path.join(dir, 'w.caffemodel');
    writeProtoToBinaryFile(a.toProto(), 'caffe.NetParameter', file);
    quiet(() => b.copyTrainedLayersFromFile(file));
    expect(b.forward()).toBe(a.forward());
    expect(() => b.copyTrainedLayersFromFile(path.join(dir, 'none.caffemodel'))).toThrow(
      `File not found: ${path.join(dir, 'none.caffemodel')}`,
    );
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('Net.shareTrainedLayersWith', () => {
  it("makes a test net use the train net's parameter memory", () => {
    const train = build(MLP, 5, { phase: 'TRAIN' });
    const test = build(MLP.replace('name: "loss"', 'name: "loss_test"'), 6, { phase: 'TEST' });
    const { lines } = captureLog(() => test.shareTrainedLayersWith(train));
    expect(lines).toEqual(['I Ignoring source layer loss']);
    test.params.forEach((p, i) => expect(p.dataMemory).toBe(train.params[i].dataMemory));
    expect(test.forward()).toBe(train.forward());
    train.forwardBackward();
    train.update();
    expect(values(test.params[0])).toEqual(values(train.params[0]));
  });

  it("checks shapes with Caffe's message", () => {
    const train = build(MLP);
    const other = build(MLP.replace('num_output: 5', 'num_output: 6'));
    expect(() => quiet(() => other.shareTrainedLayersWith(train))).toThrow(
      'Check failed: target_blobs[j]->shape() == source_blob->shape() ' +
        "Cannot share param 0 weights from layer 'ip1'; shape mismatch.  " +
        'Source param shape is 5 3 (15); target param shape is 6 3 (18)',
    );
  });
});

(HAVE_SHARED ? describe : describe.skip)('copying from a real V1 (2015) caffemodel', () => {
  it("loads cifar10_quick's ip1/ip2 (legacy 4-d blobs) as Caffe's own upgrade of the file holds them", () => {
    const dir = sharedPath('fixtures/models/cifar10-quick-v1-legacy');
    const net =
      build(`layer { name: "data" type: "Input" top: "pool3" input_param { shape { dim: 1 dim: 64 dim: 4 dim: 4 } } }
      layer { name: "ip1" type: "InnerProduct" bottom: "pool3" top: "ip1" inner_product_param { num_output: 64 } }
      layer { name: "ip2" type: "InnerProduct" bottom: "ip1" top: "ip2" inner_product_param { num_output: 10 } }`);
    const { lines } = captureLog(() => net.copyTrainedLayersFromFile(`${dir}/cifar10_quick_iter_5000.v1.caffemodel`));
    expect(lines).toContain('I Ignoring source layer conv1');
    const ref = readNetParamsFromBinaryFile(`${dir}/upgraded_by_caffe.caffemodel`);
    const refIp2 = ref.layer.find((l: Message) => l.name === 'ip2');
    expect(values(net.layerByName('ip2').blobs[0])).toEqual(Array.from(refIp2.blobs[0].data));
    expect(net.layerByName('ip1').blobs[0].asumData()).toBeGreaterThan(0);
  });
});

(HAVE_CAFFE ? describe : describe.skip)('parity with a live Caffe run', () => {
  it('Caffe reads our .caffemodel and computes the same loss (caffe test)', () => {
    const text = CAFFE_NET_LOGS.mlp.prototxt; // Input, InnerProduct, ReLU, Split, EuclideanLoss
    const withFill = text.replace(/num_output: (\d+)/g, `num_output: $1 ${FILL}`);
    const net = build(withFill, 11, { phase: 'TEST' });
    for (const b of net.inputBlobs) b.mutableCpuData().fill(0); // Caffe's Input blobs start at zero
    const ours = net.forward();
    const dir = tmpDir();
    fs.writeFileSync(path.join(dir, 'net.prototxt'), text);
    writeProtoToBinaryFile(net.toProto(), 'caffe.NetParameter', path.join(dir, 'w.caffemodel'));
    const run = spawnSync(
      'caffe',
      ['test', `--model=${dir}/net.prototxt`, `--weights=${dir}/w.caffemodel`, '--iterations=1'],
      { encoding: 'utf8' },
    );
    fs.rmSync(dir, { recursive: true, force: true });
    const m = /\] Loss: (\S+)/.exec(`${run.stdout}${run.stderr}`);
    expect(m).not.toBeNull();
    expect(ours).toBeGreaterThan(0);
    expect(Math.abs(Number(m![1]) - ours)).toBeLessThan(1e-5 * Math.max(1, ours));
  });
});
