// Caffe's RecurrentLayer, the base of LSTM and RNN: the recurrence unrolled over the T timesteps of a
// batch into an internal Net, built from a NetParameter that the subclass fills (fillUnrolledNet).
// Bottoms: x (T x N x ...), cont (T x N: 0 where a sequence starts, 1 where it continues), optionally
// x_static (N x ...), and with expose_hidden the initial hidden state(s); tops: the output (T x N x
// num_output), and with expose_hidden the final hidden state(s).
// The internal net: an Input layer of x, cont (and x_static), the subclass's layers, every layer name
// prefixed with `<this layer's name>_`, then a Reduction "pseudo-loss" per output (loss_weight 1, never
// run) so that Net::Init plans backward to x and to every parameter. Its parameters are shared by name
// across timesteps; the owners among them are this layer's blobs, in the unrolled net's order (what a
// .caffemodel stores). x and the outputs share memory with the bottoms and tops. Without
// expose_hidden the final hidden state is copied to the initial one before each forward (the state
// carries over between batches; cont = 0 restarts it); with it, the hidden-state bottoms are the
// initial state (no gradient flows to them) and the hidden-state tops the final one.
import { Blob } from '../core/blob';
import { Layer } from '../core/layer';
import type { LayerParameter, NetParameter } from '../proto/caffe';
import type { Net } from '../net/net';
import { currentDevice } from '../backend/mode';
import { check, checkOp } from '../util/check';
import { log } from '../util/logging';

const sameShape = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && a.every((d, i) => d === b[i]);

export abstract class RecurrentLayer extends Layer {
  /** timesteps and independent streams of the batch */
  protected T = 0;
  protected N = 0;
  protected staticInput = false;
  private exposeHidden = false;
  private unrolled: Net | null = null;
  private xInput = new Blob();
  private contInput = new Blob();
  private xStaticInput: Blob | null = null;
  private recurInputs: Blob[] = [];
  private recurOutputs: Blob[] = [];
  private outputs: Blob[] = [];
  /** the last layer of the unrolled net that runs: the pseudo-losses after it never do */
  private lastLayerIndex = 0;

  /** Names of the hidden-state blobs at timestep 0 (inputs of the unrolled net). */
  protected abstract recurrentInputBlobNames(): string[];
  /** Names of the hidden-state blobs at timestep T. */
  protected abstract recurrentOutputBlobNames(): string[];
  /** Shapes of the timestep-0 hidden-state blobs. */
  protected abstract recurrentInputShapes(): number[][];
  /** Names of the outputs over all timesteps, one per (non-hidden-state) top. */
  protected abstract outputBlobNames(): string[];
  /** Adds the recurrent architecture's layers to `net` (which already holds the Input of x and cont). */
  protected abstract fillUnrolledNet(net: NetParameter): void;

  /** num_output, checked positive. */
  protected numOutput(): number {
    const n = this.param('recurrent_param').num_output;
    checkOp(this, n, '>', 0, 'num_output > 0', 'num_output must be positive');
    return n;
  }

  override minBottomBlobs(): number {
    const hidden = this.param('recurrent_param').expose_hidden ? this.recurrentInputBlobNames().length : 0;
    return 2 + hidden;
  }
  override maxBottomBlobs(): number {
    return this.minBottomBlobs() + 1;
  }
  override exactNumTopBlobs(): number {
    return 1 + (this.param('recurrent_param').expose_hidden ? this.recurrentOutputBlobNames().length : 0);
  }
  override allowForceBackward(i: number): boolean {
    return i !== 1; // not to the sequence continuation indicators
  }

  override layerSetUp(bottom: Blob[], top: Blob[]): void {
    this.checkX(bottom[0]);
    this.T = bottom[0].shape[0];
    this.N = bottom[0].shape[1];
    log.info(
      `Initializing recurrent layer: assuming input batch contains ${this.T} timesteps of ` +
        `${this.N} independent streams.`,
    );
    this.checkCont(bottom[1]);
    this.exposeHidden = this.param('recurrent_param').expose_hidden;
    const outputNames = this.outputBlobNames(),
      recurInputNames = this.recurrentInputBlobNames(),
      recurOutputNames = this.recurrentOutputBlobNames();
    const numRecur = recurInputNames.length;
    const numHiddenExposed = this.exposeHidden ? numRecur : 0;
    this.staticInput = bottom.length > 2 + numHiddenExposed;
    if (this.staticInput) {
      checkOp(this, bottom[2].numAxes, '>=', 1, 'bottom[2]->num_axes() >= 1');
      checkOp(this, this.N, '==', bottom[2].shape[0], 'N_ == bottom[2]->shape(0)');
    }

    const netParam = this.unrolledNetParam(bottom, outputNames);

    // Caffe's Net includes this layer's file: loaded here, as the net module loads the layers
    const { Net: NetClass } = require('../net/net') as typeof import('../net/net');
    const net = new NetClass(netParam);
    this.unrolled = net;
    net.debugInfo = this.param('recurrent_param').debug_info;

    this.xInput = net.blobByName('x');
    this.contInput = net.blobByName('cont');
    if (this.staticInput) this.xStaticInput = net.blobByName('x_static');
    this.recurInputs = recurInputNames.map((n) => net.blobByName(n));
    this.recurOutputs = recurOutputNames.map((n) => net.blobByName(n));
    checkOp(
      this,
      top.length - numHiddenExposed,
      '==',
      outputNames.length,
      'top.size() - num_hidden_exposed == output_names.size()',
      'OutputBlobNames must provide an output blob name for each top.',
    );
    this.outputs = outputNames.map((n) => net.blobByName(n));
    const numInputs = 2 + numRecur + (this.staticInput ? 1 : 0);
    checkOp(
      this,
      numInputs,
      '==',
      net.inputBlobs.length,
      '2 + num_recur_blobs + static_input_ == input_blobs().size()',
    );

    // this layer's parameters: the unrolled net's owned ones (the sharers are the same memory)
    this.blobs = [];
    net.params.forEach((p, i) => {
      if (net.paramOwners[i] !== -1) return;
      log.info(`Adding parameter ${i}: ${net.paramDisplayNames[i]}`);
      this.blobs.push(p);
    });
    net.layers.forEach((l, i) =>
      l.blobs.forEach((_, j) =>
        check(
          this,
          l.paramPropagate(j),
          'unrolled_net_->layers()[i]->param_propagate_down(j)',
          `param_propagate_down not set for layer ${i}, param ${j}`,
        ),
      ),
    );
    this.paramPropagateDown = this.blobs.map(() => true);
    // no gradient flows across batches
    for (const b of this.recurOutputs) b.mutableCpuDiff().fill(0);

    this.lastLayerIndex = net.layerNames.length - 1 - outputNames.length;
    outputNames.forEach((o, j) => {
      const got = net.layerNames[this.lastLayerIndex + 1 + j];
      check(this, got === `${o}_pseudoloss`, `layer_names[i] == pseudo_losses[j] (${got} vs. ${o}_pseudoloss)`);
    });
  }

  /**
   * The unrolled net: an Input layer of x, cont (and x_static) shaped like the bottoms, the subclass's
   * layers, every name prefixed with this layer's, then the pseudo-losses (unprefixed).
   */
  private unrolledNetParam(bottom: Blob[], outputNames: string[]): NetParameter {
    const inputs = ['x', 'cont', ...(this.staticInput ? ['x_static'] : [])];
    const net: NetParameter = {
      layer: [
        {
          type: 'Input',
          top: inputs,
          input_param: { shape: inputs.map((_, i) => ({ dim: bottom[i].shape.slice() })) },
        },
      ],
    };
    this.fillUnrolledNet(net);
    const layers = net.layer as LayerParameter[];
    if (this.name) for (const l of layers) l.name = `${this.name}_${l.name ?? ''}`;
    // pseudo-losses on the outputs make Net::Init plan backward (force_backward would also reach cont)
    for (const o of outputNames) {
      layers.push({
        name: `${o}_pseudoloss`,
        type: 'Reduction',
        bottom: [o],
        top: [`${o}_pseudoloss`],
        loss_weight: [1],
      });
    }
    return net;
  }

  /** x is T x N x ... */
  private checkX(x: Blob): void {
    const msg = 'bottom[0] must have at least 2 axes -- (#timesteps, #streams, ...)';
    checkOp(this, x.numAxes, '>=', 2, 'bottom[0]->num_axes() >= 2', msg);
  }

  /** cont is T x N */
  private checkCont(cont: Blob): void {
    const msg = 'bottom[1] must have exactly 2 axes -- (#timesteps, #streams)';
    checkOp(this, cont.numAxes, '==', 2, 'bottom[1]->num_axes() == 2', msg);
    checkOp(this, this.T, '==', cont.shape[0], 'T_ == bottom[1]->shape(0)');
    checkOp(this, this.N, '==', cont.shape[1], 'N_ == bottom[1]->shape(1)');
  }

  reshape(bottom: Blob[], top: Blob[]): void {
    const net = this.unrolled!;
    this.checkX(bottom[0]);
    checkOp(this, this.T, '==', bottom[0].shape[0], 'T_ == bottom[0]->shape(0)', 'input number of timesteps changed');
    this.N = bottom[0].shape[1];
    this.checkCont(bottom[1]);
    this.xInput.reshapeLike(bottom[0]);
    this.contInput.reshapeLike(bottom[1]);
    if (this.xStaticInput) this.xStaticInput.reshapeLike(bottom[2]);
    const shapes = this.recurrentInputShapes();
    checkOp(
      this,
      shapes.length,
      '==',
      this.recurInputs.length,
      'recur_input_shapes.size() == recur_input_blobs_.size()',
    );
    shapes.forEach((s, i) => this.recurInputs[i].reshape(s));
    net.reshape();
    this.xInput.shareData(bottom[0]);
    this.xInput.shareDiff(bottom[0]);
    this.contInput.shareData(bottom[1]);
    if (this.xStaticInput) {
      this.xStaticInput.shareData(bottom[2]);
      this.xStaticInput.shareDiff(bottom[2]);
    }
    if (this.exposeHidden) {
      const offset = 2 + (this.staticInput ? 1 : 0);
      for (let i = offset, j = 0; i < bottom.length; i++, j++) {
        check(
          this,
          sameShape(this.recurInputs[j].shape, bottom[i].shape),
          'recur_input_blobs_[j]->shape() == bottom[i]->shape()',
          `bottom[${i}] shape must match hidden state input shape: ${this.recurInputs[j].shapeString()}`,
        );
        this.recurInputs[j].shareData(bottom[i]);
      }
    }
    this.outputs.forEach((o, i) => {
      top[i].reshapeLike(o);
      top[i].shareData(o);
      top[i].shareDiff(o);
    });
    if (this.exposeHidden)
      for (let i = this.outputs.length, j = 0; i < top.length; i++, j++) top[i].reshapeLike(this.recurOutputs[j]);
  }

  /** Zeroes the hidden state carried over between batches (Caffe's Reset). */
  reset(): void {
    for (const b of this.recurOutputs) b.mutableCpuData().fill(0);
  }

  protected forwardCpu(bottom: Blob[], top: Blob[]): void {
    this.forwardUnrolled(top, (from, to) => to.mutableCpuData().set(from.cpuData()));
  }

  // the same with the carried state copied on the device; the unrolled net's layers run there
  protected override forwardGpu(bottom: Blob[], top: Blob[]): void {
    const math = currentDevice().math;
    this.forwardUnrolled(top, (from, to) => math.copy(from.count, from.gpuData(), to.mutableGpuData()));
  }

  private forwardUnrolled(top: Blob[], copy: (from: Blob, to: Blob) => void): void {
    const net = this.unrolled!;
    // as Caffe: a test net's sharers are pointed again at their owners, which the solver's
    // ShareTrainedLayersWith pointed at the train net's weights
    if (this.phase === 'TEST') net.shareWeights();
    if (!this.exposeHidden) this.recurInputs.forEach((b, i) => copy(this.recurOutputs[i], b));
    net.forwardTo(this.lastLayerIndex);
    if (this.exposeHidden)
      for (let i = this.outputs.length, j = 0; i < top.length; i++, j++) top[i].shareData(this.recurOutputs[j]);
  }

  /** The unrolled net backward, to x (and x_static) and every parameter, whatever propagateDown says. */
  protected override backwardCpu(_top: Blob[], propagateDown: boolean[], _bottom: Blob[]): void {
    check(this, !propagateDown[1], '!propagate_down[1]', 'Cannot backpropagate to sequence indicators.');
    this.unrolled!.backwardFrom(this.lastLayerIndex);
  }

  override dispose(): void {
    this.unrolled?.dispose();
  }

  /** The unrolled net's blobs and its layers' buffers (parameters are this layer's blobs). */
  override internalMemory(): { blobs: Blob[]; bytes: number } {
    const net = this.unrolled;
    if (!net) return { blobs: [], bytes: 0 };
    const blobs = [...net.blobs];
    let bytes = 0;
    for (const l of net.layers) {
      const own = l.internalMemory();
      blobs.push(...own.blobs);
      bytes += own.bytes;
    }
    return { blobs, bytes };
  }
}
