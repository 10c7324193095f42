// Caffe's RMSPropSolver: history is a decaying mean of squared gradients (rms_decay);
// diff = local_rate * diff / (sqrt(history) + delta).
import { currentDevice, mode } from '../backend/mode';
import type { SolverParameter } from '../proto/caffe';
import { checkOp } from '../util/check';
import { addScalar, axpby, div, f32, sqrt, square } from './float_math';
import { registerSolver } from './registry';
import { SGDSolver } from './sgd';

export class RMSPropSolver extends SGDSolver {
  constructor(param: SolverParameter) {
    super(param);
    checkOp(
      null,
      0,
      '==',
      f32(this.p('momentum')),
      '0 == this->param_.momentum()',
      'Momentum cannot be used with RMSProp.',
    );
    const decay = f32(this.p('rms_decay'));
    checkOp(null, decay, '>=', 0, 'this->param_.rms_decay() >= 0', 'rms_decay should lie between 0 and 1.');
    checkOp(null, decay, '<', 1, 'this->param_.rms_decay() < 1', 'rms_decay should lie between 0 and 1.');
  }

  override get type(): string {
    return 'RMSProp';
  }

  protected override computeUpdateValue(id: number, rate: number): void {
    const p = this.net.learnableParams[id];
    const decay = f32(this.p('rms_decay'));
    if (mode() === 'GPU') {
      const s = [decay, f32(this.p('delta')), this.localRate(id, rate)];
      const h = this.history[id].mutableGpuData();
      return currentDevice().kernels.solverUpdate('rmsprop', p.count, p.mutableGpuDiff(), h, null, s);
    }
    const diff = p.mutableCpuDiff(),
      h = this.history[id].mutableCpuData(),
      u = this.updateBlobs[id].mutableCpuData();
    square(diff, u);
    axpby(f32(1 - decay), u, decay, h);
    sqrt(h, u);
    addScalar(f32(this.p('delta')), u);
    div(diff, u, u);
    axpby(this.localRate(id, rate), u, 0, diff);
  }
}

registerSolver('RMSProp', (param) => new RMSPropSolver(param));
