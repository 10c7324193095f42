import '../../src/layers/Accuracy';
import { createLayer } from '../../src/core/layer_factory';
import { Blob } from '../../src/core/blob';
import { Rng } from '../../src/core/rng';
import { gaussianBlob } from '../gradient_checker';
import { describeEngines } from '../engines';

const make = (p: object = {}) => createLayer({ name: 'acc', type: 'Accuracy', accuracy_param: p });
const blob = (shape: number[], v: number[]) => {
  const b = new Blob(shape);
  b.mutableCpuData().set(v);
  return b;
};

function labelBlob(shape: number[], classes: number, seed = 42): Blob {
  const b = new Blob(shape),
    r = new Rng(seed),
    d = b.mutableCpuData();
  for (let i = 0; i < d.length; i++) d[i] = r.int(classes);
  return b;
}

function run(p: object, bottoms: Blob[], nTops = 1): Blob[] {
  const tops = Array.from({ length: nTops }, () => new Blob());
  const l = make(p);
  l.setUp(bottoms, tops);
  l.forward(bottoms, tops);
  return tops;
}

/** Reference: correct when fewer than top_k OTHER classes score >= the true class. */
function refAccuracy(x: Float32Array, labels: Float32Array, N: number, C: number, topK: number, ignore?: number) {
  let correct = 0,
    count = 0;
  const perOk = new Array(C).fill(0),
    perN = new Array(C).fill(0);
  for (let n = 0; n < N; n++) {
    const l = labels[n];
    if (ignore !== undefined && l === ignore) continue;
    count++;
    perN[l]++;
    const v = x[n * C + l];
    let geOthers = 0;
    for (let c = 0; c < C; c++) if (c !== l && x[n * C + c] >= v) geOthers++;
    if (geOthers < topK) {
      correct++;
      perOk[l]++;
    }
  }
  return { acc: count ? correct / count : 0, per: perOk.map((k, c) => (perN[c] ? k / perN[c] : 0)) };
}

describeEngines('Accuracy', () => {
  it('hand values: argmax hits and misses; top is a scalar', () => {
    const x = blob([3, 3], [0.1, 0.7, 0.2, 0.9, 0.05, 0.05, 0.3, 0.3, 0.4]);
    const [top] = run({}, [x, blob([3], [1, 1, 2])]);
    expect(top.shape).toEqual([]);
    expect(top.cpuData()[0]).toBeCloseTo(2 / 3, 6);
  });

  it('ties count against the true class (Caffe uses >=)', () => {
    // scores 1, 1, 0: with top_k 1 neither tied class is correct; with top_k 2 both are
    const x = blob([2, 3], [1, 1, 0, 1, 1, 0]),
      lab = blob([2], [0, 1]);
    expect(run({}, [x, lab])[0].cpuData()[0]).toBe(0);
    expect(run({ top_k: 2 }, [x, lab])[0].cpuData()[0]).toBe(1);
    // three-way tie at the top with top_k 2: miss
    const y = blob([1, 4], [5, 5, 5, 1]);
    expect(run({ top_k: 2 }, [y, blob([1], [1])])[0].cpuData()[0]).toBe(0);
    expect(run({ top_k: 3 }, [y, blob([1], [1])])[0].cpuData()[0]).toBe(1);
  });

  it('top_k on hand values', () => {
    const x = blob([2, 4], [0.1, 0.2, 0.3, 0.4, 4, 3, 2, 1]);
    const lab = blob([2], [1, 2]); // ranks 3 and 3 (1-based)
    expect(run({ top_k: 2 }, [x, lab])[0].cpuData()[0]).toBe(0);
    expect(run({ top_k: 3 }, [x, lab])[0].cpuData()[0]).toBe(1);
  });

  it('ignore_label skips positions; all ignored gives 0', () => {
    const x = blob([3, 2], [1, 0, 1, 0, 0, 1]);
    expect(run({ ignore_label: -1 }, [x, blob([3], [0, 1, -1])])[0].cpuData()[0]).toBeCloseTo(0.5, 6);
    expect(run({ ignore_label: -1 }, [x, blob([3], [-1, -1, -1])])[0].cpuData()[0]).toBe(0);
  });

  it('per-class top: shape [C], accuracy per true class, 0 for absent classes', () => {
    const x = blob([4, 3], [1, 0, 0, 1, 0, 0, 0, 1, 0, 1, 0, 0]);
    const [acc, per] = run({}, [x, blob([4], [0, 1, 1, 0])], 2);
    expect(per.shape).toEqual([3]);
    expect(acc.cpuData()[0]).toBeCloseTo(0.75, 6);
    expect(Array.from(per.cpuData())).toEqual([1, 0.5, 0]);
  });

  // Caffe's fixture: 100 x 10 gaussian scores, labels in {0..9}
  const data = () => gaussianBlob([100, 10]);
  const labels = () => labelBlob([100], 10);

  it('Caffe TestSetup / TestSetupOutputPerClass shapes', () => {
    const [a, p] = run({}, [data(), labels()], 2);
    expect(a.count).toBe(1);
    expect(p.shape).toEqual([10]);
    expect(run({ top_k: 5 }, [data(), labels()])[0].count).toBe(1);
  });

  it.each([[1], [3]])('Caffe TestForward / TestForwardTopK (top_k %d), repeated forwards', (k) => {
    const x = data(),
      lab = labels(),
      top = new Blob(),
      l = make({ top_k: k });
    l.setUp([x, lab], [top]);
    const want = refAccuracy(x.cpuData(), lab.cpuData(), 100, 10, k).acc;
    for (let it = 0; it < 3; it++) {
      l.forward([x, lab], [top]);
      expect(top.cpuData()[0]).toBeCloseTo(want, 5);
    }
  });

  it('Caffe TestForwardIgnoreLabel / PerClassWithIgnoreLabel', () => {
    const x = data(),
      lab = labels();
    const ld = lab.mutableCpuData();
    ld[2] = -1;
    ld[5] = -1;
    ld[32] = -1;
    const ref = refAccuracy(x.cpuData(), ld, 100, 10, 1, -1);
    const [a, p] = run({ ignore_label: -1 }, [x, lab], 2);
    expect(a.cpuData()[0]).toBeCloseTo(ref.acc, 5);
    Array.from(p.cpuData()).forEach((v, c) => expect(v).toBeCloseTo(ref.per[c], 5));
  });

  it('Caffe TestForwardPerClass', () => {
    const x = data(),
      lab = labels();
    const ref = refAccuracy(x.cpuData(), lab.cpuData(), 100, 10, 1);
    const [a, p] = run({}, [x, lab], 2);
    expect(a.cpuData()[0]).toBeCloseTo(ref.acc, 5);
    Array.from(p.cpuData()).forEach((v, c) => expect(v).toBeCloseTo(ref.per[c], 5));
  });

  it('Caffe TestForwardWithSpatialAxes (2x10x4x5, labels 2x4x5)', () => {
    const x = gaussianBlob([2, 10, 4, 5]),
      lab = labelBlob([2, 4, 5], 10);
    const xd = x.cpuData(),
      ld = lab.cpuData();
    let ok = 0;
    for (let n = 0; n < 2; n++)
      for (let s = 0; s < 20; s++) {
        let best = 0;
        for (let c = 1; c < 10; c++) if (xd[(n * 10 + c) * 20 + s] > xd[(n * 10 + best) * 20 + s]) best = c;
        if (best === ld[n * 20 + s]) ok++;
      }
    expect(run({ axis: 1 }, [x, lab])[0].cpuData()[0]).toBeCloseTo(ok / 40, 6);
  });

  it('label axis -1', () => {
    const x = blob([2, 2, 3], [3, 1, 2, 0, 5, 1, 1, 1, 0, 2, 0, 0]),
      lab = blob([2, 2], [0, 1, 2, 0]);
    // rows: [3,1,2] label 0 ok; [0,5,1] label 1 ok; [1,1,0] label 2 miss; [2,0,0] label 0 ok
    expect(run({ axis: -1 }, [x, lab])[0].cpuData()[0]).toBeCloseTo(0.75, 6);
  });

  it('errors: top_k > classes, label count, bad labels, no backward', () => {
    expect(() => run({ top_k: 4 }, [new Blob([2, 3]), new Blob([2])])).toThrow(
      /top_k must be less than or equal to the number of classes\. \(4 vs\. 3\)/,
    );
    expect(() => run({}, [new Blob([2, 3, 2]), new Blob([2])])).toThrow(/Number of labels must match/);
    expect(() => run({}, [new Blob([2, 3]), blob([2], [0, 3])])).toThrow(
      /labels must be integer values in \{0, 1, \.\.\., 2\}/,
    );
    expect(() => run({}, [new Blob([2, 3]), blob([2], [0, 1.5])])).toThrow(/must be integers/);
    const x = new Blob([2, 3]),
      lab = blob([2], [0, 1]),
      top = new Blob(),
      l = make();
    l.setUp([x, lab], [top]);
    l.forward([x, lab], [top]);
    expect(() => l.backward([top], [true, false], [x, lab])).toThrow(/Not Implemented/);
    expect(() => l.backward([top], [false, false], [x, lab])).not.toThrow();
  });
});
