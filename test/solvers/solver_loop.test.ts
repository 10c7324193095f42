// The Solver loop as Caffe runs it: test passes (initial, periodic, final), display and smoothing,
// snapshot cadence, signal-requested actions, NetStates of the train and test nets, and Init's CHECKs.
import * as fs from 'fs';
import * as path from 'path';
import * as lib from '../../src';
import { Rng, rng } from '../../src/core/rng';
import { Message } from '../../src/proto/schema';
import { createSolver } from '../../src/solvers';
import type { Solver, SolverAction } from '../../src/solvers';
import { tmpDir } from '../helpers';
import { bodies, captureLogs, quadraticNet } from './solver_helpers';

const W0 = [1, -2, 0.5],
  T = [0.25, 0, -1];
const loss0 = 0.5 * W0.reduce((a, w, i) => a + (w - T[i]) ** 2, 0);
let dir: string;
beforeEach(() => {
  dir = tmpDir('caffets-loop-');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const base = (): Message => ({
  net_param: quadraticNet(W0, T),
  base_lr: 0.1,
  lr_policy: 'fixed',
  max_iter: 4,
  snapshot_prefix: path.join(dir, 'q'),
});

async function solve(fields: Message, action?: () => SolverAction): Promise<{ lines: string[]; solver: Solver }> {
  const { lines, result } = await captureLogs(async () => {
    const s = createSolver({ ...base(), ...fields });
    if (action) s.setActionFunction(action);
    await s.solve();
    return s;
  });
  return { lines: bodies(lines), solver: result };
}

const from = (lines: string[], first: string) => lines.slice(lines.findIndex((l) => l.startsWith(first)));
const g = (x: number) =>
  Math.fround(x)
    .toPrecision(6)
    .replace(/\.?0+$/, '');

describe('the training loop', () => {
  it('tests at 0, every test_interval and after training; displays, snapshots and finishes as Caffe', async () => {
    const { lines } = await solve({ test_iter: [3], test_interval: 2, display: 2 });
    const shown = from(lines, 'Solving').filter(
      (l) => !/^(Iteration \d+ \(| {4}Train net output)/.test(l) || l.includes('Iteration 0 ('),
    );
    expect(shown.slice(0, 6)).toEqual([
      'Solving quadratic',
      'Learning Rate Policy: fixed',
      'Iteration 0, Testing net (#0)',
      `    Test net output #0: loss = ${g(loss0)} (* 1 = ${g(loss0)} loss)`,
      expect.stringMatching(/^Iteration 0 \(\S+ iter\/s, \S+s\/2 iters\), loss = /),
      'Iteration 0, lr = 0.1',
    ]);
    expect(shown.slice(-6)).toEqual([
      `Snapshotting to binary proto file ${path.join(dir, 'q')}_iter_4.caffemodel`,
      `Snapshotting solver state to binary proto file ${path.join(dir, 'q')}_iter_4.solverstate`,
      expect.stringMatching(/^Iteration 4, loss = /),
      'Iteration 4, Testing net (#0)',
      expect.stringMatching(/^ {4}Test net output #0: loss = /),
      'Optimization Done.',
    ]);
    expect(lines.filter((l) => /Testing net/.test(l))).toEqual([
      'Iteration 0, Testing net (#0)',
      'Iteration 2, Testing net (#0)',
      'Iteration 4, Testing net (#0)',
    ]);
    expect(lines.filter((l) => /lr = /.test(l))).toEqual(['Iteration 0, lr = 0.1', 'Iteration 2, lr = 0.1']);
    expect(lines).toContain(`    Train net output #0: loss = ${g(loss0)} (* 1 = ${g(loss0)} loss)`);
  });

  it('honours test_initialization: false and test_compute_loss', async () => {
    const { lines } = await solve({
      test_iter: [2],
      test_interval: 2,
      test_initialization: false,
      test_compute_loss: true,
    });
    expect(lines.filter((l) => /Testing net/.test(l))).toEqual([
      'Iteration 2, Testing net (#0)',
      'Iteration 4, Testing net (#0)',
    ]);
    expect(lines.filter((l) => l.startsWith('Test loss: '))).toHaveLength(2);
  });

  it('smooths the displayed loss over average_loss iterations', async () => {
    const shownLosses = (l: string[]) =>
      l.filter((x) => /^Iteration \d+ \(/.test(x)).map((x) => Number(x.replace(/.*loss = /, '')));
    const raw = shownLosses((await solve({ display: 1, max_iter: 7 })).lines);
    const smooth = shownLosses((await solve({ display: 1, max_iter: 7, average_loss: 3 })).lines);
    const want = raw.map((_, i) => {
      const w = raw.slice(Math.max(0, i - 2), i + 1);
      return w.reduce((a, b) => a + b, 0) / w.length;
    });
    smooth.forEach((s, i) => expect(Math.abs(s - want[i])).toBeLessThan(1e-5 * want[i]));
  });

  it(
    'snapshots every `snapshot` iterations and once more after training ' + 'unless snapshot_after_train is false',
    async () => {
      await solve({ snapshot: 2, max_iter: 5 });
      expect(fs.readdirSync(dir).sort()).toEqual([
        'q_iter_2.caffemodel',
        'q_iter_2.solverstate',
        'q_iter_4.caffemodel',
        'q_iter_4.solverstate',
        'q_iter_5.caffemodel',
        'q_iter_5.solverstate',
      ]);
      fs.rmSync(dir, { recursive: true });
      fs.mkdirSync(dir);
      const { lines } = await solve({ snapshot: 2, max_iter: 4 });
      expect(lines.filter((l) => l.startsWith('Snapshotting to'))).toHaveLength(2);
      fs.rmSync(dir, { recursive: true });
      fs.mkdirSync(dir);
      await solve({ max_iter: 3, snapshot_after_train: false });
      expect(fs.readdirSync(dir)).toEqual([]);
      await solve({ max_iter: 1, snapshot_diff: true });
      const w = lib.readNetParamsFromBinaryFile(path.join(dir, 'q_iter_1.caffemodel')).layer[0].blobs[0];
      expect(Array.from(w.diff)).toHaveLength(3);
    },
  );

  it('stops early on a STOP request, still snapshotting', async () => {
    let polls = 0;
    const { lines, solver } = await solve({ max_iter: 100 }, () => (++polls === 3 ? 'STOP' : 'NONE'));
    expect(solver.iter).toBe(3);
    expect(lines.slice(-3)).toEqual([
      `Snapshotting to binary proto file ${path.join(dir, 'q')}_iter_3.caffemodel`,
      `Snapshotting solver state to binary proto file ${path.join(dir, 'q')}_iter_3.solverstate`,
      'Optimization stopped early.',
    ]);
  });

  it('snapshots on a SNAPSHOT request and goes on', async () => {
    let polls = 0;
    const { lines, solver } = await solve({ max_iter: 5 }, () => (++polls === 2 ? 'SNAPSHOT' : 'NONE'));
    expect(solver.iter).toBe(5);
    expect(lines.filter((l) => l.startsWith('Snapshotting to')).map((l) => l.replace(/.*_iter_/, ''))).toEqual([
      '2.caffemodel',
      '5.caffemodel',
    ]);
    expect(lines[lines.length - 1]).toBe('Optimization Done.');
  });

  it('polls during testing: a STOP interrupts the test and training', async () => {
    let polls = 0;
    const { lines, solver } = await solve({ test_iter: [5], test_interval: 1 }, () =>
      ++polls === 2 ? 'STOP' : 'NONE',
    );
    expect(solver.iter).toBe(0);
    expect(lines).toContain('Test interrupted.');
    expect(lines[lines.length - 1]).toBe('Optimization stopped early.');
  });

  it('logs debug info on display iterations only', async () => {
    const { lines } = await solve({ display: 2, debug_info: true, max_iter: 2 });
    expect(lines.filter((l) => l.startsWith('    [Forward] Layer loss, top blob loss data:'))).toHaveLength(1);
    expect(lines.filter((l) => l.startsWith('    [Backward] All net params (data, diff)'))).toHaveLength(1);
  });
});

describe('solver initialisation', () => {
  const create = (fields: Message) => captureLogs(() => createSolver(fields));
  const names = (s: Solver) => [s.net.layerNames, ...s.testNets.map((n) => n.layerNames)];
  const withExtra = () => {
    const np = quadraticNet(W0, T);
    np.layer.push({ name: 'extra', type: 'Power', bottom: ['w'], top: ['extra'], include: [{ stage: ['extra'] }] });
    return np;
  };

  it('builds train and test nets in their phases and states', async () => {
    const { result: s, lines } = await create({
      ...base(),
      net_param: withExtra(),
      train_state: { stage: ['extra'] },
      test_iter: [1, 1],
      test_interval: 1,
      test_net_param: [quadraticNet(W0, T)],
      test_state: [{}, { stage: ['extra'] }],
    });
    expect(s.net.phase).toBe('TRAIN');
    expect(s.testNets.map((n) => n.phase)).toEqual(['TEST', 'TEST']);
    expect(names(s).map((n) => n.includes('extra'))).toEqual([true, false, true]);
    expect(bodies(lines).filter((l) => /^Creating t(rain|est)/.test(l))).toEqual([
      'Creating training net specified in net_param.',
      'Creating test net (#0) specified by test_net_param',
      'Creating test net (#1) specified by net_param',
    ]);
    expect(bodies(lines)[0]).toMatch(
      /^Initializing solver from parameters: \ntest_iter: 1\ntest_iter: 1\ntest_interval: 1\nbase_lr: 0.1\n/,
    );
    expect(bodies(lines)[bodies(lines).length - 1]).toBe('Solver scaffolding done.');
  });

  it('finetunes every net from the comma-separated weights', async () => {
    const file = path.join(dir, 'w.caffemodel');
    lib.writeProtoToBinaryFile(
      { layer: [{ name: 'w', blobs: [{ shape: { dim: [1, 3] }, data: Float32Array.from([7, 8, 9]) }] }] },
      'caffe.NetParameter',
      file,
    );
    const { result: s, lines } = await create({
      ...base(),
      weights: [`${file} , ${file}`],
      test_iter: [1],
      test_interval: 1,
    });
    expect(Array.from(s.net.learnableParams[0].cpuData())).toEqual([7, 8, 9]);
    expect(Array.from(s.testNets[0].learnableParams[0].cpuData())).toEqual([7, 8, 9]);
    expect(bodies(lines).filter((l) => l.startsWith('Finetuning from'))).toEqual(
      Array(4).fill(`Finetuning from ${file}`),
    );
  });

  it('seeds the random generator from random_seed', async () => {
    await create({ ...base(), random_seed: 7 });
    expect(rng().u32()).toBe(new Rng(7).u32());
  });

  it.each([
    [
      'no train net',
      { net_param: undefined },
      'Check failed: num_train_nets >= 1 (0 vs. 1) SolverParameter must specify a train net ' +
        'using one of these fields: net, net_param, train_net, train_net_param',
    ],
    [
      'two train nets',
      { train_net_param: quadraticNet(W0, T) },
      'Check failed: num_train_nets <= 1 (2 vs. 1) SolverParameter must not contain more than one',
    ],
    [
      'test_iter missing',
      { net_param: undefined, train_net_param: quadraticNet(W0, T), test_net_param: [quadraticNet(W0, T)] },
      'Check failed: param_.test_iter_size() == num_test_nets (0 vs. 1) ' +
        'test_iter must be specified for each test network.',
    ],
    [
      'test_state count',
      { test_iter: [1], test_interval: 1, test_state: [{}, {}] },
      'test_state must be unspecified or specified once per test net.',
    ],
    ['no test_interval', { test_iter: [1] }, 'Check failed: param_.test_interval() > 0 (0 vs. 0)'],
    [
      'average_loss 0',
      { average_loss: 0 },
      'Check failed: param_.average_loss() >= 1 (0 vs. 1) average_loss should be non-negative.',
    ],
    [
      'HDF5 snapshots to an unwritable prefix',
      { snapshot_format: 'HDF5', snapshot: 5, snapshot_prefix: '/nonexistent/dir/q' },
      "Cannot write to snapshot prefix '/nonexistent/dir/q'.  Make sure that the directory exists and is writable.",
    ],
    [
      'snapshot without prefix',
      { snapshot: 5, snapshot_prefix: undefined },
      'In solver params, snapshot is specified but snapshot_prefix is not',
    ],
    [
      'unwritable prefix',
      { snapshot: 5, snapshot_prefix: '/nonexistent/dir/q' },
      "Cannot write to snapshot prefix '/nonexistent/dir/q'.  Make sure that the directory exists and is writable.",
    ],
    ['unknown lr_policy', { lr_policy: 'warmup' }, 'Unknown learning rate policy: warmup'],
    [
      'no loss',
      {
        net_param: {
          name: 'noloss',
          layer: [{ name: 'w', type: 'Parameter', top: ['w'], parameter_param: { shape: { dim: [2] } } }],
        },
      },
      'The train net "noloss" has no loss',
    ],
  ] as [string, Message, string][])('fails clearly: %s', async (_label, fields, msg) => {
    await expect(create({ ...base(), ...fields })).rejects.toThrow(msg);
  });
});
