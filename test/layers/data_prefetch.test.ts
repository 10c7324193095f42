// Prefetching: batches are prepared by a worker thread ahead of forward (data_param.prefetch of
// them); forward blocks only when none is ready; failures reach the forward that needed the batch;
// dispose ends the worker thread (jest would otherwise report open handles or hang).
import '../../src/layers/Data';
import '../../src/layers/ImageData';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { DataLayer } from '../../src/layers/Data';
import { liveDataWorkers } from '../../src/data/prefetch';
import { encodeMessage } from '../../src/formats/wire';
import { openDB } from '../../src/db';
import { captureLog, disposeAll, makeDB, makeLayer, rawDatum, sleep, tops } from '../data/data_helpers';
import { tmpDir } from '../helpers';

afterEach(() => disposeAll());

/** Waits (without blocking the event loop) until the layer has `n` batches ready. */
async function until(l: DataLayer, n: number, ms = 10000): Promise<void> {
  const end = Date.now() + ms;
  while (l.batchesReady() < n && Date.now() < end) await sleep(5);
}

describe('prefetch', () => {
  let src: string;
  beforeAll(async () => {
    src = await makeDB(
      'lmdb',
      Array.from({ length: 64 }, (_, r) => rawDatum(3, 16, 16, r, (i) => r + i)),
    );
  });

  it('fills `prefetch` batches (default 4) while the net is idle; forward then never waits', async () => {
    const l = makeLayer<DataLayer>({ type: 'Data', data_param: { source: src, backend: 'LMDB', batch_size: 8 } });
    const t = tops(2);
    l.setUp([], t);
    await until(l, 4);
    expect(l.batchesReady()).toBe(4);
    await sleep(50);
    expect(l.batchesReady()).toBe(4); // no more than the slots
    const t0 = process.hrtime.bigint();
    l.forward([], t);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    expect(l.forwardWaits).toBe(0);
    expect(ms).toBeLessThan(50); // no decoding, no copy
    expect(Array.from(t[1].cpuData())).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    // the tops read the batch in its slot (Caffe 1.0's set_cpu_data): no copy
    expect(t[0].cpuData().buffer.constructor.name).toBe('SharedArrayBuffer');
    expect(t[1].cpuData().buffer.constructor.name).toBe('SharedArrayBuffer');
    for (let i = 0; i < 3; i++) l.forward([], t);
    expect(l.forwardWaits).toBe(0);
    // the freed slots refill in the background; the slot lent to the tops is freed by the next forward
    await until(l, 3);
    await sleep(50);
    expect(l.batchesReady()).toBe(3);
    l.forward([], t);
    expect(Array.from(t[1].cpuData())).toEqual([32, 33, 34, 35, 36, 37, 38, 39]);
  });

  it('data_param.prefetch sets the number of slots', async () => {
    const l = makeLayer<DataLayer>({
      type: 'Data',
      data_param: { source: src, backend: 'LMDB', batch_size: 2, prefetch: 2 },
    });
    l.setUp([], tops(2));
    await until(l, 2);
    await sleep(50);
    expect(l.batchesReady()).toBe(2);
  });

  it('a prefetch count whose batches cannot fit is refused in one line before anything is allocated', () => {
    const prev = process.env.CAFFETS_MEMORY_AVAILABLE_BYTES;
    process.env.CAFFETS_MEMORY_AVAILABLE_BYTES = String(2 ** 30);
    try {
      expect(() =>
        makeLayer<DataLayer>({
          type: 'Data',
          data_param: { source: src, backend: 'LMDB', batch_size: 2, prefetch: 2 ** 31 - 1 },
        }),
      ).toThrow(/^Data layer data: out of memory: the headers of 2147483647 prefetched batches need 32\.0 GB, 1\.0 GB/);
    } finally {
      if (prev === undefined) delete process.env.CAFFETS_MEMORY_AVAILABLE_BYTES;
      else process.env.CAFFETS_MEMORY_AVAILABLE_BYTES = prev;
    }
  });

  it('a forward that finds no batch ready waits for it', () => {
    const log = captureLog();
    try {
      const l = makeLayer<DataLayer>({
        type: 'Data',
        data_param: { source: src, backend: 'LMDB', batch_size: 64, prefetch: 1 },
      });
      const t = tops(2);
      l.setUp([], t);
      for (let i = 0; i < 5; i++) {
        l.forward([], t);
        expect(t[1].cpuData()[63]).toBe(63);
      }
      expect(l.forwardWaits).toBeGreaterThan(0);
    } finally {
      log.stop();
    }
  });

  it('a record that fails to decode fails the forward that needs its batch, with the reason', async () => {
    const dir = path.join(tmpDir(), 'bad');
    const db = await openDB('lmdb', dir, 'new');
    const txn = db.newTransaction();
    txn.put(
      '0',
      encodeMessage(
        rawDatum(1, 2, 2, 0, (i) => i),
        'caffe.Datum',
      ),
    );
    txn.put(
      '1',
      encodeMessage(
        rawDatum(1, 2, 2, 1, (i) => i),
        'caffe.Datum',
      ),
    );
    txn.put('2', Uint8Array.from([0x0a, 0xff, 0xff])); // truncated
    await txn.commit();
    await db.close();
    const l = makeLayer<DataLayer>({ type: 'Data', data_param: { source: dir, backend: 'LMDB', batch_size: 2 } });
    const t = tops(2);
    l.setUp([], t);
    l.forward([], t); // records 0, 1
    expect(() => l.forward([], t)).toThrow(/record 2: cannot parse as caffe\.Datum/);
  });

  it('dispose ends the worker thread; nothing is left running', async () => {
    const before = liveDataWorkers();
    const l = makeLayer<DataLayer>({ type: 'Data', data_param: { source: src, backend: 'LMDB', batch_size: 4 } });
    l.setUp([], tops(2));
    expect(liveDataWorkers()).toBe(before + 1);
    const q = l.prefetchQueue!;
    l.dispose();
    expect(liveDataWorkers()).toBe(before);
    await q.exited; // resolves only when the thread is gone
  });

  it('a worker blocked on full slots stops promptly', async () => {
    const l = makeLayer<DataLayer>({
      type: 'Data',
      data_param: { source: src, backend: 'LMDB', batch_size: 1, prefetch: 1 },
    });
    l.setUp([], tops(2));
    await until(l, 1);
    const t0 = Date.now();
    const q = l.prefetchQueue!;
    l.dispose();
    await q.exited;
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it('many layers at once, each its own worker and stream', () => {
    const ls = Array.from({ length: 4 }, () => {
      const l = makeLayer<DataLayer>({ type: 'Data', data_param: { source: src, backend: 'LMDB', batch_size: 5 } });
      const t = tops(2);
      l.setUp([], t);
      return { l, t };
    });
    for (const { l, t } of ls) {
      l.forward([], t);
      l.forward([], t);
      expect(Array.from(t[1].cpuData())).toEqual([5, 6, 7, 8, 9]);
    }
  });

  const distData = path.resolve(__dirname, '../../dist/layers/Data.js');
  (fs.existsSync(distData) ? it : it.skip)(
    'compiled (dist/): the .js worker runs, and an undisposed layer does not keep the process alive',
    () => {
      // what the CLI runs; npm test builds dist first (skipped when it is absent)
      const script =
        `
      const { createLayer } = require(${JSON.stringify(path.resolve(__dirname, '../../dist/core/layer_factory.js'))});
      const { Blob } = require(${JSON.stringify(path.resolve(__dirname, '../../dist/core/blob.js'))});
      require(${JSON.stringify(distData)});
      const l = createLayer({ name: 'd', type: 'Data', data_param: { source: ${JSON.stringify(src)}, ` +
        `backend: 'LMDB', batch_size: 3 } });
      const t = [new Blob(), new Blob()];
      l.setUp([], t); l.forward([], t); l.forward([], t);
      console.log(JSON.stringify(Array.from(t[1].cpuData())));
      // no dispose: the unref'd worker must not hold the process
    `;
      const out = execFileSync(process.execPath, ['-e', script], {
        timeout: 20000,
        stdio: ['ignore', 'pipe', 'pipe'],
      }).toString();
      expect(out.trim()).toBe('[3,4,5]');
    },
  );
});
