// Caffe's AdaDeltaSolver (momentum is the decay rate): history[i] tracks squared gradients, history[N + i]
// squared updates; diff = local_rate * diff * sqrt((delta + E[dx^2]) / (delta + E[g^2])).
import { currentDevice, mode } from '../backend/mode';
import { add, axpby, f32, mul, scale, sqrt, square, div } from './float_math';
import { registerSolver } from './registry';
import { SGDSolver } from './sgd';

export class AdaDeltaSolver extends SGDSolver {
  override get type(): string {
    return 'AdaDelta';
  }

  /** SGD's history, then one more blob per param for the update history. */
  protected override historySets(): number {
    return 2;
  }

  protected override computeUpdateValue(id: number, rate: number): void {
    const p = this.net.learnableParams[id];
    const n = this.net.learnableParams.length;
    const momentum = f32(this.p('momentum')),
      delta = f32(this.p('delta'));
    if (mode() === 'GPU') {
      const s = [momentum, delta, this.localRate(id, rate)];
      const [h, h2] = [this.history[id].mutableGpuData(), this.history[n + id].mutableGpuData()];
      return currentDevice().kernels.solverUpdate('adadelta', p.count, p.mutableGpuDiff(), h, h2, s);
    }
    const diff = p.mutableCpuDiff(),
      u = this.updateBlobs[id].mutableCpuData(),
      t = this.temp[id].mutableCpuData();
    const hGrad = this.history[id].mutableCpuData(),
      hUpdate = this.history[n + id].mutableCpuData();
    square(diff, u);
    axpby(f32(1 - momentum), u, momentum, hGrad);
    t.fill(delta);
    add(t, hUpdate, u);
    add(t, hGrad, t);
    div(u, t, u);
    sqrt(u, u);
    mul(diff, u, diff);
    square(diff, u);
    axpby(f32(1 - momentum), u, momentum, hUpdate);
    scale(this.localRate(id, rate), diff, diff);
  }
}

registerSolver('AdaDelta', (param) => new AdaDeltaSolver(param));
