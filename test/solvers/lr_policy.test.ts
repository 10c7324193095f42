// SGDSolver::GetLearningRate for every lr_policy, against the formulas in double (Caffe rounds the
// rate to float), and its CHECKs.
import { learningRate } from '../../src/solvers';
import { setLogSink } from '../../src/util/logging';

const rate = (param: object, iter: number, currentStep = 0) => {
  const s = { iter, currentStep };
  return { lr: learningRate(param, s), step: s.currentStep };
};
const close = (a: number, b: number) => expect(Math.abs(a - b) / Math.max(Math.abs(b), 1e-30)).toBeLessThan(2e-7);

describe('learning rate policies', () => {
  it('fixed', () => {
    expect(rate({ lr_policy: 'fixed', base_lr: 0.1 }, 123).lr).toBe(Math.fround(0.1));
  });

  it('step: base_lr * gamma ^ floor(iter / stepsize), current_step updated', () => {
    const p = { lr_policy: 'step', base_lr: 0.1, gamma: 0.5, stepsize: 4 };
    for (const iter of [0, 3, 4, 9, 13]) {
      const r = rate(p, iter);
      close(r.lr, 0.1 * 0.5 ** Math.floor(iter / 4));
      expect(r.step).toBe(Math.floor(iter / 4));
    }
  });

  it('exp: base_lr * gamma ^ iter', () => {
    for (const iter of [0, 1, 7, 50])
      close(rate({ lr_policy: 'exp', base_lr: 0.01, gamma: 0.95 }, iter).lr, 0.01 * Math.fround(0.95) ** iter);
  });

  it('inv: base_lr * (1 + gamma * iter) ^ -power', () => {
    for (const iter of [0, 1, 100, 10000]) {
      close(
        rate({ lr_policy: 'inv', base_lr: 0.01, gamma: 0.0001, power: 0.75 }, iter).lr,
        0.01 * (1 + 0.0001 * iter) ** -0.75,
      );
    }
    // Caffe's LeNet log: Iteration 1, lr = 0.00999925
    expect(rate({ lr_policy: 'inv', base_lr: 0.01, gamma: 0.0001, power: 0.75 }, 1).lr.toPrecision(6)).toBe(
      '0.00999925',
    );
  });

  it('multistep: one step per stepvalue reached, logged', () => {
    const lines: string[] = [];
    const restore = setLogSink((l) => lines.push(l));
    const p = { lr_policy: 'multistep', base_lr: 1, gamma: 0.1, stepvalue: [2, 4] };
    const s = { iter: 0, currentStep: 0 };
    const lrs: number[] = [];
    try {
      for (let i = 0; i < 6; i++) {
        s.iter = i;
        lrs.push(learningRate(p, s));
      }
    } finally {
      restore();
    }
    expect(lrs.map((x) => x.toPrecision(6))).toEqual([
      '1.00000',
      '1.00000',
      '0.100000',
      '0.100000',
      '0.0100000',
      '0.0100000',
    ]);
    expect(lines.map((l) => l.replace(/^.*\] /, ''))).toEqual([
      'MultiStep Status: Iteration 2, step = 1',
      'MultiStep Status: Iteration 4, step = 2',
    ]);
  });

  it('poly: base_lr * (1 - iter / max_iter) ^ power', () => {
    for (const iter of [0, 5, 10, 20])
      close(rate({ lr_policy: 'poly', base_lr: 0.1, power: 2, max_iter: 20 }, iter).lr, 0.1 * (1 - iter / 20) ** 2);
  });

  it('sigmoid: base_lr / (1 + exp(-gamma * (iter - stepsize)))', () => {
    for (const iter of [0, 10, 25]) {
      close(
        rate({ lr_policy: 'sigmoid', base_lr: 0.1, gamma: 0.3, stepsize: 10 }, iter).lr,
        0.1 / (1 + Math.exp(-0.3 * (iter - 10))),
      );
    }
  });

  it('fails as Caffe does on bad parameters', () => {
    expect(() => rate({ lr_policy: 'step', base_lr: 0.1, gamma: 0.5 }, 1)).toThrow(
      'Check failed: this->param_.stepsize() > 0 (0 vs. 0)',
    );
    expect(() => rate({ lr_policy: 'exp', base_lr: 0.1, gamma: -1 }, 1)).toThrow(
      'Check failed: this->param_.gamma() >= 0 (-1 vs. 0)',
    );
    expect(() => rate({ lr_policy: 'sigmoid', base_lr: 0.1, gamma: 1 }, 1)).toThrow(
      'Check failed: this->param_.stepsize() > 0',
    );
    expect(() => rate({ lr_policy: 'cosine', base_lr: 0.1 }, 1)).toThrow('Unknown learning rate policy: cosine');
    expect(() => rate({ base_lr: 0.1 }, 1)).toThrow('Unknown learning rate policy: ');
  });
});
