// Caffe's Net: a DAG of layers connected by named blobs, built from a NetParameter (see net_init.ts
// for the construction, net_params.ts for parameters and weight copying). Blobs, layers and
// parameters are kept in Caffe's vectors and order, so that the solver, the tools and the logs can
// index them as Caffe does. Treat the public arrays as read-only.
import { currentDevice, mode } from '../backend/mode';
import '../layers';
import { Blob } from '../core/blob';
import { Layer, Phase } from '../core/layer';
import { Message } from '../proto/schema';
import { readNetParamsFromBinaryFile } from '../io/proto_io';
import { cloneMessage } from '../proto/message';
import { checkFailed } from '../util/check';
import { CaffeError } from '../util/errors';
import { log } from '../util/logging';
import { backwardDebugInfo, forwardDebugInfo, paramNormsDebugInfo, updateDebugInfo } from './debug_info';
import { initNet } from './net_init';
import {
  copyTrainedLayers,
  copyTrainedLayersFromHdf5,
  layerToProto,
  shareTrainedLayers,
  shareWeights,
} from './net_params';
import * as fs from 'fs';

/** NetState fields set on top of the NetParameter's own `state`, as Caffe's Net(file, phase, level, stages). */
export interface NetStateOverrides {
  phase?: Phase;
  level?: number;
  /** appended to the state's stages */
  stages?: string[];
}

export class Net {
  name = '';
  phase: Phase = 'TEST';

  layers: Layer[] = [];
  layerNames: string[] = [];
  layerNamesIndex = new Map<string, number>();
  layerNeedBackward: boolean[] = [];

  /** the blobs between layers (tops), by blob id */
  blobs: Blob[] = [];
  blobNames: string[] = [];
  blobNamesIndex = new Map<string, number>();
  blobNeedBackward: boolean[] = [];
  /** loss weight of each blob (by blob id; 0 for non-loss blobs) */
  blobLossWeights: number[] = [];

  bottomVecs: Blob[][] = [];
  bottomIdVecs: number[][] = [];
  bottomNeedBackward: boolean[][] = [];
  topVecs: Blob[][] = [];
  topIdVecs: number[][] = [];

  /** every parameter blob of every layer (sharers included), by net param id */
  params: Blob[] = [];
  paramIdVecs: number[][] = [];
  /** net param id of the owner of each param, -1 where the param owns itself */
  paramOwners: number[] = [];
  paramDisplayNames: string[] = [];
  /** (layer id, param index in that layer) of each net param */
  paramLayerIndices: [number, number][] = [];
  paramNamesIndex = new Map<string, number>();
  /** the owned params (what the solver updates), with their multipliers */
  learnableParams: Blob[] = [];
  /** for each net param, the index of its (owner's) entry in learnableParams */
  learnableParamIds: number[] = [];
  paramsLr: number[] = [];
  hasParamsLr: boolean[] = [];
  paramsWeightDecay: number[] = [];
  hasParamsDecay: boolean[] = [];

  inputBlobIndices: number[] = [];
  inputBlobs: Blob[] = [];
  outputBlobIndices: number[] = [];
  outputBlobs: Blob[] = [];

  /** floats held by top blobs (Caffe logs it times sizeof(float)) */
  memoryUsed = 0;
  debugInfo = false;
  /** called after each layer's turn in backward, needed or not (Caffe's after_backward callbacks) */
  private afterBackward: ((layer: number) => void)[] = [];

  constructor(param: Message, overrides?: NetStateOverrides) {
    try {
      initNet(this, withState(param, overrides));
    } catch (e) {
      this.dispose(); // the layers set up before the failure (a Data layer's worker)
      throw e;
    }
  }

  get numInputs(): number {
    return this.inputBlobs.length;
  }
  get numOutputs(): number {
    return this.outputBlobs.length;
  }

  // ---- forward / backward ----

  /** Runs layers start..end (inclusive) forward; returns their summed weighted loss. */
  forwardFromTo(start: number, end: number): number {
    if (start < 0) checkFailed(null, `start >= 0 (${start} vs. 0)`);
    if (end >= this.layers.length) checkFailed(null, `end < layers_.size() (${end} vs. ${this.layers.length})`);
    let loss = 0;
    for (let i = start; i <= end; i++) {
      loss = Math.fround(loss + Math.fround(this.layers[i].forward(this.bottomVecs[i], this.topVecs[i])));
      if (this.debugInfo) forwardDebugInfo(this, i);
    }
    return loss;
  }

  forwardFrom(start: number): number {
    return this.forwardFromTo(start, this.layers.length - 1);
  }
  forwardTo(end: number): number {
    return this.forwardFromTo(0, end);
  }

  /** The whole net forward (inputs already filled in); returns the loss. Outputs are in outputBlobs. */
  forward(): number {
    return this.forwardFromTo(0, this.layers.length - 1);
  }

  /** Releases every layer's outside-the-heap resources (data prefetch workers, native primitives). */
  dispose(): void {
    for (const l of this.layers) l.dispose();
  }

  /** Runs backward from layer start down to layer end (inclusive), skipping layers that need none. */
  backwardFromTo(start: number, end: number): void {
    if (end < 0) checkFailed(null, `end >= 0 (${end} vs. 0)`);
    if (start >= this.layers.length) checkFailed(null, `start < layers_.size() (${start} vs. ${this.layers.length})`);
    for (let i = start; i >= end; i--) {
      if (this.layerNeedBackward[i]) {
        this.layers[i].backward(this.topVecs[i], this.bottomNeedBackward[i], this.bottomVecs[i]);
        if (this.debugInfo) backwardDebugInfo(this, i);
      }
      for (const cb of this.afterBackward) cb(i);
    }
  }

  /** Calls `cb(i)` after layer i's turn in every backward pass (data-parallel training's reductions). */
  addAfterBackward(cb: (layer: number) => void): void {
    this.afterBackward.push(cb);
  }

  backwardFrom(start: number): void {
    this.backwardFromTo(start, 0);
  }
  backwardTo(end: number): void {
    this.backwardFromTo(this.layers.length - 1, end);
  }

  backward(): void {
    this.backwardFromTo(this.layers.length - 1, 0);
    if (this.debugInfo) paramNormsDebugInfo(this);
  }

  forwardBackward(): number {
    const loss = this.forward();
    this.backward();
    return loss;
  }

  /** Reshapes every layer after an input shape change, without computing anything. */
  reshape(): void {
    for (let i = 0; i < this.layers.length; i++) this.layers[i].reshapeNamed(this.bottomVecs[i], this.topVecs[i]);
  }

  // ---- parameters ----

  /** data -= diff for every learnable (owned) parameter; sharers follow through shared memory. */
  update(): void {
    for (const p of this.learnableParams) p.update();
  }

  /** Zeroes every learnable parameter's diff, on the device in GPU mode (Caffe's ClearParamDiffs). */
  clearParamDiffs(): void {
    if (mode() === 'GPU') {
      const math = currentDevice().math;
      for (const p of this.learnableParams) math.set(p.count, 0, p.mutableGpuDiff());
      return;
    }
    for (const p of this.learnableParams) p.mutableCpuDiff().fill(0);
  }

  /** Points every sharer's data and diff at its owner's memory again (Caffe's ShareWeights). */
  shareWeights(): void {
    shareWeights(this);
  }

  /** Caffe's UpdateDebugInfo line for net param `paramId`. */
  updateDebugInfo(paramId: number): void {
    updateDebugInfo(this, paramId);
  }

  /** Copies weights from a NetParameter's layers, matched by layer name (unmatched layers ignored). */
  copyTrainedLayersFrom(param: Message): void {
    copyTrainedLayers(this, param);
  }

  /** Copies weights from a binary .caffemodel (older formats are upgraded on read) or an HDF5 .caffemodel.h5. */
  copyTrainedLayersFromFile(file: string): void {
    if (isHdf5(file)) copyTrainedLayersFromHdf5(this, file);
    else this.copyTrainedLayersFrom(readNetParamsFromBinaryFile(file));
  }

  /** Makes same-named layers use `other`'s parameter memory (a test net sharing the train net's weights). */
  shareTrainedLayersWith(other: Net): void {
    shareTrainedLayers(this, other);
  }

  /** The net as a NetParameter: each layer's definition with its current parameter blobs. */
  toProto(writeDiff = false): Message {
    return { name: this.name, layer: this.layers.map((l) => layerToProto(l, writeDiff)) };
  }

  // ---- lookup ----

  hasBlob(name: string): boolean {
    return this.blobNamesIndex.has(name);
  }
  hasLayer(name: string): boolean {
    return this.layerNamesIndex.has(name);
  }

  /** The blob called `name`; unknown names log Caffe's warning and throw (Caffe returns NULL). */
  blobByName(name: string): Blob {
    const id = this.blobNamesIndex.get(name);
    if (id === undefined) {
      log.warning(`Unknown blob name ${name}`);
      throw new CaffeError(`Unknown blob name ${name}`);
    }
    return this.blobs[id];
  }

  layerByName(name: string): Layer {
    const id = this.layerNamesIndex.get(name);
    if (id === undefined) {
      log.warning(`Unknown layer name ${name}`);
      throw new CaffeError(`Unknown layer name ${name}`);
    }
    return this.layers[id];
  }
}

function withState(param: Message, o?: NetStateOverrides): Message {
  if (!o) return param;
  const p: Message = { ...param };
  const state: Message = cloneMessage(param.state ?? {});
  if (o.phase !== undefined) state.phase = o.phase;
  if (o.stages) state.stage = [...(state.stage ?? []), ...o.stages];
  if (o.level !== undefined) state.level = o.level;
  p.state = state;
  return p;
}

function isHdf5(file: string): boolean {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    const sig = Buffer.alloc(8);
    return (
      fs.readSync(fd, sig, 0, 8, 0) === 8 && sig.equals(Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]))
    );
  } catch {
    return false; // the reader reports missing files in Caffe's words
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
