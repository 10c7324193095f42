// Caffe's AdaGradSolver: history accumulates squared gradients; diff = local_rate * diff / (sqrt(history) + delta).
import { currentDevice, mode } from '../backend/mode';
import type { SolverParameter } from '../proto/caffe';
import { checkOp } from '../util/check';
import { add, addScalar, axpby, div, f32, sqrt, square } from './float_math';
import { registerSolver } from './registry';
import { SGDSolver } from './sgd';

export class AdaGradSolver extends SGDSolver {
  constructor(param: SolverParameter) {
    super(param);
    checkOp(
      null,
      0,
      '==',
      f32(this.p('momentum')),
      '0 == this->param_.momentum()',
      'Momentum cannot be used with AdaGrad.',
    );
  }

  override get type(): string {
    return 'AdaGrad';
  }

  protected override computeUpdateValue(id: number, rate: number): void {
    const p = this.net.learnableParams[id];
    if (mode() === 'GPU') {
      const s = [f32(this.p('delta')), this.localRate(id, rate)];
      const h = this.history[id].mutableGpuData();
      return currentDevice().kernels.solverUpdate('adagrad', p.count, p.mutableGpuDiff(), h, null, s);
    }
    const diff = p.mutableCpuDiff(),
      h = this.history[id].mutableCpuData(),
      u = this.updateBlobs[id].mutableCpuData();
    square(diff, u);
    add(u, h, h);
    sqrt(h, u);
    addScalar(f32(this.p('delta')), u);
    div(diff, u, u);
    axpby(this.localRate(id, rate), u, 0, diff);
  }
}

registerSolver('AdaGrad', (param) => new AdaGradSolver(param));
