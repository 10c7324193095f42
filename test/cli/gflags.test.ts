import { normalizeGflags } from '../../src/cli/gflags';

describe('gflags-style arguments', () => {
  const bools = new Set(['shuffle', 'gray']);
  it.each([
    [
      ['-solver', 'x.prototxt'],
      ['--solver', 'x.prototxt'],
    ],
    [['-solver=x.prototxt'], ['--solver=x.prototxt']],
    [['--solver=x.prototxt'], ['--solver=x.prototxt']],
    [
      ['--solver', 'x'],
      ['--solver', 'x'],
    ],
    [
      ['-gpu', 'all'],
      ['--gpu', 'all'],
    ],
    [['--noshuffle'], ['--shuffle=false']],
    [['-noshuffle'], ['--shuffle=false']],
    [['--nosuchflag'], ['--nosuchflag']],
    [['-h'], ['-h']],
    [
      ['--level', '-1'],
      ['--level', '-1'],
    ],
    [
      ['a/', '--', '-x'],
      ['a/', '--', '-x'],
    ],
  ])('%j → %j', (inp, out) => {
    expect(normalizeGflags(inp, bools)).toEqual(out);
  });
});
