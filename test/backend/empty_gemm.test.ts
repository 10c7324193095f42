// An empty matrix product does what BLAS does (nothing, or C = beta C) on every engine, rather than
// failing in the native gemm: a batch of 0 runs as in Caffe.
import { backend } from '../../src/backend';
import { describeEngines } from '../engines';

describeEngines('empty gemm and gemv', () => {
  it('M or N of 0 leaves C alone', () => {
    const c = new Float32Array([7]);
    backend().gemm(false, false, 0, 4, 3, 1, new Float32Array(0), new Float32Array(12), 0, c);
    backend().gemm(false, true, 2, 0, 3, 1, new Float32Array(6), new Float32Array(0), 0, c);
    expect(Array.from(c)).toEqual([7]);
  });
  it('K of 0 scales C by beta', () => {
    const c = new Float32Array([1, 2, 3, 4]);
    backend().gemm(false, false, 2, 2, 0, 1, new Float32Array(0), new Float32Array(0), 0.5, c);
    expect(Array.from(c)).toEqual([0.5, 1, 1.5, 2]);
    backend().gemm(false, false, 2, 2, 0, 1, new Float32Array(0), new Float32Array(0), 0, c);
    expect(Array.from(c)).toEqual([0, 0, 0, 0]);
  });
  it('gemv over an empty matrix', () => {
    const y = new Float32Array(5000).fill(2);
    backend().gemv(true, 0, 5000, 1, new Float32Array(0), new Float32Array(0), 0.5, y);
    expect(y[4999]).toBe(1);
    backend().gemv(false, 0, 5000, 1, new Float32Array(0), new Float32Array(5000), 0, new Float32Array(0));
  });
});
