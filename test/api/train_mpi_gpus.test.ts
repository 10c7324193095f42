// `mpirun -np 2 caffets train --gpu=0,1,2,3` on one machine: each of the two ranks holds two of the
// four devices (local rank r of 2 takes ids r and r + 2), so four replicas train: two threads per
// process, summed within the process, then across the ranks (backend/comm_hier.ts). Against
// reference Caffe's single-process alexnet-mini run (../shared) with the TRAIN batch in four: its
// tests and its weights. The devices: CAFFETS_SOFTWARE_GPUS=4 WebGPU devices on lavapipe.
import * as fs from 'fs';
import * as path from 'path';
import { G, modelBlobs, relL2 } from '../solvers/solver_helpers';
import { gpuSkipReason } from '../gpu';
import {
  caffeLog,
  describeMpi,
  fixtureBlobs,
  fixtureCopy,
  mpiSkipReason,
  mpirun,
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
});
