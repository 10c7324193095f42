// `mpirun -np 2 caffets train` against reference Caffe's own single-process runs (../shared
// caffe-train fixtures) with the TRAIN batch halved: the two ranks together see the records of Caffe's
// batch per iteration (the mean of their losses is Caffe's loss), test like Caffe, end near Caffe's
// weights; resume from their own and from each other's snapshots; stop on SIGINT with a complete
// snapshot; fail in one line. Needs Open MPI (openmpi-bin, libopenmpi-dev) and the addon built with
// it: skipped with a line without them, never under CI.
import * as fs from 'fs';
import * as path from 'path';
import { ChildProcess, spawn, spawnSync } from 'child_process';
import { HAVE_CAFFE, tmpDir } from '../helpers';
import { G, modelBlobs, relL2, worstRel } from '../solvers/solver_helpers';
import {
  BIN,
  MPI_ENV,
  caffeLog,
  describeMpi,
  fixtureBlobs,
  fixtureCopy,
  mpirun,
  mpirunArgs,
  pidOf,
  readRanks,
  testValues,
  worstAbs,
} from './train_helpers';

describeMpi('mpirun -np 2 caffets train (Open MPI, CPU)', () => {
  let lenet = '';
  afterAll(() => {
    if (lenet) fs.rmSync(lenet, { recursive: true, force: true });
  });

  it("lenet-fmnist, batch 25 per rank: Caffe's batch-50 records per iteration, its tests, its weights", () => {
    lenet = fixtureCopy('lenet-fmnist', 'train_test.prototxt', [50, 25]);
    const r = mpirun(
      lenet,
      2,
      ['--solver=solver.prototxt', '--weights=init.caffemodel'],
      ['-x', 'CAFFETS_LOG_ALL_RANKS=1'],
    );
    expect(r.code).toBe(0);
    const [root, other] = r.ranks.map((t) => G.parseLog(t));
    const caffe = caffeLog('lenet-fmnist', 'caffe_train.log');
    expect(r.ranks[0]).toContain('MPI: 2 processes (Open MPI');
    expect(r.ranks[0]).toMatch(/Data-parallel: 2 replicas, gradients summed in \d+ buckets/);
    // the replicas' weights are equal each iteration and their records are Caffe's batch of 50 dealt
    // in two: the mean of their losses is Caffe's loss; either alone is not
    const mean = root.losses.map((l: number, i: number) => Math.fround((l + other.losses[i]) / 2));
    expect(mean).toHaveLength(61);
    expect(worstRel(mean, caffe.losses, 20)).toBeLessThan(1e-4);
    expect(worstRel(root.losses, caffe.losses, 20)).toBeGreaterThan(1e-3);
    // the root alone tests: Caffe's outputs at every test
    expect(other.tests).toHaveLength(0);
    expect(root.tests.map((t: [string, number]) => t[0])).toEqual(caffe.tests.map((t: [string, number]) => t[0]));
    expect(worstAbs(testValues(root), testValues(caffe))).toBeLessThan(0.03);
    expect(
      relL2(
        modelBlobs(path.join(lenet, 'lenet_iter_60.caffemodel')),
        fixtureBlobs('lenet-fmnist', 'lenet_iter_60.caffemodel'),
      ),
    ).toBeLessThan(3e-3);
  }, 600e3);

  it("resumes from its own solverstate, and one process resumes from the two's: Caffe's resumed tests", () => {
    const caffeResumed = caffeLog('lenet-fmnist', 'caffe_resume.log');
    fs.mkdirSync(path.join(lenet, 'resume'));
    const two = mpirun(lenet, 2, ['--solver=resume_solver.prototxt', '--snapshot=lenet_iter_30.solverstate']);
    expect(two.code).toBe(0);
    expect(two.ranks[0]).toContain('Resuming from lenet_iter_30.solverstate');
    expect(worstAbs(testValues(G.parseLog(two.ranks[0])), testValues(caffeResumed))).toBeLessThan(0.03);
    expect(fs.existsSync(path.join(lenet, 'resume/lenet_resumed_iter_60.caffemodel'))).toBe(true);

    // one process, Caffe's batch of 50, from the snapshot the two processes wrote
    const net = path.join(lenet, 'train_test.prototxt');
    fs.writeFileSync(net, fs.readFileSync(net, 'utf8').replace('batch_size: 25', 'batch_size: 50'));
    fs.rmSync(path.join(lenet, 'resume'), { recursive: true });
    fs.mkdirSync(path.join(lenet, 'resume'));
    const one = spawnSync(
      process.execPath,
      [BIN, 'train', '--solver=resume_solver.prototxt', '--snapshot=lenet_iter_30.solverstate'],
      { cwd: lenet, encoding: 'utf8', timeout: 300e3 },
    );
    fs.writeFileSync(net, fs.readFileSync(net, 'utf8').replace('batch_size: 50', 'batch_size: 25'));
    expect(one.status).toBe(0);
    expect(worstAbs(testValues(G.parseLog(one.stderr)), testValues(caffeResumed))).toBeLessThan(0.03);
  }, 600e3);

  (HAVE_CAFFE ? it : it.skip)(
    "reference Caffe's `caffe test` scores the two processes' snapshot",
    () => {
      const r = spawnSync(
        'caffe',
        ['test', '--model=train_test.prototxt', '--weights=lenet_iter_60.caffemodel', '--iterations=4'],
        { cwd: lenet, encoding: 'utf8', timeout: 120e3 },
      );
      expect(r.status).toBe(0);
      const accuracy = Number(/\] accuracy = (\S+)/.exec(r.stderr)?.[1]);
      const caffe = caffeLog('lenet-fmnist', 'caffe_train.log');
      expect(Math.abs(accuracy - caffe.tests[caffe.tests.length - 2][1])).toBeLessThan(0.03);
    },
    180e3,
  );

  it('alexnet-mini (group conv, LRN, iter_size 2), batch 8 per rank: its tests and weights; one log stream', () => {
    const work = fixtureCopy('alexnet-mini', 'train_val.prototxt', [16, 8]);
    try {
      const r = mpirun(work, 2, ['--solver=solver.prototxt', '--weights=init.caffemodel']);
      expect(r.code).toBe(0);
      expect(r.ranks[1]).toBe(''); // the other rank keeps quiet
      const ours = G.parseLog(r.ranks[0]);
      const caffe = caffeLog('alexnet-mini', 'caffe_train.log');
      expect(ours.tests).toHaveLength(caffe.tests.length);
      expect(worstAbs(testValues(ours), testValues(caffe))).toBeLessThan(0.03);
      expect(
        relL2(
          modelBlobs(path.join(work, 'alexmini_iter_40.caffemodel')),
          fixtureBlobs('alexnet-mini', 'alexmini_iter_40.caffemodel'),
        ),
      ).toBeLessThan(1e-2);
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  }, 600e3);

  /** Starts a 2-rank LeNet run that would last (max_iter 100000); resolves once the root logged iteration `at`. */
  async function startRun(at: number): Promise<{ mp: ChildProcess; out: string; exited: Promise<number | null> }> {
    const out = tmpDir('caffets-mpi-out-');
    for (const f of fs.readdirSync(lenet)) if (/_iter_\d+\./.test(f)) fs.rmSync(path.join(lenet, f));
    const solver = fs
      .readFileSync(path.join(lenet, 'solver.prototxt'), 'utf8')
      .replace('max_iter: 60', 'max_iter: 100000');
    fs.writeFileSync(path.join(lenet, 'long_solver.prototxt'), solver);
    const args = ['--solver=long_solver.prototxt', '--weights=init.caffemodel'];
    const mp = spawn('mpirun', mpirunArgs(2, out, args, ['-x', 'CAFFETS_LOG_ALL_RANKS=1']), {
      cwd: lenet,
      env: MPI_ENV,
      stdio: 'ignore',
    });
    const exited = new Promise<number | null>((resolve) => mp.on('exit', (code) => resolve(code)));
    const deadline = Date.now() + 300e3;
    while (!new RegExp(`Iteration ${at} `).test(readRanks(out, 1)[0])) {
      if (Date.now() > deadline) throw new Error('the run did not reach its iteration');
      await new Promise((r) => setTimeout(r, 100));
    }
    return { mp, out, exited };
  }
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };

  it('SIGINT at the root: a complete snapshot from the root, every rank exits, mpirun ends with 0', async () => {
    const run = await startRun(3);
    const rootPid = pidOf(readRanks(run.out, 1)[0]);
    process.kill(rootPid, 'SIGINT');
    expect(await run.exited).toBe(0);
    const log = readRanks(run.out, 1)[0];
    expect(log).toContain('Optimization stopped early.');
    const iter = Number(/Snapshotting to binary proto file lenet_iter_(\d+)\.caffemodel/.exec(log)?.[1]);
    expect(iter).toBeGreaterThan(3);
    expect(iter).toBeLessThan(100000);
    // complete: the weights load, the state names them and holds every history blob
    expect(Object.keys(modelBlobs(path.join(lenet, `lenet_iter_${iter}.caffemodel`)))).toHaveLength(8);
    const lib = require('../../src');
    const state = lib.readProtoFromBinaryFile(path.join(lenet, `lenet_iter_${iter}.solverstate`), 'caffe.SolverState');
    expect(state.iter).toBe(iter);
    expect(state.history).toHaveLength(8);
    expect(alive(rootPid)).toBe(false);
    fs.rmSync(run.out, { recursive: true, force: true });
  }, 600e3);

  it('SIGINT to mpirun ends every rank (Open MPI kills the job): no rank is left running', async () => {
    const run = await startRun(3);
    const pids = readRanks(run.out, 2).map(pidOf);
    expect(pids.every((p) => p > 0)).toBe(true);
    run.mp.kill('SIGINT');
    expect(await run.exited).not.toBe(0);
    await new Promise((r) => setTimeout(r, 3000));
    for (const p of pids) expect(alive(p)).toBe(false);
    // no half-written snapshot: files appear whole or not at all
    for (const f of fs.readdirSync(lenet)) expect(f).not.toMatch(/\.tmp$/);
    fs.rmSync(run.out, { recursive: true, force: true });
  }, 600e3);

  it('a set-up error is one line, from the rank that had it; every rank exits 1', () => {
    const args = ['--solver=solver.prototxt'];
    const out = tmpDir('caffets-mpi-out-');
    // MPMD: rank 1 alone runs short of memory
    const mpmd = spawnSync(
      'mpirun',
      [
        '--oversubscribe',
        '--output-filename',
        out,
        ...['-np', '1', process.execPath, BIN, 'train', ...args, ':'],
        ...['-x', 'CAFFETS_MEMORY_AVAILABLE_BYTES=100000'],
        ...['-np', '1', process.execPath, BIN, 'train', ...args],
      ],
      { cwd: lenet, env: MPI_ENV, encoding: 'utf8', timeout: 300e3 },
    );
    expect(mpmd.status).toBe(1);
    const [root, other] = readRanks(out, 2);
    fs.rmSync(out, { recursive: true, force: true });
    const errors = (t: string) => t.split('\n').filter((l) => l.startsWith('caffets:'));
    expect(errors(root)).toEqual([]);
    expect(errors(other)).toEqual([
      expect.stringMatching(/^caffets: rank 1: Data layer mnist: out of memory: batch buffers \(batch_size 25,/),
    ]);
  }, 600e3);

  it('under mpirun without the MPI addon: one line from rank 0, exit 1', () => {
    const env = { ...process.env, OMPI_COMM_WORLD_SIZE: '2', OMPI_COMM_WORLD_RANK: '0', CAFFETS_NO_MPI: '1' };
    const r = spawnSync(process.execPath, [BIN, 'train', '--solver=solver.prototxt'], {
      cwd: lenet,
      env,
      encoding: 'utf8',
    });
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^caffets: started by mpirun with 2 processes, but this caffets was built without MPI/),
    ]);
    const r1 = spawnSync(process.execPath, [BIN, 'train', '--solver=solver.prototxt'], {
      cwd: lenet,
      env: { ...env, OMPI_COMM_WORLD_RANK: '1' },
      encoding: 'utf8',
    });
    expect([r1.status, r1.stderr]).toEqual([1, '']);
  });

  it("through a hostfile (`localhost slots=2`, no --oversubscribe): docs/scale-out.md's command, 2 replicas", () => {
    const work = fixtureCopy('lenet-fmnist', 'train_test.prototxt', [50, 25], (t) =>
      t.replace('max_iter: 60', 'max_iter: 4'),
    );
    try {
      fs.writeFileSync(path.join(work, 'hosts'), 'localhost slots=2\n');
      // the command of docs/scale-out.md, caffets by its path
      const r = spawnSync(
        'mpirun',
        [
          '--allow-run-as-root',
          '-np',
          '2',
          '--hostfile',
          'hosts',
          process.execPath,
          BIN,
          'train',
          '--solver=solver.prototxt',
        ],
        { cwd: work, encoding: 'utf8', timeout: 300e3 },
      );
      expect([r.status, r.stderr]).toEqual([0, expect.stringContaining('MPI: 2 processes (Open MPI')]);
      expect(r.stderr).toMatch(/Data-parallel: 2 replicas, gradients summed in \d+ buckets/);
      expect(r.stderr).toMatch(/\] Iteration 4, loss = /);
      expect(r.stderr).toContain('Optimization Done.');
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  }, 300e3);
});
