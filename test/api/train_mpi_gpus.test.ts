// `mpirun -np 2 caffets train --gpu=0,1,2,3` on one machine: each of the two ranks holds two of the
// four devices (local rank r of 2 takes ids r and r + 2), so four replicas train: two threads per
// process, summed within the process, then across the ranks (backend/comm_hier.ts). Against
// reference Caffe's single-process alexnet-mini run (../shared) with the TRAIN batch in four: its
// tests and its weights; SIGINT stops every replica; ranks with different device counts are refused.
// The devices: CAFFETS_SOFTWARE_GPUS WebGPU devices on lavapipe.
import * as fs from 'fs';
import * as path from 'path';
import { spawn } from 'child_process';
import { tmpDir } from '../helpers';
import { G, modelBlobs, relL2 } from '../solvers/solver_helpers';
import { gpuSkipReason } from '../gpu';
import { localShare } from '../../src/api/common';
import {
  MPI_ENV,
  caffeLog,
  describeMpi,
  fixtureBlobs,
  fixtureCopy,
  mpiSkipReason,
  MpiRun,
  mpirun,
  mpirunArgs,
  pidOf,
  readRanks,
  testValues,
  worstAbs,
} from './train_helpers';

const why = mpiSkipReason ? undefined : gpuSkipReason();
const d = why ? (name: string, fn: () => void) => describe.skip(`${name} [skipped: ${why}]`, fn) : describeMpi;

d('mpirun -np 2 caffets train --gpu=0,1,2,3: two devices per rank, four replicas', () => {
  it("alexnet-mini, batch 4 per replica, 20 iterations: Caffe's tests and weights", () => {
    const work = fixtureCopy('alexnet-mini', 'train_val.prototxt', [16, 4], (s) =>
      s.replace('max_iter: 40', 'max_iter: 20'),
    );
    try {
      const args = ['--solver=solver.prototxt', '--weights=init.caffemodel', '--gpu=0,1,2,3'];
      const r = mpirun(work, 2, args, ['-x', 'CAFFETS_SOFTWARE_GPUS=4']);
      expect([r.code, r.ranks[0].split('\n').filter((l) => l.startsWith('caffets:'))]).toEqual([0, []]);
      expect(r.ranks[0]).toContain('] Using GPUs 0, 2\n');
      expect(r.ranks[0]).toMatch(/\] GPU 2: /);
      expect(r.ranks[0]).toMatch(/\] Data-parallel: 4 replicas, gradients summed in \d+ buckets/);
      const ours = G.parseLog(r.ranks[0]);
      const caffe = caffeLog('alexnet-mini');
      expect(ours.tests).toHaveLength(9); // iterations 0, 10, 20: accuracy, accuracy_top2, loss
      expect(worstAbs(testValues(ours), testValues(caffe).slice(0, 9))).toBeLessThan(0.03);
      const final = relL2(
        modelBlobs(path.join(work, 'alexmini_iter_20.caffemodel')),
        fixtureBlobs('alexnet-mini', 'alexmini_iter_20.caffemodel'),
      );
      expect(final).toBeLessThan(1e-2);
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  }, 600e3);

  it('ranks holding different numbers of devices (--gpu=0,1,2 over 2 ranks): one line from the root, exit 1', () => {
    const work = fixtureCopy('lenet-fmnist', 'train_test.prototxt', [50, 25]);
    let r: MpiRun;
    try {
      r = mpirun(work, 2, ['--solver=solver.prototxt', '--gpu=0,1,2'], ['-x', 'CAFFETS_SOFTWARE_GPUS=3']);
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
    const errors = (t: string) => t.split('\n').filter((l) => l.startsWith('caffets:'));
    expect(r.code).toBe(1);
    expect(errors(r.ranks[0])).toEqual([
      expect.stringMatching(/^caffets: --gpu under mpirun: the ranks hold different numbers of devices \(3 over 2/),
    ]);
    expect(errors(r.ranks[1])).toEqual([]);
  }, 300e3);
  it('SIGINT at the root stops all four replicas at one iteration: a snapshot, mpirun ends with 0', async () => {
    const work = fixtureCopy('lenet-fmnist', 'train_test.prototxt', [50, 8], (t) =>
      t.replace('max_iter: 60', 'max_iter: 100000'),
    );
    const out = tmpDir('caffets-mpi-out-');
    try {
      const args = ['--solver=solver.prototxt', '--gpu=0,1,2,3'];
      const mp = spawn('mpirun', mpirunArgs(2, out, args, ['-x', 'CAFFETS_SOFTWARE_GPUS=4']), {
        cwd: work,
        env: MPI_ENV,
        stdio: 'ignore',
      });
      const exited = new Promise<number | null>((resolve) => mp.on('exit', (code) => resolve(code)));
      const deadline = Date.now() + 240e3;
      while (!/\] Iteration 1 /.test(readRanks(out, 1)[0])) {
        if (Date.now() > deadline) throw new Error('the run did not reach iteration 1');
        await new Promise((r) => setTimeout(r, 100));
      }
      process.kill(pidOf(readRanks(out, 1)[0]), 'SIGINT');
      expect(await exited).toBe(0);
      const log = readRanks(out, 1)[0];
      expect(log).toMatch(/\] Data-parallel: 4 replicas/);
      expect(log).toContain('Optimization stopped early.');
      const iter = Number(/Snapshotting to binary proto file lenet_iter_(\d+)\.caffemodel/.exec(log)?.[1]);
      expect(iter).toBeGreaterThan(1);
      expect(fs.existsSync(path.join(work, `lenet_iter_${iter}.solverstate`))).toBe(true);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
      fs.rmSync(work, { recursive: true, force: true });
    }
  }, 400e3);
});

describe('localShare: the --gpu ids local rank r of L takes', () => {
  it('ids r, r + L, ...; one each in turn when fewer ids than ranks', () => {
    expect(localShare([0, 1, 2, 3], 0, 2)).toEqual([0, 2]);
    expect(localShare([0, 1, 2, 3], 1, 2)).toEqual([1, 3]);
    expect(localShare([0, 1], 0, 1)).toEqual([0, 1]);
    expect(localShare([0, 1], 1, 2)).toEqual([1]);
    expect(localShare([5], 1, 2)).toEqual([5]);
    expect(localShare([0, 1], 2, 3)).toEqual([0]);
  });
});
