// Resuming from a .solverstate: ours continues bit for bit as if never interrupted; with Caffe
// installed, ours resumes Caffe's snapshot as Caffe does, and Caffe resumes ours (reading our
// .solverstate and the .caffemodel it names) and reproduces our continuation.
import * as fs from 'fs';
import * as path from 'path';
import * as lib from '../../src';
import { readProtoFromBinaryFile } from '../../src/io/proto_io';
import { describeCaffe, tmpDir } from '../helpers';
import { G, modelBlobs, relL2, runOurs, worstRel } from './solver_helpers';

const RESUMABLE = ['SGD', 'Adam', 'lr-multistep'];

function withDir(fn: (dir: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = tmpDir('caffets-resume-');
    try {
      await fn(dir);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  };
}

describe('resuming from our own snapshot', () => {
  it.each(RESUMABLE)('%s continues exactly', (id) =>
    withDir(async (dir) => {
      const full = await runOurs(id, dir, 'ours');
      const state = readProtoFromBinaryFile(path.join(dir, 'ours_iter_10.solverstate'), 'caffe.SolverState');
      expect(state.iter).toBe(10);
      expect(state.learned_net).toBe(path.join(dir, 'ours_iter_10.caffemodel'));
      const nParams = full.solver.net.learnableParams.length;
      expect(state.history).toHaveLength(G.CASES[id].type === 'Adam' ? 2 * nParams : nParams);
      if (id === 'lr-multistep') expect(state.current_step).toBe(1);

      const resumed = await runOurs(id, dir, 'res', { resume: path.join(dir, 'ours_iter_10.solverstate') });
      expect(resumed.lines.join('\n')).toContain(`SGDSolver: restoring history`);
      expect(resumed.log.losses.slice(10)).toEqual(full.log.losses.slice(10));
      expect(resumed.log.lrs.slice(10)).toEqual(full.log.lrs.slice(10));
      expect(resumed.log.multistep).toEqual(full.log.multistep.filter((m: number[]) => m[0] >= 10));
      const a = modelBlobs(path.join(dir, 'res_iter_20.caffemodel')),
        b = modelBlobs(path.join(dir, 'ours_iter_20.caffemodel'));
      expect(a).toEqual(b);
    })(),
  );

  it(
    'rejects a state whose history does not fit the net, and missing HDF5 states',
    withDir(async (dir) => {
      await runOurs('SGD', dir, 'ours');
      await expect(
        runOurs('Adam', dir, 'adam', { resume: path.join(dir, 'ours_iter_10.solverstate') }),
      ).rejects.toThrow(
        'Check failed: state.history_size() == history_.size() (8 vs. 16) Incorrect length of history blobs.',
      );
      await expect(runOurs('SGD', dir, 'h5', { resume: path.join(dir, 'x.solverstate.h5') })).rejects.toThrow(
        /Couldn't open solver state file .*x\.solverstate\.h5/,
      );
    }),
  );

  it(
    'finds the snapshot weights next to the .solverstate when run elsewhere',
    withDir(async (dir) => {
      await runOurs('SGD', dir, 'ours');
      const moved = path.join(dir, 'moved');
      fs.mkdirSync(moved);
      for (const f of ['ours_iter_10.solverstate', 'ours_iter_10.caffemodel'])
        fs.renameSync(path.join(dir, f), path.join(moved, f));
      const resumed = await runOurs('SGD', dir, 'res', { resume: path.join(moved, 'ours_iter_10.solverstate') });
      expect(resumed.solver.iter).toBe(20);
      expect(modelBlobs(path.join(dir, 'res_iter_20.caffemodel'))).toEqual(
        modelBlobs(path.join(dir, 'ours_iter_20.caffemodel')),
      );
    }),
  );
});

describeCaffe('resuming across Caffe and caffets', () => {
  it.each(RESUMABLE)("%s: caffets resumes Caffe's snapshot", (id) =>
    withDir(async (dir) => {
      const solver = G.writeCase(lib, id, dir, 'caffe');
      const caffe = G.parseLog(
        G.runCaffe(dir, [`--solver=${solver}`, `--weights=${path.join(dir, 'init.caffemodel')}`]),
      );
      const ours = await runOurs(id, dir, 'res', { resume: path.join(dir, 'caffe_iter_10.solverstate') });
      expect(worstRel(ours.log.losses.slice(10), caffe.losses.slice(10))).toBeLessThan(1e-4);
      expect(
        relL2(
          modelBlobs(path.join(dir, 'res_iter_20.caffemodel')),
          modelBlobs(path.join(dir, 'caffe_iter_20.caffemodel')),
        ),
      ).toBeLessThan(1e-4);
    })(),
  );

  it.each(RESUMABLE)('%s: Caffe resumes our snapshot and reproduces our continuation', (id) =>
    withDir(async (dir) => {
      const ours = await runOurs(id, dir, 'ours');
      const solver = G.writeCase(lib, id, dir, 'caffe');
      const caffe = G.parseLog(
        G.runCaffe(dir, [`--solver=${solver}`, `--snapshot=${path.join(dir, 'ours_iter_10.solverstate')}`]),
      );
      expect(caffe.losses.slice(0, 10).every((l: number | undefined) => l === undefined)).toBe(true);
      expect(worstRel(caffe.losses.slice(10), ours.log.losses.slice(10))).toBeLessThan(1e-4);
      expect(caffe.multistep).toEqual(ours.log.multistep.filter((m: number[]) => m[0] >= 10));
      expect(
        relL2(
          modelBlobs(path.join(dir, 'caffe_iter_20.caffemodel')),
          modelBlobs(path.join(dir, 'ours_iter_20.caffemodel')),
        ),
      ).toBeLessThan(1e-4);
    })(),
  );
});
