// Each solver's update rule on a quadratic (gradient = w - target, known in closed form), against the
// rule written out in double; weight decay, lr_mult / decay_mult, clipping, iter_size; the registry.
import { Message } from '../../src/proto/schema';
import { SGDSolver, createSolver, registerSolver, solverTypeList } from '../../src/solvers';
import { axpby } from '../../src/solvers/float_math';
import * as fs from 'fs';
import * as path from 'path';
import * as lib from '../../src';
import { tmpDir } from '../helpers';
import { describeEngines } from '../engines';
import { G, bodies, captureLogs, quadraticNet, quadraticSolver } from './solver_helpers';

const W0 = [1, -2, 0.5],
  T = [0.25, 0, -1];

/** Runs `iters` updates; returns w after each. */
async function train(fields: Message, iters: number, wSpec: Message = {}) {
  const s = await quadraticSolver({ lr_policy: 'fixed', ...fields, max_iter: iters }, W0, T, wSpec);
  const { lines } = await captureLogs(() => s.step(iters));
  return { w: Array.from(s.net.learnableParams[0].cpuData()), lines: bodies(lines), solver: s };
}

/** The reference: plain double arithmetic, `update(g, state, t)` returns the step subtracted from w. */
function reference(
  iters: number,
  update: (g: number[], st: Record<string, number[]>, t: number) => number[],
  decay = (_w: number[]) => [0, 0, 0],
) {
  const w = [...W0];
  const st: Record<string, number[]> = {};
  for (let t = 0; t < iters; t++) {
    const d = decay(w);
    const g = w.map((x, i) => x - T[i] + d[i]);
    const step = update(g, st, t);
    step.forEach((s, i) => {
      w[i] -= s;
    });
  }
  return w;
}

const get = (st: Record<string, number[]>, k: string) => (st[k] ??= [0, 0, 0]);
const expectClose = (a: number[], b: number[], tol = 2e-6) =>
  a.forEach((x, i) => expect(Math.abs(x - b[i])).toBeLessThan(tol * Math.max(1, Math.abs(b[i]))));

// on each engine, and in GPU mode, where each solver's update is its fused device kernel
describeEngines('update rules', () => {
  it('SGD with momentum (lr kept inside the history)', async () => {
    const { w } = await train({ type: 'SGD', base_lr: 0.1, momentum: 0.9 }, 4);
    expectClose(
      w,
      reference(4, (g, st) => {
        const h = get(st, 'h');
        g.forEach((x, i) => {
          h[i] = 0.9 * h[i] + 0.1 * x;
        });
        return h;
      }),
    );
  });

  it('Nesterov', async () => {
    const { w } = await train({ type: 'Nesterov', base_lr: 0.1, momentum: 0.9 }, 4);
    expectClose(
      w,
      reference(4, (g, st) => {
        const h = get(st, 'h'),
          old = [...h];
        g.forEach((x, i) => {
          h[i] = 0.9 * h[i] + 0.1 * x;
        });
        return h.map((x, i) => 1.9 * x - 0.9 * old[i]);
      }),
    );
  });

  it('AdaGrad', async () => {
    const { w } = await train({ type: 'AdaGrad', base_lr: 0.5, delta: 1e-6 }, 4);
    expectClose(
      w,
      reference(4, (g, st) => {
        const h = get(st, 'h');
        return g.map((x, i) => {
          h[i] += x * x;
          return (0.5 * x) / (Math.sqrt(h[i]) + 1e-6);
        });
      }),
    );
  });

  it('RMSProp', async () => {
    const { w } = await train({ type: 'RMSProp', base_lr: 0.05, rms_decay: 0.9, delta: 1e-6 }, 4);
    expectClose(
      w,
      reference(4, (g, st) => {
        const h = get(st, 'h');
        return g.map((x, i) => {
          h[i] = 0.9 * h[i] + 0.1 * x * x;
          return (0.05 * x) / (Math.sqrt(h[i]) + 1e-6);
        });
      }),
    );
  });

  it('AdaDelta (momentum as the decay)', async () => {
    const { w, solver } = await train({ type: 'AdaDelta', base_lr: 1, momentum: 0.95, delta: 1e-6 }, 4);
    expect((solver as SGDSolver).history).toHaveLength(2 * solver.net.learnableParams.length);
    expectClose(
      w,
      reference(4, (g, st) => {
        const h = get(st, 'h'),
          u = get(st, 'u');
        return g.map((x, i) => {
          h[i] = 0.95 * h[i] + 0.05 * x * x;
          const dx = x * Math.sqrt((1e-6 + u[i]) / (1e-6 + h[i]));
          u[i] = 0.95 * u[i] + 0.05 * dx * dx;
          return dx;
        });
      }),
    );
  });

  it('Adam (bias correction with t = iter + 1)', async () => {
    const { w } = await train({ type: 'Adam', base_lr: 0.1, momentum: 0.9, momentum2: 0.999, delta: 1e-8 }, 4);
    const b1 = Math.fround(0.9),
      b2 = Math.fround(0.999);
    expectClose(
      w,
      reference(4, (g, st, t) => {
        const m = get(st, 'm'),
          v = get(st, 'v');
        const corr = Math.sqrt(1 - b2 ** (t + 1)) / (1 - b1 ** (t + 1));
        return g.map((x, i) => {
          m[i] = b1 * m[i] + (1 - b1) * x;
          v[i] = b2 * v[i] + (1 - b2) * x * x;
          return (0.1 * corr * m[i]) / (Math.sqrt(v[i]) + 1e-8);
        });
      }),
    );
  });

  it('L2 and L1 weight decay, scaled by decay_mult; lr_mult scales the rate', async () => {
    const sgd = (lr: number) => (g: number[]) => g.map((x) => lr * x);
    const l2 = await train({ base_lr: 0.1, weight_decay: 0.05 }, 3, { decay_mult: 2 });
    expectClose(
      l2.w,
      reference(3, sgd(0.1), (w) => w.map((x) => 0.1 * x)),
    );
    const l1 = await train({ base_lr: 0.1, weight_decay: 0.05, regularization_type: 'L1' }, 3);
    expectClose(
      l1.w,
      reference(3, sgd(0.1), (w) => w.map((x) => 0.05 * Math.sign(x))),
    );
    const lr = await train({ base_lr: 0.1 }, 3, { lr_mult: 3 });
    expectClose(lr.w, reference(3, sgd(0.3)));
    await expect(train({ base_lr: 0.1, weight_decay: 0.05, regularization_type: 'L3' }, 1)).rejects.toThrow(
      'Unknown regularization type: L3',
    );
  });

  it('clips the global gradient norm and logs it as Caffe', async () => {
    const { w, lines } = await train({ base_lr: 0.1, clip_gradients: 0.5, display: 1 }, 1);
    const g = W0.map((x, i) => x - T[i]),
      norm = Math.hypot(...g);
    expectClose(
      w,
      W0.map((x, i) => x - (0.1 * g[i] * 0.5) / norm),
    );
    expect(lines).toContain(
      `Gradient clipping: scaling down gradients (L2 norm ${Math.fround(norm).toPrecision(6)} > 0.5) ` +
        `by scale factor ${Math.fround(0.5 / norm).toPrecision(6)}`,
    );
  });

  it('iter_size accumulates and divides the gradient, and averages the loss', async () => {
    // on the golden conv net (a Parameter blob's diff is overwritten by its consumer, as in Caffe, so
    // the quadratic net would not accumulate)
    const dir = tmpDir('caffets-itersize-');
    try {
      lib.writeProtoToBinaryFile(G.initWeights(), 'caffe.NetParameter', path.join(dir, 'init.caffemodel'));
      const run = async (iterSize: number) => {
        const param = {
          net_param: G.netParam(),
          weights: [path.join(dir, 'init.caffemodel')],
          base_lr: 0.1,
          momentum: 0.5,
          lr_policy: 'fixed',
          display: 1,
          max_iter: 3,
          iter_size: iterSize,
          snapshot_after_train: false,
        };
        const { lines, result: s } = await captureLogs(async () => {
          const s = createSolver(param);
          await s.solve();
          return s;
        });
        const losses = bodies(lines)
          .filter((x) => /^Iteration \d+ \(/.test(x))
          .map((x) => x.replace(/.*loss = /, ''));
        return { w: s.net.learnableParams.map((p) => Array.from(p.cpuData())), losses };
      };
      const one = await run(1),
        two = await run(2);
      // the same up to float rounding (GEMM accumulates the second pass onto the first)
      two.w.forEach((w, i) => expectClose(w, one.w[i], 1e-6));
      expect(two.losses).toEqual(one.losses);
      expect(one.losses).toHaveLength(3);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('axpby follows BLAS: y = beta*y, then y += alpha*x', () => {
    const y = Float32Array.from([1, 2]);
    axpby(0.5, Float32Array.from([2, 4]), 0, y);
    expect(Array.from(y)).toEqual([1, 2]);
  });
});

describe('solver registry', () => {
  it("lists Caffe's six types in std::map order", () => {
    expect(solverTypeList()).toEqual(
      expect.arrayContaining(['AdaDelta', 'AdaGrad', 'Adam', 'Nesterov', 'RMSProp', 'SGD']),
    );
    const builtIn = solverTypeList().filter((t) =>
      ['AdaDelta', 'AdaGrad', 'Adam', 'Nesterov', 'RMSProp', 'SGD'].includes(t),
    );
    expect(builtIn).toEqual(['AdaDelta', 'AdaGrad', 'Adam', 'Nesterov', 'RMSProp', 'SGD']);
  });

  it('rejects unknown and duplicate types', () => {
    expect(() => createSolver({ type: 'Lion', net_param: quadraticNet(W0, T), lr_policy: 'fixed' })).toThrow(
      /^Check failed: registry.count\(type\) == 1 \(0 vs. 1\) Unknown solver type: Lion \(known types: AdaDelta, AdaGrad, Adam, /,
    );
    expect(() => registerSolver('SGD', (p) => new SGDSolver(p))).toThrow('Solver type SGD already registered.');
  });

  it('runs a user-registered solver', async () => {
    class SignSolver extends SGDSolver {
      override get type() {
        return 'Sign';
      }
      protected override computeUpdateValue(id: number, rate: number): void {
        const d = this.net.learnableParams[id].mutableCpuDiff();
        for (let i = 0; i < d.length; i++) d[i] = rate * this.net.paramsLr[id] * Math.sign(d[i]);
      }
    }
    registerSolver('Sign', (p) => new SignSolver(p));
    const { w, solver } = await train({ type: 'Sign', base_lr: 0.25 }, 1);
    expect(solver.type).toBe('Sign');
    expect(w).toEqual([0.75, -1.75, 0.25]);
  });

  it("checks the solvers' own parameters as Caffe does", async () => {
    await expect(train({ type: 'AdaGrad', base_lr: 0.1, momentum: 0.9 }, 1)).rejects.toThrow(
      'Check failed: 0 == this->param_.momentum() (0 vs. 0.9) Momentum cannot be used with AdaGrad.',
    );
    await expect(train({ type: 'RMSProp', base_lr: 0.1, momentum: 0.9 }, 1)).rejects.toThrow(
      'Momentum cannot be used with RMSProp.',
    );
    await expect(train({ type: 'RMSProp', base_lr: 0.1, rms_decay: 1 }, 1)).rejects.toThrow(
      'Check failed: this->param_.rms_decay() < 1 (1 vs. 1) rms_decay should lie between 0 and 1.',
    );
  });
});
