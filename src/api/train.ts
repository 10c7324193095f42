// caffets train: tools/caffe.cpp train(): read the solver, apply --level/--stage, pick the device,
// hook SIGINT/SIGHUP to solver actions, lock the snapshot prefix, then finetune from --weights or resume
// from --snapshot.
//
// Data-parallel training (solvers/parallel.ts): under mpirun each process is one replica (Open MPI,
// train_mpi.ts). The root (rank 0) alone reads --weights and --snapshot (the others receive its
// state), locks the snapshot prefix, tests, snapshots and logs; any rank's SIGINT/SIGHUP acts on all.
import '../solvers';
import { Message } from '../proto/schema';
import { readSolverParamsFromTextFile } from '../io/proto_io';
import { createSolver } from '../solvers/registry';
import { lockSnapshotPrefix } from '../solvers/solver_init';
import { SignalHandler, solverActionFromFlag } from '../solvers/signal_handler';
import { DataParallel } from '../solvers/parallel';
import type { Solver } from '../solvers/solver';
import { MpiCommunicator } from '../backend/comm_mpi';
import type { Communicator } from '../backend/comm';
import { rootSolver } from '../backend/mode';
import { CaffeError } from '../util/errors';
import { log } from '../util/logging';
import { ProgressBar } from '../util/progress';
import { streamFloat } from '../util/format';
import { ComputeFlags, selectDevice, stagesFromFlag } from './common';
import { agreeOnSetUp, joinRanks, rankThreads } from './train_mpi';

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

/** Trains as `caffe train` does; resolves to the process exit code (0, also when stopped by a signal). */
export async function train(o: TrainOptions): Promise<number> {
  if (!o.solver) throw new CaffeError('Need a solver definition to train.');
  if (o.snapshot && o.weights)
    throw new CaffeError('Give a snapshot to resume training or weights to finetune but not both.');
  const mpi = MpiCommunicator.fromLaunch();
  if (mpi) joinRanks(mpi);
  const cleanup: (() => void)[] = [];
  let started = false;
  try {
    let solver: Solver | undefined, failure: unknown;
    try {
      solver = setUp(o, mpi, cleanup);
    } catch (e) {
      failure = e;
    }
    if (mpi) failure = agreeOnSetUp(mpi, failure);
    if (failure) throw failure;
    if (mpi) joinReplicas(solver!, mpi);
    started = true;
    await run(solver!, mpi, o.progress ?? true);
    log.info('Optimization Done.');
    return 0;
  } catch (e) {
    // a rank that fails while the others train would leave them waiting: end them all
    if (mpi && started) abortRanks(mpi, e);
    throw e;
  } finally {
    for (const f of cleanup.reverse()) f();
    mpi?.close();
  }
}

/** Prints the error as main() would, then ends every rank (MPI_Abort). */
function abortRanks(mpi: MpiCommunicator, e: unknown): never {
  const msg = e instanceof CaffeError ? e.message : `internal error (please report): ${(e as Error)?.stack ?? e}`;
  process.stderr.write(`caffets: ${mpi.rank ? `rank ${mpi.rank}: ` : ''}${msg}\n`);
  return mpi.abort(1) as never;
}

/** This replica's set-up, no collective in it: device, signals, lock, solver, restore (the root). */
function setUp(o: TrainOptions, mpi: MpiCommunicator | null, cleanup: (() => void)[]): Solver {
  const root = rootSolver();
  const stages = stagesFromFlag(o.stage ?? ''); // Caffe's --stage defaults to "", one empty stage
  const param = readSolverParamsFromTextFile(o.solver);
  const trainState: Message = (param.train_state ??= {});
  trainState.level = o.level ?? 0;
  trainState.stage = [...(trainState.stage ?? []), ...stages];

  let gpu = o.gpu ?? '';
  if (!gpu && param.solver_mode === 'GPU') gpu = String(param.device_id ?? 0);
  cleanup.push(selectDevice({ ...o, gpu }, 'train'));
  if (mpi && o.threads === undefined) rankThreads(mpi); // --threads, if given, wins
  const sigint = solverActionFromFlag(o.sigint_effect ?? 'stop');
  const sighup = solverActionFromFlag(o.sighup_effect ?? 'snapshot');
  // one training per snapshot_prefix: released at the end, at exit and on SIGTERM
  const lock = root ? lockSnapshotPrefix(param) : undefined;
  if (lock) cleanup.push(() => lock.release());
  const handler = new SignalHandler(sigint, sighup);
  cleanup.push(() => handler.dispose());
  // the other replicas receive the root's weights
  if (o.snapshot || !root) delete param.weights;
  else if (o.weights) param.weights = [o.weights];
  const solver: Solver = createSolver(param);
  cleanup.push(() => {
    solver.net.dispose();
    for (const t of solver.testNets) t.dispose();
  });
  solver.setActionFunction(handler.actionFunction());
  if (o.snapshot && root) {
    log.info(`Resuming from ${o.snapshot}`);
    solver.restore(o.snapshot);
  }
  return solver;
}

/** The replicas' first collective: each gets the root's state (after every set-up succeeded). */
function joinReplicas(solver: Solver, comm: Communicator): void {
  const dp = new DataParallel(solver, comm);
  dp.broadcastState();
  log.info(`Data-parallel: ${comm.size} replicas, gradients summed in ${dp.bucketCount} buckets`);
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
