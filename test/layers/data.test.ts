// The Data layer on databases of hand-made Datums (LevelDB and LMDB, written by the test), and on
// Caffe's own LMDB (../shared lenet-fmnist): batches, labels, restart at the end, rand_skip,
// transforms, encoded records, errors.
import '../../src/layers/Data';
import * as path from 'path';
import sharp from 'sharp';
import { rng, setRandomSeed } from '../../src/core/rng';
import { openDB } from '../../src/db';
import { decodeMessage } from '../../src/formats/wire';
import { readBlobProtoFromFile, readNetParamsFromTextFile } from '../../src/io/proto_io';
import { Net } from '../../src/net';
import { DataLayer } from '../../src/layers/Data';
import { BaseDataLayer } from '../../src/layers/base_data_layer';
import { captureLog, disposeAll, makeDB, makeLayer, rawDatum, tops } from '../data/data_helpers';
import { describeShared, sharedPath } from '../helpers';
import { setSolverCount, setSolverRank } from '../../src/backend/mode';

const arr = (a: ArrayLike<number>) => Array.from(a);
const f = Math.fround;

afterEach(() => disposeAll());

/** 7 records 1 x 2 x 3, record r holding bytes 10r + i, label r. */
const seven = () => Array.from({ length: 7 }, (_, r) => rawDatum(1, 2, 3, r, (i) => 10 * r + i));
const record = (r: number) => Array.from({ length: 6 }, (_, i) => 10 * r + i);

describe('Data layer (LevelDB, LMDB)', () => {
  let leveldb: string, lmdb: string;
  beforeAll(async () => {
    leveldb = await makeDB('leveldb', seven());
    lmdb = await makeDB('lmdb', seven());
  });

  for (const backend of ['LEVELDB', 'LMDB'] as const) {
    it(`${backend}: batches in key order, labels, restart at the end with Caffe's log line`, () => {
      const log = captureLog();
      try {
        const source = backend === 'LMDB' ? lmdb : leveldb;
        const dp: Record<string, unknown> = { source, batch_size: 3 };
        if (backend === 'LMDB') dp.backend = 'LMDB'; // LEVELDB is the default
        const l = makeLayer<DataLayer>({ type: 'Data', data_param: dp });
        const [data, label] = tops(2);
        l.setUp([], [data, label]);
        expect(data.shape).toEqual([3, 1, 2, 3]);
        expect(label.shape).toEqual([3]);
        expect(log.lines).toContain('output data size: 3,1,2,3');
        expect(log.lines).toContain(`Opened ${backend.toLowerCase()} ${source}`);
        const order = [0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4, 5, 6, 0];
        for (let b = 0; b < 5; b++) {
          l.forward([], [data, label]);
          const want = order.slice(3 * b, 3 * b + 3);
          expect(arr(label.cpuData())).toEqual(want);
          expect(arr(data.cpuData())).toEqual(want.flatMap(record));
        }
        expect(log.lines.filter((x) => x === 'Restarting data prefetching from start.').length).toBeGreaterThanOrEqual(
          2,
        );
      } finally {
        log.stop();
      }
    });
  }

  it('one top: no labels; scale and mean_value applied', () => {
    const l = makeLayer<DataLayer>({
      type: 'Data',
      transform_param: { scale: 0.5, mean_value: [1] },
      data_param: { source: leveldb, batch_size: 2 },
    });
    const [data] = tops(1);
    l.setUp([], [data]);
    l.forward([], [data]);
    expect(arr(data.cpuData())).toEqual([...record(0), ...record(1)].map((x) => f((x - 1) * 0.5)));
  });

  it('rand_skip is ignored, as Caffe 1.0 ignores it (no skip, no log line, no random draw)', () => {
    setRandomSeed(77);
    const next = (() => {
      rng().u32();
      return rng().u32();
    })(); // the thread-seed draw, then the next one
    setRandomSeed(77);
    const log = captureLog();
    try {
      const l = makeLayer<DataLayer>({ type: 'Data', data_param: { source: leveldb, batch_size: 1, rand_skip: 5 } });
      const t = tops(2);
      l.setUp([], t);
      expect(log.lines.some((x) => x.startsWith('Skipping first'))).toBe(false);
      expect(rng().u32()).toBe(next);
      l.forward([], t);
      expect(t[1].cpuData()[0]).toBe(0);
    } finally {
      log.stop();
    }
  });

  it('data-parallel replicas deal the records round-robin in TRAIN (offset % N == rank); TEST reads them all', () => {
    const labels = (count: number, rank: number, phase: string, batchSize: number, n: number) => {
      setSolverCount(count);
      setSolverRank(rank);
      try {
        const l = makeLayer<DataLayer>({
          type: 'Data',
          phase,
          data_param: { source: lmdb, backend: 'LMDB', batch_size: batchSize },
        });
        const t = tops(2);
        l.setUp([], t);
        const out: number[][] = [];
        for (let b = 0; b < n; b++) {
          l.forward([], t);
          out.push(arr(t[1].cpuData()));
        }
        l.dispose();
        return out;
      } finally {
        setSolverCount(1);
        setSolverRank(0);
      }
    };
    // one replica, batch 4, over the 7 records and around
    expect(labels(1, 0, 'TRAIN', 4, 3)).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 0],
      [1, 2, 3, 4],
    ]);
    // two replicas of batch 2: together, each iteration, the records of that batch of 4
    expect(labels(2, 0, 'TRAIN', 2, 3)).toEqual([
      [0, 2],
      [4, 6],
      [1, 3],
    ]);
    expect(labels(2, 1, 'TRAIN', 2, 3)).toEqual([
      [1, 3],
      [5, 0],
      [2, 4],
    ]);
    expect(labels(3, 2, 'TRAIN', 1, 3)).toEqual([[2], [5], [1]]);
    expect(labels(2, 1, 'TEST', 2, 2)).toEqual([
      [0, 1],
      [2, 3],
    ]);
  });

  it('seeded crops and mirrors are the same run to run; another seed differs', () => {
    const run = (seed: number) => {
      setRandomSeed(seed);
      const l = makeLayer<DataLayer>({
        type: 'Data',
        phase: 'TRAIN',
        transform_param: { crop_size: 2, mirror: true },
        data_param: { source: lmdb, backend: 'LMDB', batch_size: 4 },
      });
      const t = tops(2);
      l.setUp([], t);
      const out: number[] = [];
      for (let i = 0; i < 6; i++) {
        l.forward([], t);
        out.push(...t[0].cpuData());
      }
      l.dispose();
      return out;
    };
    const a = run(1701);
    expect(run(1701)).toEqual(a);
    expect(run(1702)).not.toEqual(a);
  });

  it('float_data records', async () => {
    const src = await makeDB('leveldb', [
      { channels: 1, height: 1, width: 2, float_data: [0.25, -2], label: 4 },
      { channels: 1, height: 1, width: 2, float_data: [1.5, 3], label: 5 },
    ]);
    const l = makeLayer<DataLayer>({
      type: 'Data',
      transform_param: { scale: 2 },
      data_param: { source: src, batch_size: 2 },
    });
    const t = tops(2);
    l.setUp([], t);
    l.forward([], t);
    expect(arr(t[0].cpuData())).toEqual([0.5, -4, 3, 6]);
    expect(arr(t[1].cpuData())).toEqual([4, 5]);
  });

  it('encoded (PNG) records are decoded, natively or as force_color / force_gray asks', async () => {
    const rgb = Buffer.from([255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30]); // 2 x 2 RGB
    const png = await sharp(rgb, { raw: { width: 2, height: 2, channels: 3 } })
      .png()
      .toBuffer();
    const src = await makeDB('lmdb', [{ encoded: true, data: png, label: 1 }]);
    const run = (tp: object) => {
      const l = makeLayer<DataLayer>({
        type: 'Data',
        transform_param: tp,
        data_param: { source: src, backend: 'LMDB', batch_size: 1 },
      });
      const t = tops(2);
      l.setUp([], t);
      l.forward([], t);
      return { shape: t[0].shape, data: arr(t[0].cpuData()) };
    };
    // BGR planes
    expect(run({})).toEqual({ shape: [1, 3, 2, 2], data: [0, 0, 255, 30, 0, 255, 0, 20, 255, 0, 0, 10] });
    expect(run({ force_color: true }).shape).toEqual([1, 3, 2, 2]);
    expect(run({ force_gray: true }).shape).toEqual([1, 1, 2, 2]);
    expect(() => run({ force_color: true, force_gray: true })).toThrow('cannot set both force_color and force_gray');
  });

  it("each batch takes the shape of its first record; a differing record fails Caffe's CHECK", async () => {
    const src = await makeDB('leveldb', [
      rawDatum(1, 2, 2, 0, (i) => i),
      rawDatum(1, 3, 3, 1, (i) => i),
      rawDatum(1, 3, 3, 2, (i) => i),
      rawDatum(1, 2, 2, 3, (i) => i),
    ]);
    const l = makeLayer<DataLayer>({ type: 'Data', data_param: { source: src, batch_size: 1 } });
    const t = tops(2);
    l.setUp([], t);
    expect(t[0].shape).toEqual([1, 1, 2, 2]);
    l.forward([], t);
    expect(t[0].shape).toEqual([1, 1, 2, 2]);
    l.forward([], t);
    expect(t[0].shape).toEqual([1, 1, 3, 3]);
    expect(arr(t[0].cpuData())).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    l.dispose(); // LevelDB: one open handle per database and process, as in Caffe
    const m = makeLayer<DataLayer>({ type: 'Data', data_param: { source: src, batch_size: 2 } });
    m.setUp([], t);
    expect(() => m.forward([], t)).toThrow('Data layer data: Check failed: datum_height == height (3 vs. 2)');
  });

  it('errors: missing database at creation; no batch size; too many tops', () => {
    // the database opens when the layer is created, as in Caffe's DataLayer constructor
    expect(() =>
      makeLayer({ type: 'Data', data_param: { source: '/nonexistent/db', batch_size: 1, backend: 'LMDB' } }),
    ).toThrow(/\/nonexistent\/db/);
    expect(() => makeLayer({ type: 'Data', data_param: { source: lmdb, backend: 'LMDB' } }).setUp([], tops(2))).toThrow(
      'Data layer data: Check failed: batch_size > 0 (0 vs. 0) Positive batch size required',
    );
    expect(() =>
      makeLayer({ type: 'Data', data_param: { source: lmdb, backend: 'LMDB', batch_size: 1 } }).setUp([], tops(3)),
    ).toThrow('produces at most 2 top blob(s) as output.');
  });

  it('an empty database is refused at set-up', async () => {
    const src = await makeDB('lmdb', []);
    expect(() =>
      makeLayer({ type: 'Data', data_param: { source: src, batch_size: 1, backend: 'LMDB' } }).setUp([], tops(2)),
    ).toThrow(`Data layer data: the database ${src} holds no records`);
  });

  it('LevelDB allows one open handle per process (as in Caffe); dispose releases it', () => {
    const a = makeLayer<DataLayer>({ type: 'Data', data_param: { source: leveldb, batch_size: 1 } });
    expect(() => makeLayer({ type: 'Data', data_param: { source: leveldb, batch_size: 1 } })).toThrow(/LOCK/);
    a.dispose();
    const b = makeLayer<DataLayer>({ type: 'Data', data_param: { source: leveldb, batch_size: 1 } });
    const t = tops(2);
    b.setUp([], t);
    b.forward([], t);
    expect(arr(t[1].cpuData())).toEqual([0]);
  });

  it('set up twice: a fresh worker, reading from the start again', () => {
    const l = makeLayer<DataLayer>({ type: 'Data', data_param: { source: leveldb, batch_size: 2 } });
    const t = tops(2);
    l.setUp([], t);
    l.forward([], t);
    l.setUp([], t);
    l.forward([], t);
    expect(arr(t[1].cpuData())).toEqual([0, 1]);
  });

  it('forward after dispose is an error; dispose twice is harmless', () => {
    const l = makeLayer<DataLayer>({ type: 'Data', data_param: { source: leveldb, batch_size: 1 } });
    const t = tops(2);
    l.setUp([], t);
    l.dispose();
    l.dispose();
    expect(() => l.forward([], t)).toThrow('data layer used after dispose()');
  });
});

describeShared("Data layer on Caffe's lenet-fmnist LMDB", () => {
  const dir = sharedPath('fixtures/caffe-train/lenet-fmnist');
  const source = path.join(dir, 'train_lmdb');
  const meanFile = path.join(dir, 'mean.binaryproto');

  /** The first n records of the LMDB as Datums. */
  async function readRecords(n: number) {
    const db = await openDB('lmdb', source, 'read');
    const cur = await db.newCursor();
    const out = [];
    for (await cur.seekToFirst(); cur.valid && out.length < n; await cur.next())
      out.push(decodeMessage(cur.value, 'caffe.Datum'));
    const count = await db.count();
    await cur.close();
    await db.close();
    return { datums: out, count };
  }

  it(
    'first batch = the first 50 datums, (x - mean) * scale in float; ' + 'the last record is followed by the first',
    async () => {
      const { datums, count } = await readRecords(50);
      const meanProto = readBlobProtoFromFile(meanFile);
      const mean = Float32Array.from(meanProto.data);
      const scale = f(0.00390625);
      const l = makeLayer<DataLayer>({
        type: 'Data',
        phase: 'TRAIN',
        transform_param: { scale: 0.00390625, mean_file: meanFile },
        data_param: { source, batch_size: 50, backend: 'LMDB' },
      });
      const [data, label] = tops(2);
      const log = captureLog();
      try {
        l.setUp([], [data, label]);
        expect(log.lines).toContain(`Loading mean file from: ${meanFile}`);
        l.forward([], [data, label]);
        expect(data.shape).toEqual([50, 1, 28, 28]);
        const want = new Float32Array(50 * 784);
        datums.forEach((d, n) => {
          for (let i = 0; i < 784; i++) want[n * 784 + i] = f(f(d.data[i] - mean[i]) * scale);
        });
        expect(data.cpuData()).toEqual(want);
        expect(arr(label.cpuData())).toEqual(datums.map((d) => d.label));
        // 1000 records = 20 batches: batch 21 is batch 1 again
        expect(count % 50).toBe(0);
        for (let b = 1; b < count / 50; b++) l.forward([], [data, label]);
        l.forward([], [data, label]);
        expect(data.cpuData()).toEqual(want);
        expect(log.lines).toContain('Restarting data prefetching from start.');
      } finally {
        log.stop();
      }
    },
  );

  it("a Net built from Caffe's train_test.prototxt runs forward from the LMDB", () => {
    const param = readNetParamsFromTextFile(path.join(dir, 'train_test.prototxt'));
    for (const lp of param.layer) {
      if (lp.type !== 'Data') continue;
      lp.data_param.source = path.join(dir, lp.data_param.source);
      lp.transform_param.mean_file = path.join(dir, lp.transform_param.mean_file);
    }
    setRandomSeed(1701);
    const log = captureLog();
    let net: Net | undefined;
    try {
      net = new Net(param, { phase: 'TRAIN' });
      // Caffe's order: the database opens when the layer is created, the mean loads at set-up
      const at = (m: string) => log.lines.findIndex((x) => x.startsWith(m));
      expect(at('Creating layer mnist')).toBeLessThan(at('Opened lmdb'));
      expect(at('Opened lmdb')).toBeLessThan(at('Creating Layer mnist'));
      expect(at('mnist -> label')).toBeLessThan(at('Loading mean file from'));
      expect(at('Loading mean file from')).toBeLessThan(at('output data size: 50,1,28,28'));
      expect(at('output data size')).toBeLessThan(at('Setting up mnist'));
      expect(net.blobByName('data').shape).toEqual([50, 1, 28, 28]);
      const loss = net.forward();
      expect(loss).toBeGreaterThan(0);
      expect(Number.isFinite(loss)).toBe(true);
      expect(Array.from(net.blobByName('label').cpuData()).every((x) => Number.isInteger(x) && x >= 0 && x < 10)).toBe(
        true,
      );
    } finally {
      log.stop();
      for (const layer of net?.layers ?? []) if (layer instanceof BaseDataLayer) layer.dispose();
    }
  });
});
