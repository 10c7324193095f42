// HDF5Data on files written by the test (through h5wasm, io/hdf5.ts): rows and batches, wrapping
// within a file and across files, float32 / float64 / int32 datasets, N-d rows, shuffling with the
// C library's rand() (data/hdf5_crand.ts), log lines, errors, the worker's life cycle. Against the
// reference Caffe: `caffe test` on the same files and nets prints every served value (the data tops
// are net outputs) and the loss of an InnerProduct + EuclideanLoss net; ours must print the same.
import '../../src/layers';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { testModel } from '../../src/api/test';
import { train } from '../../src/api/train';
import { Blob } from '../../src/core/blob';
import { Layer } from '../../src/core/layer';
import { createLayer } from '../../src/core/layer_factory';
import { Hdf5Session, readHdf5File, writeHdf5File } from '../../src/io/hdf5';
import { hdf5WorkerRunning } from '../../src/io/hdf5_worker';
import { cRand, cSrand, randomShuffle } from '../../src/data/hdf5_crand';
import type { Message } from '../../src/proto/schema';
import { setLogSink } from '../../src/util/logging';
import { captureLog } from '../data/data_helpers';
import { describeCaffe, tmpDir } from '../helpers';
import { setSolverCount, setSolverRank } from '../../src/backend/mode';

const arr = (a: ArrayLike<number>) => Array.from(a);

const made: Layer[] = [];
function makeLayer(param: Message): Layer {
  const l = createLayer({ name: 'd', type: 'HDF5Data', ...param });
  made.push(l);
  return l;
}
afterEach(() => {
  while (made.length) made.pop()!.dispose();
});

let warm: Hdf5Session | null = null;
let restoreLog: () => void = () => undefined;
beforeAll(() => {
  restoreLog = setLogSink(() => undefined); // quiet: tests capture what they check
  warm = new Hdf5Session(); // one worker for the file (its start-up costs a few tenths of a second)
});
afterAll(() => {
  warm?.dispose();
  restoreLog();
});

const tops = (n: number) => Array.from({ length: n }, () => new Blob());

/** File k: `n` rows; data row r is [2, 3] with values 100k + 10r + i, label 100k + r (float64). */
function rowFile(dir: string, k: number, n: number, name = `f${k}.h5`): string {
  const file = path.join(dir, name);
  writeHdf5File(file, {
    data: {
      shape: [n, 2, 3],
      data: Float32Array.from({ length: n * 6 }, (_, j) => 100 * k + 10 * Math.floor(j / 6) + (j % 6)),
    },
    label: { shape: [n], data: Float64Array.from({ length: n }, (_, r) => 100 * k + r) },
  });
  return file;
}
const dataRow = (k: number, r: number) => Array.from({ length: 6 }, (_, i) => 100 * k + 10 * r + i);

function listFile(dir: string, files: string[], sep = '\n'): string {
  const p = path.join(dir, `list${Math.random().toString(36).slice(2)}.txt`);
  fs.writeFileSync(p, files.join(sep) + '\n');
  return p;
}

/** Runs `count` forwards; returns the label values served, batch by batch. */
function labels(l: Layer, t: Blob[], count: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < count; i++) {
    l.forward([], t);
    out.push(arr(t[1].cpuData()));
  }
  return out;
}

describe('C rand() and std::random_shuffle (hdf5_crand)', () => {
  it("is glibc's rand(): seed 1 by default, srand(0) = srand(1)", () => {
    cSrand();
    expect(Array.from({ length: 8 }, cRand)).toEqual([
      1804289383, 846930886, 1681692777, 1714636915, 1957747793, 424238335, 719885386, 1649760492,
    ]);
    cSrand(42);
    expect(cRand()).toBe(71876166);
    cSrand(0);
    expect(cRand()).toBe(1804289383);
  });

  it("shuffles as libstdc++'s random_shuffle: the order reference Caffe served (2 files, 10 rows)", () => {
    cSrand(1);
    const files = [0, 1],
      rows = Array.from({ length: 10 }, (_, i) => i);
    randomShuffle(files);
    randomShuffle(rows);
    expect(files).toEqual([0, 1]);
    expect(rows).toEqual([2, 9, 1, 6, 7, 0, 8, 3, 4, 5]);
  });
});

describe('HDF5Data layer', () => {
  let dir: string;
  beforeAll(() => {
    dir = tmpDir('caffets-hdf5-');
  });

  it('serves batch_size rows per forward, wraps around a single file, shapes the tops from the datasets', () => {
    const src = listFile(dir, [rowFile(dir, 0, 5)]);
    const log = captureLog();
    let l: Layer, t: Blob[];
    try {
      l = makeLayer({ top: ['data', 'label'], hdf5_data_param: { source: src, batch_size: 3 } });
      t = tops(2);
      l.setUp([], t);
    } finally {
      log.stop();
    }
    expect(log.lines.filter((x) => !x.startsWith('Creating layer'))).toEqual([
      `Loading list of HDF5 filenames from: ${src}`,
      'Number of HDF5 files: 1',
      'Datatype class: H5T_FLOAT',
    ]);
    expect(t[0].shape).toEqual([3, 2, 3]);
    expect(t[1].shape).toEqual([3]);
    l.forward([], t);
    expect(arr(t[0].cpuData())).toEqual([...dataRow(0, 0), ...dataRow(0, 1), ...dataRow(0, 2)]);
    expect(arr(t[1].cpuData())).toEqual([0, 1, 2]);
    l.forward([], t);
    expect(arr(t[0].cpuData())).toEqual([...dataRow(0, 3), ...dataRow(0, 4), ...dataRow(0, 0)]);
    expect(labels(l, t, 3)).toEqual([
      [1, 2, 3],
      [4, 0, 1],
      [2, 3, 4],
    ]);
    // no backward to do, whatever is asked
    expect(() => l.backward(t, [true], [])).not.toThrow();
  });

  it('data-parallel replicas deal the rows round-robin in TRAIN (offset % N == rank); TEST reads them all', () => {
    const src = listFile(dir, [rowFile(dir, 0, 5)]);
    const served = (count: number, rank: number, phase: string, batchSize: number) => {
      setSolverCount(count);
      setSolverRank(rank);
      try {
        const l = makeLayer({ phase, top: ['data', 'label'], hdf5_data_param: { source: src, batch_size: batchSize } });
        const t = tops(2);
        l.setUp([], t);
        return labels(l, t, 3);
      } finally {
        setSolverCount(1);
        setSolverRank(0);
      }
    };
    expect(served(1, 0, 'TRAIN', 2)).toEqual([
      [0, 1],
      [2, 3],
      [4, 0],
    ]);
    expect(served(2, 0, 'TRAIN', 1)).toEqual([[0], [2], [4]]);
    expect(served(2, 1, 'TRAIN', 1)).toEqual([[1], [3], [0]]);
    expect(served(2, 1, 'TEST', 1)).toEqual([[0], [1], [2]]);
  });

  it('moves through the listed files in order and back to the first (whitespace-separated list)', () => {
    const files = [rowFile(dir, 0, 2), rowFile(dir, 1, 3), rowFile(dir, 2, 1)];
    const src = path.join(dir, 'multi.txt');
    fs.writeFileSync(src, `  ${files[0]} ${files[1]}\n\n\t${files[2]}`); // `source_file >> line` reads tokens
    const log = captureLog();
    const l = makeLayer({ top: ['data', 'label'], hdf5_data_param: { source: src, batch_size: 4 } });
    const t = tops(2);
    try {
      l.setUp([], t);
    } finally {
      log.stop();
    }
    expect(log.lines).toContain('Number of HDF5 files: 3');
    expect(labels(l, t, 3)).toEqual([
      [0, 1, 100, 101],
      [102, 200, 0, 1],
      [100, 101, 102, 200],
    ]);
  });

  it('reads float64 and int32 datasets as float, N-d rows, any number of tops (one here)', () => {
    const f = path.join(dir, 'types.h5');
    writeHdf5File(f, {
      x: { shape: [2, 2, 2, 2], data: Float64Array.from({ length: 16 }, (_, i) => i + 0.1) },
      y: { shape: [2, 3], data: Int32Array.from([-1, 2, -3, 4, -5, 6]) },
    });
    const src = listFile(dir, [f]);
    const log = captureLog();
    const one = makeLayer({ top: ['x'], hdf5_data_param: { source: src, batch_size: 1 } });
    const two = makeLayer({ top: ['y', 'x'], hdf5_data_param: { source: src, batch_size: 2 } });
    const t1 = tops(1),
      t2 = tops(2);
    try {
      one.setUp([], t1);
      two.setUp([], t2);
    } finally {
      log.stop();
    }
    expect(t1[0].shape).toEqual([1, 2, 2, 2]);
    one.forward([], t1);
    one.forward([], t1);
    expect(arr(t1[0].cpuData())).toEqual(Array.from({ length: 8 }, (_, i) => Math.fround(i + 8.1)));
    expect(t2[0].shape).toEqual([2, 3]);
    two.forward([], t2);
    expect(arr(t2[0].cpuData())).toEqual([-1, 2, -3, 4, -5, 6]);
    expect(arr(t2[1].cpuData())).toEqual(Array.from({ length: 16 }, (_, i) => Math.fround(i + 0.1)));
    // Caffe's LOG_FIRST_N: the integer class is announced once (the float one was, by an earlier test)
    expect(log.lines.filter((x) => x.startsWith('Datatype class'))).toEqual(['Datatype class: H5T_INTEGER']);
  });

  it('shuffles files and rows with rand(), reproducibly, one file at a time, reshuffling every pass', () => {
    const files = [rowFile(dir, 0, 4, 's0.h5'), rowFile(dir, 1, 3, 's1.h5'), rowFile(dir, 2, 5, 's2.h5')];
    const src = listFile(dir, files);
    const run = () => {
      cSrand(1);
      const l = makeLayer({ top: ['data', 'label'], hdf5_data_param: { source: src, batch_size: 1, shuffle: true } });
      const t = tops(2);
      l.setUp([], t);
      const seq = labels(l, t, 36).map((b) => b[0]);
      // every row's data matches its label
      l.forward([], t);
      const lab = t[1].cpuData()[0];
      expect(arr(t[0].cpuData())).toEqual(dataRow(Math.floor(lab / 100), lab % 100));
      return seq;
    };
    const a = run(),
      b = run();
    expect(a).toEqual(b);
    // the expected order, drawn as Caffe draws: files at set-up, rows at each load and after each pass
    cSrand(1);
    const sizes = [4, 3, 5],
      perm = [0, 1, 2];
    randomShuffle(perm);
    const expected: number[] = [];
    let fi = 0,
      rows = Array.from({ length: sizes[perm[0]] }, (_, i) => i);
    randomShuffle(rows);
    while (expected.length < 36) {
      for (const r of rows) expected.push(100 * perm[fi] + r);
      if (++fi === 3) {
        fi = 0;
        randomShuffle(perm);
      }
      rows = Array.from({ length: sizes[perm[fi]] }, (_, i) => i);
      randomShuffle(rows);
      randomShuffle(rows);
    }
    expect(a).toEqual(expected.slice(0, 36));
    // 36 rows = 3 passes over 12: each pass serves every row once, a file's rows together
    for (let pass = 0; pass < 3; pass++) {
      const p = a.slice(12 * pass, 12 * pass + 12);
      expect([...p].sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 100, 101, 102, 200, 201, 202, 203, 204]);
      const fileOf = p.map((v) => Math.floor(v / 100));
      expect(fileOf.filter((f, i) => i === 0 || f !== fileOf[i - 1]).length).toBe(3);
    }
    expect(a).not.toEqual([...Array(3)].flatMap(() => [0, 1, 2, 3, 100, 101, 102, 200, 201, 202, 203, 204]));
  });

  it('a single shuffled file is reshuffled after each pass, without reloading', () => {
    const src = listFile(dir, [rowFile(dir, 3, 6, 'one.h5')]);
    // Caffe's draws: the file order (one file: none), the rows at load, the rows after the pass
    cSrand(1);
    const rows = [0, 1, 2, 3, 4, 5];
    randomShuffle(rows);
    const first = rows.map((r) => 300 + r);
    randomShuffle(rows);
    const second = rows.map((r) => 300 + r);
    cSrand(1);
    const l = makeLayer({ top: ['data', 'label'], hdf5_data_param: { source: src, batch_size: 6, shuffle: true } });
    const t = tops(2);
    l.setUp([], t);
    expect(labels(l, t, 2)).toEqual([first, second]);
    expect(first).not.toEqual(second);
  });

  it(
    'errors: source, empty list, missing or non-HDF5 file, missing dataset, ' +
      'row counts, row sizes, transform_param',
    () => {
      const good = rowFile(dir, 0, 3, 'good.h5');
      const setUp =
        (param: Message, n = 2) =>
        () =>
          makeLayer(param).setUp([], tops(n));
      const p = (source: string, extra: Message = {}) => ({
        top: ['data', 'label'],
        hdf5_data_param: { source, batch_size: 2 },
        ...extra,
      });

      expect(setUp(p(path.join(dir, 'nolist.txt')))).toThrow(
        `HDF5Data layer d: Failed to open source file: ${path.join(dir, 'nolist.txt')}`,
      );
      const empty = listFile(dir, []);
      expect(setUp(p(empty))).toThrow(
        `HDF5Data layer d: Check failed: num_files_ >= 1 (0 vs. 1) ` +
          `Must have at least 1 HDF5 filename listed in ${empty}`,
      );
      const absent = path.join(dir, 'absent.h5');
      expect(setUp(p(listFile(dir, [absent])))).toThrow(`HDF5Data layer d: Failed opening HDF5 file: ${absent}`);
      const junk = path.join(dir, 'junk.h5');
      fs.writeFileSync(junk, 'not an HDF5 file');
      expect(setUp(p(listFile(dir, [junk])))).toThrow(`HDF5Data layer d: Failed opening HDF5 file: ${junk}`);
      expect(setUp({ ...p(listFile(dir, [good])), top: ['data', 'target'] })).toThrow(
        'HDF5Data layer d: Check failed: H5LTfind_dataset(file_id, dataset_name_) Failed to find HDF5 dataset target',
      );

      const uneven = path.join(dir, 'uneven.h5');
      writeHdf5File(uneven, {
        data: { shape: [3, 2], data: new Float32Array(6) },
        label: { shape: [2], data: new Float32Array(2) },
      });
      expect(setUp(p(listFile(dir, [uneven])))).toThrow(
        'HDF5Data layer d: Check failed: hdf_blobs_[i]->shape(0) == num (2 vs. 3)',
      );

      expect(setUp(p(listFile(dir, [good]), { transform_param: { scale: 2 } }))).toThrow(
        'HDF5Data layer d: Check failed: !this->layer_param_.has_transform_param() HDF5Data does not transform data.',
      );

      // a later file whose rows differ in size from the first's (Caffe would copy past its buffer)
      const wide = path.join(dir, 'wide.h5');
      writeHdf5File(wide, {
        data: { shape: [2, 7], data: new Float32Array(14) },
        label: { shape: [2], data: new Float32Array(2) },
      });
      const l = makeLayer(p(listFile(dir, [good, wide])));
      const t = tops(2);
      l.setUp([], t);
      l.forward([], t);
      expect(() => l.forward([], t)).toThrow(/dataset data of .*wide\.h5 has rows of 7 values .* rows of 6 values/);

      // a file with no rows
      const none = path.join(dir, 'none.h5');
      writeHdf5File(none, {
        data: { shape: [0, 2], data: new Float32Array(0) },
        label: { shape: [0], data: new Float32Array(0) },
      });
      expect(setUp(p(listFile(dir, [none])))).toThrow(/holds no rows/);
    },
  );
});

// ---------------------------------------------------------------------------- reference Caffe

/** Runs `caffe test`; returns its "Batch i, x = v" and "Loss: v" lines, or throws with its output. */
function caffeTest(
  dir: string,
  net: string,
  iterations: number,
): { lines: string[]; status: number | null; text: string } {
  const model = path.join(dir, `net${Math.random().toString(36).slice(2)}.prototxt`);
  fs.writeFileSync(model, net);
  const weights = path.join(dir, 'empty.caffemodel');
  fs.writeFileSync(weights, ''); // an empty NetParameter: the nets here have no learned weights to load
  const r = spawnSync('caffe', ['test', `--model=${model}`, `--weights=${weights}`, `--iterations=${iterations}`], {
    cwd: dir,
    timeout: 120000,
    maxBuffer: 1 << 28,
  });
  const text = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  return { lines: scoreLines(text.split('\n')), status: r.status, text };
}

function scoreLines(lines: string[]): string[] {
  return lines
    .map((l) => (l.includes('] ') ? l.slice(l.indexOf('] ') + 2) : l))
    .filter((l) => /^(Batch \d+, |Loss: )/.test(l));
}

/** Our `caffets test` on the same net: the same lines. */
function ourTest(dir: string, net: string, iterations: number): string[] {
  const model = path.join(dir, `ours${Math.random().toString(36).slice(2)}.prototxt`);
  fs.writeFileSync(model, net);
  const weights = path.join(dir, 'empty.caffemodel');
  fs.writeFileSync(weights, '');
  cSrand(1); // a fresh process, as each `caffe test` is
  const log = captureLog();
  try {
    testModel({ model, weights, iterations });
  } finally {
    log.stop();
  }
  return scoreLines(log.lines);
}

describeCaffe('HDF5Data against reference Caffe (caffe test)', () => {
  let dir: string, src: string;
  beforeAll(() => {
    dir = tmpDir('caffets-hdf5-caffe-');
    src = listFile(dir, [rowFile(dir, 0, 5), rowFile(dir, 1, 3), rowFile(dir, 2, 4)]);
  });

  const dataNet = (shuffle: boolean) =>
    `name: "h"
layer { name: "d" type: "HDF5Data" top: "data" top: "label" ` +
    `hdf5_data_param { source: "${src}" batch_size: 5 shuffle: ${shuffle} } }`;

  for (const shuffle of [false, true]) {
    it(`Caffe reads our files and serves the same values in the same order (shuffle: ${shuffle})`, () => {
      const caffe = caffeTest(dir, dataNet(shuffle), 9);
      if (caffe.status !== 0) throw new Error(`caffe test failed: ${caffe.text.slice(-3000)}`);
      expect(caffe.lines.length).toBe(9 * 5 * 7 + 1);
      expect(ourTest(dir, dataNet(shuffle), 9)).toEqual(caffe.lines);
    });
  }

  it('InnerProduct + EuclideanLoss on HDF5 data: the same batch losses', () => {
    const net =
      `name: "h"
layer { name: "d" type: "HDF5Data" top: "data" top: "label" ` +
      `hdf5_data_param { source: "${src}" batch_size: 3 shuffle: true } }
layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip"
  inner_product_param { num_output: 1 weight_filler { type: "constant" value: 0.01 } ` +
      `bias_filler { type: "constant" value: -1 } } }
layer { name: "loss" type: "EuclideanLoss" bottom: "ip" bottom: "label" top: "loss" }`;
    const caffe = caffeTest(dir, net, 7);
    if (caffe.status !== 0) throw new Error(`caffe test failed: ${caffe.text.slice(-3000)}`);
    expect(caffe.lines.length).toBe(8);
    const ours = ourTest(dir, net, 7);
    expect(ours.length).toBe(8);
    ours.forEach((line, i) => {
      const [a, b] = [line, caffe.lines[i]].map((s) => Number(s.slice(s.lastIndexOf(' ') + 1)));
      expect(line.slice(0, line.lastIndexOf(' '))).toBe(caffe.lines[i].slice(0, caffe.lines[i].lastIndexOf(' ')));
      expect(Math.abs(a - b)).toBeLessThanOrEqual(2e-6 * Math.max(1, Math.abs(b)));
    });
  });

  it('caffe train: train and test nets share the rand() stream, in construction order (losses as Caffe)', async () => {
    const net = path.join(dir, 'train_net.prototxt');
    fs.writeFileSync(
      net,
      `name: "t"
layer { name: "d" type: "HDF5Data" top: "data" top: "label" include { phase: TRAIN } ` +
        `hdf5_data_param { source: "${src}" batch_size: 3 shuffle: true } }
layer { name: "d" type: "HDF5Data" top: "data" top: "label" include { phase: TEST } ` +
        `hdf5_data_param { source: "${src}" batch_size: 2 shuffle: true } }
layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip"
  inner_product_param { num_output: 1 weight_filler { type: "constant" value: 0.001 } ` +
        `bias_filler { type: "constant" value: 0 } } }
layer { name: "loss" type: "EuclideanLoss" bottom: "ip" bottom: "label" top: "loss" }`,
    );
    const solver = path.join(dir, 'solver.prototxt');
    fs.writeFileSync(
      solver,
      `net: "${net}"\nbase_lr: 0.00002\nlr_policy: "fixed"\nmax_iter: 24\ndisplay: 1\n` +
        `test_iter: 3\ntest_interval: 8\nrandom_seed: 3\nsolver_mode: CPU\nsnapshot_after_train: false\n`,
    );
    const pick = (lines: string[]) =>
      lines
        .map((l) => (l.includes('] ') ? l.slice(l.indexOf('] ') + 2) : l))
        .filter((l) => /(Train|Test) net output #0: loss = |Iteration \d+, loss = /.test(l))
        .map((l) => l.replace(/ \(\* 1 = .*$/, ''));
    const r = spawnSync('caffe', ['train', `--solver=${solver}`], { cwd: dir, timeout: 120000, maxBuffer: 1 << 28 });
    const text = `${r.stdout ?? ''}${r.stderr ?? ''}`;
    if (r.status !== 0) throw new Error(`caffe train failed: ${text.slice(-3000)}`);
    const theirs = pick(text.split('\n'));
    expect(theirs.length).toBe(24 + 4 + 1); // 24 train outputs, tests at 0, 8, 16, 24, the final "Iteration 24, loss"
    cSrand(1);
    const lines: string[] = [];
    const restore = setLogSink((l) => lines.push(l));
    try {
      await train({ solver });
    } finally {
      restore();
    }
    const ours = pick(lines);
    expect(ours.length).toBe(theirs.length);
    ours.forEach((line, i) => {
      const [a, b] = [line, theirs[i]].map((x) => Number(x.slice(x.lastIndexOf(' ') + 1)));
      expect(line.slice(0, line.lastIndexOf(' '))).toBe(theirs[i].slice(0, theirs[i].lastIndexOf(' ')));
      expect(Math.abs(a - b)).toBeLessThanOrEqual(2e-5 * Math.max(1, Math.abs(b))); // float32 sums of ~1e4-sized terms
    });
  });

  it('reads a file Caffe wrote with HDF5Output (float32, legacy 4-d shapes)', () => {
    const out = path.join(dir, 'caffe_written.h5');
    const net = `name: "h"
layer { name: "d" type: "HDF5Data" top: "data" top: "label" hdf5_data_param { source: "${src}" batch_size: 4 } }
layer { name: "o" type: "HDF5Output" bottom: "data" bottom: "label" hdf5_output_param { file_name: "${out}" } }`;
    const caffe = caffeTest(dir, net, 1);
    if (caffe.status !== 0) throw new Error(`caffe test failed: ${caffe.text.slice(-3000)}`);
    const raw = readHdf5File(out);
    expect(raw.data.shape).toEqual([4, 2, 3, 1]);
    expect(raw.label.shape).toEqual([4, 1, 1, 1]);
    expect(raw.data.dtype).toBe('<f');
    const l = makeLayer({ top: ['data', 'label'], hdf5_data_param: { source: listFile(dir, [out]), batch_size: 4 } });
    const t = tops(2);
    l.setUp([], t);
    expect(t[0].shape).toEqual([4, 2, 3, 1]);
    l.forward([], t);
    expect(arr(t[0].cpuData())).toEqual([0, 1, 2, 3].flatMap((r) => dataRow(0, r)));
    expect(arr(t[1].cpuData())).toEqual([0, 1, 2, 3]);
  });
});

describe('the HDF5 worker', () => {
  it('runs in a Net; the HDF5 worker stops when the last layer using it is disposed', () => {
    warm?.dispose();
    warm = null;
    expect(hdf5WorkerRunning()).toBe(false);
    const dir = tmpDir('caffets-hdf5-');
    const src = listFile(dir, [rowFile(dir, 0, 4, 'net.h5')]);
    const { Net } = require('../../src/net') as typeof import('../../src/net');
    const { parsePrototxt } = require('../../src/formats/prototxt') as typeof import('../../src/formats/prototxt');
    const log = captureLog();
    try {
      const net = new Net(
        parsePrototxt(
          `name: "h" layer { name: "d" type: "HDF5Data" top: "data" top: "label"
        hdf5_data_param { source: "${src}" batch_size: 2 } }
        layer { name: "s" type: "Silence" bottom: "data" bottom: "label" }`,
          'caffe.NetParameter',
        ),
        { phase: 'TEST' },
      );
      expect(hdf5WorkerRunning()).toBe(true);
      net.forward();
      net.forward();
      net.forward();
      expect(arr(net.blobByName('label').cpuData())).toEqual([0, 1]);
      net.dispose();
    } finally {
      log.stop();
    }
    expect(hdf5WorkerRunning()).toBe(false);
  });
});
