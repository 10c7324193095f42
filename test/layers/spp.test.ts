// SPP: Caffe's test_spp_layer.cpp (top sizes for 2x3x9x8, 4x3x1024x765 and 10x3x7x7 bottoms, forward +
// backward, gradient (1e-4, 1e-2) with pyramid_height 3), each level against a Pooling layer built with
// Caffe's kernel / stride / pad rule, AVE and pyramid_height 1, a bottom reshaped between forwards, and
// the set-up checks as one-line errors.
import '../../src/layers/SPP';
import '../../src/layers/Pooling';
import { createLayer } from '../../src/core/layer_factory';
import { Blob } from '../../src/core/blob';
import { Layer } from '../../src/core/layer';
import { CaffeError } from '../../src/util/errors';
import { checkGradient, gaussianBlob } from '../gradient_checker';
import { describeEngines } from '../engines';

const make = (spp: object): Layer => createLayer({ name: 'spp', type: 'SPP', spp_param: spp });

function forward(layer: Layer, x: Blob, top = new Blob()): Blob {
  layer.setUp([x], [top]);
  layer.forward([x], [top]);
  return top;
}

/** Level l of the pyramid computed by a plain Pooling layer: kernel = stride = ceil(H / 2^l), pad as Caffe. */
function level(x: Blob, l: number, pool: string): Float32Array {
  const [H, W] = [x.height, x.width],
    bins = 2 ** l;
  const kh = Math.ceil(H / bins),
    kw = Math.ceil(W / bins);
  const p = createLayer({
    name: 'p',
    type: 'Pooling',
    pooling_param: {
      pool,
      kernel_h: kh,
      kernel_w: kw,
      stride_h: kh,
      stride_w: kw,
      pad_h: Math.floor((kh * bins - H + 1) / 2),
      pad_w: Math.floor((kw * bins - W + 1) / 2),
    },
  });
  const top = forward(p, x);
  expect([top.height, top.width]).toEqual([bins, bins]);
  return top.cpuData();
}

describeEngines('SPP', () => {
  it.each([
    [[2, 3, 9, 8], 3, [2, 63]],
    [[4, 3, 1024, 765], 5, [4, 1023]],
    [[10, 3, 7, 7], 3, [10, 63]],
    [[2, 3, 9, 8], 1, [2, 3, 1, 1]],
  ])('Caffe TestSetup / TestEqualOutputDims: %p with pyramid_height %p -> %p', (shape, h, want) => {
    const top = new Blob();
    make({ pyramid_height: h }).setUp([new Blob(shape)], [top]);
    expect(top.shape).toEqual(want);
  });

  it.each(['MAX', 'AVE'])('%s: the top is each level pooled, flattened per item and concatenated', (pool) => {
    const x = gaussianBlob([2, 3, 9, 8]);
    const top = forward(make({ pyramid_height: 3, pool }), x);
    const levels = [0, 1, 2].map((l) => level(x, l, pool));
    const want: number[] = [];
    for (let n = 0; n < 2; n++)
      for (const [l, v] of levels.entries()) {
        const per = 3 * 4 ** l;
        want.push(...v.subarray(n * per, (n + 1) * per));
      }
    expect(Array.from(top.cpuData())).toEqual(want);
  });

  it('pyramid_height 1 is one global-window pooling (N x C x 1 x 1)', () => {
    const x = gaussianBlob([2, 3, 5, 7]);
    const top = forward(make({ pyramid_height: 1 }), x);
    expect(top.shape).toEqual([2, 3, 1, 1]);
    expect(Array.from(top.cpuData())).toEqual(Array.from(level(x, 0, 'MAX')));
  });

  it('rebuilds its pooling levels when the bottom changes shape', () => {
    const l = make({ pyramid_height: 2, pool: 'AVE' }),
      top = new Blob();
    forward(l, gaussianBlob([2, 3, 9, 8]), top);
    expect(top.shape).toEqual([2, 15]);
    const x = gaussianBlob([1, 3, 5, 6], 7);
    l.forward([x], [top]);
    expect(top.shape).toEqual([1, 15]);
    expect(Array.from(top.cpuData().subarray(3))).toEqual(Array.from(level(x, 1, 'AVE')));
  });

  it('Caffe TestGradient (1e-4, 1e-2), pyramid_height 3', () => {
    checkGradient(make({ pyramid_height: 3 }), [gaussianBlob([2, 3, 9, 8])], [new Blob()], {
      stepsize: 1e-4,
      threshold: 1e-2,
    });
  });

  it.each([
    ['AVE, pyramid_height 2', { pyramid_height: 2, pool: 'AVE' }],
    ['MAX, pyramid_height 1', { pyramid_height: 1 }],
  ])('gradient (1e-4, 1e-2), %s', (_n, spp) => {
    checkGradient(make(spp), [gaussianBlob([2, 2, 7, 5])], [new Blob()], { stepsize: 1e-4, threshold: 1e-2 });
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

  it("Caffe's checks are one-line errors", () => {
    const setUp =
      (x: Blob, spp: object = { pyramid_height: 2 }) =>
      () =>
        make(spp).setUp([x], [new Blob()]);
    oneLine(
      setUp(new Blob([2, 3, 4, 4, 4])),
      /SPP layer spp: Check failed: 4 == bottom\[0\]->num_axes\(\) \(4 vs\. 5\) Input must have 4 axes/,
    );
    oneLine(setUp(new Blob([2, 3, 0, 4])), /Check failed: bottom_h_ > 0 \(0 vs\. 0\) Input dimensions cannot be zero/);
    oneLine(setUp(new Blob([2, 3, 4, 4]), {}), /pyramid_height_ > 0 \(0 vs\. 0\)/);
    // 2^2 bins over a 2-pixel height: kernel 1, pad 1, which Pooling refuses as Caffe's does
    oneLine(setUp(new Blob([1, 1, 2, 8]), { pyramid_height: 3 }), /Pooling layer spp\/level2: .*pad_h_ < kernel_h_/);
    const l = make({ pyramid_height: 2 });
    l.setUp([new Blob([1, 1, 4, 4])], [new Blob()]);
    oneLine(() => l.forward([new Blob([1, 4, 4])], [new Blob()]), /Input must have 4 axes/);
  });
});
