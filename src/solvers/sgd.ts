// Caffe's SGDSolver, base of every built-in solver: the learning-rate schedule, gradient clipping,
// iter_size normalisation, L1/L2 weight decay, the momentum update (history = momentum * history +
// local_rate * diff; diff = history), and the solver state (iter, current_step, history blobs, the
// snapshot's .caffemodel) in .solverstate files Caffe reads and writes.
import { Blob } from '../core/blob';
import type { SolverParameter } from '../proto/caffe';
import { Message } from '../proto/schema';
import { readProtoFromBinaryFile, writeProtoToBinaryFile } from '../io/proto_io';
import { streamFloat } from '../util/format';
import { CaffeError } from '../util/errors';
import { log } from '../util/logging';
import * as fs from 'fs';
import * as path from 'path';
import { checkOp } from '../util/check';
import { axpby, axpy, f32, scal, sign } from './float_math';
import { readSolverStateHdf5, restoreHistoryHdf5, writeSolverStateHdf5 } from './hdf5_snapshot';
import { checkLrPolicy, learningRate } from './lr_policy';
import { registerSolver } from './registry';
import { Solver } from './solver';
import { currentDevice, mode } from '../backend/mode';

export class SGDSolver extends Solver {
  /** per learnable param: the update history (AdaDelta and Adam append a second set) */
  history: Blob[] = [];
  /** per learnable param scratch blobs */
  protected updateBlobs: Blob[] = [];
  protected temp: Blob[] = [];

  constructor(param: SolverParameter) {
    super(param);
    checkLrPolicy(this.param);
    this.preSolve();
  }

  get type(): string {
    return 'SGD';
  }

  override stateBlobs(): Blob[] {
    return this.history;
  }

  /** History blobs per learnable param (AdaDelta and Adam keep a second set, after the first). */
  protected historySets(): number {
    return 1;
  }

  /** Zeroed history, update and temp blobs shaped like each learnable param. */
  protected preSolve(): void {
    const params = this.net.learnableParams;
    this.history = [];
    for (let k = 0; k < this.historySets(); k++) for (const p of params) this.history.push(new Blob(p.shape));
    this.updateBlobs = params.map((p) => new Blob(p.shape));
    this.temp = params.map((p) => new Blob(p.shape));
  }

  /** the rate at the current iteration (updates currentStep for step / multistep) */
  getLearningRate(): number {
    const s = { iter: this.iter, currentStep: this.currentStep };
    const rate = learningRate(this.param, s);
    this.currentStep = s.currentStep;
    return rate;
  }

  applyUpdate(): void {
    const rate = this.getLearningRate();
    const display = this.p('display');
    if (display && this.iter % display === 0) log.info(`Iteration ${this.iter}, lr = ${streamFloat(rate)}`);
    this.clipGradients();
    for (let id = 0; id < this.net.learnableParams.length; id++) {
      this.normalize(id);
      this.regularize(id);
      this.computeUpdateValue(id, rate);
    }
    this.net.update();
    this.iter++; // iter counts the updates applied
  }

  /** Scales all gradients down when their global L2 norm exceeds clip_gradients (if >= 0). */
  protected clipGradients(): void {
    const clip = f32(this.p('clip_gradients'));
    if (clip < 0) return;
    const params = this.net.learnableParams;
    let sumsq = 0;
    for (const p of params) sumsq = f32(sumsq + f32(p.sumsqDiff()));
    const l2 = f32(Math.sqrt(sumsq));
    if (l2 > clip) {
      const factor = f32(clip / l2);
      log.info(
        `Gradient clipping: scaling down gradients (L2 norm ${streamFloat(l2)} > ${streamFloat(clip)}) ` +
          `by scale factor ${streamFloat(factor)}`,
      );
      for (const p of params) p.scaleDiff(factor);
    }
  }

  /** Divides the gradient accumulated over iter_size passes by iter_size. */
  protected normalize(id: number): void {
    const iterSize = this.p('iter_size');
    if (iterSize === 1) return;
    const p = this.net.learnableParams[id];
    if (mode() === 'GPU') return currentDevice().math.scal(p.count, f32(1 / iterSize), p.mutableGpuDiff());
    scal(f32(1 / iterSize), this.net.learnableParams[id].mutableCpuDiff());
  }

  /** Adds weight_decay * decay_mult times the weights (L2) or their signs (L1) to the gradient. */
  protected regularize(id: number): void {
    const p = this.net.learnableParams[id];
    const localDecay = f32(f32(this.p('weight_decay')) * this.net.paramsWeightDecay[id]);
    if (!localDecay) return;
    const type = this.p('regularization_type');
    if (mode() === 'GPU') return this.regularizeGpu(id, type, localDecay);
    if (type === 'L2') {
      axpy(localDecay, p.cpuData(), p.mutableCpuDiff());
    } else if (type === 'L1') {
      const t = this.temp[id].mutableCpuData();
      sign(p.cpuData(), t);
      axpy(localDecay, t, p.mutableCpuDiff());
    } else {
      throw new CaffeError(`Unknown regularization type: ${type}`);
    }
  }

  private regularizeGpu(id: number, type: string, localDecay: number): void {
    const p = this.net.learnableParams[id],
      math = currentDevice().math;
    if (type === 'L2') {
      math.axpy(p.count, localDecay, p.gpuData(), p.mutableGpuDiff());
    } else if (type === 'L1') {
      const t = this.temp[id].mutableGpuData();
      math.sign(p.count, p.gpuData(), t);
      math.axpy(p.count, localDecay, t, p.mutableGpuDiff());
    } else {
      throw new CaffeError(`Unknown regularization type: ${type}`);
    }
  }

  /** rate * lr_mult of learnable param `id`, in float */
  protected localRate(id: number, rate: number): number {
    return f32(rate * this.net.paramsLr[id]);
  }

  /** SGD with momentum: history = momentum * history + local_rate * diff; diff = history. */
  protected computeUpdateValue(id: number, rate: number): void {
    const p = this.net.learnableParams[id];
    if (mode() === 'GPU') {
      // Caffe's sgd_update_gpu: h = momentum h + local_rate g; g = h
      const math = currentDevice().math,
        h = this.history[id];
      math.axpby(p.count, this.localRate(id, rate), p.gpuDiff(), f32(this.p('momentum')), h.mutableGpuData());
      math.copy(p.count, h.gpuData(), p.mutableGpuDiff());
      return;
    }
    const h = this.history[id].mutableCpuData();
    axpby(this.localRate(id, rate), p.cpuDiff(), f32(this.p('momentum')), h);
    p.mutableCpuDiff().set(h);
  }

  protected snapshotSolverState(modelFilename: string): void {
    if (this.p('snapshot_format') === 'HDF5') {
      const file = this.snapshotFilename('.solverstate.h5');
      log.info(`Snapshotting solver state to HDF5 file ${file}`);
      writeSolverStateHdf5(file, this.iter, modelFilename, this.currentStep, this.history);
      return;
    }
    const state: Message = {
      iter: this.iter,
      learned_net: modelFilename,
      current_step: this.currentStep,
      history: this.history.map((h) => h.toProto()),
    };
    const file = this.snapshotFilename('.solverstate');
    log.info(`Snapshotting solver state to binary proto file ${file}`);
    writeProtoToBinaryFile(state, 'caffe.SolverState', file);
  }

  protected restoreSolverStateFromBinaryProto(stateFile: string): void {
    const state = readProtoFromBinaryFile(stateFile, 'caffe.SolverState');
    this.iter = state.iter ?? 0;
    if (state.learned_net !== undefined) {
      this.net.copyTrainedLayersFromFile(learnedNetPath(state.learned_net, stateFile));
    }
    this.currentStep = state.current_step ?? 0;
    const history: Message[] = state.history ?? [];
    checkOp(
      null,
      history.length,
      '==',
      this.history.length,
      'state.history_size() == history_.size()',
      'Incorrect length of history blobs.',
    );
    log.info('SGDSolver: restoring history');
    this.history.forEach((h, i) => h.fromProto(history[i]));
  }

  /** Caffe's RestoreSolverStateFromHDF5 (a .solverstate.h5: the weights it names may be HDF5 or binary). */
  protected restoreSolverStateFromHdf5(stateFile: string): void {
    const state = readSolverStateHdf5(stateFile);
    this.iter = state.iter;
    if (state.learnedNet !== undefined) this.net.copyTrainedLayersFromFile(learnedNetPath(state.learnedNet, stateFile));
    this.currentStep = state.currentStep;
    restoreHistoryHdf5(state, stateFile, this.history);
  }
}

/**
 * The snapshot's weights, named as written (relative to the directory training ran in, as Caffe
 * reads it); when that file is absent, the same name next to the .solverstate.
 */
function learnedNetPath(learnedNet: string, stateFile: string): string {
  if (fs.existsSync(learnedNet)) return learnedNet;
  const beside = path.join(path.dirname(stateFile), path.basename(learnedNet));
  return fs.existsSync(beside) ? beside : learnedNet;
}

registerSolver('SGD', (param) => new SGDSolver(param));
