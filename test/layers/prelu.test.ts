import '../../src/layers/PReLU';
import '../../src/layers/ReLU';
import '../../src/layers/InnerProduct';
import { createLayer } from '../../src/core/layer_factory';
import { Blob } from '../../src/core/blob';
import { setRandomSeed } from '../../src/core/rng';
import { setLogSink } from '../../src/util/logging';
import { checkGradient, checkInPlace, gaussianBlob, f32 } from '../gradient_checker';
import { describeEngines } from '../engines';

const make = (p: object = {}, extra: object = {}) =>
  createLayer({ name: 'p', type: 'PReLU', prelu_param: p, ...extra });

describeEngines('PReLU', () => {
  beforeEach(() => setRandomSeed(1701));

  it('has one slope per channel, 0.25 by default', () => {
    const l = make(),
      y = new Blob();
    l.setUp([gaussianBlob([2, 3, 4, 5])], [y]);
    expect(l.blobs.length).toBe(1);
    expect(l.blobs[0].shape).toEqual([3]);
    expect(Array.from(l.blobs[0].cpuData())).toEqual([0.25, 0.25, 0.25]);
    expect(l.paramPropagate(0)).toBe(true);
  });

  it('has one scalar slope with channel_shared, and honours filler', () => {
    const l = make({ channel_shared: true, filler: { type: 'constant', value: 0.1 } });
    l.setUp([gaussianBlob([2, 3, 4, 5])], [new Blob()]);
    expect(l.blobs[0].shape).toEqual([]);
    expect(l.blobs[0].count).toBe(1);
    expect(l.blobs[0].cpuData()[0]).toBeCloseTo(0.1, 7);
  });

  it('forward per channel (hand-computed)', () => {
    const x = new Blob([1, 2, 1, 2]);
    x.mutableCpuData().set([-1, 2, -4, 3]);
    const y = new Blob(),
      l = make();
    l.setUp([x], [y]);
    l.blobs[0].mutableCpuData().set([0.5, 0.25]);
    l.forward([x], [y]);
    expect(Array.from(y.cpuData())).toEqual([-0.5, 2, -1, 3]);
  });

  it('forward channel-shared and on a 2-D (N x C) bottom', () => {
    const x = new Blob([2, 2]);
    x.mutableCpuData().set([-2, 1, 3, -8]);
    const y = new Blob(),
      l = make({ channel_shared: true });
    l.setUp([x], [y]);
    l.forward([x], [y]);
    expect(Array.from(y.cpuData())).toEqual([-0.5, 1, 3, -2]);
    const l2 = make(),
      y2 = new Blob();
    l2.setUp([x], [y2]);
    l2.blobs[0].mutableCpuData().set([0.5, 0.125]);
    l2.forward([x], [y2]);
    expect(Array.from(y2.cpuData())).toEqual([-1, 1, 3, -1]);
  });

  it('forward matches max(x,0) + a_c min(x,0) on random data (Caffe TestPReLUForward)', () => {
    const x = gaussianBlob([2, 3, 4, 5]),
      y = new Blob(),
      l = make({ filler: { type: 'gaussian' } });
    l.setUp([x], [y]);
    l.forward([x], [y]);
    const a = l.blobs[0].cpuData(),
      xd = x.cpuData(),
      yd = y.cpuData();
    for (let i = 0; i < xd.length; i++) {
      const c = Math.floor(i / 20) % 3;
      expect(yd[i]).toBe(Math.fround(Math.max(xd[i], 0) + a[c] * Math.min(xd[i], 0)));
    }
  });

  it('gradient (slopes gaussian)', () =>
    checkGradient(make({ filler: { type: 'gaussian' } }), [gaussianBlob([2, 3, 4, 5])], [new Blob()], {
      stepsize: 1e-2,
      threshold: 1e-3,
      kink: 0,
      kinkRange: 0.01,
    }));

  it('gradient, channel_shared', () =>
    checkGradient(make({ channel_shared: true }), [gaussianBlob([2, 3, 4, 5])], [new Blob()], {
      stepsize: 1e-2,
      threshold: 1e-3,
      kink: 0,
      kinkRange: 0.01,
    }));

  it('is consistent with ReLU(negative_slope 0.25), forward and backward', () => {
    const x = gaussianBlob([2, 3, 4, 5]),
      x2 = new Blob(x.shape);
    x2.mutableCpuData().set(x.cpuData());
    const p = make(),
      r = createLayer({ name: 'r', type: 'ReLU', relu_param: { negative_slope: 0.25 } });
    const y = new Blob(),
      y2 = new Blob();
    p.setUp([x], [y]);
    r.setUp([x2], [y2]);
    p.forward([x], [y]);
    r.forward([x2], [y2]);
    expect(Array.from(y.cpuData())).toEqual(Array.from(y2.cpuData()));
    const g = gaussianBlob([2, 3, 4, 5], 7).cpuData();
    y.mutableCpuDiff().set(g);
    y2.mutableCpuDiff().set(g);
    p.backward([y], [true], [x]);
    r.backward([y2], [true], [x2]);
    expect(Array.from(x.cpuDiff())).toEqual(Array.from(x2.cpuDiff()));
  });

  it('in place: forward', () => checkInPlace(() => make({ filler: { type: 'constant', value: 0.3 } }), [2, 3, 4, 5]));

  it('in place: backward gives the same bottom and slope diffs (Caffe TestPReLUInPlace)', () => {
    const ipParam = { num_output: 3, weight_filler: { type: 'gaussian' } };
    const x1 = gaussianBlob([2, 3, 4, 5]),
      x2 = gaussianBlob([2, 3, 4, 5]);
    const ip1 = createLayer({ name: 'ip', type: 'InnerProduct', inner_product_param: ipParam });
    const ip2 = createLayer({ name: 'ip', type: 'InnerProduct', inner_product_param: ipParam });
    const p1 = make(),
      p2 = make();
    const mid1 = new Blob(),
      mid2 = new Blob(),
      top2 = new Blob();
    ip1.setUp([x1], [mid1]);
    p1.setUp([mid1], [mid1]);
    ip2.setUp([x2], [mid2]);
    p2.setUp([mid2], [top2]);
    ip2.blobs[0].mutableCpuData().set(ip1.blobs[0].cpuData());
    ip1.forward([x1], [mid1]);
    p1.forward([mid1], [mid1]);
    ip2.forward([x2], [mid2]);
    p2.forward([mid2], [top2]);
    expect(Array.from(mid1.cpuData())).toEqual(Array.from(top2.cpuData()));
    const g = gaussianBlob([2, 3], 9).cpuData();
    mid1.mutableCpuDiff().set(g);
    top2.mutableCpuDiff().set(g);
    for (const l of [ip1, ip2, p1, p2]) for (const b of l.blobs) b.mutableCpuDiff().fill(0);
    p1.paramPropagateDown = [true];
    p2.paramPropagateDown = [true];
    p1.backward([mid1], [true], [mid1]);
    ip1.backward([mid1], [true], [x1]);
    p2.backward([top2], [true], [mid2]);
    ip2.backward([mid2], [true], [x2]);
    const close = (a: Float32Array, b: Float32Array) => a.forEach((v, i) => expect(v).toBeCloseTo(b[i], 5));
    close(x1.cpuDiff(), x2.cpuDiff());
    close(ip1.blobs[0].cpuDiff(), ip2.blobs[0].cpuDiff());
    close(ip1.blobs[1].cpuDiff(), ip2.blobs[1].cpuDiff());
    close(p1.blobs[0].cpuDiff(), p2.blobs[0].cpuDiff());
  });

  it('slope diff accumulates dy * x where x <= 0', () => {
    const x = new Blob([1, 2, 1, 2]);
    x.mutableCpuData().set([-1, 2, -4, 3]);
    const y = new Blob(),
      l = make();
    l.setUp([x], [y]);
    l.forward([x], [y]);
    y.mutableCpuDiff().set([1, 1, 0.5, 1]);
    l.blobs[0].mutableCpuDiff().set([10, 20]);
    l.backward([y], [true], [x]);
    expect(Array.from(l.blobs[0].cpuDiff())).toEqual([9, 18]);
    expect(Array.from(x.cpuDiff())).toEqual(f32([0.25, 1, 0.125, 1]));
  });

  it('rejects a bottom with fewer than 2 axes and a wrong slope count', () => {
    expect(() => make().setUp([new Blob([4])], [new Blob()])).toThrow('Number of axes of bottom blob must be >=2.');
    const restore = setLogSink(() => {});
    try {
      const l = make({}, { blobs: [{ shape: { dim: [2] }, data: [0.1, 0.2] }] });
      expect(() => l.setUp([new Blob([1, 3, 2])], [new Blob()])).toThrow(
        'Negative slope size is inconsistent with prototxt config',
      );
    } finally {
      restore();
    }
  });
});
