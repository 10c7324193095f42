import '../../src/layers/SoftmaxWithLoss';
import { createLayer } from '../../src/core/layer_factory';
import { Blob } from '../../src/core/blob';
import { Rng } from '../../src/core/rng';
import { CaffeError } from '../../src/util/errors';
import { checkGradient } from '../gradient_checker';
import { describeEngines } from '../engines';

const make = (extra: object = {}) => createLayer({ name: 'loss', type: 'SoftmaxWithLoss', ...extra });

function gaussianBlob(shape: number[], std = 1, seed = 1701): Blob {
  const b = new Blob(shape),
    r = new Rng(seed),
    d = b.mutableCpuData();
  for (let i = 0; i < d.length; i++) d[i] = r.gaussian(0, std);
  return b;
}
function labelBlob(shape: number[], classes: number, seed = 42): Blob {
  const b = new Blob(shape),
    r = new Rng(seed),
    d = b.mutableCpuData();
  for (let i = 0; i < d.length; i++) d[i] = r.int(classes);
  return b;
}
const blob = (shape: number[], v: number[]) => {
  const b = new Blob(shape);
  b.mutableCpuData().set(v);
  return b;
};

/** Reference: per-position -log softmax(x)[label] along axis 1 of [N, C, inner...] (double). */
function nll(x: Float32Array, labels: Float32Array, N: number, C: number, inner: number): number[] {
  const out: number[] = [];
  for (let n = 0; n < N; n++)
    for (let k = 0; k < inner; k++) {
      let m = -Infinity;
      for (let c = 0; c < C; c++) m = Math.max(m, x[(n * C + c) * inner + k]);
      let s = 0;
      for (let c = 0; c < C; c++) s += Math.exp(x[(n * C + c) * inner + k] - m);
      const l = labels[n * inner + k];
      out.push(-(x[(n * C + l) * inner + k] - m - Math.log(s)));
    }
  return out;
}

function forwardLoss(extra: object, bottoms: Blob[], tops: Blob[] = [new Blob()]): number {
  const l = make(extra);
  l.setUp(bottoms, tops);
  l.forward(bottoms, tops);
  return tops[0].cpuData()[0];
}

describeEngines('SoftmaxWithLoss', () => {
  it('forward on hand values: mean of -log p[label] (VALID)', () => {
    const x = blob([2, 3], [1, 2, 3, 0, 0, 0]),
      lab = blob([2], [2, 0]);
    const e = Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3)) - 3,
      f = Math.log(3);
    const top = new Blob();
    const l = make();
    l.setUp([x, lab], [top]);
    expect(top.shape).toEqual([]);
    const weighted = l.forward([x, lab], [top]);
    expect(top.cpuData()[0]).toBeCloseTo((e + f) / 2, 6);
    expect(weighted).toBeCloseTo((e + f) / 2, 6); // loss_weight defaults to 1
  });

  it('loss_weight scales the returned loss, not the top value', () => {
    const x = blob([2, 3], [1, 2, 3, 0, 0, 0]),
      lab = blob([2], [2, 0]),
      top = new Blob();
    const l = make({ loss_weight: [3] });
    l.setUp([x, lab], [top]);
    const w = l.forward([x, lab], [top]);
    expect(w).toBeCloseTo(3 * top.cpuData()[0], 5);
  });

  it('floors probabilities at FLT_MIN: loss = -log(FLT_MIN) when p underflows', () => {
    const x = blob([1, 2], [0, 200]),
      lab = blob([1], [0]);
    expect(forwardLoss({}, [x, lab])).toBeCloseTo(-Math.log(1.1754943508222875e-38), 3); // 87.3365
  });

  describe('normalization', () => {
    // N = 2, C = 3, inner = 2 (spatial), one of four labels ignored (label 1 at position 1)
    const x = gaussianBlob([2, 3, 2], 1, 5);
    const lab = blob([2, 1, 2], [0, 1, 2, 2]);
    const per = nll(x.cpuData(), lab.cpuData(), 2, 3, 2);
    const kept = per[0] + per[2] + per[3],
      all = per.reduce((a, b) => a + b, 0);
    const ig = { ignore_label: 1 };
    it.each([
      ['FULL', { ...ig, normalization: 'FULL' }, kept / 4],
      ['VALID', { ...ig, normalization: 'VALID' }, kept / 3],
      ['VALID (default)', ig, kept / 3],
      ['BATCH_SIZE', { ...ig, normalization: 'BATCH_SIZE' }, kept / 2],
      ['NONE', { ...ig, normalization: 'NONE' }, kept],
      ['normalize: false -> BATCH_SIZE', { ...ig, normalize: false }, kept / 2],
      ['normalize: true -> VALID', { ...ig, normalize: true }, kept / 3],
      ['normalization wins over normalize', { ...ig, normalize: false, normalization: 'NONE' }, kept],
      ['no ignore_label, VALID = FULL', {}, all / 4],
    ])('%s', (_name, lp, want) => {
      expect(forwardLoss({ loss_param: lp }, [x, lab])).toBeCloseTo(want as number, 5);
    });

    it('all labels ignored: normalizer max(1, 0) gives loss 0 and zero gradient', () => {
      const allIg = blob([2, 1, 2], [1, 1, 1, 1]),
        top = new Blob(),
        l = make({ loss_param: ig });
      l.setUp([x, allIg], [top]);
      l.forward([x, allIg], [top]);
      expect(top.cpuData()[0]).toBe(0);
      l.backward([top], [true, false], [x, allIg]);
      expect(Array.from(x.cpuDiff()).every((v) => v === 0)).toBe(true);
    });

    it.each(['FULL', 'VALID', 'BATCH_SIZE', 'NONE'])('gradient with ignore_label, %s', (mode) => {
      checkGradient(
        make({ loss_param: { ignore_label: 1, normalization: mode } }),
        [gaussianBlob([2, 3, 2], 1, 5), lab],
        [new Blob()],
        { stepsize: 1e-2, threshold: 1e-2, checkBottom: [0] },
      );
    });
  });

  it('backward: (p - onehot) * top_diff / normalizer, zero at ignored positions', () => {
    const x = blob([2, 3], [1, 2, 3, 0, 0, 0]),
      lab = blob([2], [2, 5]),
      top = new Blob();
    const l = make({ loss_param: { ignore_label: 5, normalization: 'BATCH_SIZE' } });
    l.setUp([x, lab], [top]);
    l.forward([x, lab], [top]);
    top.mutableCpuDiff()[0] = 4;
    l.backward([top], [true, false], [x, lab]);
    const s = Math.exp(1) + Math.exp(2) + Math.exp(3);
    const want = [Math.exp(1) / s, Math.exp(2) / s, Math.exp(3) / s - 1].map((v) => (v * 4) / 2).concat([0, 0, 0]);
    Array.from(x.cpuDiff()).forEach((v, i) => expect(v).toBeCloseTo(want[i], 6));
  });

  // Caffe's fixture: data 10x5x2x3 gaussian (std 10), labels 10x1x2x3 in {0..4}
  const data = () => gaussianBlob([10, 5, 2, 3], 10);
  const labels = () => labelBlob([10, 1, 2, 3], 5);

  it('Caffe TestForwardIgnoreLabel: ignoring each label in turn sums to 4x the full loss', () => {
    const x = data(),
      lab = labels();
    const full = forwardLoss({ loss_param: { normalize: false } }, [x, lab]);
    let accum = 0;
    for (let label = 0; label < 5; label++)
      accum += forwardLoss({ loss_param: { normalize: false, ignore_label: label } }, [x, lab]);
    expect(Math.abs(4 * full - accum)).toBeLessThan(1e-4 * Math.max(1, Math.abs(accum)));
  });

  it('Caffe TestGradient (loss_weight 3)', () => {
    checkGradient(make({ loss_weight: [3] }), [data(), labels()], [new Blob()], {
      stepsize: 1e-2,
      threshold: 1e-2,
      checkBottom: [0],
    });
  });
  it('Caffe TestGradientIgnoreLabel', () => {
    checkGradient(make({ loss_param: { ignore_label: 0 } }), [data(), labels()], [new Blob()], {
      stepsize: 1e-2,
      threshold: 1e-2,
      checkBottom: [0],
    });
  });
  it('Caffe TestGradientUnnormalized', () => {
    checkGradient(make({ loss_param: { normalize: false } }), [data(), labels()], [new Blob()], {
      stepsize: 1e-2,
      threshold: 1e-2,
      checkBottom: [0],
    });
  });

  it('softmax along axis -1 (labels N x H), forward and gradient', () => {
    const x = gaussianBlob([2, 3, 4], 2),
      lab = labelBlob([2, 3], 4);
    // reference: move the class axis: x[n, h, c] with C = 4 last
    let want = 0;
    const xd = x.cpuData(),
      ld = lab.cpuData();
    for (let p = 0; p < 6; p++) {
      const row = Array.from(xd.subarray(p * 4, p * 4 + 4));
      const m = Math.max(...row),
        lse = m + Math.log(row.reduce((a, v) => a + Math.exp(v - m), 0));
      want += lse - row[ld[p]];
    }
    expect(forwardLoss({ softmax_param: { axis: -1 } }, [x, lab])).toBeCloseTo(want / 6, 5);
    checkGradient(make({ softmax_param: { axis: -1 } }), [x, lab], [new Blob()], {
      stepsize: 1e-2,
      threshold: 1e-2,
      checkBottom: [0],
    });
  });

  it('second top holds the probabilities (shape of bottom[0], sums to 1)', () => {
    const x = gaussianBlob([2, 4, 3]),
      lab = labelBlob([2, 3], 4),
      loss = new Blob(),
      prob = new Blob();
    const l = make({ loss_weight: [1, 0] });
    l.setUp([x, lab], [loss, prob]);
    l.forward([x, lab], [loss, prob]);
    expect(prob.shape).toEqual([2, 4, 3]);
    const p = prob.cpuData();
    for (let n = 0; n < 2; n++)
      for (let k = 0; k < 3; k++) {
        let s = 0;
        for (let c = 0; c < 4; c++) s += p[(n * 4 + c) * 3 + k];
        expect(s).toBeCloseTo(1, 5);
      }
    const per = nll(x.cpuData(), lab.cpuData(), 2, 4, 3);
    expect(loss.cpuData()[0]).toBeCloseTo(per.reduce((a, b) => a + b, 0) / 6, 5);
  });

  describe('errors', () => {
    it('label out of range', () => {
      expect(() => forwardLoss({}, [blob([2, 3], [0, 0, 0, 0, 0, 0]), blob([2], [0, 3])])).toThrow(
        /label 1 is 3; labels must be integer values in \{0, 1, \.\.\., 2\}/,
      );
      expect(() => forwardLoss({}, [blob([2, 3], [0, 0, 0, 0, 0, 0]), blob([2], [-1, 0])])).toThrow(CaffeError);
    });
    it('an ignored label may be out of range', () => {
      expect(
        forwardLoss({ loss_param: { ignore_label: 255 } }, [blob([2, 3], [0, 0, 0, 0, 0, 0]), blob([2], [255, 0])]),
      ).toBeCloseTo(Math.log(3), 6);
    });
    it('non-integral label', () => {
      expect(() => forwardLoss({}, [blob([2, 3], [0, 0, 0, 0, 0, 0]), blob([2], [0.5, 0])])).toThrow(
        /must be integers/,
      );
    });
    it('label count must match', () => {
      expect(() => make().setUp([new Blob([2, 3, 4]), new Blob([2, 3])], [new Blob()])).toThrow(
        /Number of labels must match number of predictions.*\(8 vs\. 6\)/,
      );
    });
    it('first dimensions must match', () => {
      expect(() => make().setUp([new Blob([2, 3]), new Blob([3])], [new Blob()])).toThrow(
        /The data and label should have the same first dimension\. \(2 vs\. 3\)/,
      );
    });
    it('unknown normalization', () => {
      expect(() =>
        forwardLoss({ loss_param: { normalization: 'BOGUS' } }, [blob([1, 2], [0, 0]), blob([1], [0])]),
      ).toThrow(/Unknown normalization mode: BOGUS/);
    });
    it('cannot backpropagate to labels', () => {
      const x = blob([1, 2], [0, 1]),
        lab = blob([1], [0]),
        top = new Blob(),
        l = make();
      l.setUp([x, lab], [top]);
      l.forward([x, lab], [top]);
      expect(() => l.backward([top], [true, true], [x, lab])).toThrow(
        'SoftmaxWithLoss Layer loss cannot backpropagate to label inputs.',
      );
      expect(l.allowForceBackward(1)).toBe(false);
    });
    it('at most two tops', () => {
      expect(() => make().setUp([new Blob([1, 2]), new Blob([1])], [new Blob(), new Blob(), new Blob()])).toThrow(
        /produces at most 2 top blob/,
      );
    });
  });
});
