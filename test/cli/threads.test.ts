// Thread control (issue 12), end to end (needs `npm run build`): OMP_NUM_THREADS and --threads set the
// compute threads of train/test/time/classify, device_query reports the count, a bad --threads is one line.
// Compute threads are counted as the process's tasks (/proc/self/task) the command leaves behind: OpenMP
// keeps its team's threads after a parallel region, and nothing else in `time` on an Input net starts one.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { ROOT, tmpDir } from '../helpers';

const NET = `name: "tiny"
layer { name: "data" type: "Input" top: "data" top: "label"
  input_param { shape { dim: 4 dim: 3 dim: 24 dim: 24 } shape { dim: 4 } } }
layer { name: "conv" type: "Convolution" bottom: "data" top: "conv"
  convolution_param { num_output: 16 kernel_size: 3 weight_filler { type: "xavier" } } }
layer { name: "pool" type: "Pooling" bottom: "conv" top: "pool" pooling_param { pool: MAX kernel_size: 2 stride: 2 } }
layer { name: "ip" type: "InnerProduct" bottom: "pool" top: "ip"
  inner_product_param { num_output: 10 weight_filler { type: "xavier" } } }
layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip" bottom: "label" top: "loss" }
`;

const HAVE_PROC = fs.existsSync('/proc/self/task');

/** The environment without OMP_NUM_THREADS, plus `env`. */
function envWith(env: Record<string, string>): NodeJS.ProcessEnv {
  const e = { ...process.env, ...env };
  if (!('OMP_NUM_THREADS' in env)) delete e.OMP_NUM_THREADS;
  return e;
}

function caffets(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin/caffets'), ...args], {
    encoding: 'utf8',
    env: envWith(env),
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** Threads the CLI's `args` leave in the process beyond those it started with. */
function threadsAdded(args: string[], env: Record<string, string> = {}): number {
  const script =
    "const fs = require('fs'), tasks = () => fs.readdirSync('/proc/self/task').length, before = tasks();" +
    `require(${JSON.stringify(path.join(ROOT, 'dist/cli/main'))}).run(${JSON.stringify(args)})` +
    '.then(() => console.log(JSON.stringify({ added: tasks() - before })));';
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', env: envWith(env) });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').pop()!).added;
}

describe('compute threads', () => {
  const dir = tmpDir();
  const model = path.join(dir, 'tiny.prototxt');
  fs.writeFileSync(model, NET);
  const solver = path.join(dir, 'solver.prototxt');
  fs.writeFileSync(solver, `net: "${model}"\nbase_lr: 0.01\nmax_iter: 1\nlr_policy: "fixed"\n`);
  const time = ['time', `--model=${model}`, '--iterations=2'];
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  (HAVE_PROC ? it : it.skip)('OMP_NUM_THREADS=1 and --threads=1 compute on one thread (no /proc: skipped)', () => {
    // the control: two threads add one OpenMP thread to the main one
    expect(threadsAdded(time, { OMP_NUM_THREADS: '2' })).toBe(1);
    expect(threadsAdded(time, { OMP_NUM_THREADS: '1' })).toBe(0);
    expect(threadsAdded([...time, '--threads=2'], { OMP_NUM_THREADS: '1' })).toBe(1);
    expect(threadsAdded([...time, '--threads=1'], { OMP_NUM_THREADS: '2' })).toBe(0);
  });

  it('device_query reports the thread count in effect and the wait policy', () => {
    const threads = (args: string[], env: Record<string, string>) =>
      /\] Threads: (\d+)$/m.exec(caffets(['device_query', ...args], env).err)?.[1];
    expect(threads([], { OMP_NUM_THREADS: '1' })).toBe('1');
    expect(threads([], { OMP_NUM_THREADS: '3' })).toBe('3');
    expect(threads(['--threads=1'], { OMP_NUM_THREADS: '3' })).toBe('1');
    expect(threads(['--threads', '5'], {})).toBe('5');
    expect(caffets(['device_query']).err).toMatch(/\] Thread wait policy: passive$/m);
    expect(caffets(['device_query'], { OMP_WAIT_POLICY: 'ACTIVE' }).err).toMatch(/\] Thread wait policy: active$/m);
  });

  it.each([
    ['time', '--threads=0'],
    ['train', '--threads=two'],
    ['test', '--threads=-1'],
    ['device_query', '--threads=1.5'],
    ['classify', '--threads=0'],
  ])('%s %s is one line', (cmd, flag) => {
    const args: Record<string, string[]> = {
      time: [`--model=${model}`],
      train: [`--solver=${solver}`],
      test: [`--model=${model}`, '--weights=w.caffemodel'],
      device_query: [],
      classify: [model, 'w.caffemodel', 'none', 'none', 'x.jpg'],
    };
    const r = caffets([cmd, ...args[cmd], flag]);
    expect(r.code).toBe(1);
    expect(r.err).not.toMatch(/\n\s+at .+:\d+:\d+/);
    // the error is the last line (train logs its solver first, as Caffe does)
    expect(r.err.trim().split('\n').pop()).toBe(`caffets: ${flag}: expected a whole number of threads from 1 to 9999`);
  });
});
