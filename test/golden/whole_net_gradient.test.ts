// Whole-net gradient checks: LeNet and alexnet-mini (group conv, LRN across/within channels, MAX/AVE
// pooling with Caffe's ceil rule, leaky ReLU, SoftmaxWithLoss) with their Data layers replaced by
// Input layers and Caffe's init.caffemodel weights. Backward's d loss / d param and d loss / d data
// must match central differences of the forward loss.
import * as path from 'path';
import '../../src/layers';
import { Net } from '../../src/net';
import { Blob } from '../../src/core/blob';
import { Rng } from '../../src/core/rng';
import { readNetParamsFromTextFile } from '../../src/io/proto_io';
import { setMinLogLevel } from '../../src/util/logging';
import { Message } from '../../src/proto/schema';
import { describeShared, sharedPath } from '../helpers';

function netWithInputs(dir: string, file: string, dataShape: number[], classes: number): { net: Net; labels: number } {
  const p: Message = readNetParamsFromTextFile(path.join(dir, file));
  const layers = p.layer.filter((l: Message) => l.type !== 'Data');
  layers.unshift({ name: 'data', type: 'Input', top: ['data', 'label'], input_param: { shape: [{ dim: dataShape }, { dim: [dataShape[0]] }] } });
  p.layer = layers;
  p.force_backward = true; // also check d loss / d data
  const net = new Net(p, { phase: 'TRAIN' });
  net.copyTrainedLayersFromFile(path.join(dir, 'init.caffemodel'));
  return { net, labels: classes };
}

function check(net: Net, classes: number, samplesPerBlob: number, h: number, thr: number): void {
  const r = new Rng(7);
  const data = net.blobByName('data').mutableCpuData();
  for (let i = 0; i < data.length; i++) data[i] = r.uniform(-1, 1);
  const label = net.blobByName('label').mutableCpuData();
  for (let i = 0; i < label.length; i++) label[i] = r.int(classes);

  net.clearParamDiffs();
  net.forward();
  net.backward();
  const targets: { blob: Blob; what: string; grad: Float32Array }[] = net.learnableParams.map((b, i) => ({
    blob: b, what: `param ${i} (${net.paramDisplayNames?.[i] ?? i})`, grad: Float32Array.from(b.cpuDiff()),
  }));
  const dataBlob = net.blobByName('data');
  targets.push({ blob: dataBlob, what: 'data', grad: Float32Array.from(dataBlob.cpuDiff()) });
  let worst = 0, checked = 0;
  for (const t of targets) {
    const x = t.blob.mutableCpuData();
    for (let s = 0; s < samplesPerBlob; s++) {
      const i = r.int(x.length), x0 = x[i];
      x[i] = x0 + h; const lp = net.forward();
      x[i] = x0 - h; const lm = net.forward();
      x[i] = x0;
      const est = (lp - lm) / (2 * h), comp = t.grad[i];
      const err = Math.abs(est - comp) / Math.max(Math.abs(est), Math.abs(comp), 1e-3);
      worst = Math.max(worst, err);
      checked++;
      if (err > thr) throw new Error(`${t.what}[${i}]: analytic ${comp}, numeric ${est} (relative error ${err.toFixed(4)})`);
    }
  }
  expect(checked).toBeGreaterThan(0);
  expect(worst).toBeLessThanOrEqual(thr);
}

describeShared('whole-net gradient check', () => {
  beforeAll(() => setMinLogLevel(1));
  afterAll(() => setMinLogLevel(0));

  it('LeNet (fmnist)', () => {
    const { net } = netWithInputs(sharedPath('fixtures/caffe-train/lenet-fmnist'), 'train_test.prototxt', [4, 1, 28, 28], 10);
    check(net, 10, 12, 1e-3, 5e-2);
  }, 120000);

  it('alexnet-mini', () => {
    const { net } = netWithInputs(sharedPath('fixtures/caffe-train/alexnet-mini'), 'train_val.prototxt', [2, 3, 64, 64], 5);
    check(net, 5, 8, 1e-3, 5e-2);
  }, 120000);
});
