// Nets that cannot fit in memory fail in one line before allocating it: the Net's estimate at set-up
// (layer by layer, then the whole net with its gradients), and parameters checked before they are
// filled. `caffets time` is spawned with CAFFETS_MEMORY_AVAILABLE_BYTES fixed, so the verdicts do not
// depend on this machine's memory; no case allocates more than a few hundred MB (needs `npm run build`).
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { ROOT, tmpDir } from '../helpers';

const GB = 2 ** 30;

/** `caffets time --model=<text> --iterations=1` with `available` bytes assumed and INFO lines off. */
function time(dir: string, name: string, text: string, available: number) {
  const file = path.join(dir, `${name}.prototxt`);
  fs.writeFileSync(file, text);
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin/caffets'), 'time', `--model=${file}`, '--iterations=1'], {
    encoding: 'utf8',
    timeout: 60000,
    env: { ...process.env, GLOG_minloglevel: '1', CAFFETS_MEMORY_AVAILABLE_BYTES: String(available) },
  });
  return { code: r.status, signal: r.signal, err: r.stderr, seconds: (Date.now() - t0) / 1000 };
}

/** Exit 1 with exactly one stderr line matching `re`: no stack, no signal, and quickly (nothing allocated). */
function expectRefused(r: ReturnType<typeof time>, re: RegExp): void {
  expect(r.signal).toBeNull();
  expect(r.err).not.toMatch(/internal error|\n\s+at /);
  expect(r.err.trimEnd().split('\n')).toEqual([expect.stringMatching(re)]);
  expect(r.code).toBe(1);
  expect(r.seconds).toBeLessThan(20);
}

const input = (dims: number[]) => {
  const shape = dims.map((d) => `dim: ${d}`).join(' ');
  return `layer { name: "data" type: "Input" top: "data" input_param { shape { ${shape} } } }\n`;
};

describe('caffets time on nets that do not fit in memory', () => {
  const dir = tmpDir();
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('LeNet with a batch of 100000: the estimate at set-up passes what is available by conv1', () => {
    const lenet = fs
      .readFileSync(path.join(ROOT, 'models/lenet/deploy.prototxt'), 'utf8')
      .replace('shape { dim: 1 dim: 1 dim: 28 dim: 28 }', 'shape { dim: 100000 dim: 1 dim: 28 dim: 28 }');
    expect(lenet).toContain('dim: 100000');
    const r = time(dir, 'lenet', lenet, 4 * GB);
    expectRefused(
      r,
      /^caffets: out of memory: net "LeNet" needs more than \d+\.\d GB by layer conv1, 4\.0 GB available \(estimated: .*; the largest, layer conv1, takes \d+\.\d GB\)$/,
    );
  });

  it('an InnerProduct of num_output 2000000000: its parameters are refused before they are filled', () => {
    const net =
      input([1, 1]) +
      'layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip" ' +
      'inner_product_param { num_output: 2000000000 weight_filler { type: "xavier" } } }\n';
    // weights and bias of 2e9 floats each, with their diffs: 4 x 7.45 GB
    expectRefused(
      time(dir, 'ip', net, 8 * GB),
      /^caffets: InnerProduct layer ip: out of memory: its parameters need 29\.8 GB, 8\.0 GB available$/,
    );
  });

  it('200 layers of 200 MB tops (each passes the per-blob check): the whole net, with gradients, is refused', () => {
    const mb200 = 50 * 2 ** 20; // floats
    let net = 'name: "tall"\nforce_backward: true\n' + input([1, mb200]);
    for (let i = 0; i < 200; i++) {
      const bottom = i === 0 ? 'data' : `p${i - 1}`;
      net += `layer { name: "p${i}" type: "Power" bottom: "${bottom}" top: "p${i}" power_param { scale: 2 } }\n`;
    }
    // 201 tops of 200 MB: 39.3 GB of data fit the 48 GB assumed; with their diffs, 78.5 GB do not
    expectRefused(
      time(dir, 'tall', net, 48 * GB),
      /^caffets: out of memory: net "tall" needs 78\.5 GB, 48\.0 GB available \(estimated: .*; the largest, layer data, takes 400\.0 MB\)$/,
    );
  });

  it('200 InnerProducts of 200 MB weights, each filled at set-up: refused after the few that fit', () => {
    let net = 'name: "wide"\n' + input([1, 1]);
    for (let i = 0; i < 200; i++) {
      net +=
        `layer { name: "ip${i}" type: "InnerProduct" bottom: "data" top: "ip${i}" inner_product_param ` +
        `{ num_output: ${50 * 2 ** 20} bias_term: false weight_filler { type: "constant" value: 1 } } }\n`;
    }
    // each layer: 200 MB of weights, 200 MB of their diff, a 200 MB top; the second passes 1 GB
    expectRefused(
      time(dir, 'wide', net, 1 * GB),
      /^caffets: out of memory: net "wide" needs more than 1\.2 GB by layer ip1, 1\.0 GB available/,
    );
  });
});
