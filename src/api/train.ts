// caffets train: tools/caffe.cpp train(): read the solver, apply --level/--stage, pick the device,
// hook SIGINT/SIGHUP to solver actions, lock the snapshot prefix, then finetune from --weights or resume
// from --snapshot.
//
// Data-parallel training (solvers/parallel.ts): `--gpu=0,1` trains a replica per device in this
// process (train_replicas.ts); under mpirun each process is a replica, or several when it holds
// several of the devices (train_mpi.ts: summed within the process, then across the ranks). The root
// (replica 0) alone reads --weights and --snapshot (the others receive its state), locks the snapshot
// prefix, tests, snapshots and logs; a signal to any process acts on all replicas.
import '../solvers';
import { lockSnapshotPrefix } from '../solvers/solver_init';
import { createSolver } from '../solvers/registry';
import { SignalHandler, solverActionFromFlag } from '../solvers/signal_handler';
import type { Solver } from '../solvers/solver';
import type { Communicator } from '../backend/comm';
import { MpiCommunicator } from '../backend/comm_mpi';
import { HierCommunicator } from '../backend/comm_hier';
import { ReplicaFailed, ThreadCommunicator, createThreadGroup } from '../backend/comm_threads';
import { rootSolver, setSolverCount, setSolverRank } from '../backend/mode';
import { CaffeError } from '../util/errors';
import { log } from '../util/logging';
import { ProgressBar } from '../util/progress';
import { streamFloat } from '../util/format';
import { ComputeFlags, localShare, selectTrainDevices } from './common';
import { agreeOnSetUp, joinRanks, rankThreads } from './train_mpi';
import { ReplicaThreads, joinReplicas, trainParams } from './train_replicas';

export interface TrainOptions extends ComputeFlags {
  solver: string;
  /** comma-separated .caffemodel files to finetune from */
  weights?: string;
  /** a .solverstate to resume from */
  snapshot?: string;
  level?: number;
  stage?: string;
  sigint_effect?: string;
  sighup_effect?: string;
  /** a progress line on a terminal (default true; never drawn off a terminal) */
  progress?: boolean;
}

/** What set-up made: the root's solver, the other replicas' threads, what to undo at the end. */
interface Session {
  solver?: Solver;
  threads?: ReplicaThreads;
  /** the replicas of this process (its devices; 1 on the CPU) */
  replicas: number;
  cleanup: (() => void)[];
}

/** Trains as `caffe train` does; resolves to the process exit code (0, also when stopped by a signal). */
export async function train(o: TrainOptions): Promise<number> {
  if (!o.solver) throw new CaffeError('Need a solver definition to train.');
  if (o.snapshot && o.weights)
    throw new CaffeError('Give a snapshot to resume training or weights to finetune but not both.');
  const mpi = MpiCommunicator.fromLaunch();
  if (mpi) joinRanks(mpi);
  const s: Session = { replicas: 1, cleanup: [] };
  let comm: Communicator | null = mpi;
  let local: ThreadCommunicator | undefined;
  let started = false;
  try {
    let failure: unknown;
    try {
      await setUp(o, mpi, s);
      if (s.threads) {
        // the other threads' set-up: the first failure there if the root's succeeded
        const params = s.solver!.net.learnableParams.reduce((n, p) => n + p.count, 0);
        const group = createThreadGroup(s.threads.count + 1, params + 1024);
        await s.threads.start(group);
        local = new ThreadCommunicator(group, 0);
        comm = mpi ? new HierCommunicator(local, mpi, mpi.rank, mpi.size) : local;
      }
    } catch (e) {
      failure = e;
    }
    if (mpi) failure = agreeOnSetUp(mpi, failure, s.replicas);
    if (failure) throw failure;
    if (comm) joinReplicas(s.solver!, comm);
    started = true;
    await run(s.solver!, mpi, o.progress ?? true);
    await s.threads?.finish();
    log.info('Optimization Done.');
    return 0;
  } catch (e) {
    // another replica's failure explains this one's; the others must not wait for this one
    const err = e instanceof ReplicaFailed ? (s.threads?.failure() ?? e) : e;
    local?.abort();
    if (mpi && started) abortRanks(mpi, err);
    throw err;
  } finally {
    for (const f of s.cleanup.reverse()) f();
    mpi?.close();
  }
}

/** Prints the error as main() would, then ends every rank (MPI_Abort). */
function abortRanks(mpi: MpiCommunicator, e: unknown): never {
  const msg = e instanceof CaffeError ? e.message : `internal error (please report): ${(e as Error)?.stack ?? e}`;
  process.stderr.write(`caffets: ${mpi.rank ? `rank ${mpi.rank}: ` : ''}${msg}\n`);
  return mpi.abort(1) as never;
}

/**
 * This process's set-up, no collective in it: devices (the other replicas' threads started on theirs),
 * signals, lock, solver, restore (the root).
 */
async function setUp(o: TrainOptions, mpi: MpiCommunicator | null, s: Session): Promise<void> {
  const root = rootSolver();
  const param = trainParams(o);
  let gpu = o.gpu ?? '';
  if (!gpu && param.solver_mode === 'GPU') gpu = String(param.device_id ?? 0);
  // under mpirun the ranks of a machine share the devices listed (common.ts localShare)
  const share = (ids: number[]) => (mpi ? localShare(ids, mpi.info.localRank, mpi.info.localSize) : ids);
  const { gpus, release } = selectTrainDevices({ ...o, gpu }, share);
  s.cleanup.push(release);
  s.replicas = Math.max(1, gpus.length);
  if (mpi && o.threads === undefined) rankThreads(mpi); // --threads, if given, wins
  if (gpus.length > 1) {
    // this thread is the process's first replica; under mpirun, global replica rank x devices
    const ranks = mpi ? { rank: mpi.rank, size: mpi.size } : { rank: 0, size: 1 };
    setSolverCount(gpus.length * ranks.size);
    setSolverRank(gpus.length * ranks.rank);
    s.cleanup.push(() => {
      setSolverCount(1);
      setSolverRank(0);
    });
    const threads = new ReplicaThreads(o, gpus, ranks);
    s.cleanup.push(() => threads.dispose());
    s.threads = threads;
    await threads.logDevices();
  }
  const sigint = solverActionFromFlag(o.sigint_effect ?? 'stop');
  const sighup = solverActionFromFlag(o.sighup_effect ?? 'snapshot');
  // one training per snapshot_prefix: released at the end, at exit and on SIGTERM
  const lock = root ? lockSnapshotPrefix(param) : undefined;
  if (lock) s.cleanup.push(() => lock.release());
  const handler = new SignalHandler(sigint, sighup);
  s.cleanup.push(() => handler.dispose());
  // the other replicas receive the root's weights
  if (o.snapshot || !root) delete param.weights;
  else if (o.weights) param.weights = [o.weights];
  if (gpus.length) param.device_id = gpus[0];
  const solver: Solver = createSolver(param);
  s.solver = solver;
  s.cleanup.push(() => {
    solver.net.dispose();
    for (const t of solver.testNets) t.dispose();
  });
  solver.setActionFunction(handler.actionFunction());
  if (o.snapshot && root) {
    log.info(`Resuming from ${o.snapshot}`);
    solver.restore(o.snapshot);
  }
}

async function run(solver: Solver, mpi: MpiCommunicator | null, progress: boolean): Promise<void> {
  log.info('Starting Optimization');
  const maxIter = solver.p('max_iter');
  if (mpi && !rootSolver()) {
    await solver.step(maxIter - solver.iter); // Caffe's workers: Step, no Solve
    return;
  }
  // on a terminal, a progress line under the log (iterations, rate, ETA, smoothed loss)
  const bar = new ProgressBar(Math.max(0, maxIter - solver.iter), 'train', process.stderr, progress);
  solver.addCallback({ onGradientsReady: () => bar.tick(1, `loss ${streamFloat(solver.smoothedLoss)}`) });
  try {
    await solver.solve();
  } finally {
    bar.finish();
  }
}
