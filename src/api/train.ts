// caffets train: tools/caffe.cpp train(): read the solver, apply --level/--stage, pick the device,
// hook SIGINT/SIGHUP to solver actions, lock the snapshot prefix, then finetune from --weights or resume
// from --snapshot.
import '../solvers';
import { Message } from '../proto/schema';
import { readSolverParamsFromTextFile } from '../io/proto_io';
import { createSolver } from '../solvers/registry';
import { lockSnapshotPrefix } from '../solvers/solver_init';
import { SignalHandler, solverActionFromFlag } from '../solvers/signal_handler';
import type { Solver } from '../solvers/solver';
import { CaffeError } from '../util/errors';
import { log } from '../util/logging';
import { ProgressBar } from '../util/progress';
import { streamFloat } from '../util/format';
import { ComputeFlags, selectDevice, stagesFromFlag } from './common';

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
  const stages = stagesFromFlag(o.stage ?? ''); // Caffe's --stage defaults to "", one empty stage
  const param = readSolverParamsFromTextFile(o.solver);
  const trainState: Message = (param.train_state ??= {});
  trainState.level = o.level ?? 0;
  trainState.stage = [...(trainState.stage ?? []), ...stages];

  let gpu = o.gpu ?? '';
  if (!gpu && param.solver_mode === 'GPU') gpu = String(param.device_id ?? 0);
  const release = selectDevice({ ...o, gpu }, 'train');
  const sigint = solverActionFromFlag(o.sigint_effect ?? 'stop');
  const sighup = solverActionFromFlag(o.sighup_effect ?? 'snapshot');
  // one training per snapshot_prefix: released at the end, at exit and on SIGTERM
  const lock = lockSnapshotPrefix(param);
  let handler: SignalHandler | undefined;
  try {
    handler = new SignalHandler(sigint, sighup);
    if (o.snapshot) delete param.weights;
    else if (o.weights) param.weights = [o.weights];
    const solver: Solver = createSolver(param);
    solver.setActionFunction(handler.actionFunction());
    if (o.snapshot) {
      log.info(`Resuming from ${o.snapshot}`);
      solver.restore(o.snapshot);
    }
    log.info('Starting Optimization');
    // on a terminal, a progress line under the log (iterations, rate, ETA, smoothed loss)
    const bar = new ProgressBar(
      Math.max(0, (param.max_iter ?? 0) - solver.iter),
      'train',
      process.stderr,
      o.progress ?? true,
    );
    solver.addCallback({ onGradientsReady: () => bar.tick(1, `loss ${streamFloat(solver.smoothedLoss)}`) });
    try {
      await solver.solve();
    } finally {
      bar.finish();
      solver.net.dispose();
      for (const t of solver.testNets) t.dispose();
    }
    log.info('Optimization Done.');
    return 0;
  } finally {
    handler?.dispose();
    lock?.release();
    release();
  }
}
