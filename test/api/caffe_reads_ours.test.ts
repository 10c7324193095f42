// Reference Caffe trains on LMDBs made by `caffets convert_imageset` (raw and --encoded): the fmnist
// set converted by caffets, run through Caffe's own LeNet fixture for 2 iterations, gives exactly the
// losses Caffe logged on its own LMDB (same keys, same Datums, same init weights).
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { convertImageset } from '../../src/api/convert_imageset';
import { setLogSink } from '../../src/util/logging';
import { describeCaffe, sharedPath, tmpDir } from '../helpers';

const FIX = sharedPath('fixtures/caffe-train/lenet-fmnist');
const DATA = sharedPath('fixtures/datasets/fmnist-1200');

/** The `Iteration N (...), loss = X` values of a Caffe log. */
function losses(log: string): number[] {
  return [...log.matchAll(/\] Iteration (\d+) \(.*\), loss = ([\d.e+-]+)/g)].map((m) => Number(m[2]));
}

describeCaffe('reference Caffe reads caffets LMDBs', () => {
  it.each([
    ['raw', false],
    ['encoded', true],
  ])(
    "caffe train on a caffets %s LMDB reproduces Caffe's own losses",
    async (_kind, encoded) => {
      const dir = tmpDir();
      const restore = setLogSink(() => {});
      try {
        for (const set of ['train', 'test']) {
          await convertImageset({
            root: DATA + '/',
            listFile: path.join(DATA, `${set}.txt`),
            db: path.join(dir, `${set}_lmdb`),
            gray: true,
            encoded: encoded as boolean,
            progress: false,
          });
        }
      } finally {
        restore();
      }
      for (const f of ['mean.binaryproto', 'init.caffemodel']) fs.symlinkSync(path.join(FIX, f), path.join(dir, f));
      // encoded gray datums need force_gray: Caffe decodes encoded images as colour otherwise (so does its own LMDB)
      const net = fs.readFileSync(path.join(FIX, 'train_test.prototxt'), 'utf8');
      fs.writeFileSync(
        path.join(dir, 'train_test.prototxt'),
        encoded ? net.replace(/transform_param \{/g, 'transform_param { force_gray: true') : net,
      );
      const solver = fs
        .readFileSync(path.join(FIX, 'solver.prototxt'), 'utf8')
        .replace(/max_iter: \d+/, 'max_iter: 3')
        .replace(/snapshot: \d+/, 'snapshot: 0')
        .replace(/test_interval: \d+/, 'test_interval: 1000');
      fs.writeFileSync(path.join(dir, 'solver.prototxt'), solver + 'snapshot_after_train: false\n');
      const r = spawnSync('caffe', ['train', '--solver=solver.prototxt', '--weights=init.caffemodel'], {
        cwd: dir,
        encoding: 'utf8',
      });
      expect(r.status).toBe(0);
      const ours = losses(r.stderr);
      const caffes = losses(fs.readFileSync(path.join(FIX, 'caffe_train.log'), 'utf8')).slice(0, 3);
      expect(ours).toHaveLength(3);
      expect(ours).toEqual(caffes);
    },
    120000,
  );

  it.each([
    ['raw', false],
    ['encoded', true],
  ])(
    "compute_image_mean (Caffe) on a caffets %s LMDB gives Caffe's mean.binaryproto",
    async (_kind, encoded) => {
      const dir = tmpDir();
      const restore = setLogSink(() => {});
      try {
        await convertImageset({
          root: DATA + '/',
          listFile: path.join(DATA, 'train.txt'),
          db: path.join(dir, 'train_lmdb'),
          gray: true,
          encoded: encoded as boolean,
          progress: false,
        });
      } finally {
        restore();
      }
      const r = spawnSync('compute_image_mean', ['train_lmdb', 'mean.binaryproto'], { cwd: dir, encoding: 'utf8' });
      expect(r.status).toBe(0);
      // raw: the fixture's mean; encoded: Caffe decodes encoded datums as colour (3 channels), so the golden
      // is Caffe's mean of Caffe's own --encoded conversion of the same list
      let want = path.join(FIX, 'mean.binaryproto');
      if (encoded) {
        const c = spawnSync(
          'convert_imageset',
          ['--gray', '--encoded', DATA + '/', path.join(DATA, 'train.txt'), 'caffe_lmdb'],
          { cwd: dir },
        );
        expect(c.status).toBe(0);
        expect(spawnSync('compute_image_mean', ['caffe_lmdb', 'caffe_mean.binaryproto'], { cwd: dir }).status).toBe(0);
        want = path.join(dir, 'caffe_mean.binaryproto');
      }
      expect(Buffer.compare(fs.readFileSync(path.join(dir, 'mean.binaryproto')), fs.readFileSync(want))).toBe(0);
    },
    120000,
  );
});
