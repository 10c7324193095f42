// util/strings: the edit distance and nearest-name lookup behind `caffets <mistyped command>`.
import { editDistance, nearestName } from '../../src/util/strings';

describe('editDistance', () => {
  it('counts insertions, deletions, substitutions and neighbour swaps as 1 each', () => {
    expect(editDistance('train', 'train')).toBe(0);
    expect(editDistance('trian', 'train')).toBe(1); // a swap
    expect(editDistance('tran', 'train')).toBe(1);
    expect(editDistance('trains', 'train')).toBe(1);
    expect(editDistance('trxin', 'train')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });
});

describe('nearestName', () => {
  const names = ['train', 'test', 'time', 'device_query', 'convert_imageset', 'compute_image_mean'];
  it('a name the word begins, else the nearest within a third of its length (at least 2)', () => {
    expect(nearestName('trian', names)).toBe('train');
    expect(nearestName('TEST', names)).toBe('test');
    expect(nearestName('comp', names)).toBe('compute_image_mean');
    expect(nearestName('devicequery', names)).toBe('device_query');
    expect(nearestName('frobnicate', names)).toBeUndefined();
    expect(nearestName('', names)).toBeUndefined();
  });
});
