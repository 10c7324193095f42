// Parse errors: one line `file:line:col: what`, 1-based, thrown as CaffeError.
import { parsePrototxt } from '../../src/formats/prototxt';
import { CaffeError } from '../../src/util/errors';
import { messageType } from '../../src/proto/schema';

function errorOf(text: string, type = 'caffe.NetParameter'): string {
  try {
    parsePrototxt(text, type, 'train_val.prototxt');
  } catch (e) {
    expect(e).toBeInstanceOf(CaffeError);
    const msg = (e as Error).message;
    expect(msg).not.toContain('\n');
    return msg;
  }
  throw new Error(`parsed without error: ${text}`);
}

const cases: Array<[string, string, string]> = [
  // [what, input, expected error]
  [
    'unknown field',
    'layer {\n  name: "a"\n    tpye: "x" }',
    'train_val.prototxt:3:5: message caffe.LayerParameter has no field named "tpye"',
  ],
  [
    'unknown top-level field',
    'name: "a" top: "b"',
    'train_val.prototxt:1:11: message caffe.NetParameter has no field named "top"',
  ],
  [
    'singular scalar twice',
    'layer { name: "a" name: "b" }',
    'train_val.prototxt:1:19: Non-repeated field "name" is specified multiple times.',
  ],
  [
    'singular message twice (protobuf 3.12 rejects it too)',
    'layer { transform_param { scale: 2 } transform_param { mirror: true } }',
    'train_val.prototxt:1:38: Non-repeated field "transform_param" is specified multiple times.',
  ],
  [
    'end of input in a block',
    'layer { name: "a"\n',
    'train_val.prototxt:2:1: reached end of input in message caffe.LayerParameter: expected "}"',
  ],
  [
    'end of input in a nested block',
    'layer {\n  convolution_param { num_output: 1',
    'train_val.prototxt:2:36: reached end of input in message caffe.ConvolutionParameter: expected "}"',
  ],
  [
    'end of input in an angle block',
    'layer < name: "a" ',
    'train_val.prototxt:1:19: reached end of input in message caffe.LayerParameter: expected ">"',
  ],
  ['mismatched close', 'layer < name: "a" }', 'train_val.prototxt:1:19: expected ">", got }'],
  ['stray close', 'layer { name: "a" }}', 'train_val.prototxt:1:20: expected field name, got }'],
  [
    'unknown enum name',
    'layer { pooling_param { pool: MAXX } }',
    'train_val.prototxt:1:31: Unknown enumeration value of "MAXX" for field "pool".',
  ],
  [
    'unknown enum number',
    'layer { pooling_param { pool: 7 } }',
    'train_val.prototxt:1:31: Unknown enumeration value of "7" for field "pool".',
  ],
  [
    'enum as string',
    'layer { pooling_param { pool: "MAX" } }',
    'train_val.prototxt:1:31: expected enum name or number, got "MAX"',
  ],
  [
    'string for integer',
    'layer { convolution_param { num_output: "abc" } }',
    'train_val.prototxt:1:41: expected integer, got "abc"',
  ],
  [
    'identifier for integer',
    'layer { convolution_param { num_output: abc } }',
    'train_val.prototxt:1:41: expected integer, got abc',
  ],
  [
    'float for integer',
    'layer { convolution_param { num_output: 1.5 } }',
    'train_val.prototxt:1:41: expected integer, got 1.5',
  ],
  [
    'f suffix makes a float',
    'layer { convolution_param { num_output: 1f } }',
    'train_val.prototxt:1:41: expected integer, got 1f',
  ],
  [
    'negative unsigned',
    'layer { convolution_param { num_output: -1 } }',
    'train_val.prototxt:1:41: integer out of range for uint32: -1',
  ],
  [
    'uint32 overflow',
    'layer { convolution_param { num_output: 4294967296 } }',
    'train_val.prototxt:1:41: integer out of range for uint32: 4294967296',
  ],
  [
    'int32 overflow',
    'layer { convolution_param { axis: 2147483648 } }',
    'train_val.prototxt:1:35: integer out of range for int32: 2147483648',
  ],
  [
    'int32 underflow',
    'layer { convolution_param { axis: -2147483649 } }',
    'train_val.prototxt:1:35: integer out of range for int32: -2147483649',
  ],
  [
    'int64 overflow',
    'layer { blobs { shape { dim: 9223372036854775808 } } }',
    'train_val.prototxt:1:30: integer out of range for int64: 9223372036854775808',
  ],
  ['string for float', 'layer { loss_weight: "1" }', 'train_val.prototxt:1:22: expected float, got "1"'],
  ['identifier for float', 'layer { loss_weight: abc }', 'train_val.prototxt:1:22: expected float, got abc'],
  [
    'hex in a float field',
    'layer { loss_weight: 0x10 }',
    'train_val.prototxt:1:22: expected a decimal number, got 0x10',
  ],
  [
    'octal in a float field',
    'layer { loss_weight: 010 }',
    'train_val.prototxt:1:22: expected a decimal number, got 010',
  ],
  ['identifier for double', 'layer { blobs { double_data: x } }', 'train_val.prototxt:1:30: expected double, got x'],
  ['number for string', 'layer { name: 5 }', 'train_val.prototxt:1:15: expected string, got 5'],
  [
    'bad bool',
    'layer { propagate_down: yes }',
    'train_val.prototxt:1:25: invalid value for boolean field "propagate_down": yes',
  ],
  ['bool out of range', 'layer { propagate_down: 2 }', 'train_val.prototxt:1:25: integer out of range for bool: 2'],
  ['missing colon before scalar', 'layer { name "a" }', 'train_val.prototxt:1:14: expected ":", got "a"'],
  ['scalar for message', 'layer { transform_param: 5 }', 'train_val.prototxt:1:26: expected "{" or "<", got 5'],
  [
    'list for singular message',
    'layer { transform_param [ { } ] }',
    'train_val.prototxt:1:25: expected "{" or "<", got [',
  ],
  ['two separators', 'layer { name: "a";; }', 'train_val.prototxt:1:19: expected field name, got ;'],
  ['list without comma', 'input_dim: [1 2]', 'train_val.prototxt:1:15: expected "," or "]", got 2'],
  ['trailing comma in list', 'layer { top: ["a", ] }', 'train_val.prototxt:1:20: expected string, got ]'],
  [
    'unterminated string at end of line',
    'layer { name: "abc\n" }',
    'train_val.prototxt:1:15: unterminated string literal',
  ],
  [
    'unterminated string at end of input',
    "layer {\n  name: 'abc",
    'train_val.prototxt:2:9: unterminated string literal',
  ],
  [
    'invalid escape',
    'layer { name: "a\\q" }',
    'train_val.prototxt:1:17: invalid escape sequence "\\q" in string literal',
  ],
  ['bad hex escape', 'layer { name: "\\xzz" }', 'train_val.prototxt:1:16: expected hex digits for escape sequence'],
  [
    'bad \\u escape',
    'layer { name: "\\u12" }',
    'train_val.prototxt:1:16: expected four hex digits for \\u escape sequence',
  ],
  [
    'number glued to identifier',
    'layer { convolution_param { num_output: 1abc } }',
    'train_val.prototxt:1:42: need space between number and identifier',
  ],
  ['bad octal', 'input_dim: 09', 'train_val.prototxt:1:13: numbers starting with a leading zero must be in octal'],
  ['empty hex', 'input_dim: 0x', 'train_val.prototxt:1:14: "0x" must be followed by hex digits'],
  ['empty exponent', 'layer { loss_weight: 1e }', 'train_val.prototxt:1:24: "e" must be followed by exponent'],
  [
    'two decimal points',
    'layer { loss_weight: 1.5.3 }',
    "train_val.prototxt:1:25: already saw decimal point or exponent; can't have another one",
  ],
  ['non-ASCII outside strings', 'layer { name: "é" } ü', 'train_val.prototxt:1:21: unexpected character "ü"'],
  ['solver field', 'base_lr: 0.1\nlr_policy: fixed', 'train_val.prototxt:2:12: expected string, got fixed'],
];

describe('parsePrototxt errors', () => {
  test.each(cases)('%s', (_what, input, expected) => {
    const type = input.startsWith('base_lr') ? 'caffe.SolverParameter' : 'caffe.NetParameter';
    expect(errorOf(input, type)).toBe(expected);
  });

  test('columns count characters (a tab is one column)', () => {
    expect(errorOf('layer\t{\tname: "é" tpye: 1 }')).toBe(
      'train_val.prototxt:1:19: message caffe.LayerParameter has no field named "tpye"',
    );
  });

  test('missing proto2 required fields', () => {
    let clip;
    try {
      clip = messageType('caffe.ClipParameter');
    } catch {
      clip = undefined;
    }
    if (!clip || !clip.fields.max?.required) return; // schema without ClipParameter
    expect(errorOf('layer { clip_param { min: 1 } }')).toBe(
      'train_val.prototxt:1:29: message caffe.ClipParameter is missing required field "max"',
    );
  });

  test('default file name', () => {
    expect(() => parsePrototxt('x: 1', 'NetParameter')).toThrow(
      '<input>:1:1: message caffe.NetParameter has no field named "x"',
    );
  });
});

describe('long input quoted in an error is cut to 80 characters and "..."', () => {
  const long = 'x'.repeat(20 * 1024 * 1024);
  const cut = `${'x'.repeat(80)}...`;
  test('a 20 MB misspelt field name', () => {
    const msg = errorOf(`layer { ${long}: 1 }`);
    expect(msg).toBe(`train_val.prototxt:1:9: message caffe.LayerParameter has no field named "${cut}"`);
  });
  test('a long token where another was expected', () => {
    expect(errorOf(`name: ${long}`)).toBe(`train_val.prototxt:1:7: expected string, got ${cut}`);
  });
  test('a long enum value and a long number', () => {
    expect(errorOf(`layer { phase: ${long} }`)).toContain(`Unknown enumeration value of "${cut}"`);
    const digits = '9'.repeat(1000);
    expect(errorOf(`layer { top: "a" loss_weight: 1 propagate_down: ${digits} }`)).toMatch(/\.\.\.$/);
    expect(errorOf(`force_backward: ${digits}`).length).toBeLessThan(200);
  });
  test('short input is quoted whole', () => {
    expect(errorOf('layer { nmae: 1 }')).toContain('"nmae"');
  });
});
