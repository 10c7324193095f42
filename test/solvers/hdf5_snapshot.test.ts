// snapshot_format: HDF5: our .caffemodel.h5 / .solverstate.h5 have Caffe's layout, resuming from them
// continues exactly, and with Caffe installed the files are interchangeable both ways (Caffe resumes
// ours and tests our weights; we load and resume Caffe's).
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as lib from '../../src';
import { readHdf5Tree } from '../../src/io/hdf5';
import { createSolver } from '../../src/solvers';
import { describeCaffe, tmpDir } from '../helpers';
import { G, captureLogs, modelBlobs, relL2, worstRel } from './solver_helpers';

function withDir(fn: (dir: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = tmpDir('caffets-h5snap-');
    try {
      await fn(dir);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  };
}

/** Writes net, init weights and an HDF5-snapshotting solver for golden case `id`; returns the solver file. */
function writeH5Case(
  id: string,
  dir: string,
  prefix: string,
  name: string,
  extra: Record<string, unknown> = {},
): string {
  G.writeCase(lib, id, dir, prefix, `${name}_binary`);
  const file = path.join(dir, `${name}.prototxt`);
  lib.writeProtoToTextFile(
    { ...G.solverParam(id, dir, prefix), snapshot_format: 'HDF5', ...extra },
    'caffe.SolverParameter',
    file,
  );
  return file;
}

async function runOursH5(
  id: string,
  dir: string,
  prefix: string,
  o: { resume?: string; extra?: Record<string, unknown> } = {},
) {
  const file = writeH5Case(id, dir, prefix, `${prefix}_solver`, o.extra);
  const { lines, result: solver } = await captureLogs(async () => {
    const param = lib.readSolverParamsFromTextFile(file);
    if (!o.resume) param.weights = [path.join(dir, 'init.caffemodel')];
    const s = createSolver(param);
    await s.solve(o.resume);
    return s;
  });
  return { lines, log: G.parseLog(lines.join('\n')), solver, file };
}

/** The learnable blobs of a .caffemodel.h5 by 'layer/index' (the Parameter inputs left out). */
function h5Blobs(file: string): Record<string, number[]> {
  const tree = readHdf5Tree(file);
  const out: Record<string, number[]> = {};
  for (const layer of tree['/data'].keys!) {
    if (layer.startsWith('input_')) continue;
    for (const k of tree[`/data/${layer}`].keys!) out[`${layer}/${k}`] = Array.from(tree[`/data/${layer}/${k}`].data!);
  }
  return out;
}

const LAYERS = ['accuracy', 'conv1', 'input_data', 'input_label', 'ip1', 'ip2', 'loss', 'pool1', 'relu1', 'relu2'];

describe('snapshot_format: HDF5', () => {
  it(
    "writes Caffe's layout, atomically, with the same weights as a binary snapshot",
    withDir(async (dir) => {
      const run = await runOursH5('SGD', dir, 'ours');
      const body = run.lines.join('\n');
      expect(body).toContain(`Snapshotting to HDF5 file ${path.join(dir, 'ours_iter_10.caffemodel.h5')}`);
      expect(body).toContain(`Snapshotting solver state to HDF5 file ${path.join(dir, 'ours_iter_10.solverstate.h5')}`);
      expect(
        fs
          .readdirSync(dir)
          .filter((f) => f.startsWith('ours_iter_'))
          .sort(),
      ).toEqual([
        'ours_iter_10.caffemodel.h5',
        'ours_iter_10.solverstate.h5',
        'ours_iter_20.caffemodel.h5',
        'ours_iter_20.solverstate.h5',
      ]);
      expect(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);

      const model = readHdf5Tree(path.join(dir, 'ours_iter_10.caffemodel.h5'));
      expect(model['/'].keys).toEqual(['data']);
      // the train net's layers (no Accuracy), one group each, parameterless ones empty
      expect(model['/data'].keys).toEqual(LAYERS.filter((l) => l !== 'accuracy'));
      expect(model['/data/relu1'].keys).toEqual([]);
      expect(model['/data/conv1'].keys).toEqual(['0', '1']);
      expect(model['/data/conv1/0']).toMatchObject({ kind: 'dataset', shape: [4, 2, 3, 3], typeClass: 'H5T_FLOAT' });
      expect(model['/data/ip1/1'].shape).toEqual([10]);

      const state = readHdf5Tree(path.join(dir, 'ours_iter_10.solverstate.h5'));
      expect(state['/'].keys).toEqual(['current_step', 'history', 'iter', 'learned_net']);
      expect(state['/iter']).toMatchObject({ shape: [1], typeClass: 'H5T_INTEGER' });
      expect(Array.from(state['/iter'].data!)).toEqual([10]);
      expect(Array.from(state['/current_step'].data!)).toEqual([0]);
      expect(state['/learned_net']).toMatchObject({
        typeClass: 'H5T_STRING',
        string: path.join(dir, 'ours_iter_10.caffemodel.h5'),
      });
      expect(state['/history'].keys).toEqual(['0', '1', '2', '3', '4', '5', '6', '7']);
      expect(state['/history/0'].shape).toEqual([8, 2, 8, 8]); // the Parameter inputs come first
      expect(state['/history/2'].shape).toEqual([4, 2, 3, 3]);

      // the same training snapshotted as binary proto
      G.writeCase(lib, 'SGD', dir, 'bin', 'bin_solver');
      const { result: s } = await captureLogs(async () => {
        const param = lib.readSolverParamsFromTextFile(path.join(dir, 'bin_solver.prototxt'));
        param.weights = [path.join(dir, 'init.caffemodel')];
        const solver = createSolver(param);
        await solver.solve();
        return solver;
      });
      expect(s.iter).toBe(20);
      expect(h5Blobs(path.join(dir, 'ours_iter_20.caffemodel.h5'))).toEqual(
        modelBlobs(path.join(dir, 'bin_iter_20.caffemodel')),
      );
    }),
  );

  it(
    'writes diffs of every param with snapshot_diff',
    withDir(async (dir) => {
      await runOursH5('SGD', dir, 'ours', { extra: { snapshot_diff: true, max_iter: 10 } });
      const model = readHdf5Tree(path.join(dir, 'ours_iter_10.caffemodel.h5'));
      expect(model['/'].keys).toEqual(['data', 'diff']);
      expect(model['/diff/ip2'].keys).toEqual(['0', '1']);
      expect(model['/diff/ip2/0'].shape).toEqual([3, 10]);
      expect(Array.from(model['/diff/ip2/0'].data!).some((v) => v !== 0)).toBe(true);
    }),
  );

  it.each(['SGD', 'Adam', 'lr-multistep'])('%s: resuming from our .solverstate.h5 continues exactly', (id) =>
    withDir(async (dir) => {
      const full = await runOursH5(id, dir, 'ours');
      const state = readHdf5Tree(path.join(dir, 'ours_iter_10.solverstate.h5'));
      const nParams = full.solver.net.learnableParams.length;
      expect(state['/history'].keys).toHaveLength(G.CASES[id].type === 'Adam' ? 2 * nParams : nParams);
      if (id === 'lr-multistep') expect(Array.from(state['/current_step'].data!)).toEqual([1]);
      const resumed = await runOursH5(id, dir, 'res', { resume: path.join(dir, 'ours_iter_10.solverstate.h5') });
      expect(resumed.solver.iter).toBe(20);
      expect(resumed.log.losses.slice(0, 10).every((l: number | undefined) => l === undefined)).toBe(true);
      expect(resumed.log.losses.slice(10)).toEqual(full.log.losses.slice(10));
      expect(resumed.log.lrs.slice(10)).toEqual(full.log.lrs.slice(10));
      expect(resumed.log.tests).toEqual(full.log.tests.slice(-resumed.log.tests.length));
      expect(h5Blobs(path.join(dir, 'res_iter_20.caffemodel.h5'))).toEqual(
        h5Blobs(path.join(dir, 'ours_iter_20.caffemodel.h5')),
      );
    })(),
  );

  it(
    "loads .caffemodel.h5 weights by layer name, with Caffe's checks",
    withDir(async (dir) => {
      await runOursH5('SGD', dir, 'ours', { extra: { max_iter: 10 } });
      const h5 = path.join(dir, 'ours_iter_10.caffemodel.h5');
      const net = (await captureLogs(() => new lib.Net(G.netParam(), { phase: 'TEST' }))).result;
      const { lines } = await captureLogs(() => net.copyTrainedLayersFromFile(h5));
      expect(lines.join('\n')).not.toContain('Ignoring source layer');
      const want = h5Blobs(h5);
      expect(Array.from(net.layerByName('ip1').blobs[0].cpuData())).toEqual(want['ip1/0']);

      // unknown layers are ignored; a shape mismatch fails in Caffe's words
      const other = G.netParam();
      other.layer.find((l: { name: string }) => l.name === 'ip2').name = 'ip2_new';
      const renamed = (await captureLogs(() => new lib.Net(other, { phase: 'TRAIN' }))).result;
      const before = Array.from(renamed.layerByName('ip2_new').blobs[0].cpuData());
      const r = await captureLogs(() => renamed.copyTrainedLayersFromFile(h5));
      expect(r.lines.join('\n')).toContain('Ignoring source layer ip2');
      expect(Array.from(renamed.layerByName('conv1').blobs[1].cpuData())).toEqual(want['conv1/1']);
      expect(Array.from(renamed.layerByName('ip2_new').blobs[0].cpuData())).toEqual(before);

      const wrong = G.netParam();
      wrong.layer.find((l: { name: string }) => l.name === 'ip2').inner_product_param.num_output = 4;
      const bad = (await captureLogs(() => new lib.Net(wrong, { phase: 'TRAIN' }))).result;
      await expect(captureLogs(() => bad.copyTrainedLayersFromFile(h5))).rejects.toThrow(
        'Check failed: blob_dims == blob->shape() Cannot load blob from hdf5; shape mismatch. ' +
          'Source shape is 3 10 (30) target shape is 4 10 (40)',
      );
    }),
  );

  it(
    'fails as Caffe on unusable states',
    withDir(async (dir) => {
      await runOursH5('SGD', dir, 'ours', { extra: { max_iter: 10 } });
      const missing = path.join(dir, 'x.solverstate.h5');
      await expect(runOursH5('SGD', dir, 'm', { resume: missing })).rejects.toThrow(
        `Couldn't open solver state file ${missing}`,
      );
      await expect(
        runOursH5('Adam', dir, 'adam', { resume: path.join(dir, 'ours_iter_10.solverstate.h5') }),
      ).rejects.toThrow(
        'Check failed: state_history_size == history_.size() (8 vs. 16) Incorrect length of history blobs.',
      );
    }),
  );
});

/** `caffe test` outputs (the final mean lines) as [name, value]. */
function caffeTest(dir: string, args: string[]): [string, number][] {
  const r = spawnSync('caffe', ['test', ...args], { cwd: dir, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0)
    throw new Error(
      `caffe test failed: ${r.stderr
        .split('\n')
        .filter((l) => /^F|Check failed/.test(l))
        .join(' ')}`,
    );
  const out: [string, number][] = [];
  for (const line of r.stderr.split('\n')) {
    const m = /\] (\w+) = (\S+)/.exec(line);
    if (m && !/\] Batch \d+,/.test(line)) out.push([m[1], Number(m[2])]);
  }
  return out;
}

describeCaffe('HDF5 snapshots across Caffe and caffets', () => {
  it.each(['SGD', 'Adam', 'lr-multistep'])(
    '%s: Caffe resumes our .solverstate.h5 and reproduces our continuation',
    (id) =>
      withDir(async (dir) => {
        const ours = await runOursH5(id, dir, 'ours');
        const solver = writeH5Case(id, dir, 'caffe', 'caffe_solver');
        const caffe = G.parseLog(
          G.runCaffe(dir, [`--solver=${solver}`, `--snapshot=${path.join(dir, 'ours_iter_10.solverstate.h5')}`]),
        );
        expect(caffe.losses.slice(0, 10).every((l: number | undefined) => l === undefined)).toBe(true);
        expect(worstRel(caffe.losses.slice(10), ours.log.losses.slice(10))).toBeLessThan(1e-4);
        expect(caffe.multistep).toEqual(ours.log.multistep.filter((m: number[]) => m[0] >= 10));
        expect(
          relL2(
            h5Blobs(path.join(dir, 'caffe_iter_20.caffemodel.h5')),
            h5Blobs(path.join(dir, 'ours_iter_20.caffemodel.h5')),
          ),
        ).toBeLessThan(1e-4);
      })(),
  );

  it(
    'caffe test --weights=<our .caffemodel.h5> gives our test scores',
    withDir(async (dir) => {
      const ours = await runOursH5('SGD', dir, 'ours');
      const scores = caffeTest(dir, [
        `--model=${path.join(dir, 'net.prototxt')}`,
        `--weights=${path.join(dir, 'ours_iter_20.caffemodel.h5')}`,
        '--iterations=2',
      ]);
      const last = ours.log.tests.slice(-2); // the test at iteration 20: accuracy, loss
      expect(scores.map((s) => s[0])).toEqual(last.map((t: [string, number]) => t[0]));
      scores.forEach(([, v], i) =>
        expect(Math.abs(v - last[i][1])).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(v))),
      );
    }),
  );

  it.each(['SGD', 'Adam', 'lr-multistep'])("%s: caffets loads and resumes Caffe's HDF5 snapshots", (id) =>
    withDir(async (dir) => {
      const solver = writeH5Case(id, dir, 'caffe', 'caffe_solver');
      const caffe = G.parseLog(
        G.runCaffe(dir, [`--solver=${solver}`, `--weights=${path.join(dir, 'init.caffemodel')}`]),
      );
      const caffeModel = path.join(dir, 'caffe_iter_10.caffemodel.h5');
      expect(fs.existsSync(path.join(dir, 'caffe_iter_10.solverstate.h5'))).toBe(true);

      const net = (await captureLogs(() => new lib.Net(G.netParam(), { phase: 'TRAIN' }))).result;
      await captureLogs(() => net.copyTrainedLayersFromFile(caffeModel));
      expect(Array.from(net.layerByName('conv1').blobs[0].cpuData())).toEqual(h5Blobs(caffeModel)['conv1/0']);

      const ours = await runOursH5(id, dir, 'res', { resume: path.join(dir, 'caffe_iter_10.solverstate.h5') });
      expect(ours.solver.iter).toBe(20);
      expect(worstRel(ours.log.losses.slice(10), caffe.losses.slice(10))).toBeLessThan(1e-4);
      expect(ours.log.multistep).toEqual(caffe.multistep.filter((m: number[]) => m[0] >= 10));
      expect(
        relL2(
          h5Blobs(path.join(dir, 'res_iter_20.caffemodel.h5')),
          h5Blobs(path.join(dir, 'caffe_iter_20.caffemodel.h5')),
        ),
      ).toBeLessThan(1e-4);
    })(),
  );
});
