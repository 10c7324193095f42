// The nets of models/ (CIFAR-10 quick and full, AlexNet, CaffeNet, GoogLeNet): every deploy net and
// every train_val net (TRAIN and TEST phases, its Data layers replaced by Input layers of the shapes
// they would produce) builds; deploy nets have the top shapes of the published nets (../shared); a
// train_val net's layers have the deploy net's shapes and parameters, so its weights load into the
// deploy net; the solvers point at the nets and snapshot into the model folder; reference Caffe reads
// every file as current and logs the same top shapes; the generated files are up to date.
import * as fs from 'fs';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { Net } from '../../src/net';
import { readNetParamsFromTextFile, readSolverParamsFromTextFile } from '../../src/io/proto_io';
import { Message } from '../../src/proto/schema';
import { captureLog } from '../net/support';
import { HAVE_SHARED, ROOT, describeCaffe, sharedPath, tmpDir } from '../helpers';

const { topShapes } = require('../../scripts/caffe-top-shapes.js');

interface Model {
  dir: string;
  /** channels, height, width of the images in the LMDBs */
  image: [number, number, number];
  /** images in the TEST phase's LMDB, which test_iter x batch size should cover */
  testImages: number;
  solvers: string[];
  /** the published deploy net under ../shared/fixtures/models with the same top shapes */
  reference?: string;
  /** layers of the train_val net that the deploy net does not have (auxiliary classifiers) */
  trainOnly?: RegExp;
}

const MODELS: Model[] = [
  {
    dir: 'cifar10_quick',
    image: [3, 32, 32],
    testImages: 10000,
    solvers: ['solver', 'solver_lr1'],
    reference: 'cifar10-quick/deploy.prototxt',
  },
  { dir: 'cifar10_full', image: [3, 32, 32], testImages: 10000, solvers: ['solver', 'solver_lr1', 'solver_lr2'] },
  {
    dir: 'bvlc_alexnet',
    image: [3, 256, 256],
    testImages: 50000,
    solvers: ['solver'],
    reference: 'deploy-only/bvlc_alexnet_deploy.prototxt',
  },
  {
    dir: 'bvlc_reference_caffenet',
    image: [3, 256, 256],
    testImages: 50000,
    solvers: ['solver'],
    reference: 'deploy-only/bvlc_reference_caffenet_deploy.prototxt',
  },
  {
    dir: 'bvlc_googlenet',
    image: [3, 256, 256],
    testImages: 50000,
    solvers: ['solver'],
    reference: 'deploy-only/bvlc_googlenet_deploy.prototxt',
    trainOnly: /^loss[12]\//,
  },
];

// CIFAR-10 full has no published deploy net in ../shared: its shapes, as reference Caffe logs them.
const CIFAR10_FULL_SHAPES: [string, string][] = [
  ['data', '1 3 32 32 (3072)'],
  ['conv1', '1 32 32 32 (32768)'],
  ['pool1', '1 32 16 16 (8192)'],
  ['relu1', '1 32 16 16 (8192)'],
  ['norm1', '1 32 16 16 (8192)'],
  ['conv2', '1 32 16 16 (8192)'],
  ['relu2', '1 32 16 16 (8192)'],
  ['pool2', '1 32 8 8 (2048)'],
  ['norm2', '1 32 8 8 (2048)'],
  ['conv3', '1 64 8 8 (4096)'],
  ['relu3', '1 64 8 8 (4096)'],
  ['pool3', '1 64 4 4 (1024)'],
  ['ip1', '1 10 (10)'],
  ['prob', '1 10 (10)'],
];

const file = (m: Model, name: string) => path.join(ROOT, 'models', m.dir, name);
const quiet = <T>(fn: () => T): T => captureLog(fn).result;
const build = (param: Message, phase: 'TRAIN' | 'TEST') => quiet(() => new Net(param, { phase }));

/** [layer, "d0 d1 ... (count)"] for every top of every layer, as Caffe's "Top shape:" log lines */
const netTopShapes = (net: Net): [string, string][] =>
  net.layerNames.flatMap((name, i) => net.topVecs[i].map((b): [string, string] => [name, b.shapeString()]));

/**
 * The train_val net with each Data layer replaced by an Input layer of the shapes it would produce,
 * and its fillers by constants (shapes do not depend on them, and Gaussian filling of AlexNet's 61M
 * weights takes half a minute).
 */
function withInputs(m: Model): Message {
  const param = readNetParamsFromTextFile(file(m, 'train_val.prototxt'));
  param.layer = param.layer.map((l: Message) => {
    for (const p of [l.convolution_param, l.inner_product_param]) {
      if (p) {
        p.weight_filler = { type: 'constant' };
        p.bias_filler = { type: 'constant' };
      }
    }
    if (l.type !== 'Data') return l;
    const batch = l.data_param.batch_size,
      crop = l.transform_param?.crop_size;
    const [c, h, w] = m.image;
    const dims = [batch, c, crop ?? h, crop ?? w];
    return {
      name: l.name,
      type: 'Input',
      top: l.top,
      include: l.include,
      input_param: { shape: [{ dim: dims }, { dim: [batch] }] },
    };
  });
  return param;
}

const isSplit = (net: Net, i: number) => net.layers[i].layerParam.type === 'Split';
const learnableShapes = (net: Net) =>
  new Map(
    net.layerNames
      .map((name, i): [string, string[]] => [name, net.layers[i].blobs.map((b) => b.shapeString())])
      .filter(([, shapes]) => shapes.length),
  );

describe.each(MODELS)('models/$dir', (m) => {
  const deployParam = () => readNetParamsFromTextFile(file(m, 'deploy.prototxt'));

  it("deploy.prototxt builds with the published net's top shapes", () => {
    const ours = netTopShapes(build(deployParam(), 'TEST'));
    expect(ours.length).toBeGreaterThan(5);
    if (m.dir === 'cifar10_full') {
      expect(ours).toEqual(CIFAR10_FULL_SHAPES);
    } else if (!HAVE_SHARED) {
      console.log(`models/${m.dir}: shape comparison with the published deploy net skipped: ../shared is absent`);
    } else {
      const ref = netTopShapes(build(readNetParamsFromTextFile(sharedPath('fixtures/models', m.reference!)), 'TEST'));
      expect(ours).toEqual(ref);
    }
  });

  it.each(['TRAIN', 'TEST'] as const)(
    "train_val.prototxt builds in phase %s with the deploy net's shapes (batch aside)",
    (phase) => {
      const train = build(withInputs(m), phase);
      const deploy = build(deployParam(), 'TEST');
      const batch = train.blobByName('data').shape[0];
      expect(train.blobByName('label').shape).toEqual([batch]);
      // every deploy layer but the input and the final Softmax is in the train_val net, with the same tops
      const trainShapes = new Map(netTopShapes(train).map(([l, s]) => [l, s]));
      const compared = deploy.layerNames.filter((name, i) => !isSplit(deploy, i) && name !== 'data' && name !== 'prob');
      for (const name of compared) {
        const d = deploy.topVecs[deploy.layerNames.indexOf(name)][0];
        const shape = [batch, ...d.shape.slice(1)];
        expect([name, trainShapes.get(name)]).toEqual([
          name,
          `${shape.map((x) => `${x} `).join('')}(${shape.reduce((a, b) => a * b, 1)})`,
        ]);
      }
      expect(train.blobLossWeights.some((w) => w > 0)).toBe(true);
      if (phase === 'TEST') expect(train.outputBlobs.length).toBeGreaterThan(1); // accuracy as well as loss
    },
  );

  it("train_val.prototxt's learnable layers are the deploy net's, and its weights load into it", () => {
    const train = build(withInputs(m), 'TEST');
    const deploy = build(deployParam(), 'TEST');
    const trainParams = learnableShapes(train),
      deployParams = learnableShapes(deploy);
    for (const [name, shapes] of deployParams) expect([name, trainParams.get(name)]).toEqual([name, shapes]);
    const extra = [...trainParams.keys()].filter((n) => !deployParams.has(n));
    expect(extra.filter((n) => !m.trainOnly?.test(n))).toEqual([]);

    train.learnableParams.forEach((p, j) => {
      const d = p.mutableCpuData();
      d.fill(j + 1);
      d[0] = -j;
    });
    const { lines } = captureLog(() => deploy.copyTrainedLayersFrom(train.toProto()));
    expect(lines.every((l) => l.startsWith('I Ignoring source layer '))).toBe(true);
    for (const [name] of deployParams) {
      const a = deploy.layerByName(name).blobs,
        b = train.layerByName(name).blobs;
      a.forEach((blob, k) =>
        expect(Buffer.from(blob.cpuData().buffer).equals(Buffer.from(b[k].cpuData().buffer))).toBe(true),
      );
    }
  });

  it.each(m.solvers)('%s.prototxt trains train_val.prototxt and snapshots into the model folder', (name) => {
    const s = readSolverParamsFromTextFile(file(m, `${name}.prototxt`));
    expect(s.net).toBe(`models/${m.dir}/train_val.prototxt`);
    expect(fs.existsSync(path.join(ROOT, s.net))).toBe(true);
    expect(s.snapshot_prefix.startsWith(`models/${m.dir}/`)).toBe(true);
    const testData = readNetParamsFromTextFile(file(m, 'train_val.prototxt')).layer.find(
      (l: Message) => l.type === 'Data' && l.include?.[0]?.phase === 'TEST',
    );
    expect(s.test_iter[0] * testData.data_param.batch_size).toBe(m.testImages);
  });
});

it('the published trained CIFAR-10 quick weights load into models/cifar10_quick/deploy.prototxt', () => {
  if (!HAVE_SHARED) return console.log('published-weights check skipped: ../shared is absent');
  const net = build(readNetParamsFromTextFile(path.join(ROOT, 'models/cifar10_quick/deploy.prototxt')), 'TEST');
  const { lines } = captureLog(() =>
    net.copyTrainedLayersFromFile(sharedPath('fixtures/models/cifar10-quick/cifar10_quick_iter_5000.caffemodel')),
  );
  // the trained net's data and loss
  expect(lines).toEqual(['I Ignoring source layer cifar', 'I Ignoring source layer loss']);
});

it('the generated prototxts are what scripts/gen-models.js writes', () => {
  if (!fs.existsSync(path.join(ROOT, 'dist/index.js')))
    return console.log('generator check skipped: dist/ is not built (npx tsc -p .)');
  const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts/gen-models.js'), '--check'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
});

describeCaffe('models/ in reference Caffe', () => {
  const files = MODELS.flatMap((m) => [
    ...['train_val', 'deploy'].map((n) => ['upgrade_net_proto_text', file(m, `${n}.prototxt`)]),
    ...m.solvers.map((n) => ['upgrade_solver_proto_text', file(m, `${n}.prototxt`)]),
  ]);
  it.each(files)('%s finds %s in the latest format', (tool, f) => {
    const r = spawnSync(tool, [f, path.join(tmpDir(), 'out.prototxt')], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('File already in latest proto format');
  });

  it.each(MODELS)(
    'caffe time logs the top shapes of models/$dir/deploy.prototxt that caffets builds',
    (m) => {
      const r = spawnSync('caffe', ['time', `--model=${file(m, 'deploy.prototxt')}`, '--iterations=1'], {
        encoding: 'utf8',
        maxBuffer: 64 << 20,
      });
      expect(r.status).toBe(0);
      expect(netTopShapes(build(readNetParamsFromTextFile(file(m, 'deploy.prototxt')), 'TRAIN'))).toEqual(
        topShapes(r.stderr),
      );
    },
    120000,
  );
});
