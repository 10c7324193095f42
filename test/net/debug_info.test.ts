// debug_info: Caffe's per-layer [Forward] / [Backward] lines and the params' norms line.
import * as fs from 'fs';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { Net } from '../../src/net';
import { streamFloat } from '../../src/util/format';
import { setRandomSeed } from '../../src/core/rng';
import { writeProtoToBinaryFile } from '../../src/io/proto_io';
import { HAVE_CAFFE, tmpDir } from '../helpers';
import { CAFFE_NET_LOGS } from './caffe_logs';
import { captureLog, netParam, strip } from './support';

const DEBUG_NET = `debug_info: true
${CAFFE_NET_LOGS.mlp.prototxt.replace(
  /num_output: (\d+)/g,
  'num_output: $1 weight_filler { type: "gaussian" std: 0.5 } bias_filler { type: "gaussian" std: 0.5 }',
)}`;

function build(): Net {
  setRandomSeed(1234);
  return captureLog(() => new Net(netParam(DEBUG_NET), CAFFE_NET_LOGS.mlp.state)).result;
}

/** The debug lines of one forward + backward. */
function debugLines(net: Net): string[] {
  return captureLog(() => {
    net.forward();
    net.backward();
  }).lines;
}

describe('debug_info', () => {
  it('logs top / param data means after each forward, and diffs of what backward computed', () => {
    const net = build();
    expect(net.debugInfo).toBe(true);
    const lines = debugLines(net);
    const shape = lines.map((l) =>
      l.replace(/-?\d[\d.e+-]*$/, 'N').replace(/\(\S+, \S+\); L2 norm = \(\S+, \S+\)$/, '(N, N); L2 norm = (N, N)'),
    );
    expect(shape).toEqual([
      'I     [Forward] Layer data, top blob data data: N',
      'I     [Forward] Layer data, top blob label data: N',
      'I     [Forward] Layer ip1, top blob ip1 data: N',
      'I     [Forward] Layer ip1, param blob 0 data: N',
      'I     [Forward] Layer ip1, param blob 1 data: N',
      'I     [Forward] Layer relu1, top blob ip1 data: N',
      'I     [Forward] Layer ip1_relu1_0_split, top blob ip1_relu1_0_split_0 data: N',
      'I     [Forward] Layer ip1_relu1_0_split, top blob ip1_relu1_0_split_1 data: N',
      'I     [Forward] Layer ip2, top blob ip2 data: N',
      'I     [Forward] Layer ip2, param blob 0 data: N',
      'I     [Forward] Layer ip2, param blob 1 data: N',
      'I     [Forward] Layer ip3, top blob ip3 data: N',
      'I     [Forward] Layer ip3, param blob 0 data: N',
      'I     [Forward] Layer ip3, param blob 1 data: N',
      'I     [Forward] Layer loss, top blob loss data: N',
      'I     [Backward] Layer loss, bottom blob ip2 diff: N',
      'I     [Backward] Layer ip2, bottom blob ip1_relu1_0_split_0 diff: N',
      'I     [Backward] Layer ip2, param blob 0 diff: N',
      'I     [Backward] Layer ip2, param blob 1 diff: N',
      'I     [Backward] Layer ip1_relu1_0_split, bottom blob ip1 diff: N',
      'I     [Backward] Layer relu1, bottom blob ip1 diff: N',
      'I     [Backward] Layer ip1, param blob 0 diff: N',
      'I     [Backward] Layer ip1, param blob 1 diff: N',
      'E     [Backward] All net params (data, diff): L1 norm = (N, N); L2 norm = (N, N)',
    ]);
    const ip1 = net.layerByName('ip1').blobs[0];
    expect(lines[3]).toBe(
      `I     [Forward] Layer ip1, param blob 0 data: ${Number((ip1.asumData() / ip1.count).toPrecision(6))}`,
    );
  });

  it('prints floats as C++ streams do', () => {
    expect([0.5, 1 / 3, 1e-7, 123456789, NaN, 1e40, -1e40].map(streamFloat)).toEqual([
      '0.5',
      '0.333333',
      '1e-07',
      '1.23457e+08',
      'nan',
      'inf',
      '-inf',
    ]);
  });

  it('logs Update lines for owned and shared params', () => {
    const net = captureLog(
      () =>
        new Net(
          netParam(
            `
      layer { name: "data" type: "Input" top: "x" input_param { shape { dim: 1 dim: 2 } } }
      layer { name: "a" type: "InnerProduct" bottom: "x" top: "y" param { name: "w" } ` +
              `inner_product_param { num_output: 2 bias_term: false weight_filler { type: "constant" value: 0.5 } } }
      layer { name: "b" type: "InnerProduct" bottom: "y" top: "z" param { name: "w" } ` +
              `inner_product_param { num_output: 2 bias_term: false } }`,
          ),
        ),
    ).result;
    const { lines } = captureLog(() => {
      net.updateDebugInfo(0);
      net.updateDebugInfo(1);
    });
    expect(lines).toEqual([
      'I     [Update] Layer a, param w data: 0.5; diff: 0',
      'I     [Update] Layer b, param blob w (owned by layer a, param w) diff: 0',
    ]);
  });
});

(HAVE_CAFFE ? describe : describe.skip)('debug_info matches a live Caffe run', () => {
  it('same lines, same numbers (6 significant digits, last digit may differ)', () => {
    const net = build();
    const dir = tmpDir();
    fs.writeFileSync(path.join(dir, 'net.prototxt'), DEBUG_NET);
    writeProtoToBinaryFile(net.toProto(), 'caffe.NetParameter', path.join(dir, 'w.caffemodel'));
    fs.writeFileSync(
      path.join(dir, 'solver.prototxt'),
      `net: "${dir}/net.prototxt"\nbase_lr: 0\nlr_policy: "fixed"\n` +
        `display: 1\nmax_iter: 1\ndebug_info: true\nsnapshot_after_train: false\nsnapshot_prefix: "${dir}/s"\n`,
    );
    // (caffe time ignores --weights; train runs one forward/backward on them, with the solver's debug_info)
    const run = spawnSync('caffe', ['train', `--solver=${dir}/solver.prototxt`, `--weights=${dir}/w.caffemodel`], {
      encoding: 'utf8',
    });
    fs.rmSync(dir, { recursive: true, force: true });
    const ours = debugLines(net); // Input blobs are zero in both
    // iteration 0's forward + backward (Caffe's final loss display adds another forward after)
    const caffe = `${run.stdout}${run.stderr}`
      .split('\n')
      .filter((l) => l.includes('    ['))
      .map(strip)
      .slice(0, ours.length);
    expect(ours).toHaveLength(24);
    expect(caffe).toHaveLength(24);
    const num = /-?\d+(?:\.\d+)?(?:e[+-]\d+)?/g;
    ours.forEach((l, i) => {
      expect(l.replace(num, 'N')).toBe(caffe[i].replace(num, 'N'));
      const a = l.match(num)!.map(Number),
        b = caffe[i].match(num)!.map(Number);
      a.forEach((x, k) => expect(Math.abs(x - b[k])).toBeLessThanOrEqual(2e-5 * Math.max(1, Math.abs(b[k]))));
    });
  });
});
