// Caffe's Solver: builds the train and test nets, runs the training loop (Step / Solve) with periodic
// testing, loss smoothing, display lines, snapshots and signal-requested actions, and restores from a
// .solverstate. The update rule itself (ApplyUpdate, history, solver state) is the subclass's (sgd.ts).
// The loop is async only to let signal handlers run: it yields to the event loop once per iteration
// and once per test batch, where Caffe polls its action function.
//
// Data-parallel training (solvers/parallel.ts) runs one solver per replica: each seeds its generator
// with random_seed + its rank; the root alone tests, snapshots and (through the log) displays; the
// replicas agree on the action signals requested, so that they stop at the same iteration.
import { performance } from 'perf_hooks';
import { Net } from '../net';
import { WithDefaults, getField } from '../proto/schema';
import type { SolverParameter } from '../proto/caffe';
import { printPrototxt } from '../formats/prototxt';
import { writeProtoToBinaryFile } from '../io/proto_io';
import { setRandomSeed } from '../core/rng';
import { streamFloat } from '../util/format';
import { cloneMessage } from '../proto/message';
import { log } from '../util/logging';
import { checkOp } from '../util/check';
import { rootSolver, solverRank } from '../backend/mode';
import type { Blob } from '../core/blob';
import { f32 } from './float_math';
import { writeNetToHdf5 } from './hdf5_snapshot';
import { checkSnapshotWritePermissions, initTestNets, initTrainNet } from './solver_init';

/** What a signal asks of the solver (Caffe's SolverAction::Enum). */
export type SolverAction = 'NONE' | 'STOP' | 'SNAPSHOT';
export type ActionFunction = () => SolverAction;

/** Data-parallel training's part in the loop: the action every replica takes (the replicas' requests
 *  combined, so that all stop or snapshot at the same iteration). */
export interface ReplicaSync {
  agreeAction(request: SolverAction): SolverAction;
}

/** Hooks into the loop (Caffe's Solver::Callback). */
export interface SolverCallback {
  onStart?(): void;
  onGradientsReady?(): void;
}

const SP = 'caffe.SolverParameter';
const g = streamFloat; // a float as `<<` prints it
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export abstract class Solver {
  readonly param: SolverParameter;
  readonly net: Net;
  readonly testNets: Net[];
  /** number of parameter updates done so far */
  iter = 0;
  /** the lr schedule's position (step / multistep), saved in the solver state */
  currentStep = 0;
  /** set when a STOP was requested; Solve reports "Optimization stopped early." */
  requestedEarlyExit = false;
  protected losses: number[] = [];
  /** the loss averaged over the last average_loss iterations (what `display` prints) */
  smoothedLoss = 0;
  private iterationsLast = 0;
  private timerStart = 0;
  private actionFunction?: ActionFunction;
  private callbacks: SolverCallback[] = [];
  /** set when this solver is one replica of data-parallel training */
  replicas: ReplicaSync | null = null;

  constructor(param: SolverParameter) {
    log.info(`Initializing solver from parameters: \n${printPrototxt(param, SP).replace(/\n$/, '')}`);
    this.param = cloneMessage(param);
    checkOp(
      null,
      this.p('average_loss'),
      '>=',
      1,
      'param_.average_loss() >= 1',
      'average_loss should be non-negative.',
    );
    if (rootSolver()) checkSnapshotWritePermissions(this.param);
    const seed = this.p('random_seed');
    if (seed >= 0) setRandomSeed(seed + solverRank());
    this.net = initTrainNet(this.param);
    try {
      // only the root tests: the other replicas build no test net (Caffe builds them unused)
      this.testNets = rootSolver() ? initTestNets(this.param) : [];
    } catch (e) {
      this.net.dispose();
      throw e;
    }
    log.info('Solver scaffolding done.');
  }

  /** The solver's state beside the weights (SGD's history), as a replica receives it from the root. */
  stateBlobs(): Blob[] {
    return [];
  }

  /** the registered type string ('SGD', 'Adam', ...) */
  abstract get type(): string;
  /** computes and applies one update from the accumulated gradients, then counts the iteration */
  abstract applyUpdate(): void;
  protected abstract snapshotSolverState(modelFilename: string): void;
  protected abstract restoreSolverStateFromBinaryProto(stateFile: string): void;
  protected abstract restoreSolverStateFromHdf5(stateFile: string): void;

  /** a solver field, or its schema default */
  p<K extends keyof SolverParameter & string>(name: K): WithDefaults<SolverParameter>[K] {
    return getField(this.param, SP, name);
  }

  setActionFunction(fn: ActionFunction | undefined): void {
    this.actionFunction = fn;
  }
  getRequestedAction(): SolverAction {
    return this.actionFunction ? this.actionFunction() : 'NONE';
  }
  addCallback(cb: SolverCallback): void {
    this.callbacks.push(cb);
  }

  /** Trains to max_iter (resuming from `resumeFile` if given), then snapshots, displays and tests as Caffe. */
  async solve(resumeFile?: string): Promise<void> {
    log.info(`Solving ${this.net.name}`);
    log.info(`Learning Rate Policy: ${this.p('lr_policy')}`);
    this.requestedEarlyExit = false;
    if (resumeFile) {
      log.info(`Restoring previous solver status from ${resumeFile}`);
      this.restore(resumeFile);
    }
    const startIter = this.iter;
    await this.step(this.p('max_iter') - this.iter);
    const snapshot = this.p('snapshot');
    if (this.p('snapshot_after_train') && (!snapshot || this.iter % snapshot !== 0)) this.snapshot();
    if (this.requestedEarlyExit) {
      log.info('Optimization stopped early.');
      return;
    }
    const display = this.p('display'),
      testInterval = this.p('test_interval');
    if (display && this.iter % display === 0) {
      const loss = this.net.forward();
      this.updateSmoothedLoss(loss, startIter, this.p('average_loss'));
      log.info(`Iteration ${this.iter}, loss = ${g(this.smoothedLoss)}`);
    }
    if (testInterval && this.iter % testInterval === 0) await this.testAll();
    log.info('Optimization Done.');
  }

  /** Runs `iters` training iterations (fewer if a STOP is requested). */
  async step(iters: number): Promise<void> {
    const startIter = this.iter,
      stopIter = this.iter + iters;
    const averageLoss = this.p('average_loss'),
      iterSize = this.p('iter_size');
    const display = this.p('display'),
      testInterval = this.p('test_interval');
    const snapshot = this.p('snapshot'),
      debugInfo = this.p('debug_info');
    this.losses = [];
    this.smoothedLoss = 0;
    this.timerStart = performance.now();
    while (this.iter < stopIter) {
      this.net.clearParamDiffs();
      if (testInterval && this.iter % testInterval === 0 && (this.iter > 0 || this.p('test_initialization'))) {
        if (rootSolver()) await this.testAll();
        if (this.replicas) this.requestedEarlyExit = this.agree(this.requestedEarlyExit ? 'STOP' : 'NONE') === 'STOP';
        if (this.requestedEarlyExit) break; // stop requested while testing
      }
      for (const cb of this.callbacks) cb.onStart?.();
      const show = display !== 0 && this.iter % display === 0;
      this.net.debugInfo = show && debugInfo;
      let loss = 0;
      for (let i = 0; i < iterSize; i++) loss = f32(loss + this.net.forwardBackward());
      loss = f32(loss / iterSize);
      this.updateSmoothedLoss(loss, startIter, averageLoss);
      if (show) this.displayIteration();
      for (const cb of this.callbacks) cb.onGradientsReady?.();
      this.applyUpdate();

      await yieldToEventLoop();
      const request = this.agree(this.getRequestedAction());
      if (rootSolver() && ((snapshot && this.iter % snapshot === 0) || request === 'SNAPSHOT')) this.snapshot();
      if (request === 'STOP') {
        this.requestedEarlyExit = true;
        break;
      }
    }
  }

  /** The action of every replica: this one's request, or all replicas' requests combined. */
  private agree(request: SolverAction): SolverAction {
    return this.replicas ? this.replicas.agreeAction(request) : request;
  }

  private displayIteration(): void {
    // Caffe's CPU timer counts whole milliseconds
    const lapse = f32(Math.floor(performance.now() - this.timerStart) / 1000);
    const perS = f32((this.iter - this.iterationsLast) / (lapse ? lapse : 1));
    log.info(
      `Iteration ${this.iter} (${g(perS)} iter/s, ${g(lapse)}s/${this.p('display')} iters), ` +
        `loss = ${g(this.smoothedLoss)}`,
    );
    this.timerStart = performance.now();
    this.iterationsLast = this.iter;
    let scoreIndex = 0;
    this.net.outputBlobs.forEach((blob, j) => {
      const id = this.net.outputBlobIndices[j];
      const name = this.net.blobNames[id],
        weight = this.net.blobLossWeights[id];
      const v = blob.cpuData();
      for (let k = 0; k < v.length; k++) {
        const lossMsg = weight ? ` (* ${g(weight)} = ${g(f32(weight * v[k]))} loss)` : '';
        log.info(`    Train net output #${scoreIndex++}: ${name} = ${g(v[k])}${lossMsg}`);
      }
    });
  }

  /** Caffe's UpdateSmoothedLoss: the mean of the last `averageLoss` losses, in float. */
  protected updateSmoothedLoss(loss: number, startIter: number, averageLoss: number): void {
    if (this.losses.length < averageLoss) {
      this.losses.push(loss);
      const size = this.losses.length;
      this.smoothedLoss = f32(f32(f32(this.smoothedLoss * (size - 1)) + loss) / size);
    } else {
      const idx = (this.iter - startIter) % averageLoss;
      this.smoothedLoss = f32(this.smoothedLoss + f32(f32(loss - this.losses[idx]) / averageLoss));
      this.losses[idx] = loss;
    }
  }

  async testAll(): Promise<void> {
    for (let id = 0; id < this.testNets.length && !this.requestedEarlyExit; id++) await this.test(id);
  }

  /** One test pass of test net `id` over test_iter[id] batches, with the train net's weights. */
  async test(id: number): Promise<void> {
    log.info(`Iteration ${this.iter}, Testing net (#${id})`);
    const testNet = this.testNets[id];
    testNet.shareTrainedLayersWith(this.net);
    const testIter = this.p('test_iter')[id];
    const computeLoss = this.p('test_compute_loss');
    const scores: number[] = [],
      outputIds: number[] = [];
    let loss = 0;
    for (let i = 0; i < testIter; i++) {
      await yieldToEventLoop();
      for (let request = this.getRequestedAction(); request !== 'NONE'; request = this.getRequestedAction()) {
        if (request === 'SNAPSHOT') this.snapshot();
        else if (request === 'STOP') this.requestedEarlyExit = true;
      }
      if (this.requestedEarlyExit) break;
      const iterLoss = testNet.forward();
      if (computeLoss) loss = f32(loss + iterLoss);
      let idx = 0;
      testNet.outputBlobs.forEach((blob, j) => {
        const v = blob.cpuData();
        for (let k = 0; k < v.length; k++, idx++) {
          if (i === 0) {
            scores.push(v[k]);
            outputIds.push(j);
          } else scores[idx] = f32(scores[idx] + v[k]);
        }
      });
    }
    if (this.requestedEarlyExit) {
      log.info('Test interrupted.');
      return;
    }
    if (computeLoss) log.info(`Test loss: ${g(f32(loss / testIter))}`);
    scores.forEach((score, i) => {
      const blobId = testNet.outputBlobIndices[outputIds[i]];
      const name = testNet.blobNames[blobId],
        weight = testNet.blobLossWeights[blobId];
      const mean = f32(score / testIter);
      const lossMsg = weight ? ` (* ${g(weight)} = ${g(f32(weight * mean))} loss)` : '';
      log.info(`    Test net output #${i}: ${name} = ${g(mean)}${lossMsg}`);
    });
  }

  /** `<snapshot_prefix>_iter_<iter><extension>` */
  snapshotFilename(extension: string): string {
    return `${this.p('snapshot_prefix')}_iter_${this.iter}${extension}`;
  }

  /**
   * Writes <prefix>_iter_N.caffemodel and .solverstate, or with snapshot_format: HDF5
   * <prefix>_iter_N.caffemodel.h5 and .solverstate.h5 (each atomically).
   */
  snapshot(): void {
    let modelFilename: string;
    if (this.p('snapshot_format') === 'HDF5') {
      modelFilename = this.snapshotFilename('.caffemodel.h5');
      log.info(`Snapshotting to HDF5 file ${modelFilename}`);
      writeNetToHdf5(this.net, modelFilename, this.p('snapshot_diff'));
    } else {
      modelFilename = this.snapshotFilename('.caffemodel');
      log.info(`Snapshotting to binary proto file ${modelFilename}`);
      writeProtoToBinaryFile(this.net.toProto(this.p('snapshot_diff')), 'caffe.NetParameter', modelFilename);
    }
    this.snapshotSolverState(modelFilename);
  }

  /** Resumes from a .solverstate: iteration, lr schedule position, history and the learned weights. */
  restore(stateFile: string): void {
    // Caffe picks the format by the file's extension
    if (stateFile.endsWith('.h5')) this.restoreSolverStateFromHdf5(stateFile);
    else this.restoreSolverStateFromBinaryProto(stateFile);
    this.iterationsLast = this.iter;
  }
}
