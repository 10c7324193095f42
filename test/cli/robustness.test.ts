// End-to-end: degenerate shapes and parameters end in one `caffets: ...` line naming the layer, never an
// internal error with a stack trace (needs `npm run build`).
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { openDB } from '../../src/db';
import { encodeMessage } from '../../src/formats/wire';
import { Message } from '../../src/proto/schema';
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

describe('caffets time on the set-up and data checks of SPP, BatchReindex, Im2col, MultinomialLogisticLoss', () => {
  const dir = tmpDir();
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const time = (name: string, text: string) => {
    const file = path.join(dir, `${name}.prototxt`);
    fs.writeFileSync(file, `name: "${name}"\n${text}`);
    return caffets('time', `--model=${file}`, '--iterations=1');
  };
  /** A DummyData top of `dims` filled with the constant `value`. */
  const dummy = (top: string, dims: number[], value: number) =>
    `layer { name: "${top}" type: "DummyData" top: "${top}" dummy_data_param { ` +
    `shape { ${dims.map((d) => `dim: ${d}`).join(' ')} } data_filler { type: "constant" value: ${value} } } }\n`;

  it('SPP on a 5-D input', () => {
    const r = time(
      'spp5',
      input([1, 2, 3, 4, 4]) +
        'layer { name: "spp" type: "SPP" bottom: "data" top: "spp" spp_param { pyramid_height: 2 } }\n',
    );
    expect(r.code).not.toBe(0);
    expectOneLine(
      r.err,
      /^caffets: SPP layer spp: Check failed: 4 == bottom\[0\]->num_axes\(\) \(4 vs\. 5\) Input must have 4 axes/,
    );
  });

  it('BatchReindex with an index beyond the batch', () => {
    const r = time(
      'reindex',
      dummy('data', [2, 3], 1) +
        dummy('idx', [3], 2) +
        'layer { name: "reindex" type: "BatchReindex" bottom: "data" bottom: "idx" top: "r" }\n',
    );
    expect(r.code).not.toBe(0);
    expectOneLine(
      r.err,
      /^caffets: BatchReindex layer reindex: Check failed: ridx_data\[i\] < initial_num \(2 vs\. 2\) Index specified for reindex layer was greater than batch size\. \(index 0 of 3\)$/,
    );
  });

  it('Im2col with a kernel larger than the padded input', () => {
    const r = time(
      'im2col',
      input([1, 2, 3, 3]) +
        'layer { name: "cols" type: "Im2col" bottom: "data" top: "cols" convolution_param { kernel_size: 5 } }\n',
    );
    expect(r.code).not.toBe(0);
    expectOneLine(r.err, /^caffets: Im2col layer cols: invalid blob dimension -1/);
  });

  it('MultinomialLogisticLoss with a label out of range', () => {
    const r = time(
      'mll',
      dummy('prob', [2, 5], 0.2) +
        dummy('label', [2], 5) +
        'layer { name: "loss" type: "MultinomialLogisticLoss" bottom: "prob" bottom: "label" top: "loss" }\n',
    );
    expect(r.code).not.toBe(0);
    expectOneLine(
      r.err,
      /^caffets: MultinomialLogisticLoss layer loss: label 0 is 5; labels must be integers in \{0, 1, \.\.\., 4\}$/,
    );
  });
});

describe('caffets time on a Data layer over degenerate Datums', () => {
  const dir = tmpDir();
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  async function timeOver(name: string, datum: Message) {
    const source = path.join(dir, `${name}_lmdb`);
    const db = await openDB('lmdb', source, 'new');
    const t = db.newTransaction();
    t.put('00000000', encodeMessage(datum, 'caffe.Datum'));
    await t.commit();
    await db.close();
    const model = path.join(dir, `${name}.prototxt`);
    fs.writeFileSync(
      model,
      `layer { name: "data" type: "Data" top: "data" top: "label" ` +
        `data_param { source: "${source}" batch_size: 2 backend: LMDB } }\n` +
        ip('data', 2),
    );
    return caffets('time', `--model=${model}`, '--iterations=1');
  }

  it('refuses an empty batch from a Datum of height 0 (Caffe load_batch CHECK)', async () => {
    const r = await timeOver('h0', { channels: 1, height: 0, width: 4 });
    expect(r.code).not.toBe(0);
    expectOneLine(r.err, /^caffets: Data layer data: Check failed: batch->data_\.count\(\)$/);
  });

  it('refuses negative channels', async () => {
    const r = await timeOver('neg', { channels: -1, height: 28, width: -28, data: new Uint8Array(784) });
    expect(r.code).not.toBe(0);
    expectOneLine(r.err, /^caffets: Data layer data: Check failed: datum_channels > 0 \(-1 vs\. 0\)$/);
  });
});

describe('caffets time on 20 MB of misspelt input', () => {
  const dir = tmpDir();
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const long = 'y'.repeat(20 * 1024 * 1024);
  const time = (text: string) => {
    const file = path.join(dir, 'long.prototxt');
    fs.writeFileSync(file, text);
    return caffets('time', `--model=${file}`, '--iterations=1');
  };

  it('quotes a misspelt field name cut to 80 characters', () => {
    const r = time(`layer { name: "a" ${long}: 1 }`);
    expect(r.code).not.toBe(0);
    expectOneLine(r.err, /has no field named "y{80}\.\.\."$/);
    expect(caffetsLines(r.err)[0].length).toBeLessThan(200);
  });

  it('quotes an unknown layer type and a long layer name cut to 80 characters', () => {
    const r = time(`layer { name: "${long}" type: "${long}" }`);
    expect(r.code).not.toBe(0);
    expectOneLine(r.err, /^caffets: Unknown layer type: y{80}\.\.\. \(layer "y{80}\.\.\."; known types: /);
    expect(caffetsLines(r.err)[0].length).toBeLessThan(5000); // the net as logged (as Caffe logs it) aside
  });
});
