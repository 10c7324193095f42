import '../../src/layers/ArgMax';
import { createLayer } from '../../src/core/layer_factory';
import { Blob } from '../../src/core/blob';
import { gaussianBlob } from '../gradient_checker';
import { describeEngines } from '../engines';

const make = (p: object = {}) => createLayer({ name: 'am', type: 'ArgMax', argmax_param: p });
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

describeEngines('ArgMax', () => {
  // Caffe's fixture: 10 x 10 x 20 x 20 gaussian
  const big = gaussianBlob([10, 10, 20, 20]);
  const at = (b: Blob, i: number[]) => b.cpuData()[i.reduce((o, v, k) => o * b.shape[k] + v, 0)];

  describe('shapes (Caffe TestSetup*)', () => {
    it.each([
      [{}, [10, 1, 1, 1]],
      [{ out_max_val: true }, [10, 2, 1, 1]],
      [{ top_k: 5 }, [10, 1, 5, 1]],
      [{ out_max_val: true, top_k: 5 }, [10, 2, 5, 1]],
      [{ axis: 0 }, [1, 10, 20, 20]],
      [{ axis: -2 }, [10, 10, 1, 20]],
      [{ axis: 2, out_max_val: true }, [10, 10, 1, 20]],
      [{ axis: 3, top_k: 5 }, [10, 10, 20, 5]],
    ])('%j -> %j', (p, shape) => {
      const top = new Blob();
      make(p).setUp([big], [top]);
      expect(top.shape).toEqual(shape);
    });
    it('pads to 3 axes without axis: [N, C] -> [N, 1, top_k]', () => {
      const top = new Blob();
      make({ top_k: 2 }).setUp([new Blob([4, 6])], [top]);
      expect(top.shape).toEqual([4, 1, 2]);
      make({ top_k: 2, out_max_val: true }).setUp([new Blob([4, 6])], [top]);
      expect(top.shape).toEqual([4, 2, 2]);
      make({ axis: 1 }).setUp([new Blob([4, 6])], [top]);
      expect(top.shape).toEqual([4, 1]);
    });
  });

  it('hand values: index, index+value, top_k order, ties list the larger index first', () => {
    const x = blob([2, 4], [0.5, 3, -1, 3, 7, 1, 2, 0]);
    expect(Array.from(run({}, x).cpuData())).toEqual([3, 0]);
    expect(Array.from(run({ out_max_val: true }, x).cpuData())).toEqual([3, 3, 0, 7]);
    expect(Array.from(run({ top_k: 3 }, x).cpuData())).toEqual([3, 1, 0, 0, 2, 1]);
    // out_max_val without axis: per example the top_k indices, then the top_k values
    expect(Array.from(run({ top_k: 2, out_max_val: true }, x).cpuData())).toEqual([3, 1, 3, 3, 0, 2, 7, 2]);
  });

  it('hand values along an axis', () => {
    // [2, 3, 2]: argmax over axis 1 for each (n, w)
    const x = blob([2, 3, 2], [1, 9, 5, 2, 3, 4, /* n=1 */ 0, 0, -1, 8, 2, 8]);
    expect(Array.from(run({ axis: 1 }, x).cpuData())).toEqual([1, 0, 2, 2]); // n1 w0: 2 at c2; n1 w1: tie c1/c2 -> 2
    expect(Array.from(run({ axis: 1, out_max_val: true }, x).cpuData())).toEqual([5, 9, 2, 8]);
    expect(Array.from(run({ axis: 1, top_k: 2 }, x).cpuData())).toEqual([1, 0, 2, 2, 2, 2, 0, 1]);
    expect(Array.from(run({ axis: 0 }, x).cpuData())).toEqual([0, 0, 0, 1, 0, 1]);
  });

  it('Caffe TestCPU / TestCPUMaxVal', () => {
    const top = run({}, big),
      x = big.cpuData(),
      dim = 4000;
    for (let i = 0; i < 10; i++) {
      const idx = top.cpuData()[i],
        mv = x[i * dim + idx];
      for (let j = 0; j < dim; j++) expect(x[i * dim + j]).toBeLessThanOrEqual(mv);
    }
    const tv = run({ out_max_val: true }, big).cpuData();
    for (let i = 0; i < 10; i++) expect(x[i * dim + tv[2 * i]]).toBe(tv[2 * i + 1]);
  });

  it('Caffe TestCPUTopK / TestCPUMaxValTopK: the j-th entry has exactly j larger values', () => {
    const K = 5,
      x = big.cpuData(),
      dim = 4000;
    const ti = run({ top_k: K }, big),
      tv = run({ top_k: K, out_max_val: true }, big);
    for (let i = 0; i < 10; i++)
      for (let j = 0; j < K; j++) {
        const idx = at(ti, [i, 0, j, 0]);
        const mv = x[i * dim + idx];
        expect(at(tv, [i, 0, j, 0])).toBe(idx);
        expect(at(tv, [i, 1, j, 0])).toBe(mv);
        let count = 0;
        for (let k = 0; k < dim; k++) if (x[i * dim + k] > mv) count++;
        expect(count).toBe(j);
      }
  });

  it('Caffe TestCPUAxis / TestCPUAxisTopK / TestCPUAxisMaxValTopK', () => {
    const t0 = run({ axis: 0 }, big);
    for (let c = 0; c < 10; c += 3)
      for (let h = 0; h < 20; h += 7)
        for (let w = 0; w < 20; w += 5) {
          const idx = at(t0, [0, c, h, w]),
            mv = at(big, [idx, c, h, w]);
          for (let n = 0; n < 10; n++) expect(at(big, [n, c, h, w])).toBeLessThanOrEqual(mv);
        }
    const t2 = run({ axis: 2, top_k: 5 }, big);
    const tv = run({ axis: -1, top_k: 5, out_max_val: true }, big);
    for (let n = 0; n < 10; n += 3)
      for (let c = 0; c < 10; c += 4)
        for (let k = 0; k < 20; k += 6)
          for (let m = 0; m < 5; m++) {
            const idx = at(t2, [n, c, m, k]),
              mv = at(big, [n, c, idx, k]);
            let count = 0;
            for (let l = 0; l < 20; l++) if (at(big, [n, c, l, k]) > mv) count++;
            expect(count).toBe(m);
            const v = at(tv, [n, c, k, m]);
            count = 0;
            for (let l = 0; l < 20; l++) if (at(big, [n, c, k, l]) > v) count++;
            expect(count).toBe(m);
          }
  });

  it('top_k equal to the whole dimension sorts fully', () => {
    const x = blob([1, 12], [5, 1, 9, 3, 3, 7, 0, 11, 2, 8, 4, 6]);
    expect(Array.from(run({ top_k: 12 }, x).cpuData())).toEqual([7, 2, 9, 5, 11, 0, 10, 4, 3, 8, 1, 6]);
  });

  it('errors: top_k 0, top_k too large, no backward', () => {
    expect(() => make({ top_k: 0 }).setUp([new Blob([2, 3])], [new Blob()])).toThrow(/top k must not be less than 1/);
    expect(() => make({ top_k: 4 }).setUp([new Blob([2, 3])], [new Blob()])).toThrow(
      /top_k must be less than or equal to the dimension of the flattened bottom blob per instance/,
    );
    expect(() => make({ top_k: 3, axis: 0 }).setUp([new Blob([2, 3])], [new Blob()])).toThrow(
      /top_k must be less than or equal to the dimension of the axis/,
    );
    const x = blob([1, 2], [1, 2]),
      top = new Blob(),
      l = make();
    l.setUp([x], [top]);
    l.forward([x], [top]);
    expect(() => l.backward([top], [true], [x])).toThrow(/Not Implemented/);
  });
});
