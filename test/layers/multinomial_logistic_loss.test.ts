// MultinomialLogisticLoss: Caffe's test_multinomial_logistic_loss_layer.cpp (10x5x1x1 probabilities from a
// positive unit-ball filler, labels in {0..4}, gradient (1e-2, 2e-2) with kink 0 / 0.05), the loss and
// gradient values, the 1e-20 floor, loss_weight, and the set-up / label checks as one-line errors.
import '../../src/layers/MultinomialLogisticLoss';
import { createLayer } from '../../src/core/layer_factory';
import { Blob } from '../../src/core/blob';
import { Rng } from '../../src/core/rng';
import { CaffeError } from '../../src/util/errors';
import { checkGradient } from '../gradient_checker';
import { describeEngines } from '../engines';

const make = (extra: object = {}) => createLayer({ name: 'mll', type: 'MultinomialLogisticLoss', ...extra });

/** Rows of positive values summing to 1 (Caffe's PositiveUnitballFiller) and labels in {0..C-1}. */
function fixture(N = 10, C = 5): Blob[] {
  const r = new Rng(1701),
    p = new Blob([N, C, 1, 1]),
    lab = new Blob([N, 1, 1, 1]);
  const d = p.mutableCpuData();
  for (let n = 0; n < N; n++) {
    let s = 0;
    for (let c = 0; c < C; c++) s += d[n * C + c] = r.uniform(0, 1);
    for (let c = 0; c < C; c++) d[n * C + c] /= s;
  }
  lab.mutableCpuData().forEach((_, i, a) => (a[i] = r.int(C)));
  return [p, lab];
}

function forward(layer = make(), b = fixture()): number {
  const top = new Blob();
  layer.setUp(b, [top]);
  layer.forward(b, [top]);
  return top.cpuData()[0];
}

describeEngines('MultinomialLogisticLoss', () => {
  it('loss = -mean log p[label]', () => {
    const b = fixture(),
      p = b[0].cpuData(),
      lab = b[1].cpuData();
    let want = 0;
    for (let n = 0; n < 10; n++) want -= Math.log(p[n * 5 + lab[n]]);
    expect(forward(make(), b)).toBeCloseTo(want / 10, 6);
  });

  it('probabilities under 1e-20 are floored (loss and gradient stay finite)', () => {
    const p = new Blob([2, 3]),
      lab = new Blob([2]);
    p.mutableCpuData().set([0, 0.5, 0.5, 0.2, 0.3, 0.5]);
    lab.mutableCpuData().set([0, 2]);
    const l = make(),
      top = new Blob();
    l.setUp([p, lab], [top]);
    l.forward([p, lab], [top]);
    const floor = Math.fround(1e-20);
    expect(top.cpuData()[0]).toBeCloseTo((-Math.log(floor) - Math.log(0.5)) / 2, 5);
    l.backward([top], [true, false], [p, lab]);
    const dx = Array.from(p.cpuDiff());
    expect(dx[0]).toBe(Math.fround(Math.fround(-0.5) / floor));
    expect(dx[5]).toBe(-1);
    expect([dx[1], dx[2], dx[3], dx[4]]).toEqual([0, 0, 0, 0]);
  });

  it('Caffe TestGradientCPU (1e-2, 2e-2, kink 0 +- 0.05) w.r.t. the probabilities', () => {
    checkGradient(make(), fixture(), [new Blob()], {
      stepsize: 1e-2,
      threshold: 2e-2,
      kink: 0,
      kinkRange: 0.05,
      checkBottom: [0],
    });
  });

  it('loss_weight scales the loss and the gradient', () => {
    checkGradient(make({ loss_weight: [2.5] }), fixture(4, 3), [new Blob()], {
      stepsize: 1e-3,
      threshold: 1e-2,
      checkBottom: [0],
    });
  });

  it('labels index the flattened C x H x W probabilities of each item', () => {
    const p = new Blob([2, 2, 1, 3]),
      lab = new Blob([2]);
    p.mutableCpuData().set([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.25, 0.5, 0.125]);
    lab.mutableCpuData().set([4, 5]);
    expect(forward(make(), [p, lab])).toBeCloseTo(-(Math.log(0.5) + Math.log(0.125)) / 2, 6);
  });

  const oneLine = (f: () => unknown, re: RegExp) => {
    expect(f).toThrow(CaffeError);
    expect(f).toThrow(re);
    try {
      f();
    } catch (e) {
      expect((e as Error).message).not.toContain('\n');
    }
  };

  it.each([
    [5, /MultinomialLogisticLoss layer mll: label 3 is 5; labels must be integers in \{0, 1, \.\.\., 4\}/],
    [-1, /label 3 is -1/],
    [1.5, /label 3 is 1.5/],
  ])('label %p out of range is a one-line error', (bad, re) => {
    const b = fixture();
    b[1].mutableCpuData()[3] = bad;
    oneLine(() => forward(make(), b), re);
  });

  it("Caffe's shape checks are one-line errors", () => {
    const [p] = fixture();
    oneLine(() => forward(make(), [p, new Blob([10, 2])]), /Check failed: bottom\[1\]->channels\(\) == 1 \(2 vs\. 1\)/);
    oneLine(() => forward(make(), [p, new Blob([9])]), /same first dimension\. \(10 vs\. 9\)/);
    oneLine(
      () => forward(make(), [new Blob([10, 5, 1, 1, 1]), new Blob([10])]),
      /Check failed: bottom\[0\]->num_axes\(\) <= 4 \(5 vs\. 4\) Cannot use legacy accessors/,
    );
  });

  it('cannot backpropagate to the labels', () => {
    const b = fixture(),
      top = new Blob(),
      l = make();
    l.setUp(b, [top]);
    l.forward(b, [top]);
    expect(l.allowForceBackward(1)).toBe(false);
    expect(() => l.backward([top], [true, true], b)).toThrow(/cannot backpropagate to label inputs/);
  });
});
