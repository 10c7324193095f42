// Threshold: y = 1 if x > threshold, else 0. Not differentiable: as in Caffe, backward is not
// implemented and fails if a gradient is requested.
import { Blob } from '../core/blob';
import { registerLayer } from '../core/layer_factory';
import { currentDevice } from '../backend/mode';
import { layerError } from './layer_check';
import { NeuronLayer } from './neuron';

export class ThresholdLayer extends NeuronLayer {
  private threshold = 0;

  override layerSetUp(): void {
    this.threshold = Math.fround(this.param('threshold_param').threshold);
  }

  protected forwardCpu(bottom: Blob[], top: Blob[]): void {
    const x = bottom[0].cpuData(),
      y = top[0].mutableCpuData(),
      t = this.threshold;
    for (let i = 0; i < x.length; i++) y[i] = x[i] > t ? 1 : 0;
  }

  protected override forwardGpu(bottom: Blob[], top: Blob[]): void {
    const n = bottom[0].count;
    currentDevice().kernels.thresholdForward(n, bottom[0].gpuData(), top[0].mutableGpuData(), this.threshold);
  }

  protected override backwardCpu(_top: Blob[], propagateDown: boolean[], _bottom: Blob[]): void {
    if (propagateDown.some(Boolean)) throw layerError(this, 'Not Implemented Yet');
  }
}

registerLayer('Threshold', ThresholdLayer);
