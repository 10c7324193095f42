import { encodeNpy, parseNpy } from '../../src/io/npy';
import { CaffeError } from '../../src/util/errors';
import { describeShared, sharedPath } from '../helpers';
import { readNpy } from '../../src/io/npy';

describe('npy', () => {
  it('round-trips float32 arrays with 64-byte aligned headers', () => {
    const data = Float32Array.from([1, -2.5, 3e-8, 4, 5, 6]);
    const bytes = encodeNpy([2, 3], data);
    expect((10 + Buffer.from(bytes).readUInt16LE(8)) % 64).toBe(0);
    const a = parseNpy(bytes);
    expect(a.shape).toEqual([2, 3]);
    expect(Array.from(a.data)).toEqual(Array.from(data));
    expect(parseNpy(encodeNpy([6], data)).shape).toEqual([6]);
  });
  it('rejects non-npy and truncated input in one line', () => {
    expect(() => parseNpy(Buffer.from('hello world'), 'x.npy')).toThrow(new CaffeError('x.npy: not a .npy file'));
    const bytes = encodeNpy([4], Float32Array.from([1, 2, 3, 4]));
    expect(() => parseNpy(bytes.subarray(0, bytes.length - 4), 'y.npy')).toThrow(/^y\.npy: truncated/);
  });
});

describeShared('npy files made by Caffe/numpy', () => {
  it('reads data.npy', () => {
    const a = readNpy(sharedPath('fixtures/models/squeezenet-v1.0/extract-features/data.npy'));
    expect(a.shape).toEqual([12, 3, 227, 227]);
    expect(a.data.length).toBe(12 * 3 * 227 * 227);
  });
});
