// A oneDNN convolution whose batch runs in chunks (native/conv.cc, when a call's scratch would exceed
// the budget) computes what the whole batch does: forward and backward data image by image, the
// weight and bias gradients accumulated over the chunks (and into what dw/db held), with a smaller
// scratch. Uneven chunks (5 images as 2 + 2 + 1) and one image per chunk.
import type { ConvDesc } from '../../src/backend/backend';
import { native } from '../../src/native/addon';
import { Rng } from '../../src/core/rng';

const desc: ConvDesc = {
  num: 5,
  channels: 16,
  height: 12,
  width: 11,
  numOutput: 32,
  group: 2,
  kernelH: 3,
  kernelW: 3,
  strideH: 1,
  strideW: 2,
  padH: 1,
  padW: 1,
  dilationH: 1,
  dilationW: 1,
  outH: 12,
  outW: 6,
  bias: true,
};
const r = new Rng(3);
const rand = (n: number) => Float32Array.from({ length: n }, () => r.next() * 2 - 1);
const x = rand(5 * 16 * 12 * 11),
  w = rand(32 * 8 * 3 * 3),
  b = rand(32),
  dy = rand(5 * 32 * 12 * 6);

function runAll(budget: number) {
  const prev = native().setConvScratchBudget(budget);
  try {
    const c = new (native().Conv)(desc);
    const y = new Float32Array(dy.length),
      dx = new Float32Array(x.length),
      dw = new Float32Array(w.length).fill(0.5),
      db = new Float32Array(b.length).fill(-0.25);
    c.forward(x, w, b, y);
    c.backwardData(dy, w, dx);
    c.backwardWeights(x, dy, dw, db);
    const scratch = c.scratchBytes!(true, true);
    c.dispose();
    return { y, dx, dw, db, scratch };
  } finally {
    native().setConvScratchBudget(prev);
  }
}

function expectClose(a: Float32Array, e: Float32Array) {
  let worst = 0;
  for (let i = 0; i < e.length; i++) worst = Math.max(worst, Math.abs(a[i] - e[i]) / Math.max(1, Math.abs(e[i])));
  expect(worst).toBeLessThan(1e-5);
}

describe('oneDNN convolution in chunks of images', () => {
  const whole = runAll(1 << 30);
  it.each([
    ['2 + 2 + 1 images', 0.45],
    ['one image at a time', 0.01],
  ])('%s: the same outputs and gradients, less scratch', (_name, share) => {
    const perImage = whole.scratch / desc.num;
    const chunked = runAll(Math.floor(perImage * desc.num * share));
    expect(chunked.scratch).toBeLessThan(whole.scratch);
    if (share > 0.1) expect(chunked.scratch).toBeLessThanOrEqual(Math.floor(perImage * desc.num * share));
    expectClose(chunked.y, whole.y);
    expectClose(chunked.dx, whole.dx);
    expectClose(chunked.dw, whole.dw);
    expectClose(chunked.db, whole.db);
  });

  it('the whole batch accumulates into dw and db (Caffe: parameter gradients accumulate)', () => {
    const fresh = runAll(1 << 30);
    expect(fresh.db[0]).not.toBe(-0.25);
    let s = -0.25;
    for (let n = 0; n < desc.num; n++) for (let i = 0; i < 12 * 6; i++) s += dy[n * 32 * 72 + i];
    expect(fresh.db[0]).toBeCloseTo(s, 4);
  });
});
