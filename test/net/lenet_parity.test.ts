// Whole-net forward and backward against reference Caffe: LeNet (Caffe's init.caffemodel weights)
// fed by a deterministic image (DummyData ones -> InnerProduct with our random weights -> Reshape),
// one training iteration with debug_info in both; every per-layer mean |data| and |diff| must agree.
import * as fs from 'fs';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { Net } from '../../src/net';
import { setRandomSeed } from '../../src/core/rng';
import { writeProtoToBinaryFile } from '../../src/io/proto_io';
import { printPrototxt } from '../../src/formats/prototxt';
import { Message } from '../../src/proto/schema';
import { describeCaffe, sharedPath, tmpDir } from '../helpers';
import { captureLog, netParam, strip } from './support';

describeCaffe('LeNet forward + backward matches Caffe (debug_info lines)', () => {
  it("every layer's data and diff means agree to 1e-4", () => {
    const dir = sharedPath('fixtures/caffe-train/lenet-fmnist');
    const p = netParam(fs.readFileSync(path.join(dir, 'train_test.prototxt'), 'utf8'));
    p.layer = p.layer.filter((l: Message) => l.type !== 'Data' && l.include?.[0]?.phase !== 'TEST');
    p.layer.unshift(
      {
        name: 'ones',
        type: 'DummyData',
        top: ['ones', 'label'],
        dummy_data_param: {
          shape: [{ dim: [4, 1] }, { dim: [4] }],
          data_filler: [
            { type: 'constant', value: 1 },
            { type: 'constant', value: 3 },
          ],
        },
      },
      {
        name: 'gen',
        type: 'InnerProduct',
        bottom: ['ones'],
        top: ['flat'],
        param: [{ lr_mult: 0 }],
        inner_product_param: { num_output: 784, bias_term: false, weight_filler: { type: 'uniform', min: -1, max: 1 } },
      },
      {
        name: 'img',
        type: 'Reshape',
        bottom: ['flat'],
        top: ['data'],
        reshape_param: { shape: { dim: [4, 1, 28, 28] } },
      },
    );
    setRandomSeed(5);
    const net = captureLog(() => new Net(p, { phase: 'TRAIN' })).result;
    captureLog(() => net.copyTrainedLayersFromFile(path.join(dir, 'init.caffemodel')));
    net.debugInfo = true;
    const ours = captureLog(() => {
      net.forward();
      net.backward();
    }).lines;

    const t = tmpDir();
    fs.writeFileSync(path.join(t, 'net.prototxt'), printPrototxt(p, 'caffe.NetParameter'));
    writeProtoToBinaryFile(net.toProto(), 'caffe.NetParameter', path.join(t, 'w.caffemodel'));
    fs.writeFileSync(
      path.join(t, 'solver.prototxt'),
      `net: "${t}/net.prototxt"\nbase_lr: 0\nlr_policy: "fixed"\ndisplay: 1\n` +
        `max_iter: 1\ndebug_info: true\nsnapshot_after_train: false\nsnapshot_prefix: "${t}/s"\n`,
    );
    const run = spawnSync('caffe', ['train', `--solver=${t}/solver.prototxt`, `--weights=${t}/w.caffemodel`], {
      encoding: 'utf8',
    });
    fs.rmSync(t, { recursive: true, force: true });
    const caffe = `${run.stdout}${run.stderr}`
      .split('\n')
      .filter((l) => l.includes('    ['))
      .map(strip)
      .slice(0, ours.length);

    expect(ours.length).toBe(37);
    expect(caffe.length).toBe(ours.length);
    const num = /-?\d+(?:\.\d+)?(?:e[+-]\d+)?/g;
    ours.forEach((l, i) => {
      expect(l.replace(num, 'N')).toBe(caffe[i].replace(num, 'N'));
      const a = l.match(num)!.map(Number),
        b = caffe[i].match(num)!.map(Number);
      a.forEach((x, k) => expect(Math.abs(x - b[k])).toBeLessThanOrEqual(1e-4 * Math.max(Math.abs(b[k]), 1e-3)));
    });
  }, 120000);
});
