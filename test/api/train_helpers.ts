// What the data-parallel training tests share (train_mpi, train_mpi_gpus, train_multi_gpu): writable
// copies of ../shared's caffe-train fixtures with the TRAIN batch divided among replicas, reference
// Caffe's logs and weights, and running `mpirun ... caffets train` with each rank's output kept.
import * as fs from 'fs';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { ROOT, describeShared, haveBinary, sharedPath, tmpDir } from '../helpers';
import { G, modelBlobs } from '../solvers/solver_helpers';

export const BIN = path.join(ROOT, 'bin/caffets');
const ADDON = path.join(ROOT, 'build/Release/caffets_mpi.node');

/** Why the mpirun tests are skipped here (no Open MPI, an addon without it), or undefined. */
export const mpiSkipReason = process.env.CI
  ? undefined
  : !haveBinary('mpirun')
    ? 'no mpirun (apt-get install -y openmpi-bin libopenmpi-dev)'
    : !fs.existsSync(ADDON)
      ? 'the native addon was built without MPI (npm run build:native after installing libopenmpi-dev)'
      : undefined;
/** describe for the mpirun tests: skipped with a line without Open MPI or without ../shared. */
export const describeMpi = mpiSkipReason
  ? (name: string, fn: () => void) => describe.skip(`${name} [skipped: ${mpiSkipReason}]`, fn)
  : describeShared;

/** mpirun as root too (Open MPI refuses it otherwise). */
export const MPI_ENV = { ...process.env, OMPI_ALLOW_RUN_AS_ROOT: '1', OMPI_ALLOW_RUN_AS_ROOT_CONFIRM: '1' };

/** mpirun's arguments: more ranks than cores, each rank's output in out/1/rank.N/stderr. */
export const mpirunArgs = (np: number, out: string, args: string[], extra: string[] = []) => [
  '--oversubscribe',
  '--output-filename',
  out,
  ...extra,
  '-np',
  String(np),
  process.execPath,
  BIN,
  'train',
  ...args,
];

export interface MpiRun {
  code: number | null;
  /** mpirun's own output */
  output: string;
  /** each rank's stderr */
  ranks: string[];
}

export function readRanks(out: string, np: number): string[] {
  return Array.from({ length: np }, (_, r) => {
    const f = path.join(out, '1', `rank.${r}`, 'stderr');
    return fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : '';
  });
}

/** `mpirun -np <np> [extra] caffets train <args>` in `cwd`. */
export function mpirun(cwd: string, np: number, args: string[], extra: string[] = []): MpiRun {
  const out = tmpDir('caffets-mpi-out-');
  const r = spawnSync('mpirun', mpirunArgs(np, out, args, extra), {
    cwd,
    env: MPI_ENV,
    encoding: 'utf8',
    timeout: 540e3,
  });
  const ranks = readRanks(out, np);
  fs.rmSync(out, { recursive: true, force: true });
  return { code: r.status, output: `${r.stdout}${r.stderr}`, ranks };
}

/**
 * A writable copy of fixture `name` (its snapshots removed), the TRAIN batch_size `batch[0]` of `net`
 * replaced by `batch[1]`, the solver edited by `solverEdit`.
 */
export function fixtureCopy(name: string, net: string, batch: [number, number], solverEdit = (s: string) => s): string {
  const work = tmpDir(`caffets-dp-${name}-`);
  fs.cpSync(sharedPath('fixtures/caffe-train', name), work, { recursive: true });
  for (const f of fs.readdirSync(work)) if (/_iter_\d+\./.test(f)) fs.rmSync(path.join(work, f));
  fs.chmodSync(work, 0o755);
  const edit = (f: string, fn: (s: string) => string) => {
    fs.chmodSync(path.join(work, f), 0o644);
    fs.writeFileSync(path.join(work, f), fn(fs.readFileSync(path.join(work, f), 'utf8')));
  };
  const from = `source: "train_lmdb" batch_size: ${batch[0]}`;
  edit(net, (s) => {
    expect(s).toContain(from);
    return s.replace(from, `source: "train_lmdb" batch_size: ${batch[1]}`);
  });
  edit('solver.prototxt', solverEdit);
  return work;
}

export const caffeLog = (name: string, file = 'caffe_train.log') =>
  G.parseLog(fs.readFileSync(sharedPath('fixtures/caffe-train', name, file), 'utf8'));
export const fixtureBlobs = (name: string, file: string) => modelBlobs(sharedPath('fixtures/caffe-train', name, file));
export const testValues = (log: { tests: [string, number][] }) => log.tests.map((t) => t[1]);
export const worstAbs = (a: number[], b: number[]) => Math.max(...b.map((v, i) => Math.abs(a[i] - v)));
/** the pid glog writes in each line */
export const pidOf = (log: string) => Number(/^I\d{4} [\d:.]+ +(\d+) /m.exec(log)?.[1]);
