// `caffets train --gpu=0,1` / `--gpu=all`: a replica per device in one process (the WebGPU backend;
// lavapipe here and in CI, CAFFETS_SOFTWARE_GPUS=2 devices on it), against reference Caffe's own
// single-process runs (../shared) with the TRAIN batch halved: the replicas together see Caffe's
// records per iteration, test like Caffe, end near Caffe's weights.
import * as fs from 'fs';
import * as path from 'path';
import { train } from '../../src/api/train';
import { HAVE_SHARED, sharedPath } from '../helpers';
import { G, captureLogs, modelBlobs, relL2, worstRel } from '../solvers/solver_helpers';
import { gpuSkipReason } from '../gpu';
import '../../src/layers/Data';
import { caffeLog, fixtureCopy, testValues, worstAbs } from './train_helpers';

const why = !HAVE_SHARED ? '../shared is absent' : gpuSkipReason();
const d = why ? describe.skip : describe;

async function trainIn(work: string, gpu: string) {
  const cwd = process.cwd();
  process.chdir(work);
  try {
    return await captureLogs(() =>
      train({ solver: 'solver.prototxt', weights: 'init.caffemodel', gpu, progress: false }),
    );
  } finally {
    process.chdir(cwd);
  }
}

d(`data-parallel training on two devices in one process${why ? ` [skipped: ${why}]` : ''}`, () => {
  const env = { ...process.env };
  let work = '';
  beforeAll(() => {
    process.env.CAFFETS_SOFTWARE_GPUS = '2';
    process.env.CAFFETS_LOG_ALL_RANKS = '1';
  });
  afterAll(() => {
    process.env = env;
  });
  afterEach(() => {
    if (work) fs.rmSync(work, { recursive: true, force: true });
    work = '';
  });

  it("lenet-fmnist --gpu=0,1, batch 25 each: Caffe's batch-50 records per iteration, tests, weights", async () => {
    work = fixtureCopy('lenet-fmnist', 'train_test.prototxt', [50, 25]);
    const { lines } = await trainIn(work, '0,1');
    const body = (l: string) => l.replace(/^[IWEF]\d{4} [\d:.]+ +\d+ [^\]]+\] /, '');
    expect(lines.map(body)).toEqual(expect.arrayContaining(['Using GPUs 0, 1']));
    const name = lines
      .map(body)
      .find((l) => l.startsWith('GPU 0: '))!
      .slice(7);
    expect(lines.map(body)).toContain(`GPU 1: ${name}`);
    const root = G.parseLog(lines.join('\n'));
    // the other replica's lines come prefixed with its device
    const other = G.parseLog(
      lines
        .filter((l) => /\] GPU 1: /.test(l))
        .map((l) => l.replace('] GPU 1: ', '] '))
        .join('\n'),
    );
    const caffe = caffeLog('lenet-fmnist');
    const mean = root.losses.map((l: number, i: number) => Math.fround((l + other.losses[i]) / 2));
    expect(mean).toHaveLength(61);
    expect(worstRel(mean, caffe.losses, 10)).toBeLessThan(1e-3);
    expect(worstRel(root.losses, caffe.losses, 10)).toBeGreaterThan(1e-3);
    expect(other.tests).toHaveLength(0);
    expect(testValues(root)).toHaveLength(testValues(caffe).length);
    expect(worstAbs(testValues(root), testValues(caffe))).toBeLessThan(0.03);
    const final = relL2(
      modelBlobs(path.join(work, 'lenet_iter_60.caffemodel')),
      modelBlobs(sharedPath('fixtures/caffe-train/lenet-fmnist/lenet_iter_60.caffemodel')),
    );
    expect(final).toBeLessThan(3e-3);
  }, 900_000);

  it('alexnet-mini --gpu=all (two devices), batch 8 each, 20 iterations: its tests and weights', async () => {
    work = fixtureCopy('alexnet-mini', 'train_val.prototxt', [16, 8], (s) => s.replace('max_iter: 40', 'max_iter: 20'));
    const { lines } = await trainIn(work, 'all');
    expect(lines.some((l) => /\] Using GPUs 0, 1$/.test(l))).toBe(true);
    const ours = G.parseLog(lines.join('\n'));
    const caffe = caffeLog('alexnet-mini');
    expect(ours.tests).toHaveLength(9); // iterations 0, 10, 20: accuracy, accuracy_top2, loss
    expect(worstAbs(testValues(ours), testValues(caffe).slice(0, 9))).toBeLessThan(0.03);
    const final = relL2(
      modelBlobs(path.join(work, 'alexmini_iter_20.caffemodel')),
      modelBlobs(sharedPath('fixtures/caffe-train/alexnet-mini/alexmini_iter_20.caffemodel')),
    );
    expect(final).toBeLessThan(1e-2);
  }, 900_000);

  it('a device that cannot open is one line naming it', async () => {
    work = fixtureCopy('lenet-fmnist', 'train_test.prototxt', [50, 25]);
    await expect(trainIn(work, '0,7')).rejects.toThrow(/^GPU 7: no GPU with device id 7/);
  }, 300_000);
});
