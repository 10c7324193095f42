// Printer and parser of the protobuf text format. Every expected printout below was produced
// by reference Caffe 1.0 (`upgrade_net_proto_text` / `upgrade_solver_proto_text`, protobuf 3.12).
import * as fs from 'fs';
import * as path from 'path';
import { parsePrototxt, printPrototxt, formatFloat32, formatDouble, cEscape } from '../../src/formats/prototxt';
import { describeShared, findFiles, SHARED } from '../helpers';
import type { Message } from '../../src/proto/schema';
const NET = 'caffe.NetParameter';
const roundTrip = (text: string, type = NET) => printPrototxt(parsePrototxt(text, type), type);

describe('printPrototxt: byte-identical to TextFormat::Print', () => {
  test('fields in field-number order, nesting, enums, bools, repeated, int64/uint32 limits', () => {
    const net = {
      debug_info: false,
      state: { level: 0, phase: 'TRAIN' },
      force_backward: true,
      layer: [
        {
          propagate_down: [true, false],
          loss_weight: new Float32Array([0.1, 1e-5]),
          blobs: [{ double_data: new Float64Array([0.1, 1 / 3]), shape: { dim: [1, 2 ** 63] } }],
          include: [{ phase: 'TRAIN' }, { min_level: -1, stage: ['a', 'b'] }],
          pooling_param: { stride: 2, pool: 'MAX', kernel_size: 3 },
          phase: 'TEST',
          top: ['pool1'],
          bottom: ['conv1'],
          type: 'Pooling',
          name: 'pool1',
        },
        {
          name: 'relu',
          type: 'ReLU',
          relu_param: { negative_slope: 0.333333343 },
          convolution_param: {
            num_output: 4294967295,
            bias_term: false,
            weight_filler: { type: 'gaussian', std: 0.01 },
          },
        },
      ],
      name: 'n',
    };
    expect(printPrototxt(net, NET)).toBe(`name: "n"
force_backward: true
state {
  phase: TRAIN
  level: 0
}
debug_info: false
layer {
  name: "pool1"
  type: "Pooling"
  bottom: "conv1"
  top: "pool1"
  loss_weight: 0.1
  loss_weight: 1e-05
  blobs {
    shape {
      dim: 1
      dim: 9223372036854775807
    }
    double_data: 0.1
    double_data: 0.33333333333333331
  }
  include {
    phase: TRAIN
  }
  include {
    min_level: -1
    stage: "a"
    stage: "b"
  }
  phase: TEST
  propagate_down: true
  propagate_down: false
  pooling_param {
    pool: MAX
    kernel_size: 3
    stride: 2
  }
}
layer {
  name: "relu"
  type: "ReLU"
  convolution_param {
    num_output: 4294967295
    bias_term: false
    weight_filler {
      type: "gaussian"
      std: 0.01
    }
  }
  relu_param {
    negative_slope: 0.333333343
  }
}
`);
  });

  test('absent, undefined and empty repeated fields are not printed; empty messages are', () => {
    expect(printPrototxt({}, NET)).toBe('');
    expect(printPrototxt({ name: undefined, layer: [{}, { name: 'x', top: [], transform_param: {} }] }, NET)).toBe(
      'layer {\n}\nlayer {\n  name: "x"\n  transform_param {\n  }\n}\n',
    );
  });

  test('strings: CEscape of the UTF-8 bytes (quotes, newline, tab, non-ASCII as octal)', () => {
    expect(printPrototxt({ name: 'te"st\n\t\'ü€\x01\x7f' }, NET)).toBe(
      String.raw`name: "te\"st\n\t\'\303\274\342\202\254\001\177"` + '\n',
    );
    expect(roundTrip(String.raw`name: "\x41\101\u00e9\U0001F600\a\b\f\v\?\0\x7\0012"`)).toBe(
      String.raw`name: "AA\303\251\360\237\230\200\007\010\014\013?\000\007\0012"` + '\n',
    );
    // string fields are JS strings: bytes that are not UTF-8 become U+FFFD (Caffe would keep them)
    expect(roundTrip(String.raw`name: "\xfe"`)).toBe(String.raw`name: "\357\277\275"` + '\n');
    expect(cEscape(new Uint8Array([0, 13, 92, 63, 255]))).toBe(String.raw`\000\r\\?\377`);
  });

  test('float fields: SimpleFtoa (%.6g, else %.9g; subnormals %.9g; ties to even)', () => {
    const input =
      'layer { loss_weight: [0.1, 1e-5, 1e-4, 0.0001, 100000, 1e6, 3.14159265, 0.333333343, ' +
      '0.3333333333333333, -0, -2.5, inf, -inf, nan, -nan, 1e39, 1e-46, 1.5f, 123456789, 16777217, 1e-45, ' +
      '3.4028235e38, 1.17549435e-38, 1e-40, 1.17549e-38, 4294967295, 99999.95, 0.1025390625, 0.1005859375] }';
    const want = [
      '0.1',
      '1e-05',
      '0.0001',
      '0.0001',
      '100000',
      '1e+06',
      '3.14159274',
      '0.333333343',
      '0.333333343',
      '-0',
      '-2.5',
      'inf',
      '-inf',
      'nan',
      'nan',
      'inf',
      '0',
      '1.5',
      '123456792',
      '16777216',
      '1.40129846e-45',
      '3.40282347e+38',
      '1.17549435e-38',
      '9.9999461e-41',
      '1.17549001e-38',
      '4.2949673e+09',
      '99999.9531',
      '0.102539062',
      '0.100585938',
    ];
    expect(roundTrip(input)).toBe(`layer {\n${want.map((w) => `  loss_weight: ${w}\n`).join('')}}\n`);
    expect(formatFloat32(1 / 3)).toBe('0.333333343');
    expect(formatFloat32(-0.1025390625)).toBe('-0.102539062');
    expect(formatFloat32(1234565)).toBe('1234565');
  });

  test('double fields: SimpleDtoa (%.15g, else %.17g; ties to even)', () => {
    const input =
      'layer { blobs { double_data: [0.1, 0.3333333333333333, 1e-5, 1e100, -0, 1e21, 123456789012345678, ' +
      'inf, nan, 5e-324, 1e15, 1e16, 0.30000000000000004, 2.2250738585072014e-308, 1e-310, 18014398509481985, ' +
      '0.125, 1e23, 0.100009918212890625, 0.100002288818359375, -0.100009918212890625] } }';
    const want = [
      '0.1',
      '0.33333333333333331',
      '1e-05',
      '1e+100',
      '-0',
      '1e+21',
      '1.2345678901234568e+17',
      'inf',
      'nan',
      '4.94065645841247e-324',
      '1e+15',
      '1e+16',
      '0.30000000000000004',
      '2.2250738585072014e-308',
      '9.99999999999997e-311',
      '18014398509481984',
      '0.125',
      '1e+23',
      '0.10000991821289062',
      '0.10000228881835938',
      '-0.10000991821289062',
    ];
    expect(roundTrip(input)).toBe(`layer {\n  blobs {\n${want.map((w) => `    double_data: ${w}\n`).join('')}  }\n}\n`);
    expect(formatDouble(1 / 3)).toBe('0.33333333333333331');
  });

  test('a SolverParameter', () => {
    const solver = `# solver
type: "Adam"  momentum2: 0.999 delta: 1e-8
net: "train_val.prototxt"
test_iter: 100 test_iter: 50
base_lr: 0.01 lr_policy: "multistep" stepvalue: [1000, 2000]
solver_mode: CPU random_seed: -1 max_iter: 2147483647
snapshot_prefix: "snap/\u00fc" debug_info: false
train_state { phase: TRAIN stage: "a" }
weight_decay: 0.0005 gamma: 0.1 power: 0.75
`;
    expect(roundTrip(solver, 'caffe.SolverParameter')).toBe(`test_iter: 100
test_iter: 50
base_lr: 0.01
max_iter: 2147483647
lr_policy: "multistep"
gamma: 0.1
power: 0.75
weight_decay: 0.0005
snapshot_prefix: "snap/\\303\\274"
solver_mode: CPU
random_seed: -1
debug_info: false
net: "train_val.prototxt"
train_state {
  phase: TRAIN
  stage: "a"
}
delta: 1e-08
stepvalue: 1000
stepvalue: 2000
momentum2: 0.999
type: "Adam"
`);
  });
});

describe('parsePrototxt', () => {
  test('plain objects, no defaults, presence kept', () => {
    const m = parsePrototxt(
      'name: "n" layer { name: "c" type: "Convolution" convolution_param { num_output: 8 bias_term: false } }',
      NET,
    );
    expect(m).toEqual({
      name: 'n',
      layer: [{ name: 'c', type: 'Convolution', convolution_param: { num_output: 8, bias_term: false } }],
    });
    expect(Object.keys(m.layer[0].convolution_param)).toEqual(['num_output', 'bias_term']);
  });

  test('syntax: comments, separators, message forms, list forms, string concatenation', () => {
    const m = parsePrototxt(
      `# header
      layer: { name: "a"; top: "b", bottom: "c"; }  # trailing
      layer < name: 'b' >
      layer [ { name: "c" }, < name: "d" > ] layer: [] layer [ ]
      layer { top: ["x", 'y' "z"] propagate_down: [true, f, 1, True, t, False, 0] name: "p" 'q' "\\n" }`,
      NET,
    );
    expect(m.layer.map((l: Message) => l.name)).toEqual(['a', 'b', 'c', 'd', 'pq\n']);
    expect(m.layer[0]).toEqual({ name: 'a', top: ['b'], bottom: ['c'] });
    expect(m.layer[4].top).toEqual(['x', 'yz']);
    expect(m.layer[4].propagate_down).toEqual([true, false, true, true, true, false, false]);
    expect(parsePrototxt('input: [] layer: []', NET)).toEqual({});
  });

  test('numbers: ints (hex, octal, signs, limits), floats (forms, suffix, inf/nan), enums by name or number', () => {
    const m = parsePrototxt(
      `input_dim: [0x10, 010, -0x7fffffff, 2147483647, -2147483648, - 5]
      layer { convolution_param { num_output: 4294967295 }
        loss_weight: [.5, 5., 1e1f, 1.E2, 5e+2, 1.5F, 7, -inf, Infinity, -INF, NaN]
        blobs { shape { dim: [-9223372036854775808, 0x7fffffffffffffff] } double_data: 0.1 }
        pooling_param { pool: 1 } }
      layer { pooling_param { pool: STOCHASTIC } phase: 0 }`,
      NET,
    );
    expect(m.input_dim).toEqual([16, 8, -2147483647, 2147483647, -2147483648, -5]);
    const l = m.layer[0];
    expect(l.convolution_param.num_output).toBe(4294967295);
    expect(l.loss_weight.slice(0, 10)).toEqual([0.5, 5, 10, 100, 500, 1.5, 7, -Infinity, Infinity, -Infinity]);
    expect(l.loss_weight[10]).toBeNaN();
    expect(l.blobs[0].shape.dim).toEqual([-(2 ** 63), 2 ** 63]); // int64 extremes, as JS numbers
    expect(l.blobs[0].double_data).toEqual([0.1]);
    expect(parsePrototxt('layer { loss_weight: 0.1 }', NET).layer[0].loss_weight[0]).toBe(Math.fround(0.1));
    expect(l.pooling_param.pool).toBe('AVE');
    expect(m.layer[1]).toEqual({ pooling_param: { pool: 'STOCHASTIC' }, phase: 'TRAIN' });
  });

  test('strings are UTF-8 text; escapes decode to bytes first', () => {
    const text = String.raw`name: "\303\274\u00fc\U0001F600\ud83d\ude00\x41é"`;
    expect(parsePrototxt(text, NET).name).toBe('üü😀😀Aé');
  });

  test('V0/V1 nets parse as NetParameter', () => {
    const m = parsePrototxt(
      `name: "v1" input: "data" input_dim: 1
      layers { name: "conv" type: CONVOLUTION blobs_lr: 1 blobs_lr: 2 convolution_param { num_output: 4 } }
      layers { layer { name: "old" type: "conv" num_output: 3 } }`,
      NET,
    );
    expect(m.layers[0]).toEqual({
      name: 'conv',
      type: 'CONVOLUTION',
      blobs_lr: [1, 2],
      convolution_param: { num_output: 4 },
    });
    expect(m.layers[1].layer).toEqual({ name: 'old', type: 'conv', num_output: 3 });
  });

  test('parsing time grows linearly with the net (3,400 vs 34,000 lines)', () => {
    const layer = (i: number) => `layer {
  name: "conv${i}"
  type: "Convolution"
  bottom: "x${i}"
  top: "x${i + 1}"
  param { lr_mult: 1 decay_mult: 1 }
  convolution_param {
    num_output: 32
    kernel_size: 3
    pad: 1
    weight_filler { type: "msra" }
  }
}
`;
    const net = (n: number) => Array.from({ length: n }, (_, i) => layer(i)).join('');
    const text = net(300);
    expect(text.split('\n').length).toBeGreaterThan(3400);
    // Time is linear in the input: 10x the layers takes well under 30x the time (a quadratic
    // parser takes ~100x). A ratio of best-of-3 timings, so a loaded machine does not fail it.
    const best = (t: string) => {
      parsePrototxt(t, NET); // warm-up (schema loading, JIT)
      let min = Infinity;
      for (let r = 0; r < 3; r++) {
        const t0 = process.hrtime.bigint();
        expect(parsePrototxt(t, NET).layer.length).toBeGreaterThan(0);
        min = Math.min(min, Number(process.hrtime.bigint() - t0) / 1e6);
      }
      return min;
    };
    const small = best(text),
      large = best(net(3000));
    expect(parsePrototxt(text, NET).layer).toHaveLength(300);
    expect(large / small).toBeLessThan(30);
  });
});

describeShared('fixtures: parse, print, parse again', () => {
  const files = findFiles(path.join(SHARED, 'fixtures'), /\.prototxt$/);
  test.each(files.map((f) => [path.relative(SHARED, f), f]))('%s', (_rel, file) => {
    const type = path.basename(file).includes('solver') ? 'caffe.SolverParameter' : NET;
    const first = parsePrototxt(fs.readFileSync(file, 'utf8'), type, file);
    const printed = printPrototxt(first, type);
    const second = parsePrototxt(printed, type, 'printed');
    expect(second).toEqual(first);
    expect(printPrototxt(second, type)).toBe(printed);
  });
});
