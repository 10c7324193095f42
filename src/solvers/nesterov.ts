// Caffe's NesterovSolver: momentum SGD that steps back by the old velocity and over-steps by the new:
// history' = momentum * history + local_rate * diff; diff = (1 + momentum) * history' - momentum * history.
import { currentDevice, mode } from '../backend/mode';
import { axpby, f32 } from './float_math';
import { registerSolver } from './registry';
import { SGDSolver } from './sgd';

export class NesterovSolver extends SGDSolver {
  override get type(): string {
    return 'Nesterov';
  }

  protected override computeUpdateValue(id: number, rate: number): void {
    const p = this.net.learnableParams[id];
    const momentum = f32(this.p('momentum'));
    if (mode() === 'GPU') {
      const h = this.history[id].mutableGpuData();
      const s = [momentum, this.localRate(id, rate)];
      return currentDevice().kernels.solverUpdate('nesterov', p.count, p.mutableGpuDiff(), h, null, s);
    }
    const h = this.history[id].mutableCpuData(),
      u = this.updateBlobs[id].mutableCpuData();
    u.set(h); // the old velocity, to step back
    axpby(this.localRate(id, rate), p.cpuDiff(), momentum, h);
    axpby(f32(1 + momentum), h, -momentum, u);
    p.mutableCpuDiff().set(u);
  }
}

registerSolver('Nesterov', (param) => new NesterovSolver(param));
