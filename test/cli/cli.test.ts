// End-to-end: bin/caffets as a user runs it (needs `npm run build`, which `npm test` does first).
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { COMMANDS } from '../../src/cli/commands';
import { encodeMessage } from '../../src/formats/wire';
import { ROOT, tmpDir } from '../helpers';

function caffets(...args: string[]) {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin/caffets'), ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const noStack = (s: string) => expect(s).not.toMatch(/\n\s+at .+:\d+:\d+/);

describe('caffets CLI', () => {
  it('lists every Caffe tool in --help', () => {
    const r = caffets('--help');
    expect(r.code).toBe(0);
    for (const c of [
      'train',
      'test',
      'time',
      'device_query',
      'convert_imageset',
      'compute_image_mean',
      'classify',
      'extract_features',
      'upgrade_net_proto_text',
      'upgrade_net_proto_binary',
      'upgrade_solver_proto_text',
      'demo',
    ]) {
      expect(r.out).toContain(`caffets ${c}`);
    }
  });

  it.each(COMMANDS.map((c) => c.name))('%s --help works', (name) => {
    const r = caffets(name, '--help');
    expect(r.code).toBe(0);
    expect(r.out).toContain(`caffets ${name}`);
  });

  it('says so for a command not built yet, with exit code 2', () => {
    const unbuilt = COMMANDS.filter((c) => !c.run);
    if (!unbuilt.length) return;
    const c = unbuilt[0];
    const r = caffets(c.name, ...(c.positionals?.match(/<[^>]+>/g) ?? []).map((_, i) => `arg${i}`));
    expect(r.code).toBe(2);
    expect(r.err.trim()).toMatch(new RegExp(`^caffets: caffets ${c.name}: not implemented yet`));
  });

  it('accepts Caffe flag spellings (-flag value, -flag=value, --flag value)', () => {
    for (const form of [
      ['-solver', 's.prototxt'],
      ['-solver=s.prototxt'],
      ['--solver', 's.prototxt'],
      ['--solver=s.prototxt'],
    ]) {
      const r = caffets('train', ...form, '-gpu', 'all');
      expect(r.err).not.toMatch(/Unknown argument/);
    }
  });

  it('rejects an unknown flag in one line', () => {
    const r = caffets('train', '--sovler=x');
    expect(r.code).not.toBe(0);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/Unknown argument: sovler/);
  });

  it('names a mistyped command unknown in one line, with the commands and the nearest one; exit 1', () => {
    const names = COMMANDS.map((c) => c.name).join(', ');
    for (const [typed, near] of [
      ['trian', 'train'],
      ['tset', 'test'],
      ['Time', 'time'],
      ['convert', 'convert_imageset'],
      ['extract_feature', 'extract_features'],
    ]) {
      const r = caffets(typed, '--solver=s.prototxt');
      expect([r.code, r.out, r.err]).toEqual([
        1,
        '',
        `caffets: unknown command '${typed}' (did you mean '${near}'?); the commands are ${names} ` +
          '(see caffets --help)\n',
      ]);
    }
    const r = caffets('frobnicate');
    expect([r.code, r.err]).toEqual([
      1,
      `caffets: unknown command 'frobnicate'; the commands are ${names} (see caffets --help)\n`,
    ]);
  });

  it('rejects a missing positional in one line', () => {
    const r = caffets('upgrade_net_proto_text', 'only-one');
    expect(r.code).not.toBe(0);
    expect(r.err.trim().split('\n')).toHaveLength(1);
  });

  it('reports a missing input file in one line, no stack', () => {
    const d = tmpDir();
    const r = caffets('upgrade_net_proto_text', path.join(d, 'nope.prototxt'), path.join(d, 'out.prototxt'));
    expect(r.code).not.toBe(0);
    expect(r.err.trim()).toBe(`caffets: File not found: ${path.join(d, 'nope.prototxt')}`);
    expect(fs.existsSync(path.join(d, 'out.prototxt'))).toBe(false);
  });

  it('reports a malformed prototxt with file:line:col', () => {
    const d = tmpDir();
    const f = path.join(d, 'bad.prototxt');
    fs.writeFileSync(f, 'name: "x"\nlayer {\n  name: "a"\n  tpye: "ReLU"\n}\n');
    const r = caffets('upgrade_net_proto_text', f, path.join(d, 'out.prototxt'));
    expect(r.code).not.toBe(0);
    noStack(r.err);
    expect(r.err.trim()).toBe(`caffets: ${f}:4:3: message caffe.LayerParameter has no field named "tpye"`);
  });

  it('reports a truncated caffemodel in one line', () => {
    const d = tmpDir();
    const f = path.join(d, 'w.caffemodel');
    fs.writeFileSync(f, Buffer.from([0x0a, 0x05, 0x61])); // name: length 5, 1 byte present
    const r = caffets('upgrade_net_proto_binary', f, path.join(d, 'o.caffemodel'));
    expect(r.code).not.toBe(0);
    noStack(r.err);
    expect(r.err.trim()).toMatch(new RegExp(`^caffets: ${f}: cannot parse as caffe.NetParameter`));
  });

  it('upgrades a V1 net and says when a file is already current', () => {
    const d = tmpDir();
    const v1 = path.join(d, 'v1.prototxt');
    fs.writeFileSync(v1, 'name: "n"\nlayers { name: "r" type: RELU bottom: "x" top: "x" }\n');
    const out = path.join(d, 'v2.prototxt');
    let r = caffets('upgrade_net_proto_text', v1, out);
    expect(r.code).toBe(0);
    expect(fs.readFileSync(out, 'utf8')).toBe(
      'name: "n"\nlayer {\n  name: "r"\n  type: "ReLU"\n  bottom: "x"\n  top: "x"\n}\n',
    );
    expect(r.err).toMatch(/Attempting to upgrade input file specified using deprecated V1LayerParameter/);
    r = caffets('upgrade_net_proto_text', out, path.join(d, 'v3.prototxt'));
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/^E\d{4} .*\] File already in latest proto format: /m);
    expect(fs.readFileSync(path.join(d, 'v3.prototxt'), 'utf8')).toBe(fs.readFileSync(out, 'utf8'));
  });

  it('upgrades a solver_type enum to the type string', () => {
    const d = tmpDir();
    const s = path.join(d, 's.prototxt');
    fs.writeFileSync(s, 'base_lr: 0.01\nsolver_type: NESTEROV\n');
    const r = caffets('upgrade_solver_proto_text', s, path.join(d, 'o.prototxt'));
    expect(r.code).toBe(0);
    expect(fs.readFileSync(path.join(d, 'o.prototxt'), 'utf8')).toBe('base_lr: 0.01\ntype: "Nesterov"\n');
  });

  const tinyNet =
    'name: "tiny"\n' +
    'layer { name: "data" type: "Input" top: "data" top: "label" ' +
    'input_param { shape { dim: 4 dim: 1 dim: 8 dim: 8 } shape { dim: 4 } } }\n' +
    'layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1" ' +
    'convolution_param { num_output: 3 kernel_size: 3 weight_filler { type: "xavier" } } }\n' +
    'layer { name: "pool1" type: "Pooling" bottom: "conv1" top: "pool1" ' +
    'pooling_param { pool: MAX kernel_size: 2 stride: 2 } }\n' +
    'layer { name: "ip1" type: "InnerProduct" bottom: "pool1" top: "ip1" ' +
    'inner_product_param { num_output: 5 weight_filler { type: "xavier" } } }\n' +
    'layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip1" bottom: "label" top: "loss" }\n';

  it("time prints Caffe's benchmark lines", () => {
    const d = tmpDir();
    fs.writeFileSync(path.join(d, 'net.prototxt'), tinyNet);
    const r = caffets('time', '-model', path.join(d, 'net.prototxt'), '-iterations', '3');
    expect(r.code).toBe(0);
    for (const re of [
      /\] Use CPU\.$/m,
      /\] Top shape: 4 3 6 6 \(432\)$/m,
      /\] Initial loss: [\d.]+$/m,
      /\] \*\*\* Benchmark begins \*\*\*$/m,
      /\] Testing for 3 iterations\.$/m,
      /\] Iteration: 3 forward-backward time: [\d.e+-]+ ms\.$/m,
      /\] {6}conv1\tforward: [\d.e+-]+ ms\.$/m,
      /\] {7}loss\tbackward: [\d.e+-]+ ms\.$/m,
      /\] Average Forward pass: [\d.e+-]+ ms\.$/m,
      /\] Average Backward pass: [\d.e+-]+ ms\.$/m,
      /\] Average Forward-Backward: [\d.e+-]+ ms\.$/m,
      /\] Total Time: [\d.e+-]+ ms\.$/m,
      /\] Peak memory: [\d.]+ (MB|GB) resident$/m,
      /\] \*\*\* Benchmark ends \*\*\*$/m,
    ]) {
      expect(r.err).toMatch(re);
    }
  });

  it('time names an unknown layer type and the known ones, in one line', () => {
    const d = tmpDir();
    fs.writeFileSync(path.join(d, 'net.prototxt'), tinyNet.replace('"Pooling"', '"Poolin"'));
    const r = caffets('time', `--model=${path.join(d, 'net.prototxt')}`);
    expect(r.code).toBe(1);
    noStack(r.err);
    const last = r.err.trim().split('\n').pop()!;
    expect(last).toMatch(
      /^caffets: Unknown layer type: Poolin \(layer "pool1"; known types: .*Convolution, .*Pooling, .*\)$/,
    );
  });

  it('says in one line that a Python layer cannot run, and how to register a TypeScript one', () => {
    const d = tmpDir();
    const py = 'python_param { module: "rpn.proposal_layer" layer: "ProposalLayer" param_str: "x" }';
    const net = tinyNet.replace('"Pooling"', '"Python"').replace(/pooling_param \{[^}]*\}/, py);
    fs.writeFileSync(path.join(d, 'net.prototxt'), net);
    const r = caffets('time', `--model=${path.join(d, 'net.prototxt')}`);
    expect(r.code).toBe(1);
    noStack(r.err);
    expect(r.err.trim().split('\n').pop()).toBe(
      'caffets: layer "pool1" is a Python layer (python_param module "rpn.proposal_layer", layer "ProposalLayer"), ' +
        'and Python layers cannot run in caffets: write it in TypeScript as a class extending Layer (layerSetUp, ' +
        "reshape, forwardCpu, backwardCpu; param_str is this.param('python_param').param_str) and register it " +
        "before building the net with registerLayer('rpn.proposal_layer.ProposalLayer', ProposalLayer) " +
        "(import { Layer, registerLayer } from 'caffets')",
    );
  });

  it('names the layer and both shapes when weights belong to another net', () => {
    const d = tmpDir();
    fs.writeFileSync(path.join(d, 'net.prototxt'), tinyNet);
    const other = encodeMessage(
      {
        name: 'other',
        layer: [
          {
            name: 'conv1',
            type: 'Convolution',
            blobs: [
              { shape: { dim: [2, 1, 5, 5] }, data: new Float32Array(50) },
              { shape: { dim: [2] }, data: new Float32Array(2) },
            ],
          },
        ],
      },
      'caffe.NetParameter',
    );
    fs.writeFileSync(path.join(d, 'w.caffemodel'), other);
    const r = caffets(
      'time',
      `--model=${path.join(d, 'net.prototxt')}`,
      `--weights=${path.join(d, 'w.caffemodel')}`,
      '--iterations=1',
    );
    expect(r.code).toBe(1);
    noStack(r.err);
    expect(r.err.trim().split('\n').pop()).toBe(
      "caffets: Cannot copy param 0 weights from layer 'conv1'; shape mismatch.  Source param shape is 2 1 5 5 (50); " +
        'target param shape is 3 1 3 3 (27). ' +
        "To learn this layer's parameters from scratch rather than copying from a saved net, rename the layer.",
    );
  });

  it('device_query describes the CPU backend', () => {
    const r = caffets('device_query');
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/\] Backend: CPU \(oneDNN \d+\.\d+\.\d+\)$/m);
    expect(r.err).toMatch(/\] ISA oneDNN uses: \S+/m);
    expect(r.err).toMatch(/\] Threads: \d+$/m);
  });
});
