// MemoryData: Caffe's Reset / AddDatumVector / AddMatVector / set_batch_size API and forward
// wrapping around the n items (after Caffe's test_memory_data_layer.cpp).
import '../../src/layers/MemoryData';
import { MemoryDataLayer } from '../../src/layers/MemoryData';
import { captureLog, makeLayer, rawDatum, tops } from '../data/data_helpers';

const arr = (a: ArrayLike<number>) => Array.from(a);
const mk = (p: object, extra: object = {}) =>
  makeLayer<MemoryDataLayer>({
    type: 'MemoryData',
    memory_data_param: { batch_size: 2, channels: 1, height: 1, width: 3, ...p },
    ...extra,
  });

describe('MemoryData layer', () => {
  it('set-up shapes the tops from memory_data_param', () => {
    const l = mk({ batch_size: 5, channels: 2, height: 3, width: 4 });
    const t = tops(2);
    l.setUp([], t);
    expect(t[0].shape).toEqual([5, 2, 3, 4]);
    expect(t[1].shape).toEqual([5]);
    expect([l.batchSize, l.channels, l.height, l.width]).toEqual([5, 2, 3, 4]);
  });

  it('reset(data, labels, n): batches in order, wrapping around after n items', () => {
    const l = mk({});
    const t = tops(2);
    l.setUp([], t);
    const data = Float32Array.from({ length: 4 * 3 }, (_, i) => i + 0.5);
    const labels = Float32Array.from([10, 11, 12, 13]);
    l.reset(data, labels, 4);
    const seen: number[][] = [];
    for (let k = 0; k < 3; k++) {
      l.forward([], t);
      expect(t[0].shape).toEqual([2, 1, 1, 3]);
      expect(t[1].shape).toEqual([2, 1, 1, 1]);
      seen.push(arr(t[1].cpuData()));
      const first = (k % 2) * 2;
      expect(arr(t[0].cpuData())).toEqual(arr(data.subarray(first * 3, first * 3 + 6)));
    }
    expect(seen).toEqual([
      [10, 11],
      [12, 13],
      [10, 11],
    ]);
  });

  it('reset keeps the arrays, not copies (changes show at the next forward)', () => {
    const l = mk({ batch_size: 1, width: 1 });
    const t = tops(2);
    l.setUp([], t);
    const d = Float32Array.from([1, 2]),
      y = Float32Array.from([0, 0]);
    l.reset(d, y, 2);
    d[0] = 42;
    l.forward([], t);
    expect(arr(t[0].cpuData())).toEqual([42]);
  });

  it('addDatumVector transforms (scale, crop) and labels the datums', () => {
    const l = mk(
      { batch_size: 2, channels: 1, height: 2, width: 2 },
      { transform_param: { scale: 2, crop_size: 2 }, phase: 'TEST' },
    );
    const t = tops(2);
    const log = captureLog();
    try {
      l.setUp([], t);
      l.addDatumVector([rawDatum(1, 3, 3, 5, (i) => i), rawDatum(1, 3, 3, 6, (i) => 10 + i)]);
      // Caffe's Reset warns even when called by AddDatumVector
      expect(log.lines).toContain('MemoryData does not transform array data on Reset()');
    } finally {
      log.stop();
    }
    l.forward([], t);
    // centre crop of 3x3 to 2x2 at (0, 0) = (3-2)/2
    expect(arr(t[0].cpuData())).toEqual([0, 1, 3, 4, 10, 11, 13, 14].map((x) => 2 * x));
    expect(arr(t[1].cpuData())).toEqual([5, 6]);
  });

  it('addMatVector transforms HWC images with the given labels', () => {
    const l = mk({ batch_size: 1, channels: 3, height: 1, width: 2 });
    const t = tops(2);
    l.setUp([], t);
    l.addMatVector([{ channels: 3, height: 1, width: 2, data: Uint8Array.from([1, 2, 3, 4, 5, 6]) }], [9]);
    l.forward([], t);
    expect(arr(t[0].cpuData())).toEqual([1, 4, 2, 5, 3, 6]);
    expect(arr(t[1].cpuData())).toEqual([9]);
  });

  it("Caffe's checks: data before forward, multiples of batch_size, unconsumed data", () => {
    const l = mk({});
    const t = tops(2);
    l.setUp([], t);
    expect(() => l.forward([], t)).toThrow(
      'MemoryData layer data: Check failed: data_ MemoryDataLayer needs to be initialized by calling Reset',
    );
    expect(() => l.reset(new Float32Array(9), new Float32Array(3), 3)).toThrow(
      'Check failed: n % batch_size_ == 0 (1 vs. 0) n must be a multiple of batch size',
    );
    expect(() => l.addDatumVector([rawDatum(1, 1, 3, 0, (i) => i)])).toThrow(
      'The added data must be a multiple of the batch size.',
    );
    expect(() => l.addDatumVector([])).toThrow('There is no datum to add.');
    l.addDatumVector([
      rawDatum(1, 1, 3, 0, (i) => i),
      rawDatum(1, 1, 3, 1, (i) => i),
      rawDatum(1, 1, 3, 2, (i) => i),
      rawDatum(1, 1, 3, 3, (i) => i),
    ]);
    expect(() => l.addDatumVector([rawDatum(1, 1, 3, 0, (i) => i), rawDatum(1, 1, 3, 1, (i) => i)])).toThrow(
      "Can't add data until current data has been consumed.",
    );
    expect(() => l.setBatchSize(4)).toThrow("Can't change batch_size until current data has been consumed.");
    l.forward([], t);
    l.forward([], t); // all 4 consumed
    l.setBatchSize(4);
    l.addDatumVector([0, 1, 2, 3].map((k) => rawDatum(1, 1, 3, k, () => k)));
    l.forward([], t);
    expect(t[0].shape).toEqual([4, 1, 1, 3]);
    expect(arr(t[1].cpuData())).toEqual([0, 1, 2, 3]);
  });

  it('unset dimensions are refused', () => {
    expect(() => makeLayer({ type: 'MemoryData', memory_data_param: { batch_size: 2 } }).setUp([], tops(2))).toThrow(
      'batch_size, channels, height, and width must be specified and positive in memory_data_param',
    );
  });
});
