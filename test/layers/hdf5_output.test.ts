// HDF5Output: the file created (truncated) at set-up, "data" and "label" written as float32 with the
// legacy 4-d shapes, Caffe's log lines, the second forward failing as Caffe's does, errors, dispose.
// Against the reference Caffe: the same net (HDF5Data -> HDF5Output) run by `caffe test` and by us
// writes the same datasets, and the second iteration fails the same way.
import '../../src/layers';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { testModel } from '../../src/api/test';
import { Blob } from '../../src/core/blob';
import { Layer } from '../../src/core/layer';
import { createLayer } from '../../src/core/layer_factory';
import { Hdf5Session, readHdf5File, writeHdf5File } from '../../src/io/hdf5';
import { hdf5WorkerRunning } from '../../src/io/hdf5_worker';
import type { Message } from '../../src/proto/schema';
import { setLogSink } from '../../src/util/logging';
import { captureLog } from '../data/data_helpers';
import { describeCaffe, tmpDir } from '../helpers';

const arr = (a: ArrayLike<number>) => Array.from(a);

const made: Layer[] = [];
function makeLayer(param: Message): Layer {
  const l = createLayer({ name: 'o', ...param });
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
  warm = new Hdf5Session(); // one worker for the whole file (its start-up costs a few tenths of a second)
});
afterAll(() => {
  warm?.dispose();
  restoreLog();
});

function blob(shape: number[], fill: (i: number) => number): Blob {
  const b = new Blob(shape);
  b.mutableCpuData().set(Float32Array.from({ length: b.count }, (_, i) => fill(i)));
  return b;
}

const output = (file: string) =>
  makeLayer({ type: 'HDF5Output', bottom: ['data', 'label'], hdf5_output_param: { file_name: file } });

describe('HDF5Output layer', () => {
  let dir: string;
  beforeAll(() => {
    dir = tmpDir('caffets-hdf5out-');
  });

  it('writes data and label as float32 with legacy 4-d shapes, logging as Caffe', () => {
    const file = path.join(dir, 'out.h5');
    const data = blob([3, 4], (i) => i / 4 - 1),
      label = blob([3], (i) => 7 - i);
    const l = output(file);
    const log = captureLog();
    try {
      l.setUp([data, label], []);
      expect(fs.existsSync(file)).toBe(true); // H5Fcreate at set-up
      l.forward([data, label], []);
    } finally {
      log.stop();
    }
    expect(log.lines.filter((x) => !x.startsWith('Creating layer'))).toEqual([
      `Saving HDF5 file ${file}`,
      'Successfully saved 3 rows',
    ]);
    l.dispose();
    const raw = readHdf5File(file);
    expect(Object.keys(raw).sort()).toEqual(['data', 'label']);
    expect(raw.data).toMatchObject({ shape: [3, 4, 1, 1], dtype: '<f', typeClass: 'H5T_FLOAT' });
    expect(arr(raw.data.data)).toEqual(arr(data.cpuData()));
    expect(raw.label).toMatchObject({ shape: [3, 1, 1, 1], dtype: '<f' });
    expect(arr(raw.label.data)).toEqual([7, 6, 5]);
  });

  it('4-d and 3-d bottoms keep their axes (3-d padded with a 1), no backward', () => {
    const file = path.join(dir, 'nd.h5');
    const data = blob([2, 3, 2, 2], (i) => i),
      label = blob([2, 5, 3], (i) => -i);
    const l = output(file);
    l.setUp([data, label], []);
    l.forward([data, label], []);
    expect(() => l.backward([], [true, true], [data, label])).not.toThrow();
    l.dispose();
    const raw = readHdf5File(file);
    expect(raw.data.shape).toEqual([2, 3, 2, 2]);
    expect(raw.label.shape).toEqual([2, 5, 3, 1]);
    expect(arr(raw.label.data)).toEqual(arr(label.cpuData()));
  });

  it('a second forward fails as Caffe does (it makes the datasets anew); the first is kept', () => {
    const file = path.join(dir, 'twice.h5');
    const data = blob([2, 2], (i) => i),
      label = blob([2], (i) => i);
    const l = output(file);
    l.setUp([data, label], []);
    l.forward([data, label], []);
    expect(() => l.forward([data, label], [])).toThrow(
      'HDF5Output layer o: Check failed: status >= 0 (-1 vs. 0) Failed to make float dataset data',
    );
    l.dispose();
    expect(arr(readHdf5File(file).data.data)).toEqual([0, 1, 2, 3]);
  });

  it('truncates an existing file at set-up; the file reads back through HDF5Data', () => {
    const file = path.join(dir, 'again.h5');
    writeHdf5File(file, { other: { shape: [1], data: new Float32Array([1]) } });
    const data = blob([4, 3], (i) => 10 + i),
      label = blob([4], (i) => i);
    const l = output(file);
    l.setUp([data, label], []);
    expect(readHdf5File(file)).toEqual({});
    l.forward([data, label], []);
    l.dispose();
    const src = path.join(dir, 'again.txt');
    fs.writeFileSync(src, `${file}\n`);
    const d = makeLayer({
      type: 'HDF5Data',
      name: 'd',
      top: ['data', 'label'],
      hdf5_data_param: { source: src, batch_size: 4 },
    });
    const t = [new Blob(), new Blob()];
    d.setUp([], t);
    d.forward([], t);
    expect(t[0].shape).toEqual([4, 3, 1, 1]);
    expect(arr(t[0].cpuData())).toEqual(arr(data.cpuData()));
    expect(arr(t[1].cpuData())).toEqual([0, 1, 2, 3]);
  });

  it('errors: unequal batch sizes, an unwritable file name, blob counts', () => {
    const l = output(path.join(dir, 'uneq.h5'));
    const data = blob([4, 2], (i) => i),
      label = blob([3], (i) => i);
    l.setUp([data, label], []);
    expect(() => l.forward([data, label], [])).toThrow(
      'HDF5Output layer o: Check failed: bottom[0]->num() == bottom[1]->num() (4 vs. 3)',
    );
    const bad = path.join(dir, 'no', 'such', 'dir.h5');
    expect(() => output(bad).setUp([data, label], [])).toThrow(
      `HDF5Output layer o: Check failed: file_id_ >= 0 (-1 vs. 0) Failed to open HDF5 file ${bad}`,
    );
    expect(() => output(path.join(dir, 'x.h5')).setUp([data], [])).toThrow('takes 2 bottom blob(s) as input');
  });
});

describe('the HDF5 worker', () => {
  it('stops when the last user is disposed; dispose is idempotent', () => {
    warm?.dispose();
    warm = null;
    expect(hdf5WorkerRunning()).toBe(false);
    const dir = tmpDir('caffets-hdf5out-');
    const a = output(path.join(dir, 'a.h5')),
      b = output(path.join(dir, 'b.h5'));
    const data = blob([1, 1], () => 1),
      label = blob([1], () => 2);
    a.setUp([data, label], []);
    b.setUp([data, label], []);
    expect(hdf5WorkerRunning()).toBe(true);
    a.dispose();
    a.dispose();
    expect(hdf5WorkerRunning()).toBe(true);
    b.forward([data, label], []);
    b.dispose();
    expect(hdf5WorkerRunning()).toBe(false);
    expect(arr(readHdf5File(path.join(dir, 'b.h5')).label.data)).toEqual([2]);
    expect(hdf5WorkerRunning()).toBe(false);
  });
});

// ---------------------------------------------------------------------------- reference Caffe

describeCaffe('HDF5Output against reference Caffe (caffe test)', () => {
  let dir: string, src: string;
  beforeAll(() => {
    dir = tmpDir('caffets-hdf5out-caffe-');
    const file = path.join(dir, 'in.h5');
    writeHdf5File(file, {
      data: { shape: [6, 2, 3], data: Float64Array.from({ length: 36 }, (_, i) => Math.sin(i) * 100) },
      label: { shape: [6, 2], data: Int32Array.from({ length: 12 }, (_, i) => i * 3 - 5) },
    });
    src = path.join(dir, 'list.txt');
    fs.writeFileSync(src, `${file}\n`);
    fs.writeFileSync(path.join(dir, 'empty.caffemodel'), '');
  });

  const net = (out: string) => `name: "h"
layer { name: "d" type: "HDF5Data" top: "data" top: "label" hdf5_data_param { source: "${src}" batch_size: 4 } }
layer { name: "o" type: "HDF5Output" bottom: "data" bottom: "label" hdf5_output_param { file_name: "${out}" } }`;

  function caffe(out: string, iterations: number): { status: number | null; text: string } {
    const model = path.join(dir, `caffe_${iterations}.prototxt`);
    fs.writeFileSync(model, net(out));
    const r = spawnSync(
      'caffe',
      ['test', `--model=${model}`, `--weights=${path.join(dir, 'empty.caffemodel')}`, `--iterations=${iterations}`],
      { cwd: dir, timeout: 120000, maxBuffer: 1 << 28 },
    );
    return { status: r.status, text: `${r.stdout ?? ''}${r.stderr ?? ''}` };
  }

  function ours(out: string, iterations: number): void {
    const model = path.join(dir, `ours_${iterations}.prototxt`);
    fs.writeFileSync(model, net(out));
    testModel({ model, weights: path.join(dir, 'empty.caffemodel'), iterations });
  }

  it('writes the same datasets (names, float32, shapes, values) as Caffe', () => {
    const theirs = path.join(dir, 'caffe_out.h5'),
      mine = path.join(dir, 'our_out.h5');
    const r = caffe(theirs, 1);
    if (r.status !== 0) throw new Error(`caffe test failed: ${r.text.slice(-3000)}`);
    expect(r.text).toContain(`Saving HDF5 file ${theirs}`);
    expect(r.text).toContain('Successfully saved 4 rows');
    ours(mine, 1);
    const a = readHdf5File(theirs),
      b = readHdf5File(mine);
    expect(a.data.shape).toEqual([4, 2, 3, 1]);
    expect(a.label.shape).toEqual([4, 2, 1, 1]);
    expect(b).toEqual(a);
    expect(arr(b.label.data)).toEqual([-5, -2, 1, 4, 7, 10, 13, 16]);
  });

  it('fails on the second forward as Caffe does', () => {
    const r = caffe(path.join(dir, 'caffe_twice.h5'), 2);
    expect(r.status).not.toBe(0);
    expect(r.text).toContain('Check failed: status >= 0 (-1 vs. 0) Failed to make float dataset data');
    expect(() => ours(path.join(dir, 'our_twice.h5'), 2)).toThrow(
      'Check failed: status >= 0 (-1 vs. 0) Failed to make float dataset data',
    );
  });
});
