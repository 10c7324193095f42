// The BVLC deploy nets (AlexNet, CaffeNet, GoogLeNet, SqueezeNet v1.1, MobileNet v1/v2) and the timing
// nets build with exactly the top shapes reference Caffe logs (caffe-top-shapes.json, made by
// scripts/caffe-top-shapes.js), and run forward + backward with a SoftmaxWithLoss and a label Input.
import * as path from 'path';
import '../../src/layers';
import { Net } from '../../src/net';
import { readNetParamsFromTextFile } from '../../src/io/proto_io';
import { setLogSink } from '../../src/util/logging';
import { Message } from '../../src/proto/schema';
import { describeShared, SHARED } from '../helpers';

const { topShapes } = require('../../scripts/caffe-top-shapes.js');
const golden: Record<string, [string, string][]> = require('./caffe-top-shapes.json');

function build(param: Message): { net: Net; log: string } {
  const lines: string[] = [];
  const restore = setLogSink((l) => lines.push(l));
  try {
    return { net: new Net(param, { phase: 'TRAIN' }), log: lines.join('\n') };
  } finally {
    restore();
  }
}

/** Batch 2, and the final Softmax replaced by SoftmaxWithLoss against a label Input. */
function withLoss(param: Message): Message {
  const layers: Message[] = param.layer;
  const input = layers.find((l) => l.type === 'Input')!;
  for (const s of input.input_param.shape) s.dim[0] = 2;
  const last = layers[layers.length - 1];
  if (last.type === 'Softmax') {
    layers.pop();
    layers.push({ name: 'label', type: 'Input', top: ['label'], input_param: { shape: [{ dim: [2] }] } });
    layers.push({ name: 'loss', type: 'SoftmaxWithLoss', bottom: [last.bottom[0], 'label'], top: ['loss'] });
  }
  return param;
}

describeShared("nets build with Caffe's top shapes", () => {
  it.each(Object.keys(golden))('%s', (rel) => {
    const { log } = build(readNetParamsFromTextFile(path.join(SHARED, rel)));
    expect(topShapes(log)).toEqual(golden[rel]);
  });
});

describeShared('deploy nets run forward + backward with a loss on top', () => {
  it.each(Object.keys(golden).filter((r) => r.includes('deploy-only')))(
    '%s',
    (rel) => {
      const { net } = build(withLoss(readNetParamsFromTextFile(path.join(SHARED, rel))));
      // deploy nets carry no fillers (Caffe leaves their weights at 0): He-scaled weights, identity
      // BatchNorm/Scale, zero biases, so the gradient survives the depth (arbitrary +-0.05 weights make it
      // vanish into float32 denormals through MobileNet). An integer hash, not Math.*: jest runs Math
      // across realms, 50x slower on AlexNet's 61M weights.
      for (const l of net.layers) {
        l.blobs.forEach((b, j) => {
          const d = b.mutableCpuData();
          if (l.type === 'BatchNorm') d.fill(j === 0 ? 0 : 1);
          else if (l.type === 'Scale') d.fill(j === 0 ? 1 : 0);
          else if (b.numAxes < 2) d.fill(0);
          else {
            const a = Math.sqrt(6 / (b.count / b.shape[0]));
            for (let i = 0; i < d.length; i++) d[i] = a * ((((i * 2654435761) >>> 0) % 2001) / 1000 - 1);
          }
        });
      }
      const data = net.blobByName('data').mutableCpuData();
      for (let i = 0; i < data.length; i++) data[i] = Math.sin(i * 0.37) * 50;
      const label = net.blobByName('label').mutableCpuData();
      label[0] = 3;
      label[1] = 7;
      const loss = net.forward();
      if (!Number.isFinite(loss)) {
        const bad = net.blobNames.filter((n) =>
          net
            .blobByName(n)
            .cpuData()
            .some((v) => !Number.isFinite(v)),
        );
        throw new Error(`loss ${loss}; first non-finite blob: ${bad[0]}`);
      }
      expect(loss).toBeGreaterThan(0);
      net.backward();
      const first = net.learnableParams[0];
      expect(first.cpuDiff().some((v) => v !== 0)).toBe(true);
    },
    120000,
  );
});
