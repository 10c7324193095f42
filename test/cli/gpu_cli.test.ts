// The command line in GPU mode: device_query --gpu=0, time --gpu=0 (per-layer lines), test --gpu=0
// (the CPU's scores), and the one-line errors: no adapter (a Vulkan loader pointed at no driver), a
// device id that does not exist.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { ROOT, tmpDir } from '../helpers';
import { gpuSkipReason } from '../gpu';

const BIN = path.join(ROOT, 'bin/caffets');
const caffets = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 300000 });

const NET = `name: "tiny"
layer { name: "data" type: "DummyData" top: "data" top: "label"
  dummy_data_param { shape { dim: 4 dim: 1 dim: 8 dim: 8 } shape { dim: 4 }
    data_filler { type: "gaussian" std: 1 } data_filler { type: "constant" value: 1 } } }
layer { name: "conv" type: "Convolution" bottom: "data" top: "conv"
  convolution_param { num_output: 3 kernel_size: 3 weight_filler { type: "xavier" } } }
layer { name: "pool" type: "Pooling" bottom: "conv" top: "pool" pooling_param { pool: MAX kernel_size: 2 stride: 2 } }
layer { name: "lrn" type: "LRN" bottom: "pool" top: "lrn" }
layer { name: "ip" type: "InnerProduct" bottom: "lrn" top: "ip"
  inner_product_param { num_output: 2 weight_filler { type: "xavier" } } }
layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip" bottom: "label" top: "loss" }
`;

describe('GPU command line: errors', () => {
  it('no adapter: one line naming the cause and the fix, exit 1', () => {
    const dir = tmpDir('caffets-gpu-cli-');
    fs.writeFileSync(path.join(dir, 'net.prototxt'), NET);
    for (const args of [
      ['device_query', '--gpu=0'],
      ['time', `--model=${dir}/net.prototxt`, '--gpu=0'],
    ]) {
      const r = caffets(args, { VK_ICD_FILENAMES: '/nonexistent/icd.json', VK_DRIVER_FILES: '/nonexistent/icd.json' });
      expect(r.status).toBe(1);
      const lines = r.stderr.trim().split('\n');
      expect(lines[lines.length - 1]).toMatch(
        /^caffets: no GPU found .*install a Vulkan driver .*device_query --gpu=0/,
      );
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

const why = gpuSkipReason();
(why ? describe.skip : describe)(`GPU command line${why ? ` [skipped: ${why}]` : ''}`, () => {
  let dir = '';
  beforeAll(() => {
    dir = tmpDir('caffets-gpu-cli-');
    fs.writeFileSync(path.join(dir, 'net.prototxt'), NET);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("device_query --gpu=0 prints Caffe's Device id / Name block", () => {
    const r = caffets(['device_query', '--gpu=0']);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/\] Querying GPUs 0\n/);
    expect(r.stderr).toMatch(/\] Device id: +0\n/);
    expect(r.stderr).toMatch(/\] Name: +\S/);
    expect(r.stderr).toMatch(/\] Max storage buffer binding size: +\d+ MB/);
    expect(r.stderr).not.toMatch(/^Warning:/m); // Dawn's own warnings stay quiet
  });

  it('time --gpu=0 prints per-layer times for every layer (kernels and fallbacks)', () => {
    const r = caffets(['time', `--model=${dir}/net.prototxt`, '--gpu=0', '--iterations=2']);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/\] Use GPU with device ID 0\n/);
    expect(r.stderr).toMatch(/\] GPU device name: \S/);
    for (const l of ['data', 'conv', 'pool', 'lrn', 'ip', 'loss'])
      expect(r.stderr).toMatch(new RegExp(`\\] +${l}\\tforward: [\\d.e+-]+ ms\\.`));
    expect(r.stderr).toMatch(/Average Forward-Backward: [\d.]+ ms/);
  });

  it('--gpu=1 on a machine with one adapter: one line, exit 1', () => {
    const r = caffets(['time', `--model=${dir}/net.prototxt`, '--gpu=1']);
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n').pop()).toMatch(/^caffets: GPU 1: no GPU with device id 1/);
  });
});
