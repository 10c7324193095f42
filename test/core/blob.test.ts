import { Blob, blobProtoShape } from '../../src/core/blob';
import { CaffeError } from '../../src/util/errors';

describe('Blob', () => {
  it('shapes, counts and canonical axes as Caffe', () => {
    const b = new Blob([2, 3, 4, 5]);
    expect(b.count).toBe(120);
    expect(b.countRange(1)).toBe(60);
    expect(b.countRange(1, 3)).toBe(12);
    expect(b.canonicalAxisIndex(-1)).toBe(3);
    expect(b.dim(-2)).toBe(4);
    expect([b.num, b.channels, b.height, b.width]).toEqual([2, 3, 4, 5]);
    expect(b.offset(1, 2, 3, 4)).toBe(119);
    expect(b.shapeString()).toBe('2 3 4 5 (120)');
    expect(() => b.canonicalAxisIndex(4)).toThrow(CaffeError);
    expect(() => b.canonicalAxisIndex(-5)).toThrow(/axis -5 out of range for 4-D blob/);
    const scalar = new Blob();
    scalar.reshape([]); // a 0-axis blob (a loss) holds one value
    expect(scalar.shapeString()).toBe('(1)');
  });

  it('legacy accessors read missing axes as 1', () => {
    const b = new Blob([7, 3]);
    expect([b.num, b.channels, b.height, b.width]).toEqual([7, 3, 1, 1]);
  });

  it('reallocates only when the count grows past the capacity', () => {
    const b = new Blob([2, 3]);
    const d1 = b.mutableCpuData();
    d1[0] = 42;
    b.reshape([3, 2]);
    expect(b.cpuData()[0]).toBe(42); // same memory
    b.reshape([1, 2]);
    expect(b.cpuData().length).toBe(2); // views are exactly count long
    b.reshape([4, 4]);
    expect(b.cpuData()[0]).toBe(0); // new, zeroed memory
  });

  it('shares data and diff', () => {
    const a = new Blob([4]),
      b = new Blob([4]);
    b.shareData(a);
    b.shareDiff(a);
    a.mutableCpuData()[1] = 5;
    a.mutableCpuDiff()[2] = 7;
    expect(b.cpuData()[1]).toBe(5);
    expect(b.cpuDiff()[2]).toBe(7);
    expect(() => new Blob([3]).shareData(a)).toThrow(/count 3 vs 4/);
  });

  it('update, asum, sumsq and scale', () => {
    const b = new Blob([3]);
    b.mutableCpuData().set([1, -2, 3]);
    b.mutableCpuDiff().set([0.5, 0.5, -1]);
    expect(b.asumData()).toBe(6);
    expect(b.sumsqDiff()).toBe(1.5);
    b.update();
    expect(Array.from(b.cpuData())).toEqual([0.5, -2.5, 4]);
    b.scaleData(2);
    expect(Array.from(b.cpuData())).toEqual([1, -5, 8]);
  });

  it('reads BlobProto shape.dim and the legacy 4-d fields', () => {
    expect(blobProtoShape({ shape: { dim: [2, 3] } })).toEqual([2, 3]);
    expect(blobProtoShape({ num: 1, channels: 3, height: 2, width: 2 })).toEqual([1, 3, 2, 2]);
    const b = new Blob();
    b.fromProto({ num: 1, channels: 1, height: 1, width: 2, data: new Float32Array([3, 4]), diff: [1, 2] });
    expect(b.shape).toEqual([1, 1, 1, 2]);
    expect(Array.from(b.cpuData())).toEqual([3, 4]);
    expect(Array.from(b.cpuDiff())).toEqual([1, 2]);
    b.fromProto({ shape: { dim: [1, 1, 1, 2] }, double_data: [5, 6] }, false);
    expect(Array.from(b.cpuData())).toEqual([5, 6]);
    expect(() => b.fromProto({ shape: { dim: [2] }, data: [1, 2] }, false)).toThrow(/different sizes/);
    expect(() => new Blob().fromProto({ shape: { dim: [3] }, data: [1] })).toThrow(
      /1 data values for a blob of count 3/,
    );
  });

  it('writes BlobProto with shape.dim, data and optionally diff', () => {
    const b = new Blob([2]);
    b.mutableCpuData().set([1, 2]);
    b.mutableCpuDiff().set([3, 4]);
    const p = b.toProto(true);
    expect(p.shape).toEqual({ dim: [2] });
    expect(Array.from(p.data)).toEqual([1, 2]);
    expect(Array.from(p.diff)).toEqual([3, 4]);
    expect(b.toProto().diff).toBeUndefined();
  });

  it('rejects bad shapes in one line', () => {
    expect(() => new Blob([2, -1])).toThrow(/invalid blob dimension -1/);
    expect(() => new Blob(new Array(33).fill(1))).toThrow(/33 axes/);
  });
});
