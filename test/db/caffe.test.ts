// Compatibility with BVLC Caffe both ways: caffets reads the LMDBs real Caffe wrote (../shared
// goldens), and reference Caffe's tools (compute_image_mean, convert_imageset) read and write
// databases alongside caffets.
import * as fs from 'fs';
import * as path from 'path';
import { spawnSync } from 'child_process';
import sharp from 'sharp';
import { Backend, openDB } from '../../src/db';
import { LmdbDB, openLMDB } from '../../src/db/lmdb';
import { decodeMessage, encodeMessage } from '../../src/formats/wire';
import { describeCaffe, describeShared, sharedPath, tmpDir } from '../helpers';
import { datumMean, quietLogs, randomBytes, rng } from './support';

const GOLDEN: Array<[string, number]> = [
  ['fixtures/caffe-train/lenet-fmnist/train_lmdb', 1000],
  ['fixtures/caffe-train/lenet-fmnist/test_lmdb', 200],
  ['fixtures/caffe-train/alexnet-mini/train_lmdb', 320],
  ['fixtures/caffe-train/alexnet-mini/test_lmdb', 80],
  ['fixtures/models/squeezenet-v1.0/extract-features/photos_lmdb', 12],
];

describeShared('LMDBs written by Caffe (convert_imageset)', () => {
  quietLogs();

  it.each(GOLDEN)('%s: every record, in key order, decodes as a caffe.Datum', async (rel, expected) => {
    const p = sharedPath(rel);
    const lock = path.join(p, 'lock.mdb');
    const lockBefore = fs.statSync(lock).mtimeMs;
    const db = await openLMDB(p, 'read');
    const st = db.stat();
    expect(st.entries).toBe(expected);
    expect(await db.count()).toBe(expected);
    const c = await db.newCursor();
    let n = 0;
    for (; c.valid; await c.next(), n++) {
      const key = c.key;
      if (n === 0) expect(key).toMatch(/^00000000_/);
      // convert_imageset's keys: the line index as %08d, '_', the file name; so key order is line order.
      if (!key.startsWith(`${String(n).padStart(8, '0')}_`)) throw new Error(`record ${n}: unexpected key ${key}`);
      const d = decodeMessage(c.value, 'caffe.Datum', `${rel} ${key}`);
      const size = (d.channels as number) * (d.height as number) * (d.width as number);
      expect(d.encoded ?? false).toBe(false);
      if ((d.data as Uint8Array).length !== size) throw new Error(`record ${n}: data is not ${size} bytes`);
      expect(Number.isInteger(d.label)).toBe(true);
    }
    expect(n).toBe(st.entries);
    await c.close();
    await db.close();
    expect(fs.statSync(lock).mtimeMs).toBe(lockBefore); // read-only goldens: opened without the lock
  });

  it('the mean of lenet-fmnist/train_lmdb equals the mean.binaryproto Caffe computed from it', async () => {
    const db = await openDB('lmdb', sharedPath('fixtures/caffe-train/lenet-fmnist/train_lmdb'), 'read');
    const { mean, count, shape } = await datumMean(db);
    await db.close();
    expect(count).toBe(1000);
    const blob = decodeMessage(
      fs.readFileSync(sharedPath('fixtures/caffe-train/lenet-fmnist/mean.binaryproto')),
      'caffe.BlobProto',
    );
    expect([blob.channels, blob.height, blob.width]).toEqual(shape);
    expect(Array.from(blob.data as Float32Array)).toEqual(Array.from(mean));
  });
});

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, GLOG_logtostderr: '1' } });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}:\n${r.stderr}`);
  return r.stderr;
}

describeCaffe('reference Caffe and caffets databases', () => {
  quietLogs();
  let dir: string;
  beforeAll(() => {
    dir = tmpDir('caffets-db-caffe-');
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const C = 3,
    H = 32,
    W = 24,
    COUNT = 700;

  /** Writes COUNT random Datums with caffets, as convert_imageset lays them out. */
  async function writeDatums(backend: Backend, p: string): Promise<void> {
    // LMDB starts at 1 MiB, so the ~1.6 MB written also exercises map growth.
    const db =
      backend === 'lmdb' ? await openLMDB(p, 'new', { mapSize: 1024 * 1024 }) : await openDB(backend, p, 'new');
    const r = rng(backend === 'lmdb' ? 11 : 12);
    const t = db.newTransaction();
    for (let i = 0; i < COUNT; i++) {
      const datum = { channels: C, height: H, width: W, data: randomBytes(r, C * H * W), label: i % 10 };
      t.put(`${String(i).padStart(8, '0')}_img/${i}.png`, encodeMessage(datum, 'caffe.Datum'));
      if ((i + 1) % 100 === 0) await t.commit();
    }
    await t.commit();
    if (backend === 'lmdb') expect((db as LmdbDB).stat().mapSize).toBeGreaterThan(1024 * 1024); // it grew
    await db.close();
  }

  it.each<Backend>(['lmdb', 'leveldb'])(
    'compute_image_mean --backend=%s reads a caffets database; the means agree',
    async (backend) => {
      const p = path.join(dir, `mean_${backend}`);
      await writeDatums(backend, p);
      const out = path.join(dir, `mean_${backend}.binaryproto`);
      const log = run('compute_image_mean', [`--backend=${backend}`, p, out]);
      expect(log).toContain(`Processed ${COUNT} files.`);
      const blob = decodeMessage(fs.readFileSync(out), 'caffe.BlobProto');
      const db = await openDB(backend, p, 'read');
      const { mean, count, shape } = await datumMean(db);
      await db.close();
      expect(count).toBe(COUNT);
      expect([blob.num, blob.channels, blob.height, blob.width]).toEqual([1, ...shape]);
      expect(Array.from(blob.data as Float32Array)).toEqual(Array.from(mean));
    },
  );

  it.each<Backend>(['lmdb', 'leveldb'])('caffets reads what convert_imageset --backend=%s writes', async (backend) => {
    const root = path.join(dir, `imgs_${backend}`);
    fs.mkdirSync(root);
    const r = rng(5);
    const w = 8,
      h = 6,
      files: Array<{ name: string; rgb: Uint8Array; label: number }> = [];
    for (let i = 0; i < 5; i++) {
      const rgb = randomBytes(r, w * h * 3);
      const name = `im${i}.png`;
      await sharp(Buffer.from(rgb), { raw: { width: w, height: h, channels: 3 } })
        .png()
        .toFile(path.join(root, name));
      files.push({ name, rgb, label: i * 3 });
    }
    const list = path.join(dir, `list_${backend}.txt`);
    fs.writeFileSync(list, files.map((f) => `${f.name} ${f.label}\n`).join(''));
    const p = path.join(dir, `converted_${backend}`);
    run('convert_imageset', [`--backend=${backend}`, root + '/', list, p]);

    const db = await openDB(backend, p, 'read');
    expect(await db.count()).toBe(files.length);
    const c = await db.newCursor();
    for (let i = 0; c.valid; await c.next(), i++) {
      expect(c.key).toBe(`${String(i).padStart(8, '0')}_${files[i].name}`);
      const d = decodeMessage(c.value, 'caffe.Datum');
      expect([d.channels, d.height, d.width, d.label]).toEqual([3, h, w, files[i].label]);
      // OpenCV's BGR, channel-major: data[c][y][x] = rgb[y][x][2 - c].
      const data = d.data as Uint8Array;
      const want = new Uint8Array(3 * h * w);
      for (let ch = 0; ch < 3; ch++)
        for (let k = 0; k < h * w; k++) want[ch * h * w + k] = files[i].rgb[k * 3 + (2 - ch)];
      expect(Buffer.from(data).equals(Buffer.from(want))).toBe(true);
    }
    await c.close();
    await db.close();
  });
});
