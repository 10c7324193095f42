// Training in GPU mode (--gpu=0 on the WebGPU device; lavapipe in CI) against reference Caffe's own
// runs of the ../shared fixtures, with the default engine's bars for a different arithmetic: LeNet's
// first 10 losses within 1e-3 relative, all within 3e-2, test outputs within 0.03, final weights within
// 3e-3 (relative L2). And the steady state: an iteration moves only the batch to the device.
import * as fs from 'fs';
import * as path from 'path';
import { train } from '../../src/api/train';
import { openGpu } from '../../src/api/common';
import { readSolverParamsFromTextFile } from '../../src/io/proto_io';
import { createSolver } from '../../src/solvers';
import { resetTransfers, transfers } from '../../src/core/synced_memory';
import { WebGpuDevice } from '../../src/backend/webgpu/webgpu_device';
import { currentDevice } from '../../src/backend/mode';
import { HAVE_SHARED, sharedPath, tmpDir } from '../helpers';
import { G, captureLogs, modelBlobs, relL2, worstRel } from '../solvers/solver_helpers';
import { gpuSkipReason } from '../gpu';
import '../../src/layers/Data';

const why = !HAVE_SHARED ? '../shared is absent' : gpuSkipReason();
const d = why ? describe.skip : describe;

function copyFixture(name: string): string {
  const work = tmpDir(`caffets-gpu-${name}-`);
  fs.cpSync(sharedPath('fixtures/caffe-train', name), work, { recursive: true });
  for (const f of fs.readdirSync(work)) if (/_iter_\d+\./.test(f)) fs.rmSync(path.join(work, f));
  return work;
}

async function inDir<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const cwd = process.cwd();
  process.chdir(dir);
  try {
    return await fn();
  } finally {
    process.chdir(cwd);
  }
}

d(`training on the GPU${why ? ` [skipped: ${why}]` : ''}`, () => {
  let work = '';
  afterEach(() => {
    if (work) fs.rmSync(work, { recursive: true, force: true });
    work = '';
  });

  it('lenet-fmnist with --gpu=0 follows Caffe (SGD, inv, weight decay, tests, snapshots)', async () => {
    work = copyFixture('lenet-fmnist');
    const { lines } = await inDir(work, () =>
      captureLogs(() => train({ solver: 'solver.prototxt', weights: 'init.caffemodel', gpu: '0', progress: false })),
    );
    expect(lines.some((l) => /\] Using GPUs 0$/.test(l))).toBe(true);
    expect(lines.some((l) => /\] GPU 0: \S/.test(l))).toBe(true);
    const ours = G.parseLog(lines.join('\n'));
    const caffe = G.parseLog(fs.readFileSync(sharedPath('fixtures/caffe-train/lenet-fmnist/caffe_train.log'), 'utf8'));
    expect(ours.losses).toHaveLength(61);
    expect(worstRel(ours.losses, caffe.losses, 10)).toBeLessThan(1e-3);
    expect(worstRel(ours.losses, caffe.losses)).toBeLessThan(3e-2);
    const tv = (l: { tests: [string, number][] }) => l.tests.map((t) => t[1]);
    expect(tv(ours)).toHaveLength(tv(caffe).length);
    tv(ours).forEach((v, i) => expect(Math.abs(v - tv(caffe)[i])).toBeLessThan(0.03));
    const final = relL2(
      modelBlobs(path.join(work, 'lenet_iter_60.caffemodel')),
      modelBlobs(sharedPath('fixtures/caffe-train/lenet-fmnist/lenet_iter_60.caffemodel')),
    );
    expect(final).toBeLessThan(3e-3);
  }, 600_000);

  it('an iteration moves the batch (data, label) up and only the logged loss down', async () => {
    work = copyFixture('lenet-fmnist');
    await inDir(work, async () => {
      const release = openGpu(0);
      try {
        const param = readSolverParamsFromTextFile('solver.prototxt');
        param.weights = ['init.caffemodel'];
        param.test_interval = 1000; // no test phase in the steps measured
        param.test_initialization = false;
        param.display = 1;
        const solver = await captureLogs(() => createSolver(param)).then((r) => r.result);
        await captureLogs(() => solver.step(2)); // warm-up: weights and buffers reach the device
        const dev = currentDevice() as WebGpuDevice;
        resetTransfers();
        const reads0 = dev.reads;
        await captureLogs(() => solver.step(5));
        expect(transfers.uploads).toBe(2 * 5);
        expect(transfers.bytesUp).toBe(5 * 4 * (50 * 28 * 28 + 50));
        // down: the loss output each iteration logs (`Train net output #0: loss = ...`), one float
        expect(transfers.downloads).toBe(5);
        expect(transfers.bytesDown).toBe(5 * 4);
        // the host waits twice an iteration: the loss (Caffe's caffe_gpu_dot in Forward) and its log line
        expect(dev.reads - reads0).toBe(2 * 5);
        for (const n of [solver.net, ...solver.testNets]) n.dispose();
      } finally {
        release();
      }
    });
  }, 300_000);
});
