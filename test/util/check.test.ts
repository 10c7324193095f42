// util/check.ts: glog's CHECK vocabulary — one CaffeError type, the who prefix, and operands as glog
// streams them (ints as ints, floats as %g).
import { check, checkFailed, checkOp, fatal, fatalError, glogValue } from '../../src/util/check';
import { CaffeError } from '../../src/util/errors';

/** The message of the error fn throws (which must be a CaffeError). */
function thrown(fn: () => void): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(CaffeError);
    expect((e as CaffeError).name).toBe('CaffeError');
    return (e as CaffeError).message;
  }
  throw new Error('nothing thrown');
}

const layer = { type: 'Convolution', name: 'conv1' };

describe('util/check', () => {
  it('prefixes a layer as `<type> layer <name>: `, text as `<text>: `, and nothing for null or ""', () => {
    expect(fatalError(layer, 'x').message).toBe('Convolution layer conv1: x');
    expect(fatalError('Data layer d', 'x').message).toBe('Data layer d: x');
    expect(fatalError(null, 'x').message).toBe('x');
    expect(fatalError('', 'x').message).toBe('x');
    expect(thrown(() => fatal(null, 'Unknown layer name: foo'))).toBe('Unknown layer name: foo');
    expect(thrown(() => fatal(layer, 'bad'))).toBe('Convolution layer conv1: bad');
  });

  it('words CHECK(cond) << msg as glog does', () => {
    expect(() => check(null, true, 'x')).not.toThrow();
    expect(thrown(() => check(null, false, 'data_'))).toBe('Check failed: data_');
    expect(thrown(() => check(layer, false, 'top[0] != bottom[0]', 'in place'))).toBe(
      'Convolution layer conv1: Check failed: top[0] != bottom[0] in place',
    );
  });

  it('keeps the space glog streams after the condition when msg is given as ""', () => {
    const expr = 'ndims <= max_dim (33 vs. 32)';
    expect(thrown(() => checkFailed(null, expr, ''))).toBe(`Check failed: ${expr} `);
    expect(thrown(() => checkFailed(null, expr))).toBe(`Check failed: ${expr}`);
  });

  it('checks each CHECK_OP and prints both operands', () => {
    const cases: [number, '==' | '!=' | '<' | '<=' | '>' | '>=', number, boolean][] = [
      [1, '==', 1, true],
      [1, '==', 2, false],
      [1, '!=', 2, true],
      [2, '!=', 2, false],
      [1, '<', 2, true],
      [2, '<', 2, false],
      [2, '<=', 2, true],
      [3, '<=', 2, false],
      [3, '>', 2, true],
      [2, '>', 2, false],
      [2, '>=', 2, true],
      [1, '>=', 2, false],
    ];
    for (const [a, op, b, ok] of cases) {
      const fn = () => checkOp(null, a, op, b, `a ${op} b`);
      if (ok) expect(fn).not.toThrow();
      else expect(thrown(fn)).toBe(`Check failed: a ${op} b (${a} vs. ${b})`);
    }
    expect(thrown(() => checkOp(layer, 3, '==', 4, 'a == b', 'message'))).toBe(
      'Convolution layer conv1: Check failed: a == b (3 vs. 4) message',
    );
    expect(thrown(() => checkOp('', 0, '>', 0, 'n > 0'))).toBe('Check failed: n > 0 (0 vs. 0)');
  });

  it('fails every comparison with NaN, as C++ does', () => {
    expect(thrown(() => checkOp(null, NaN, '>=', 0, 'x >= 0'))).toBe('Check failed: x >= 0 (nan vs. 0)');
    expect(() => checkOp(null, NaN, '!=', 0, 'x != 0')).not.toThrow();
  });

  it('prints ints as ints and floats as %g (6 significant digits)', () => {
    expect(glogValue(0)).toBe('0');
    expect(glogValue(-0)).toBe('0');
    expect(glogValue(-7)).toBe('-7');
    expect(glogValue(2147483647)).toBe('2147483647');
    expect(glogValue(2.5)).toBe('2.5');
    expect(glogValue(Math.fround(0.9))).toBe('0.9');
    expect(glogValue(Math.fround(0.1))).toBe('0.1');
    expect(glogValue(1e-7)).toBe('1e-07');
    expect(glogValue(1234567.5)).toBe('1.23457e+06');
    expect(glogValue(3e9)).toBe('3e+09');
    expect(glogValue(Infinity)).toBe('inf');
    expect(thrown(() => checkOp(null, 0, '==', Math.fround(0.9), '0 == this->param_.momentum()'))).toBe(
      'Check failed: 0 == this->param_.momentum() (0 vs. 0.9)',
    );
  });
});
