// compute_image_mean: Caffe's mean.binaryproto from Caffe's LMDBs, float_data and encoded Datums,
// the log lines, and the errors.
import * as fs from 'fs';
import * as path from 'path';
import { computeImageMean } from '../../src/api/compute_image_mean';
import { openDB } from '../../src/db';
import { encodeMessage } from '../../src/formats/wire';
import { encodeImage, imageToDatum } from '../../src/io/datum';
import { readBlobProtoFromFile } from '../../src/io/proto_io';
import { Message } from '../../src/proto/schema';
import { run } from '../../src/cli/main';
import { setLogSink } from '../../src/util/logging';
import { describeShared, sharedPath, tmpDir } from '../helpers';

async function logged<T>(fn: () => Promise<T>): Promise<{ result: T; lines: string[] }> {
  const lines: string[] = [];
  const restore = setLogSink((l) => lines.push(l));
  try {
    return { result: await fn(), lines };
  } finally {
    restore();
  }
}

async function makeDB(dir: string, datums: Message[], backend = 'lmdb'): Promise<string> {
  const db = await openDB(backend, dir, 'new');
  const txn = db.newTransaction();
  datums.forEach((d, i) => txn.put(`${String(i).padStart(8, '0')}_x`, encodeMessage(d, 'caffe.Datum')));
  await txn.commit();
  await db.close();
  return dir;
}

describeShared('compute_image_mean on Caffe-made LMDBs', () => {
  for (const [name, channels, means] of [
    ['lenet-fmnist', 1, ['74.0232']],
    ['alexnet-mini', 3, ['75.7387', '101.851', '126.714']],
  ] as [string, number, string[]][]) {
    it(`${name}: equals Caffe's mean.binaryproto (legacy 4-D fields) and logs Caffe's lines`, async () => {
      const dir = sharedPath('fixtures', 'caffe-train', name);
      const out = path.join(tmpDir(), 'mean.binaryproto');
      const { result, lines } = await logged(() =>
        computeImageMean({ input: path.join(dir, 'train_lmdb'), output: out }),
      );
      const ref = readBlobProtoFromFile(path.join(dir, 'mean.binaryproto'));
      const mine = readBlobProtoFromFile(out);
      expect([mine.num, mine.channels, mine.height, mine.width]).toEqual([
        ref.num,
        ref.channels,
        ref.height,
        ref.width,
      ]);
      expect(mine.shape).toBeUndefined();
      expect(mine.data.length).toBe(ref.data.length);
      let maxDiff = 0;
      for (let i = 0; i < ref.data.length; i++) maxDiff = Math.max(maxDiff, Math.abs(mine.data[i] - ref.data[i]));
      expect(maxDiff).toBeLessThan(1e-4);
      // float32 as Caffe sums
      expect(fs.readFileSync(out).equals(fs.readFileSync(path.join(dir, 'mean.binaryproto')))).toBe(true);
      expect(result).toMatchObject({ channels, count: name === 'lenet-fmnist' ? 1000 : 320 });
      const msgs = lines.map((l) => l.replace(/^.*?\] /, ''));
      expect(msgs).toEqual(
        expect.arrayContaining(['Starting iteration', `Write to ${out}`, `Number of channels: ${channels}`]),
      );
      expect(msgs.filter((m) => m.startsWith('mean_value'))).toEqual(
        means.map((m, c) => `mean_value channel [${c}]: ${m}`),
      );
      expect(msgs.indexOf(`Write to ${out}`)).toBeLessThan(msgs.indexOf(`Number of channels: ${channels}`));
    });
  }
});

describe('compute_image_mean', () => {
  it('sums float_data Datums in float32 and writes only when given an output', async () => {
    const d = tmpDir();
    const db = await makeDB(path.join(d, 'f_lmdb'), [
      { channels: 1, height: 1, width: 2, float_data: Float32Array.from([0.1, 1e8]) },
      { channels: 1, height: 1, width: 2, float_data: Float32Array.from([0.2, 1]) },
    ]);
    const { result, lines } = await logged(() => computeImageMean({ input: db }));
    const f = Math.fround;
    expect(Array.from(result.data)).toEqual([f(f(f(0.1) + f(0.2)) / 2), f(f(f(1e8) + 1) / 2)]);
    expect(lines.some((l) => l.includes('Write to'))).toBe(false);
    expect(fs.readdirSync(d)).toEqual(['f_lmdb']);
  });

  it('decodes encoded Datums (logging "Decoding Datum") to the same mean as plain ones', async () => {
    const d = tmpDir();
    const imgs = [0, 1, 2].map((k) => ({
      channels: 3 as const,
      height: 2,
      width: 3,
      data: Uint8Array.from({ length: 18 }, (_, i) => (i * 13 + k * 50) % 256),
    }));
    const plain = await makeDB(
      path.join(d, 'p'),
      imgs.map((im, i) => imageToDatum(im, i)),
    );
    const enc = await makeDB(
      path.join(d, 'e'),
      await Promise.all(
        imgs.map(async (im, i) => ({ data: new Uint8Array(await encodeImage(im, 'png')), label: i, encoded: true })),
      ),
      'leveldb',
    );
    const a = await logged(() => computeImageMean({ input: plain }));
    const b = await logged(() => computeImageMean({ input: enc, backend: 'leveldb' }));
    expect(Array.from(b.result.data)).toEqual(Array.from(a.result.data));
    expect(b.lines.some((l) => l.endsWith('] Decoding Datum'))).toBe(true);
    expect(a.lines.some((l) => l.endsWith('] Decoding Datum'))).toBe(false);
  });

  it('names a missing database, refuses an empty one and Datums of different sizes', async () => {
    const d = tmpDir();
    await expect(logged(() => computeImageMean({ input: path.join(d, 'nope_lmdb') }))).rejects.toThrow(/nope_lmdb/);
    await expect(run(['compute_image_mean', path.join(d, 'nope2_lmdb')])).rejects.toThrow(/nope2_lmdb/);
    const empty = await makeDB(path.join(d, 'empty'), []);
    await expect(logged(() => computeImageMean({ input: empty }))).rejects.toThrow(/empty/);
    const mixed = await makeDB(path.join(d, 'mixed'), [
      imageToDatum({ channels: 1, height: 2, width: 2, data: new Uint8Array(4) }),
      imageToDatum({ channels: 1, height: 3, width: 2, data: new Uint8Array(6) }),
    ]);
    await expect(logged(() => computeImageMean({ input: mixed }))).rejects.toThrow(/Incorrect data field size 6/);
  });
});

describe('compute_image_mean on degenerate Datums', () => {
  it('refuses non-positive channels, height or width in one line naming the record', async () => {
    const d = tmpDir();
    const bad = await makeDB(path.join(d, 'bad'), [
      { channels: -1, height: 28, width: -28, data: new Uint8Array(784) },
    ]);
    const out = path.join(d, 'mean.binaryproto');
    await expect(logged(() => computeImageMean({ input: bad, output: out }))).rejects.toThrow(
      `${bad} record 00000000_x: a Datum of -1 channels, height 28, width -28: each must be positive`,
    );
    expect(fs.existsSync(out)).toBe(false);
    const none = await makeDB(path.join(d, 'none'), [{ channels: 0, height: 0, width: 0 }]);
    await expect(logged(() => computeImageMean({ input: none }))).rejects.toThrow(/0 channels.*must be positive/);
  });
  it('refuses a Datum whose data size is not channels x height x width', async () => {
    const d = tmpDir();
    const bad = await makeDB(path.join(d, 'bad'), [{ channels: 1, height: 2, width: 2, data: new Uint8Array(5) }]);
    await expect(logged(() => computeImageMean({ input: bad }))).rejects.toThrow(/Incorrect data field size 5/);
  });
});
