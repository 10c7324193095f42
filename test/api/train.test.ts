// caffets train / test as tools/caffe.cpp runs them: flags, checks, log lines, finetuning and resuming,
// SIGINT/SIGHUP during a spawned `caffets train`, and `caffets test` against `caffe test`.
import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as lib from '../../src';
import { train } from '../../src/api/train';
import { testModel } from '../../src/api/test';
import { createSolver } from '../../src/solvers';
import { ROOT, describeCaffe, tmpDir } from '../helpers';
import { G, bodies, captureLogs, modelBlobs } from '../solvers/solver_helpers';

let dir: string;
beforeEach(() => {
  dir = tmpDir('caffets-train-');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The golden SGD case's files in `dir`; returns the solver file. */
const setup = (maxIter = 20, prefix = 'snap') => G.writeCase(lib, 'SGD', dir, prefix, 'solver', maxIter);
const init = () => path.join(dir, 'init.caffemodel');

describe('train()', () => {
  it('checks its flags as Caffe', async () => {
    await expect(train({ solver: '' })).rejects.toThrow('Need a solver definition to train.');
    await expect(train({ solver: 'x', snapshot: 'a.solverstate', weights: 'b.caffemodel' })).rejects.toThrow(
      'Give a snapshot to resume training or weights to finetune but not both.',
    );
    await expect(captureLogs(() => train({ solver: setup(), sigint_effect: 'kill' }))).rejects.toThrow(
      'Invalid signal effect "kill" was specified',
    );
    await expect(captureLogs(() => train({ solver: path.join(dir, 'missing.prototxt') }))).rejects.toThrow(
      /missing.prototxt/,
    );
  });

  it("finetunes from --weights with Caffe's log lines, and unhooks its signal handlers", async () => {
    const listeners = process.listenerCount('SIGINT');
    const { lines, result } = await captureLogs(() => train({ solver: setup(), weights: init() }));
    const b = bodies(lines);
    expect(result).toBe(0);
    expect(process.listenerCount('SIGINT')).toBe(listeners);
    expect(b).toContain('Use CPU.');
    const params = b.find((l) => l.startsWith('Initializing solver from parameters: '))!;
    expect(params).toContain('train_state {\n  level: 0\n  stage: ""\n}');
    expect(params).toContain(`weights: "${init()}"`);
    expect(b.filter((l) => l.startsWith('Finetuning from'))).toEqual([
      `Finetuning from ${init()}`,
      `Finetuning from ${init()}`,
    ]);
    expect(b.indexOf('Starting Optimization')).toBe(b.indexOf('Solver scaffolding done.') + 1);
    expect(b.slice(-2)).toEqual(['Optimization Done.', 'Optimization Done.']);
  });

  it('resumes from --snapshot and ends where an uninterrupted run ends', async () => {
    await captureLogs(() => train({ solver: setup(), weights: init() }));
    const resumeSolver = setup(20, 'res');
    const state = path.join(dir, 'snap_iter_10.solverstate');
    const { lines } = await captureLogs(() => train({ solver: resumeSolver, snapshot: state }));
    expect(bodies(lines)).toContain(`Resuming from ${state}`);
    expect(bodies(lines).find((l) => l.startsWith('Initializing solver'))).not.toContain('weights:');
    expect(modelBlobs(path.join(dir, 'res_iter_20.caffemodel'))).toEqual(
      modelBlobs(path.join(dir, 'snap_iter_20.caffemodel')),
    );
  });
});

describe('testModel()', () => {
  it('scores a model batch by batch, as caffe test', async () => {
    setup();
    const model = path.join(dir, 'net.prototxt');
    const { lines, result } = await captureLogs(() => testModel({ model, weights: init(), iterations: 2 }));
    const b = bodies(lines);
    const [acc, loss] = result.scores;
    expect(result.scores.map((s) => [s.name, s.lossWeight])).toEqual([
      ['accuracy', 0],
      ['loss', 1],
    ]);
    expect(b).toContain('Running for 2 iterations.');
    expect(b.filter((l) => l.startsWith('Batch '))).toEqual(
      [0, 1].flatMap((i) => [
        `Batch ${i}, accuracy = ${+acc.value.toPrecision(6)}`,
        `Batch ${i}, loss = ${+loss.value.toPrecision(6)}`,
      ]),
    );
    expect(b.slice(-3)).toEqual([
      `Loss: ${+loss.value.toPrecision(6)}`,
      `accuracy = ${+acc.value.toPrecision(6)}`,
      `loss = ${+loss.value.toPrecision(6)} (* 1 = ${+loss.value.toPrecision(6)} loss)`,
    ]);
    expect(loss.value).toBeCloseTo(golden('SGD').losses[0], 5);
    expect(() => testModel({ model: '', weights: 'w' })).toThrow('Need a model definition to score.');
    expect(() => testModel({ model, weights: '' })).toThrow('Need model weights to score.');
  });
});

const golden = (id: string) => require('../golden/solver-caffe.json')[id];

/** Spawns bin/caffets; collects stderr; resolves on exit. */
function caffets(args: string[]) {
  const child: ChildProcess = spawn(process.execPath, [path.join(ROOT, 'bin/caffets'), ...args], { cwd: dir });
  let err = '';
  const waiters: [RegExp, () => void][] = [];
  child.stderr!.on('data', (d) => {
    err += d;
    for (const w of waiters.splice(0))
      if (w[0].test(err)) w[1]();
      else waiters.push(w);
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const waitFor = (re: RegExp) =>
    new Promise<void>((resolve) => (re.test(err) ? resolve() : waiters.push([re, resolve])));
  return { child, exited, waitFor, err: () => err };
}

describe('caffets train / test (spawned)', () => {
  it('SIGINT stops training with a loadable snapshot and exit code 0', async () => {
    const run = caffets(['train', `--solver=${setup(1000000)}`, `--weights=${init()}`]);
    await run.waitFor(/Iteration 3, lr = /);
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(0);
    expect(run.err()).toMatch(/Optimization stopped early\.\n.*Optimization Done\.\n$/);
    const iter = Number(
      /Snapshotting solver state to binary proto file .*_iter_(\d+)\.solverstate/.exec(run.err())![1],
    );
    expect(iter).toBeGreaterThanOrEqual(4);
    const { result: s } = await captureLogs(() => {
      const solver = createSolver(lib.readSolverParamsFromTextFile(path.join(dir, 'solver.prototxt')));
      solver.restore(path.join(dir, `snap_iter_${iter}.solverstate`));
      return solver;
    });
    expect(s.iter).toBe(iter);
  });

  it('--sigint_effect=snapshot snapshots and goes on; --sighup_effect=stop stops', async () => {
    const run = caffets([
      'train',
      `--solver=${setup(1000000)}`,
      `--weights=${init()}`,
      '--sigint_effect=snapshot',
      '--sighup_effect',
      'stop',
    ]);
    await run.waitFor(/Iteration 2, lr = /);
    run.child.kill('SIGINT');
    await run.waitFor(/Snapshotting solver state/);
    run.child.kill('SIGHUP');
    expect(await run.exited).toBe(0);
    expect(run.err().match(/Snapshotting solver state/g)).toHaveLength(2);
    expect(run.err()).toContain('Optimization stopped early.');
  });

  it('reports a bad solver on one line', () => {
    fs.writeFileSync(path.join(dir, 'bad.prototxt'), 'base_lr: 0.1\nnet: "nowhere.prototxt"\n');
    const r = spawnSync(process.execPath, [path.join(ROOT, 'bin/caffets'), 'train', '--solver=bad.prototxt'], {
      cwd: dir,
      encoding: 'utf8',
    });
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n').pop()).toBe('caffets: File not found: nowhere.prototxt');
  });
});

describeCaffe('caffets test against caffe test', () => {
  it('prints the same scores for the same model and weights', () => {
    setup();
    const args = ['test', '--model=net.prototxt', '--weights=init.caffemodel', '--iterations=2'];
    const ours = spawnSync(process.execPath, [path.join(ROOT, 'bin/caffets'), ...args], { cwd: dir, encoding: 'utf8' });
    const caffe = spawnSync('caffe', args, { cwd: dir, encoding: 'utf8' });
    expect(ours.status).toBe(0);
    const scores = (s: string) =>
      s
        .split('\n')
        .filter((l) => /\] (Batch \d+, |Loss: |accuracy = |loss = )/.test(l))
        .map((l) => l.replace(/^.*\] /, ''));
    expect(scores(ours.stderr)).toHaveLength(7);
    const num = (l: string) => l.replace(/[-\d.e+]+/g, (m) => (Number.isNaN(+m) ? m : (+m).toPrecision(4)));
    expect(scores(ours.stderr).map(num)).toEqual(scores(caffe.stderr).map(num));
  });
});

describeCaffe('caffets train against caffe train, line by line', () => {
  it.each(['SGD', 'itersize-clip-avgloss'])('%s: the same log from solver set-up to the end', async (id) => {
    const solver = G.writeCase(lib, id, dir, 'snap', 'solver');
    const caffe = spawnSync('caffe', ['train', `--solver=${solver}`, `--weights=${init()}`], {
      cwd: dir,
      encoding: 'utf8',
    });
    expect(caffe.status).toBe(0);
    const { lines } = await captureLogs(() => train({ solver, weights: init() }));
    // numbers to 4 digits (float summation order), timings out; the layer factory's own
    // "Creating layer" lines (SoftmaxWithLoss's inner Softmax) are the engine's business
    const norm = (l: string[]) =>
      l
        .filter((x) => !x.startsWith('Creating layer '))
        .map((x) =>
          x
            .replace(/\(\S+ iter\/s, \S+s\/(\d+) iters\)/, '(T, $1)')
            .replace(/-?\d+\.\d+(e[-+]\d+)?/g, (m) => String(+(+m).toPrecision(4))),
        );
    const caffeLines = bodies(caffe.stderr.replace(/\n$/, '').split('\n'));
    expect(norm(bodies(lines.join('\n').split('\n')))).toEqual(norm(caffeLines));
  });
});
