// Native MAX / AVE pooling against a naive reference written straight from Caffe's Forward_cpu /
// Backward_cpu loops (float arithmetic emulated with Math.fround), on random data across geometries:
// the CEIL extra window, padding 1 and 2 with the "drop a window starting in the padding" rule,
// stride > kernel (including windows that fall off the image), rectangular, global, FLOOR.
import '../../src/layers/Pooling';
import { createLayer } from '../../src/core/layer_factory';
import { Blob } from '../../src/core/blob';
import { pooledSize } from '../../src/layers/Pooling';
import { randomBlob } from '../gradient_checker';
import { describeEngines } from '../engines';

const F = Math.fround;
const FLT_MAX = 3.4028234663852886e38;

interface Geo {
  H: number;
  W: number;
  kH: number;
  kW: number;
  sH: number;
  sW: number;
  pH: number;
  pW: number;
  oH: number;
  oW: number;
}

function refForward(
  method: 'MAX' | 'AVE',
  x: Float32Array,
  planes: number,
  g: Geo,
): { y: Float32Array; mask: Int32Array } {
  const y = new Float32Array(planes * g.oH * g.oW),
    mask = new Int32Array(y.length).fill(-1);
  for (let p = 0; p < planes; p++) {
    const xo = p * g.H * g.W,
      yo = p * g.oH * g.oW;
    for (let ph = 0; ph < g.oH; ph++) {
      for (let pw = 0; pw < g.oW; pw++) {
        let hs = ph * g.sH - g.pH,
          ws = pw * g.sW - g.pW;
        const o = yo + ph * g.oW + pw;
        if (method === 'MAX') {
          const he = Math.min(hs + g.kH, g.H),
            we = Math.min(ws + g.kW, g.W);
          hs = Math.max(hs, 0);
          ws = Math.max(ws, 0);
          y[o] = -FLT_MAX;
          for (let h = hs; h < he; h++)
            for (let w = ws; w < we; w++) {
              if (x[xo + h * g.W + w] > y[o]) {
                y[o] = x[xo + h * g.W + w];
                mask[o] = h * g.W + w;
              }
            }
        } else {
          let he = Math.min(hs + g.kH, g.H + g.pH),
            we = Math.min(ws + g.kW, g.W + g.pW);
          const size = (he - hs) * (we - ws);
          hs = Math.max(hs, 0);
          ws = Math.max(ws, 0);
          he = Math.min(he, g.H);
          we = Math.min(we, g.W);
          let s = 0;
          for (let h = hs; h < he; h++) for (let w = ws; w < we; w++) s = F(s + x[xo + h * g.W + w]);
          y[o] = F(s / size);
        }
      }
    }
  }
  return { y, mask };
}

function refBackward(method: 'MAX' | 'AVE', dy: Float32Array, mask: Int32Array, planes: number, g: Geo): Float32Array {
  const dx = new Float32Array(planes * g.H * g.W);
  for (let p = 0; p < planes; p++) {
    const xo = p * g.H * g.W,
      yo = p * g.oH * g.oW;
    for (let ph = 0; ph < g.oH; ph++) {
      for (let pw = 0; pw < g.oW; pw++) {
        const o = yo + ph * g.oW + pw;
        if (method === 'MAX') {
          if (mask[o] >= 0) dx[xo + mask[o]] += dy[o];
          continue;
        }
        let hs = ph * g.sH - g.pH,
          ws = pw * g.sW - g.pW;
        let he = Math.min(hs + g.kH, g.H + g.pH),
          we = Math.min(ws + g.kW, g.W + g.pW);
        const size = (he - hs) * (we - ws);
        hs = Math.max(hs, 0);
        ws = Math.max(ws, 0);
        he = Math.min(he, g.H);
        we = Math.min(we, g.W);
        for (let h = hs; h < he; h++) for (let w = ws; w < we; w++) dx[xo + h * g.W + w] += F(dy[o] / size);
      }
    }
  }
  return dx;
}

interface Case {
  name: string;
  shape: number[];
  param: Record<string, unknown>;
  out: [number, number];
}

const cases: Case[] = [
  { name: '3x3/2 exact fit', shape: [2, 3, 7, 7], param: { kernel_size: 3, stride: 2 }, out: [3, 3] },
  { name: '3x3/2 CEIL extra window', shape: [2, 3, 6, 6], param: { kernel_size: 3, stride: 2 }, out: [3, 3] },
  { name: '3x3/2 FLOOR', shape: [2, 3, 6, 6], param: { kernel_size: 3, stride: 2, round_mode: 'FLOOR' }, out: [2, 2] },
  { name: '3x3/2 pad 1', shape: [2, 3, 6, 5], param: { kernel_size: 3, stride: 2, pad: 1 }, out: [4, 3] },
  { name: '3x3/2 pad 2', shape: [1, 2, 3, 3], param: { kernel_size: 3, stride: 2, pad: 2 }, out: [3, 3] },
  {
    name: '2x2/2 pad 1, last window dropped',
    shape: [2, 2, 5, 5],
    param: { kernel_size: 2, stride: 2, pad: 1 },
    out: [3, 3],
  },
  { name: '4x4/3 pad 2', shape: [2, 3, 9, 11], param: { kernel_size: 4, stride: 3, pad: 2 }, out: [4, 5] },
  { name: '2x2/3 stride > kernel', shape: [2, 2, 8, 8], param: { kernel_size: 2, stride: 3 }, out: [3, 3] },
  { name: '1x1/3 windows off the image', shape: [1, 2, 5, 7], param: { kernel_size: 1, stride: 3 }, out: [3, 3] },
  {
    name: 'rectangular 3x2, stride 2x1, pad 1x0',
    shape: [2, 3, 7, 6],
    param: { kernel_h: 3, kernel_w: 2, stride_h: 2, stride_w: 1, pad_h: 1, pad_w: 0 },
    out: [4, 5],
  },
  {
    name: 'rectangular 5x3, pad 2x1, FLOOR',
    shape: [2, 2, 10, 9],
    param: { kernel_h: 5, kernel_w: 3, stride: 2, pad_h: 2, pad_w: 1, round_mode: 'FLOOR' },
    out: [5, 5],
  },
  { name: 'global', shape: [2, 3, 5, 7], param: { global_pooling: true }, out: [1, 1] },
];

for (const method of ['MAX', 'AVE'] as const)
  describeEngines(`Pooling ${method} vs the reference loops`, () => {
    it.each(cases)('$name', ({ shape, param, out }) => {
      const x = randomBlob(shape, -1, 1, 77),
        top = new Blob();
      const layer = createLayer({ name: 'p', type: 'Pooling', pooling_param: { pool: method, ...param } });
      layer.setUp([x], [top]);
      layer.forward([x], [top]);
      const [N, C, H, W] = shape,
        oH = top.height,
        oW = top.width;
      expect([oH, oW]).toEqual(out);
      const kH = (param.kernel_h ?? param.kernel_size ?? H) as number,
        kW = (param.kernel_w ?? param.kernel_size ?? W) as number;
      const sH = (param.stride_h ?? param.stride ?? 1) as number,
        sW = (param.stride_w ?? param.stride ?? 1) as number;
      const pH = (param.pad_h ?? param.pad ?? 0) as number,
        pW = (param.pad_w ?? param.pad ?? 0) as number;
      const floor = param.round_mode === 'FLOOR';
      expect([pooledSize(H, kH, pH, sH, floor), pooledSize(W, kW, pW, sW, floor)]).toEqual(out);
      const g: Geo = { H, W, kH, kW, sH, sW, pH, pW, oH, oW };
      const ref = refForward(method, x.cpuData(), N * C, g);
      expect(Array.from(top.cpuData())).toEqual(Array.from(ref.y));
      // backward on random top diffs; bottom diff must be overwritten
      const dy = randomBlob(top.shape.slice(), -1, 1, 5).cpuData();
      top.mutableCpuDiff().set(dy);
      x.mutableCpuDiff().fill(NaN);
      layer.backward([top], [true], [x]);
      expect(Array.from(x.cpuDiff())).toEqual(Array.from(refBackward(method, dy, ref.mask, N * C, g)));
    });
  });

describeEngines('Pooling MAX top mask vs the reference loops', () => {
  it.each(cases)('$name', ({ shape, param }) => {
    const x = randomBlob(shape, -1, 1, 78),
      top = new Blob(),
      mask = new Blob();
    const layer = createLayer({ name: 'p', type: 'Pooling', pooling_param: { pool: 'MAX', ...param } });
    layer.setUp([x], [top, mask]);
    layer.forward([x], [top, mask]);
    const m = mask.cpuData();
    // each mask entry (a plane-local index, or -1) points at the value that was output
    const planeIn = shape[2] * shape[3],
      planeOut = top.height * top.width;
    top.cpuData().forEach((v, o) => {
      const p = Math.floor(o / planeOut);
      if (m[o] >= 0) expect(x.cpuData()[p * planeIn + m[o]]).toBe(v);
      else expect(v).toBe(-FLT_MAX);
    });
  });
});
