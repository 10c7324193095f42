// ReLU: y = max(x, 0) + negative_slope * min(x, 0); dy/dx = 1 for x > 0, negative_slope otherwise.
import { Blob } from '../core/blob';
import { registerLayer } from '../core/layer_factory';
import { NeuronLayer } from './neuron';
import { currentDevice } from '../backend/mode';
import { backend } from '../backend';
import type { ConvolutionLayer } from './Convolution';

export class ReLULayer extends NeuronLayer {
  private slope = 0;
  /** the convolution whose CPU forward applies this (in-place) ReLU already (src/net/fuse.ts) */
  fusedInto: ConvolutionLayer | null = null;

  override layerSetUp(): void {
    this.slope = this.param('relu_param').negative_slope;
  }

  get negativeSlope(): number {
    return this.slope;
  }

  protected forwardCpu(bottom: Blob[], top: Blob[]): void {
    if (this.fusedInto?.reluFused()) return;
    // Caffe: max(x, 0) + slope * min(x, 0); `0 +` keeps its +0 where slope * x is -0 (native/eltwise.cc)
    backend().reluForward(bottom[0].cpuData(), top[0].mutableCpuData(), this.slope);
  }

  protected override forwardGpu(bottom: Blob[], top: Blob[]): void {
    currentDevice().kernels.reluForward(bottom[0].count, bottom[0].gpuData(), top[0].mutableGpuData(), this.slope);
  }

  protected override backwardGpu(top: Blob[], propagateDown: boolean[], bottom: Blob[]): void {
    if (!propagateDown[0]) return;
    const b = bottom[0];
    currentDevice().kernels.reluBackward(b.count, top[0].gpuDiff(), b.gpuData(), b.mutableGpuDiff(), this.slope);
  }

  // In place, bottom data already holds y; y > 0 exactly where x > 0 (slope >= 0), as Caffe relies on.
  protected override backwardCpu(top: Blob[], propagateDown: boolean[], bottom: Blob[]): void {
    if (!propagateDown[0]) return;
    backend().reluBackward(bottom[0].cpuData(), top[0].cpuDiff(), bottom[0].mutableCpuDiff(), this.slope);
  }
}

registerLayer('ReLU', ReLULayer);
