// SGDSolver::GetLearningRate: the learning rate at an iteration for each lr_policy, with Caffe's float
// arithmetic. Caffe's float build computes step/exp/multistep through double pow (pow(float, int)
// promotes) and rounds the product to float; inv, poly and sigmoid run in float (powf, expf).
//   fixed      base_lr
//   step       base_lr * gamma ^ floor(iter / stepsize)
//   exp        base_lr * gamma ^ iter
//   inv        base_lr * (1 + gamma * iter) ^ (-power)
//   multistep  base_lr * gamma ^ (number of stepvalue entries reached)
//   poly       base_lr * (1 - iter / max_iter) ^ power
//   sigmoid    base_lr / (1 + exp(-gamma * (iter - stepsize)))
import { withDefaults } from '../proto/schema';
import type { SolverParameter } from '../proto/caffe';
import { CaffeError } from '../util/errors';
import { log } from '../util/logging';
import { f32 } from './float_math';
import { checkOp } from '../util/check';

export const LR_POLICIES = ['fixed', 'step', 'exp', 'inv', 'multistep', 'poly', 'sigmoid'];

const SP = 'caffe.SolverParameter';

/** LOG(FATAL) for a policy Caffe does not know. */
export function checkLrPolicy(param: SolverParameter): void {
  const policy = withDefaults(SP, param).lr_policy;
  if (!LR_POLICIES.includes(policy)) throw new CaffeError(`Unknown learning rate policy: ${policy}`);
}

/** The mutable part of the schedule: Caffe's current_step_ (step and multistep policies). */
export interface LrState {
  iter: number;
  currentStep: number;
}

export function learningRate(param: SolverParameter, s: LrState): number {
  const sp = withDefaults(SP, param);
  const baseLr = f32(sp.base_lr),
    gamma = f32(sp.gamma),
    power = f32(sp.power);
  const gammaNonNegative = () => checkOp(null, gamma, '>=', 0, 'this->param_.gamma() >= 0');
  const iter = s.iter;
  const policy = sp.lr_policy;
  switch (policy) {
    case 'fixed':
      return baseLr;
    case 'step': {
      const stepsize = sp.stepsize;
      checkOp(null, stepsize, '>', 0, 'this->param_.stepsize() > 0');
      s.currentStep = Math.trunc(iter / stepsize);
      gammaNonNegative();
      return f32(baseLr * Math.pow(gamma, s.currentStep));
    }
    case 'exp':
      gammaNonNegative();
      return f32(baseLr * Math.pow(gamma, iter));
    case 'inv':
      gammaNonNegative();
      return f32(baseLr * f32(Math.pow(f32(1 + f32(gamma * iter)), -power)));
    case 'multistep': {
      const stepvalue = sp.stepvalue;
      if (s.currentStep < stepvalue.length && iter >= stepvalue[s.currentStep]) {
        s.currentStep++;
        log.info(`MultiStep Status: Iteration ${iter}, step = ${s.currentStep}`);
      }
      gammaNonNegative();
      return f32(baseLr * Math.pow(gamma, s.currentStep));
    }
    case 'poly': {
      const frac = f32(f32(iter) / f32(sp.max_iter));
      return f32(baseLr * f32(Math.pow(f32(1 - frac), power)));
    }
    case 'sigmoid': {
      gammaNonNegative();
      const stepsize = sp.stepsize;
      checkOp(null, stepsize, '>', 0, 'this->param_.stepsize() > 0');
      const e = f32(Math.exp(f32(-gamma * f32(iter - stepsize))));
      return f32(baseLr * f32(1 / f32(1 + e)));
    }
    default:
      throw new CaffeError(`Unknown learning rate policy: ${policy}`);
  }
}
