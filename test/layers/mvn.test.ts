import '../../src/layers/MVN';
import { createLayer } from '../../src/core/layer_factory';
import { Blob } from '../../src/core/blob';
import { Rng } from '../../src/core/rng';
import { checkGradient, checkInPlace, gaussianBlob } from '../gradient_checker';
import { describeEngines } from '../engines';

const make = (p: object = {}) => createLayer({ name: 'mvn', type: 'MVN', mvn_param: p });
const blob = (shape: number[], v: number[]) => {
  const b = new Blob(shape);
  b.mutableCpuData().set(v);
  return b;
};
function run(p: object, x: Blob): Blob {
  const top = new Blob(),
    l = make(p);
  l.setUp([x], [top]);
  l.forward([x], [top]);
  return top;
}
/** mean and E[y^2] of each of `groups` consecutive runs of y */
function moments(y: Float32Array, groups: number): Array<[number, number]> {
  const dim = y.length / groups,
    out: Array<[number, number]> = [];
  for (let g = 0; g < groups; g++) {
    let s = 0,
      q = 0;
    for (let k = 0; k < dim; k++) {
      s += y[g * dim + k];
      q += y[g * dim + k] ** 2;
    }
    out.push([s / dim, q / dim]);
  }
  return out;
}

describeEngines('MVN', () => {
  it('hand values: (x - mean) / (sqrt(var) + eps), eps on the std', () => {
    // one plane [1, 2, 3, 4]: mean 2.5, var 1.25
    const x = blob([1, 1, 2, 2], [1, 2, 3, 4]),
      sd = Math.sqrt(1.25);
    const y = Array.from(run({}, x).cpuData());
    [-1.5, -0.5, 0.5, 1.5].forEach((d, i) => expect(y[i]).toBeCloseTo(d / sd, 6));
    const ye = Array.from(run({ eps: 0.5 }, x).cpuData());
    [-1.5, -0.5, 0.5, 1.5].forEach((d, i) => expect(ye[i]).toBeCloseTo(d / (sd + 0.5), 6));
    expect(Array.from(run({ normalize_variance: false }, x).cpuData())).toEqual([-1.5, -0.5, 0.5, 1.5]);
  });

  it('a constant plane maps to 0 (eps avoids 0/0)', () => {
    expect(Array.from(run({}, blob([1, 1, 1, 3], [2, 2, 2])).cpuData())).toEqual([0, 0, 0]);
  });

  it('across_channels normalises each example over C x H x W', () => {
    const x = blob([1, 2, 1, 2], [1, 2, 3, 4]),
      sd = Math.sqrt(1.25);
    const y = Array.from(run({ across_channels: true }, x).cpuData());
    [-1.5, -0.5, 0.5, 1.5].forEach((d, i) => expect(y[i]).toBeCloseTo(d / sd, 6));
    const yc = Array.from(run({}, x).cpuData()); // per channel: [1,2] and [3,4]
    [-1, 1, -1, 1].forEach((v, i) => expect(yc[i]).toBeCloseTo(v, 6));
  });

  it('reshapes the top to the legacy 4-d shape', () => {
    const top = new Blob();
    make().setUp([new Blob([3, 5])], [top]);
    expect(top.shape).toEqual([3, 5, 1, 1]);
  });

  // Caffe's fixture: 2 x 3 x 4 x 5 gaussian
  it('Caffe TestForward: each plane has mean 0 and variance 1', () => {
    for (const [m, v] of moments(run({}, gaussianBlob([2, 3, 4, 5])).cpuData(), 6)) {
      expect(Math.abs(m)).toBeLessThan(1e-3);
      expect(Math.abs(v - 1)).toBeLessThan(1e-3);
    }
  });
  it('Caffe TestForwardMeanOnly', () => {
    for (const [m] of moments(run({ normalize_variance: false }, gaussianBlob([2, 3, 4, 5])).cpuData(), 6)) {
      expect(Math.abs(m)).toBeLessThan(1e-3);
    }
  });
  it('Caffe TestForwardAcrossChannels', () => {
    for (const [m, v] of moments(run({ across_channels: true }, gaussianBlob([2, 3, 4, 5])).cpuData(), 2)) {
      expect(Math.abs(m)).toBeLessThan(1e-3);
      expect(Math.abs(v - 1)).toBeLessThan(1e-3);
    }
  });

  it.each([
    ['default', {}],
    ['mean only', { normalize_variance: false }],
    ['across channels', { across_channels: true }],
    ['across channels, mean only', { across_channels: true, normalize_variance: false }],
  ])('gradient, %s (Caffe: 1e-2, 1e-3)', (_n, p) => {
    checkGradient(make(p), [gaussianBlob([2, 3, 4, 5])], [new Blob()], { stepsize: 1e-2, threshold: 1e-3 });
  });

  it('in place', () => checkInPlace(() => make(), [2, 3, 4, 5]));

  it('in-place backward equals out-of-place backward', () => {
    const shape = [2, 3, 2, 2],
      r = new Rng(9);
    const dy = Float32Array.from({ length: 24 }, () => r.uniform(-1, 1));
    const a = gaussianBlob(shape),
      ta = new Blob(),
      la = make();
    la.setUp([a], [ta]);
    la.forward([a], [ta]);
    ta.mutableCpuDiff().set(dy);
    la.backward([ta], [true], [a]);
    const b = gaussianBlob(shape),
      lb = make();
    lb.setUp([b], [b]);
    lb.forward([b], [b]);
    b.mutableCpuDiff().set(dy);
    lb.backward([b], [true], [b]);
    Array.from(b.cpuDiff()).forEach((v, i) => expect(v).toBeCloseTo(a.cpuDiff()[i], 6));
  });
});
