// End-to-end: degenerate shapes and parameters end in one `caffets: ...` line naming the layer, never an
// internal error with a stack trace (needs `npm run build`).
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { ROOT, tmpDir } from '../helpers';

function caffets(...args: string[]) {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin/caffets'), ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** The stderr lines the CLI itself wrote (glog lines and the net dump aside). */
const caffetsLines = (err: string) => err.split('\n').filter((l) => l.startsWith('caffets:'));

function expectOneLine(err: string, re: RegExp): void {
  expect(err).not.toContain('internal error');
  expect(err).not.toMatch(/\n\s+at .+:\d+:\d+/);
  const lines = caffetsLines(err);
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(re);
}

const input = (dims: number[]) => {
  const shape = dims.map((d) => `dim: ${d}`).join(' ');
  return `layer { name: "data" type: "Input" top: "data" input_param { shape { ${shape} } } }\n`;
};
const conv = (k: number) =>
  'layer { name: "conv" type: "Convolution" bottom: "data" top: "conv" ' +
  `convolution_param { num_output: 2 kernel_size: ${k} } }\n`;
const ip = (bottom: string, n: number) =>
  `layer { name: "ip" type: "InnerProduct" bottom: "${bottom}" top: "ip" inner_product_param { num_output: ${n} } }\n`;

describe('caffets time on degenerate shapes', () => {
  const dir = tmpDir();
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const time = (name: string, text: string) => {
    const file = path.join(dir, `${name}.prototxt`);
    fs.writeFileSync(file, `name: "${name}"\n${text}`);
    return caffets('time', `--model=${file}`, '--iterations=1');
  };

  it('rejects an InnerProduct with num_output 0 (its weight filler CHECKs a non-empty blob)', () => {
    const r = time('ip0', input([2, 3]) + ip('data', 0));
    expect(r.code).not.toBe(0);
    expectOneLine(r.err, /^caffets: InnerProduct layer ip: Check failed: count$/);
  });

  it('rejects an InnerProduct after a zero spatial size upstream', () => {
    const r = time('sp0', input([1, 1, 2, 2]) + conv(3) + ip('conv', 4));
    expect(r.code).not.toBe(0);
    expectOneLine(r.err, /^caffets: InnerProduct layer ip: Check failed: count$/);
  });

  it('names the layer whose output size is negative', () => {
    const c = time('neg', input([1, 1, 1, 1]) + conv(3));
    expect(c.code).not.toBe(0);
    expectOneLine(c.err, /^caffets: Convolution layer conv: invalid blob dimension -1/);
    const pool = time(
      'negp',
      input([1, 1, 1, 1]) +
        'layer { name: "pool" type: "Pooling" bottom: "data" top: "pool" ' +
        'pooling_param { pool: MAX kernel_size: 3 } }\n',
    );
    expect(pool.code).not.toBe(0);
    expectOneLine(pool.err, /^caffets: Pooling layer pool: invalid blob dimension -1/);
  });

  it('runs a batch of 0 as Caffe does (an empty product is no product), without an internal error', () => {
    const r = time('b0', input([0, 3]) + ip('data', 4));
    expect(r.err).not.toContain('internal error');
    expect(r.code).toBe(0);
  });
});
