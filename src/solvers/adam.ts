// Caffe's AdamSolver: m = beta1 m + (1 - beta1) g; v = beta2 v + (1 - beta2) g^2;
// diff = local_rate * sqrt(1 - beta2^t) / (1 - beta1^t) * m / (sqrt(v) + delta), t = iter + 1.
// history[i] holds m, history[N + i] holds v. beta1 = momentum, beta2 = momentum2.
import { currentDevice, mode } from '../backend/mode';
import { addScalar, axpby, div, f32, mul, scale, sqrt } from './float_math';
import { registerSolver } from './registry';
import { SGDSolver } from './sgd';

export class AdamSolver extends SGDSolver {
  override get type(): string {
    return 'Adam';
  }

  protected override historySets(): number {
    return 2;
  }

  protected override computeUpdateValue(id: number, rate: number): void {
    const p = this.net.learnableParams[id];
    const n = this.net.learnableParams.length;
    const beta1 = f32(this.p('momentum')),
      beta2 = f32(this.p('momentum2'));
    const step = this.iter + 1;
    // bias correction in double, as Caffe's pow(float, int) computes it, then stored as float
    const correction = f32(Math.sqrt(1 - Math.pow(beta2, step)) / (1 - Math.pow(beta1, step)));
    if (mode() === 'GPU') {
      const s = [beta1, beta2, f32(this.p('delta')), f32(this.localRate(id, rate) * correction)];
      const [hm, hv] = [this.history[id].mutableGpuData(), this.history[n + id].mutableGpuData()];
      return currentDevice().kernels.solverUpdate('adam', p.count, p.mutableGpuDiff(), hm, hv, s);
    }
    const m = this.history[id].mutableCpuData(),
      v = this.history[n + id].mutableCpuData();
    const t = this.temp[id].mutableCpuData(),
      diff = p.mutableCpuDiff();
    axpby(f32(1 - beta1), diff, beta1, m);
    mul(diff, diff, t);
    axpby(f32(1 - beta2), t, beta2, v);
    sqrt(v, t);
    addScalar(f32(this.p('delta')), t);
    div(m, t, t);
    scale(f32(this.localRate(id, rate) * correction), t, diff);
  }
}

registerSolver('Adam', (param) => new AdamSolver(param));
