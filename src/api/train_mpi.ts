// `mpirun -np N caffets train ...`: what each rank does around the training itself (train.ts). Every
// rank is one replica (solvers/parallel.ts over backend/comm_mpi.ts), or k when it holds k devices
// (k threads as train_replicas.ts, over backend/comm_hier.ts); the same k on every rank. Rank 0's
// first replica is the root. One log stream: the other ranks keep only their warnings and errors
// (CAFFETS_LOG_ALL_RANKS=1 keeps all).
// Ranks on one machine share its cores: without OMP_NUM_THREADS each takes cores / ranks there.
import * as os from 'os';
import { backend } from '../backend';
import { CaffeBackend } from '../backend/caffe';
import type { MpiCommunicator } from '../backend/comm_mpi';
import { setSolverCount, setSolverRank } from '../backend/mode';
import { native } from '../native/addon';
import { CaffeError } from '../util/errors';
import { log, setMinLogLevel } from '../util/logging';

/**
 * Makes this process replica `comm.rank` of `comm.size` (train.ts renumbers them when each rank holds
 * several); the other ranks than the root go quiet.
 */
export function joinRanks(comm: MpiCommunicator): void {
  setSolverCount(comm.size);
  setSolverRank(comm.rank);
  if (comm.rank !== 0 && !process.env.CAFFETS_LOG_ALL_RANKS) setMinLogLevel(1);
}

/**
 * The CPU threads of this rank: OMP_NUM_THREADS when set, else the machine's cores shared among its
 * ranks (at least one each). Applied to the engine selected (oneDNN's and our kernels' OpenMP
 * threads; the CAFFE engine's BLAS threads unless OPENBLAS_NUM_THREADS is set).
 */
export function rankThreads(comm: MpiCommunicator): number {
  const env = Number(process.env.OMP_NUM_THREADS);
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  const n = Number.isInteger(env) && env > 0 ? env : Math.max(1, Math.floor(cores / comm.info.localSize));
  const b = backend();
  if (b instanceof CaffeBackend) {
    if (!process.env.OPENBLAS_NUM_THREADS) native().blasThreads(n);
  } else {
    native().ompThreads(n);
  }
  log.info(
    `MPI: ${comm.size} processes (${comm.transport}), ${comm.info.localSize} on this machine, ` +
      `${n} thread${n === 1 ? '' : 's'} each`,
  );
  return n;
}

/** Thrown by the ranks that only follow another's failure: they exit 1 without a line of their own. */
export class FollowerExit extends CaffeError {
  constructor() {
    super('', 1);
  }
}

/**
 * Every rank's set-up done or failed: the ranks learn whether any failed, so that all exit together
 * (no rank waits forever for one that is gone). The root reports its own failure; the others report
 * theirs, named by rank, only when the root's set-up succeeded (the same mistake fails everywhere).
 * The ranks must hold the same number of replicas (`replicas`): else the root says so in one line.
 */
export function agreeOnSetUp(comm: MpiCommunicator, failure: unknown, replicas = 1): unknown {
  const k = replicas;
  const flags = new Float32Array([comm.rank === 0 && failure ? 1 : 0, failure ? 1 : 0, k, k * k]);
  comm.sumStart(flags).wait();
  // n * sum(k^2) = (sum k)^2 exactly when every k is the same (Cauchy-Schwarz)
  if (flags[1] === 0 && comm.size * flags[3] !== flags[2] * flags[2]) {
    if (comm.rank !== 0) return new FollowerExit();
    return new CaffeError(
      `--gpu under mpirun: the ranks hold different numbers of devices (${flags[2]} over ${comm.size} ranks, ` +
        `${k} on rank 0; local rank r of L on a machine takes the ids r, r + L, ...): list a multiple of ` +
        'the ranks per machine, the same number on every machine',
    );
  }
  if (flags[1] === 0) return undefined;
  if (comm.rank === 0) return failure ?? new FollowerExit();
  if (!failure || flags[0] > 0) return new FollowerExit();
  if (failure instanceof CaffeError) return new CaffeError(`rank ${comm.rank}: ${failure.message}`, failure.exitCode);
  return failure;
}
