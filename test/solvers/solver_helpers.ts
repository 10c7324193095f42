// Shared by the solver tests: log capture, a one-parameter quadratic problem whose gradients are known
// in closed form, and running the golden cases of scripts/caffe-solver-goldens.js with caffets.
import * as fs from 'fs';
import * as path from 'path';
import { spawnSync } from 'child_process';
import * as lib from '../../src';
import { native } from '../../src/native/addon';
import { Message } from '../../src/proto/schema';
import { createSolver } from '../../src/solvers';
import type { Solver } from '../../src/solvers';
import { setLogSink } from '../../src/util/logging';
import { ROOT } from '../helpers';

export const G = require('../../scripts/caffe-solver-goldens.js');

/** Runs `fn` with log lines captured (and silenced); returns the lines and fn's result. */
export async function captureLogs<T>(fn: () => T | Promise<T>): Promise<{ lines: string[]; result: T }> {
  const lines: string[] = [];
  const restore = setLogSink((l) => lines.push(l));
  try {
    const result = await fn();
    return { lines, result };
  } finally {
    restore();
  }
}

/** Log lines without the glog prefix. */
export const bodies = (lines: string[]) => lines.map((l) => l.replace(/^[IWEF]\d{4} [\d:.]+ +\d+ [^\]]+\] /, ''));

/**
 * A net whose one learnable blob `w` (shape [1, n]) is pulled towards a fixed target `t` by a
 * EuclideanLoss: loss = |w - t|^2 / 2, gradient = w - t. (The loss overwrites w's diff on each backward,
 * as in Caffe, so iter_size does not accumulate here.)
 */
export function quadraticNet(w0: number[], target: number[], wSpec: Message = {}): Message {
  const blob = (v: number[]) => ({ shape: { dim: [1, v.length] }, data: Float32Array.from(v) });
  return {
    name: 'quadratic',
    layer: [
      {
        name: 'w',
        type: 'Parameter',
        top: ['w'],
        param: [wSpec],
        parameter_param: { shape: { dim: [1, w0.length] } },
        blobs: [blob(w0)],
      },
      {
        name: 't',
        type: 'Parameter',
        top: ['t'],
        param: [{ lr_mult: 0, decay_mult: 0 }],
        parameter_param: { shape: { dim: [1, target.length] } },
        blobs: [blob(target)],
      },
      { name: 'loss', type: 'EuclideanLoss', bottom: ['w', 't'], top: ['loss'] },
    ],
  };
}

/** A solver on the quadratic net, no snapshots. */
export async function quadraticSolver(
  fields: Message,
  w0: number[],
  target: number[],
  wSpec: Message = {},
): Promise<Solver> {
  const param = { net_param: quadraticNet(w0, target, wSpec), max_iter: 1, snapshot_after_train: false, ...fields };
  return (await captureLogs(() => createSolver(param))).result;
}

/** Our run of golden case `id` in `dir` (files from G.writeCase), as `caffe train --weights=init.caffemodel`. */
export async function runOurs(id: string, dir: string, prefix = 'ours', o: { resume?: string; maxIter?: number } = {}) {
  const file = G.writeCase(lib, id, dir, prefix, `${prefix}_solver`, o.maxIter ?? G.MAX_ITER);
  const { lines, result: solver } = await captureLogs(async () => {
    const param = lib.readSolverParamsFromTextFile(file);
    if (!o.resume) param.weights = [path.join(dir, 'init.caffemodel')];
    const s = createSolver(param);
    await s.solve(o.resume);
    return s;
  });
  return { lines, log: G.parseLog(lines.join('\n')), solver, file };
}

/** The learnable blobs of a .caffemodel by 'layer/index'. */
export function modelBlobs(file: string): Record<string, number[]> {
  return G.weightBlobs(lib.readNetParamsFromBinaryFile(file));
}

/** ||a - b|| / ||b|| over all blobs of two weightBlobs() maps. */
export function relL2(a: Record<string, number[]>, b: Record<string, number[]>): number {
  let num = 0,
    den = 0;
  for (const k of Object.keys(b)) {
    expect(a[k]).toHaveLength(b[k].length);
    b[k].forEach((v, i) => {
      num += (a[k][i] - v) ** 2;
      den += v * v;
    });
  }
  return Math.sqrt(num / den);
}

/** Largest relative difference of two arrays of numbers (over the first `n` entries). */
export function worstRel(ours: number[], ref: number[], n = ref.length): number {
  let worst = 0;
  for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(ours[i] - ref[i]) / Math.max(Math.abs(ref[i]), 1e-12));
  return worst;
}

// Bit-for-bit replays of reference Caffe runs need Caffe's BLAS set-up: the ../shared fixtures (and the
// init goldens' training run) were made with OpenBLAS's Haswell kernels on 2 threads.
const cpuFlags = fs.existsSync('/proc/cpuinfo')
  ? (/^flags\s*:(.*)$/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? '')
  : '';
const HAVE_AVX2 = /\bavx2\b/.test(cpuFlags) && /\bfma\b/.test(cpuFlags);
/** Whether --engine=CAFFE finds OpenBLAS here. */
export const OPENBLAS = (() => {
  try {
    return native().blasThreads() !== null;
  } catch {
    return false;
  }
})();
/** Why this machine cannot replay the fixtures' BLAS arithmetic, or null (CI must have OpenBLAS). */
export const REPLAY_SKIP: string | null = !HAVE_AVX2
  ? "OpenBLAS's Haswell kernels need AVX2 + FMA"
  : !OPENBLAS && !process.env.CI
    ? 'OpenBLAS not installed'
    : null;

/** `caffets train ... --engine=CAFFE` in `work`, run as a user would, with the fixtures' BLAS configuration. */
export function caffetsTrain(work: string, args: string[]) {
  const run = spawnSync(process.execPath, [path.join(ROOT, 'bin/caffets'), 'train', ...args, '--engine=CAFFE'], {
    cwd: work,
    encoding: 'utf8',
    maxBuffer: 1 << 26,
    env: { ...process.env, ...G.REPLAY_ENV },
  });
  if (run.status !== 0) throw new Error(`caffets train exited ${run.status}: ${run.stderr.slice(-2000)}`);
  expect(run.stderr).toMatch(/Engine CAFFE: im2col \+ BLAS \(.*, 2 threads\)/);
  return G.parseLog(run.stderr);
}
