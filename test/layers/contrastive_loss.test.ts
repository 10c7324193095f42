import '../../src/layers/ContrastiveLoss';
import { createLayer } from '../../src/core/layer_factory';
import { Blob } from '../../src/core/blob';
import { Rng } from '../../src/core/rng';
import { checkGradient } from '../gradient_checker';
import { describeEngines } from '../engines';

const make = (p?: object) =>
  createLayer({ name: 'c', type: 'ContrastiveLoss', ...(p ? { contrastive_loss_param: p } : {}) });
const blob = (shape: number[], v: number[]) => {
  const b = new Blob(shape);
  b.mutableCpuData().set(v);
  return b;
};

/** Caffe's fixture: 512 pairs of 2-d features uniform in [-1, 1] (distances around the margin), y in {0, 1}. */
function fixture(n = 512): Blob[] {
  const r = new Rng(1701);
  const a = new Blob([n, 2, 1, 1]),
    b = new Blob([n, 2, 1, 1]),
    y = new Blob([n, 1, 1, 1]);
  a.mutableCpuData().forEach((_, i, d) => {
    d[i] = r.uniform(-1, 1);
  });
  b.mutableCpuData().forEach((_, i, d) => {
    d[i] = r.uniform(-1, 1);
  });
  y.mutableCpuData().forEach((_, i, d) => {
    d[i] = r.int(2);
  });
  return [a, b, y];
}
function reference(bs: Blob[], margin: number, legacy: boolean): number {
  const a = bs[0].cpuData(),
    b = bs[1].cpuData(),
    y = bs[2].cpuData(),
    n = bs[0].num,
    C = bs[0].channels;
  let loss = 0;
  for (let i = 0; i < n; i++) {
    let sq = 0;
    for (let c = 0; c < C; c++) sq += (a[i * C + c] - b[i * C + c]) ** 2;
    if (y[i]) loss += sq;
    else if (legacy) loss += Math.max(margin - sq, 0);
    else loss += Math.max(margin - Math.sqrt(sq), 0) ** 2;
  }
  return loss / n / 2;
}
function forwardLoss(p: object | undefined, bs: Blob[]): number {
  const top = new Blob(),
    l = make(p);
  l.setUp(bs, [top]);
  l.forward(bs, [top]);
  return top.cpuData()[0];
}

describeEngines('ContrastiveLoss', () => {
  it('hand values: similar d^2, dissimilar max(margin - d, 0)^2, / 2N', () => {
    const bs = [
      blob([3, 2, 1, 1], [0, 0, 0, 0, 1, 1]),
      blob([3, 2, 1, 1], [0.3, 0.4, 0.3, 0.4, 1, 1.2]),
      blob([3, 1, 1, 1], [1, 0, 0]),
    ];
    // d = 0.5 (similar: 0.25), d = 0.5 (dissimilar: (1-0.5)^2 = 0.25), d = 0.2 (dissimilar: 0.64)
    expect(forwardLoss(undefined, bs)).toBeCloseTo((0.25 + 0.25 + 0.64) / 6, 6);
    // margin 2, legacy: max(2 - d^2, 0): 1.75, 1.96
    expect(forwardLoss({ margin: 2, legacy_version: true }, bs)).toBeCloseTo((0.25 + 1.75 + 1.96) / 6, 6);
  });

  it('Caffe TestForward / TestForwardLegacy', () => {
    const bs = fixture();
    expect(Math.abs(forwardLoss(undefined, bs) - reference(bs, 1, false))).toBeLessThan(1e-6);
    expect(Math.abs(forwardLoss({ legacy_version: true }, bs) - reference(bs, 1, true))).toBeLessThan(1e-6);
  });

  it('Caffe TestGradient (both feature bottoms)', () => {
    checkGradient(make(), fixture(), [new Blob()], { stepsize: 1e-2, threshold: 1e-2, checkBottom: [0, 1] });
  });
  it('Caffe TestGradientLegacy', () => {
    checkGradient(make({ legacy_version: true }), fixture(), [new Blob()], {
      stepsize: 1e-2,
      threshold: 1e-2,
      checkBottom: [0, 1],
    });
  });
  it('gradient with a larger margin', () => {
    checkGradient(make({ margin: 2 }), fixture(64), [new Blob()], {
      stepsize: 1e-2,
      threshold: 1e-2,
      checkBottom: [0, 1],
    });
  });

  it('backward: opposite signs on the two features; zero beyond the margin', () => {
    const bs = [blob([2, 1, 1, 1], [0, 0]), blob([2, 1, 1, 1], [0.5, 3]), blob([2, 1, 1, 1], [1, 0])];
    const top = new Blob(),
      l = make();
    l.setUp(bs, [top]);
    l.forward(bs, [top]);
    l.backward([top], [true, true, false], bs);
    expect(bs[0].cpuDiff()[0]).toBeCloseTo(-0.5 / 2, 6);
    expect(bs[1].cpuDiff()[0]).toBeCloseTo(0.5 / 2, 6);
    expect(bs[0].cpuDiff()[1]).toBe(0);
    expect(l.allowForceBackward(0) && l.allowForceBackward(1) && !l.allowForceBackward(2)).toBe(true);
  });

  it('shape checks', () => {
    expect(() =>
      make().setUp([new Blob([2, 2, 1, 1]), new Blob([2, 3, 1, 1]), new Blob([2, 1, 1, 1])], [new Blob()]),
    ).toThrow(/channels\(\) == bottom\[1\]->channels\(\) \(2 vs\. 3\)/);
    expect(() =>
      make().setUp([new Blob([2, 2, 2, 1]), new Blob([2, 2, 2, 1]), new Blob([2, 1, 1, 1])], [new Blob()]),
    ).toThrow(/height\(\) == 1/);
    expect(() => make().setUp([new Blob([2, 2]), new Blob([2, 2]), new Blob([2, 2])], [new Blob()])).toThrow(
      /bottom\[2\]->channels\(\) == 1/,
    );
    expect(() => make().setUp([new Blob([2, 2]), new Blob([2, 2])], [new Blob()])).toThrow(/takes 3 bottom blob/);
  });
});
