// Golden check against reference BVLC Caffe (skipped when its `caffe` binary is absent). A tiny net
// x (Parameter) -> Convolution and -> Deconvolution, each with a EuclideanLoss to a fixed target, is
// run by Caffe: `caffe test` prints the conv/deconv outputs (TEST phase, no losses), and one SGD step
// with base_lr 1 (`caffe train`) snapshots W - dW, b - db and x - dx, which are compared with our
// forward and backward on the same data.
import * as fs from 'fs';
import * as path from 'path';
import { execFileSync } from 'child_process';
import '../../src/layers/Convolution';
import '../../src/layers/Deconvolution';
import { createLayer } from '../../src/core/layer_factory';
import { Blob } from '../../src/core/blob';
import { Message } from '../../src/proto/schema';
import { readProtoFromBinaryFile, writeProtoToBinaryFile } from '../../src/io/proto_io';
import { setLogSink } from '../../src/util/logging';
import { randomBlob } from '../gradient_checker';
import { HAVE_CAFFE, tmpDir } from '../helpers';

const X = [2, 4, 7, 6];
const CONV = 'num_output: 4 kernel_size: 3 stride: 2 pad: 1 group: 2';
const DECONV = 'num_output: 6 kernel_h: 3 kernel_w: 2 stride: 2 pad: 1 dilation: 1 group: 2';
const convParam = { num_output: 4, kernel_size: [3], stride: [2], pad: [1], group: 2 };
const deconvParam = { num_output: 6, kernel_h: 3, kernel_w: 2, stride: [2], pad: [1], dilation: [1], group: 2 };
const SHAPES = {
  conv: [[4, 2, 3, 3], [4]],
  deconv: [[4, 3, 3, 2], [6]],
  convT: [[2, 4, 4, 3]],
  deconvT: [[2, 6, 13, 10]],
};

const param = (name: string, top: string, shape: number[], lr: number) =>
  `layer { name: "${name}" type: "Parameter" top: "${top}" param { lr_mult: ${lr} } ` +
  `parameter_param { shape { ${shape.map((d) => `dim: ${d}`).join(' ')} } } }`;
const NET = [
  'name: "golden"',
  param('x', 'x', X, 1),
  param('convT', 'convT', SHAPES.convT[0], 0),
  param('deconvT', 'deconvT', SHAPES.deconvT[0], 0),
  `layer { name: "conv" type: "Convolution" bottom: "x" top: "conv" convolution_param { ${CONV} } }`,
  `layer { name: "deconv" type: "Deconvolution" bottom: "x" top: "deconv" convolution_param { ${DECONV} } }`,
  'layer { name: "l1" type: "EuclideanLoss" bottom: "conv" bottom: "convT" top: "l1" include { phase: TRAIN } }',
  'layer { name: "l2" type: "EuclideanLoss" bottom: "deconv" bottom: "deconvT" top: "l2" include { phase: TRAIN } }',
].join('\n');

const blobMsg = (b: Blob): Message => ({ shape: { dim: b.shape.slice() }, data: Float32Array.from(b.cpuData()) });

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, tol: number, what: string): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < got.length; i++) {
    if (!(Math.abs(got[i] - want[i]) <= tol * Math.max(1, Math.abs(want[i]))))
      throw new Error(`${what}[${i}]: ours ${got[i]}, Caffe ${want[i]}`);
  }
}

(HAVE_CAFFE ? describe : describe.skip)('Convolution/Deconvolution match reference Caffe', () => {
  it('forward outputs and one SGD step (weights, bias, bottom gradients)', () => {
    const dir = tmpDir('caffets-conv-golden-');
    try {
      golden(dir);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

function golden(dir: string): void {
  const x = randomBlob(X, -1, 1, 1);
  const blobs: Record<string, Blob[]> = {};
  let seed = 10;
  for (const [name, shapes] of Object.entries(SHAPES)) blobs[name] = shapes.map((s) => randomBlob(s, -1, 1, seed++));
  const model = {
    name: 'golden',
    layer: [['x', [x]], ...Object.entries(blobs)].map(([n, b]) => ({ name: n, blobs: (b as Blob[]).map(blobMsg) })),
  };
  fs.writeFileSync(path.join(dir, 'net.prototxt'), NET);
  writeProtoToBinaryFile(model, 'caffe.NetParameter', path.join(dir, 'init.caffemodel'));
  fs.writeFileSync(
    path.join(dir, 'solver.prototxt'),
    `net: "${dir}/net.prototxt"\nbase_lr: 1\nlr_policy: "fixed"\nmax_iter: 1\n` +
      `display: 1\nsolver_mode: CPU\nsnapshot_prefix: "${dir}/snap"\n`,
  );
  // caffe logs (and prints the outputs) on stderr
  const out = execFileSync('sh', ['-c', 'caffe test -model net.prototxt -weights init.caffemodel -iterations 1 2>&1'], {
    cwd: dir,
    encoding: 'utf8',
  });
  const printed = (name: string) =>
    [...out.matchAll(new RegExp(`Batch 0, ${name} = (\\S+)`, 'g'))].map((m) => Number(m[1]));
  execFileSync('sh', ['-c', 'caffe train -solver solver.prototxt -weights init.caffemodel > train.log 2>&1'], {
    cwd: dir,
  });
  const snap: Message = readProtoFromBinaryFile(path.join(dir, 'snap_iter_1.caffemodel'), 'caffe.NetParameter');
  const caffeBlob = (layer: string, i: number): Float32Array =>
    snap.layer.find((l: Message) => l.name === layer).blobs[i].data;

  // ours: the same layers with the same parameters
  const restore = setLogSink(() => undefined);
  const conv = createLayer({
    name: 'conv',
    type: 'Convolution',
    convolution_param: convParam,
    blobs: blobs.conv.map(blobMsg),
  });
  const deconv = createLayer({
    name: 'deconv',
    type: 'Deconvolution',
    convolution_param: deconvParam,
    blobs: blobs.deconv.map(blobMsg),
  });
  const yc = new Blob(),
    yd = new Blob();
  try {
    conv.setUp([x], [yc]);
    deconv.setUp([x], [yd]);
  } finally {
    restore();
  }
  conv.forward([x], [yc]);
  deconv.forward([x], [yd]);
  expectClose(yc.cpuData(), printed('conv'), 2e-5, 'conv output');
  expectClose(yd.cpuData(), printed('deconv'), 2e-5, 'deconv output');

  // EuclideanLoss: dy = (y - t) / num; SGD with lr 1: p <- p - dp; x gets both branches' gradients
  const xd = new Float32Array(x.count);
  const step = (layer: typeof conv, y: Blob, t: Blob, name: string) => {
    const d = y.mutableCpuDiff(),
      yv = y.cpuData(),
      tv = t.cpuData();
    for (let i = 0; i < d.length; i++) d[i] = (yv[i] - tv[i]) / y.shape[0];
    for (const p of layer.blobs) p.mutableCpuDiff().fill(0);
    layer.backward([y], [true], [x]);
    x.cpuDiff().forEach((v, i) => {
      xd[i] += v;
    });
    layer.blobs.forEach((p, j) => {
      const want = caffeBlob(name, j),
        ours = p.cpuData().map((v, i) => v - p.cpuDiff()[i]);
      expectClose(ours, want, 1e-5, `${name} param ${j} after one step`);
    });
  };
  step(conv, yc, blobs.convT[0], 'conv');
  step(deconv, yd, blobs.deconvT[0], 'deconv');
  expectClose(
    x.cpuData().map((v, i) => v - xd[i]),
    caffeBlob('x', 0),
    1e-5,
    'x after one step',
  );
}
