// Forward parity on the trained models of ../shared (LeNet, CIFAR-10 quick, the legacy V1 CIFAR-10,
// ResNet-20 with BatchNorm/Scale/Eltwise, and alexnet-mini with group conv, LRN across and within
// channels, AVE pooling, two Accuracy layers and the loss): a fixed input fed through a Parameter layer
// must give reference Caffe's outputs (caffe-forward.json, from scripts/caffe-forward-goldens.js; Caffe
// prints 6 significant digits) within 1e-4 of the largest magnitude of each output; on every engine and
// in GPU mode.
import * as lib from '../../src';
import '../../src/layers';
import { Net } from '../../src/net';
import { setLogSink } from '../../src/util/logging';
import { HAVE_SHARED, describeShared } from '../helpers';
import { describeEngines } from '../engines';

const { CASES, buildCase } = require('../../scripts/caffe-forward-goldens.js');
const golden: Record<string, { outputs: Record<string, number[]> }> = require('./caffe-forward.json');

(HAVE_SHARED ? describeEngines : describeShared)('forward outputs match reference Caffe', () => {
  const cases: [string, object][] = CASES.map((c: { id: string }) => [c.id, c]);
  it.each(cases)('%s', (id, c) => {
    const restore = setLogSink(() => {});
    let net: Net;
    try {
      const { net: np, weights } = buildCase(c, lib);
      net = new Net(np, { phase: 'TEST' });
      net.copyTrainedLayersFrom(weights);
      net.forward();
    } finally {
      restore();
    }
    const want = golden[id as string].outputs;
    expect(Object.keys(want).length).toBeGreaterThan(0);
    for (const [blob, ref] of Object.entries(want)) {
      const ours = net.blobByName(blob).cpuData();
      expect(ours.length).toBe(ref.length);
      const scale = Math.max(...ref.map(Math.abs), 1e-6);
      let worst = 0;
      for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(ours[i] - ref[i]) / scale);
      expect({ blob, worst: worst < 1e-4 ? 'ok' : worst }).toEqual({ blob, worst: 'ok' });
    }
  });
});
