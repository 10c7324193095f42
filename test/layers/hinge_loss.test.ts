import '../../src/layers/HingeLoss';
import { createLayer } from '../../src/core/layer_factory';
import { Blob } from '../../src/core/blob';
import { Rng } from '../../src/core/rng';
import { checkGradient } from '../gradient_checker';
import { describeEngines } from '../engines';

const make = (p?: object) => createLayer({ name: 'hinge', type: 'HingeLoss', ...(p ? { hinge_loss_param: p } : {}) });
const blob = (shape: number[], v: number[]) => {
  const b = new Blob(shape);
  b.mutableCpuData().set(v);
  return b;
};

/** Caffe's fixture: data 10x5 gaussian (std 10), kept away from the hinge kinks at +-1; labels in {0..4}. */
function fixture(): Blob[] {
  const r = new Rng(1701),
    x = new Blob([10, 5, 1, 1]),
    lab = new Blob([10, 1, 1, 1]);
  const d = x.mutableCpuData();
  for (let i = 0; i < d.length; i++) {
    let v = r.gaussian(0, 10);
    if (Math.abs(Math.abs(v) - 1) < 0.05) v += 0.2;
    d[i] = v;
  }
  const l = lab.mutableCpuData();
  for (let i = 0; i < l.length; i++) l[i] = r.int(5);
  return [x, lab];
}

describeEngines('HingeLoss', () => {
  // two examples, three classes
  const x = () => blob([2, 3], [0.5, -2, 0.8, 2, -0.5, 1.5]);
  const lab = () => blob([2], [0, 2]);
  // margins: ex0: t=[-1,1,1]: max(0,1-0.5)=0.5, max(0,1-2)=0, max(0,1.8)=1.8
  //          ex1: t=[1,1,-1]: max(0,3)=3, max(0,0.5)=0.5, max(0,1-1.5)=0
  const run = (p: object | undefined, w = 1) => {
    const b = [x(), lab()],
      top = new Blob(),
      l = make(p);
    l.setUp(b, [top]);
    l.forward(b, [top]);
    top.mutableCpuDiff()[0] = w;
    l.backward([top], [true, false], b);
    return { loss: top.cpuData()[0], grad: Array.from(b[0].cpuDiff()) };
  };

  it('L1 (default): sum of margins / N and its gradient', () => {
    const { loss, grad } = run(undefined, 2);
    expect(loss).toBeCloseTo((0.5 + 0 + 1.8 + 3 + 0.5 + 0) / 2, 6);
    expect(grad).toEqual([-1, 0, 1, 1, 1, 0].map((v) => (v * 2) / 2));
  });

  it('L2: sum of squared margins / N and its gradient', () => {
    const { loss, grad } = run({ norm: 'L2' }, 2);
    expect(loss).toBeCloseTo((0.25 + 3.24 + 9 + 0.25) / 2, 5);
    [-0.5, 0, 1.8, 3, 0.5, 0].forEach((m, i) => expect(grad[i]).toBeCloseTo((m * 2 * 2) / 2, 5));
  });

  it('Caffe TestGradientL1 (1e-2, 2e-3)', () => {
    checkGradient(make(), fixture(), [new Blob()], { stepsize: 1e-2, threshold: 2e-3, checkBottom: [0] });
  });
  it('Caffe TestGradientL2 (1e-2, 1e-2)', () => {
    checkGradient(make({ norm: 'L2' }), fixture(), [new Blob()], { stepsize: 1e-2, threshold: 1e-2, checkBottom: [0] });
  });

  it('errors: label range, labels get no gradient', () => {
    const b = [x(), blob([2], [0, 3])],
      top = new Blob(),
      l = make();
    l.setUp(b, [top]);
    expect(() => l.forward(b, [top])).toThrow(/labels must be integer values in \{0, 1, \.\.\., 2\}/);
    const c = [x(), lab()],
      l2 = make();
    l2.setUp(c, [top]);
    l2.forward(c, [top]);
    expect(() => l2.backward([top], [true, true], c)).toThrow(/cannot backpropagate to label inputs/);
  });
});
