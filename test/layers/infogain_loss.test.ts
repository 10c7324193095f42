import * as path from 'path';
import '../../src/layers/InfogainLoss';
import '../../src/layers/SoftmaxWithLoss';
import { createLayer } from '../../src/core/layer_factory';
import { Blob } from '../../src/core/blob';
import { Rng } from '../../src/core/rng';
import { writeProtoToBinaryFile } from '../../src/io/proto_io';
import { checkGradient } from '../gradient_checker';
import { tmpDir } from '../helpers';
import { describeEngines } from '../engines';

const make = (extra: object = {}) => createLayer({ name: 'info', type: 'InfogainLoss', ...extra });
const blob = (shape: number[], v: number[]) => {
  const b = new Blob(shape);
  b.mutableCpuData().set(v);
  return b;
};

/** Caffe's fixture: data 4x2x5x2 uniform [-0.5, 2], labels 4x2x1x2 in {0..4}, H 1x1x5x5 uniform [0.1, 2]; axis 2. */
function fixture(): Blob[] {
  const r = new Rng(1701);
  const x = new Blob([4, 2, 5, 2]),
    lab = new Blob([4, 2, 1, 2]),
    H = new Blob([1, 1, 5, 5]);
  x.mutableCpuData().forEach((_, i, a) => {
    a[i] = r.uniform(-0.5, 2);
  });
  lab.mutableCpuData().forEach((_, i, a) => {
    a[i] = r.int(5);
  });
  H.mutableCpuData().forEach((_, i, a) => {
    a[i] = r.uniform(0.1, 2);
  });
  return [x, lab, H];
}

/** Reference loss sum and count over positions of [outer, C, inner] data (double precision). */
function reference(
  x: Float32Array,
  lab: Float32Array,
  H: Float32Array,
  outer: number,
  C: number,
  inner: number,
  ignore?: number,
) {
  let loss = 0,
    count = 0;
  for (let i = 0; i < outer; i++)
    for (let j = 0; j < inner; j++) {
      const l = lab[i * inner + j];
      if (ignore !== undefined && l === ignore) continue;
      let den = 0;
      for (let c = 0; c < C; c++) den += Math.exp(x[(i * C + c) * inner + j]);
      for (let c = 0; c < C; c++)
        loss -= H[l * C + c] * Math.log(Math.max(Math.exp(x[(i * C + c) * inner + j]) / den, 1e-20));
      count++;
    }
  return { loss, count };
}

describeEngines('InfogainLoss', () => {
  it('Caffe TestInfogainLoss: probabilities top and loss (H as third bottom, axis 2)', () => {
    const b = fixture(),
      loss = new Blob(),
      prob = new Blob();
    const l = make({ infogain_loss_param: { axis: 2 }, loss_weight: [1, 0] });
    l.setUp(b, [loss, prob]);
    l.forward(b, [loss, prob]);
    expect(prob.shape).toEqual([4, 2, 5, 2]);
    const x = b[0].cpuData(),
      p = prob.cpuData();
    for (let i = 0; i < 8; i++)
      for (let j = 0; j < 2; j++) {
        let den = 0;
        for (let c = 0; c < 5; c++) den += Math.exp(x[(i * 5 + c) * 2 + j]);
        for (let c = 0; c < 5; c++)
          expect(Math.abs(p[(i * 5 + c) * 2 + j] - Math.exp(x[(i * 5 + c) * 2 + j]) / den)).toBeLessThan(1e-6);
      }
    const ref = reference(x, b[1].cpuData(), b[2].cpuData(), 8, 5, 2);
    expect(Math.abs(loss.cpuData()[0] - ref.loss / 16)).toBeLessThan(1e-5);
  });

  it('Caffe TestGradient (1e-4, 2e-2), labels and H excluded', () => {
    checkGradient(make({ infogain_loss_param: { axis: 2 } }), fixture(), [new Blob()], {
      stepsize: 1e-4,
      threshold: 2e-2,
      checkBottom: [0],
    });
  });

  it('H = identity equals SoftmaxWithLoss', () => {
    const [x, lab] = fixture();
    const H = new Blob([5, 5]);
    for (let c = 0; c < 5; c++) H.mutableCpuData()[c * 6] = 1;
    const t1 = new Blob(),
      t2 = new Blob();
    const a = make({ infogain_loss_param: { axis: 2 } }),
      s = createLayer({ name: 's', type: 'SoftmaxWithLoss', softmax_param: { axis: 2 } });
    a.setUp([x, lab, H], [t1]);
    a.forward([x, lab, H], [t1]);
    s.setUp([x, lab], [t2]);
    s.forward([x, lab], [t2]);
    expect(t1.cpuData()[0]).toBeCloseTo(t2.cpuData()[0], 5);
  });

  it('reads H from infogain_param.source (a BlobProto file) and matches the bottom form', () => {
    const [x, lab, H] = fixture();
    const file = path.join(tmpDir(), 'H.binaryproto');
    writeProtoToBinaryFile(H.toProto(), 'caffe.BlobProto', file);
    const t1 = new Blob(),
      t2 = new Blob();
    const a = make({ infogain_loss_param: { axis: 2, source: file } }),
      b = make({ infogain_loss_param: { axis: 2 } });
    a.setUp([x, lab], [t1]);
    a.forward([x, lab], [t1]);
    b.setUp([x, lab, H], [t2]);
    b.forward([x, lab, H], [t2]);
    expect(t1.cpuData()[0]).toBe(t2.cpuData()[0]);
    checkGradient(make({ infogain_loss_param: { axis: 2, source: file } }), [x, lab], [new Blob()], {
      stepsize: 1e-4,
      threshold: 2e-2,
      checkBottom: [0],
    });
  });

  describe('ignore_label and normalization', () => {
    // [2, 3] logits (axis 1), labels with one ignored
    const x = blob([3, 3], [1, 2, 0, 0.5, -1, 2, 0, 0, 1]),
      lab = blob([3], [0, 7, 2]);
    const H = blob([3, 3], [1, 0.5, 0, 0.2, 1, 0.1, 0, 0.3, 2]);
    const ref = reference(x.cpuData(), lab.cpuData(), H.cpuData(), 3, 3, 1, 7);
    it.each([
      ['VALID (default)', {}, ref.loss / 2],
      ['FULL', { normalization: 'FULL' }, ref.loss / 3],
      ['BATCH_SIZE', { normalization: 'BATCH_SIZE' }, ref.loss / 3],
      ['NONE', { normalization: 'NONE' }, ref.loss],
    ])('%s', (_n, lp, want) => {
      const top = new Blob(),
        l = make({ loss_param: { ignore_label: 7, ...lp } });
      l.setUp([x, lab, H], [top]);
      l.forward([x, lab, H], [top]);
      expect(top.cpuData()[0]).toBeCloseTo(want as number, 5);
    });
    it.each(['FULL', 'VALID', 'BATCH_SIZE', 'NONE'])('gradient, %s', (mode) => {
      checkGradient(
        make({ loss_param: { ignore_label: 7, normalization: mode } }),
        [blob([3, 3], Array.from(x.cpuData())), lab, H],
        [new Blob()],
        { stepsize: 1e-2, threshold: 1e-2, checkBottom: [0] },
      );
    });
    it('ignored positions get zero gradient', () => {
      const xb = blob([3, 3], Array.from(x.cpuData())),
        top = new Blob(),
        l = make({ loss_param: { ignore_label: 7 } });
      l.setUp([xb, lab, H], [top]);
      l.forward([xb, lab, H], [top]);
      l.backward([top], [true, false, false], [xb, lab, H]);
      expect(Array.from(xb.cpuDiff().subarray(3, 6))).toEqual([0, 0, 0]);
    });
  });

  it('errors', () => {
    const [x, lab, H] = fixture();
    expect(() => make({ infogain_loss_param: { axis: 2 } }).setUp([x, lab], [new Blob()])).toThrow(
      /Infogain matrix source must be specified\./,
    );
    expect(() =>
      make({ infogain_loss_param: { axis: 2 }, loss_param: { normalize: true } }).setUp([x, lab, H], [new Blob()]),
    ).toThrow(/normalize is deprecated\. use "normalization"/);
    expect(() => make({ infogain_loss_param: { axis: 2 } }).setUp([x, lab, new Blob([4, 4])], [new Blob()])).toThrow(
      /H must be 5x5/,
    );
    expect(() =>
      make({ infogain_loss_param: { axis: 2, source: '/nonexistent/H.binaryproto' } }).setUp([x, lab], [new Blob()]),
    ).toThrow(/File not found/);
    const top = new Blob(),
      l = make({ infogain_loss_param: { axis: 2 } });
    l.setUp([x, lab, H], [top]);
    l.forward([x, lab, H], [top]);
    expect(() => l.backward([top], [true, true, false], [x, lab, H])).toThrow(/cannot backpropagate to label inputs/);
    expect(() => l.backward([top], [true, false, true], [x, lab, H])).toThrow(
      'InfogainLoss Layer info cannot backpropagate to infogain inputs.',
    );
    expect([0, 1, 2].map((i) => l.allowForceBackward(i))).toEqual([true, false, false]);
  });
});
