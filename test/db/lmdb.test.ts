// LMDB specifics: automatic map growth (never MDB_MAP_FULL), liblmdb's stats, key limits,
// read-only databases opened without touching lock.mdb, values that outlive the cursor.
import * as fs from 'fs';
import * as path from 'path';
import { openDB } from '../../src/db';
import { INITIAL_MAP_SIZE, openLMDB } from '../../src/db/lmdb';
import { CaffeError } from '../../src/util/errors';
import { tmpDir } from '../helpers';
import { quietLogs, readAll } from './support';

const MiB = 1024 * 1024;

/** A value that names its record: a 4-byte index, then a byte pattern derived from it. */
function value(i: number, len: number): Uint8Array {
  const v = new Uint8Array(len);
  for (let j = 0; j < len; j++) v[j] = (i * 31 + j * 7) & 255;
  new DataView(v.buffer).setUint32(0, i, true);
  return v;
}
function checkValue(i: number, v: Uint8Array, len: number): boolean {
  if (v.length !== len || new DataView(v.buffer, v.byteOffset).getUint32(0, true) !== i) return false;
  for (let j = 4; j < len; j += 997) if (v[j] !== ((i * 31 + j * 7) & 255)) return false;
  return v[len - 1] === ((i * 31 + (len - 1) * 7) & 255);
}

describe('LMDB', () => {
  quietLogs();
  let dir: string;
  beforeAll(() => {
    dir = tmpDir('caffets-lmdb-');
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('grows the map: 200 MB into a database that starts at 1 MiB, with no MAP_FULL', async () => {
    const p = path.join(dir, 'grow');
    const db = await openLMDB(p, 'new', { mapSize: 1 * MiB });
    expect(db.stat().mapSize).toBe(1 * MiB);
    const LEN = 50 * 1024,
      COUNT = 4000,
      BATCH = 250; // 4000 x 50 KiB = 200 MiB in 16 commits
    const t = db.newTransaction();
    for (let i = 0; i < COUNT; i++) {
      t.put(String(i).padStart(8, '0'), value(i, LEN));
      if ((i + 1) % BATCH === 0) await t.commit();
    }
    await t.commit();
    const st = db.stat();
    expect(st.entries).toBe(COUNT);
    expect(st.mapSize).toBeGreaterThanOrEqual(COUNT * LEN);
    expect(st.mapSize).toBeGreaterThanOrEqual((st.lastPage + 1) * st.pageSize);
    await db.close();
    expect(fs.statSync(path.join(p, 'data.mdb')).size).toBeGreaterThan(COUNT * LEN);

    const rd = await openDB('lmdb', p, 'read');
    expect(await rd.count()).toBe(COUNT);
    const c = await rd.newCursor();
    let n = 0;
    for (; c.valid; await c.next(), n++) {
      expect(c.key).toBe(String(n).padStart(8, '0'));
      if (!checkValue(n, c.value, LEN)) throw new Error(`record ${n} differs`);
    }
    expect(n).toBe(COUNT);
    await c.close();
    await rd.close();
  }, 120000);

  it('grows in one step for a batch larger than twice the map, and reports it', async () => {
    const p = path.join(dir, 'bigbatch');
    const db = await openLMDB(p, 'new', { mapSize: 1 * MiB });
    const keys: Buffer[] = [],
      values: Uint8Array[] = [];
    for (let i = 0; i < 100; i++) {
      keys.push(Buffer.from(`k${i}`));
      values.push(value(i, 300 * 1024));
    }
    const r = db.putBatch(keys, values); // 30 MB at once
    expect(r.grown).toBe(1);
    expect(r.mapSize).toBeGreaterThan(30 * MiB);
    expect(db.stat().entries).toBe(100);
    await db.close();
  });

  it("starts a write environment at the default size, or the data file's when larger", async () => {
    const p = path.join(dir, 'sizes');
    const db = await openLMDB(p, 'new');
    expect(db.stat().mapSize).toBe(INITIAL_MAP_SIZE);
    await db.close();
    const w = await openLMDB(p, 'write', { mapSize: 1 * MiB });
    expect(w.stat().mapSize).toBe(1 * MiB);
    await w.close();
  });

  it('cannot grow while a cursor is open: one line, and the batch stays for a later commit', async () => {
    const p = path.join(dir, 'cursor-grow');
    const db = await openLMDB(p, 'new', { mapSize: 1 * MiB });
    const t0 = db.newTransaction();
    t0.put('a', value(0, 10));
    await t0.commit();
    const c = await db.newCursor();
    const t = db.newTransaction();
    for (let i = 0; i < 10; i++) t.put(`b${i}`, value(i, 200 * 1024));
    const err = await t.commit().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CaffeError);
    expect((err as Error).message).toMatch(
      /^cannot write LMDB .*: MDB_MAP_FULL: .* \(the map must grow, which cannot happen while a cursor of this environment is open\)$/,
    );
    expect((err as Error).message).not.toContain('\n');
    expect(c.key).toBe('a'); // the cursor's snapshot is intact
    await c.close();
    await t.commit();
    expect(await db.count()).toBe(11);
    await db.close();
  });

  it('writes a batch on the thread pool: busy until it settles, close waits for it, growth included', async () => {
    const p = path.join(dir, 'async');
    const db = await openLMDB(p, 'new', { mapSize: 1 * MiB });
    const keys = [0, 1, 2, 3].map((i) => Buffer.from(`k${i}`)),
      values = [0, 1, 2, 3].map((i) => value(i, 1 * MiB));
    const writing = db.putBatchAsync(keys, values);
    expect(() => db.stat()).toThrow(/while putBatchAsync is writing/);
    expect((await writing).grown).toBeGreaterThan(0);
    expect(db.stat().entries).toBe(4);
    const t = db.newTransaction();
    t.put('k4', value(4, 100));
    const committing = t.commit();
    await db.close(); // after the commit, not in its middle
    await committing;
    const again = await openLMDB(p, 'read');
    const all = await readAll(again);
    expect(all.map(([k, v], i) => [k, checkValue(i, v, i < 4 ? 1 * MiB : 100)])).toEqual(
      [0, 1, 2, 3, 4].map((i) => [`k${i}`, true]),
    );
    await again.close();
  });

  it('rejects a key longer than LMDB allows in one line naming it', async () => {
    const p = path.join(dir, 'longkey');
    const db = await openLMDB(p, 'new');
    expect(db.stat().maxKeySize).toBe(511);
    const t = db.newTransaction();
    t.put('ok', new Uint8Array(1));
    t.put(`00000001_${'x'.repeat(600)}`, new Uint8Array(1));
    const err = await t.commit().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CaffeError);
    const msg = (err as Error).message;
    expect(msg).toMatch(
      /^cannot write LMDB .*: MDB_BAD_VALSIZE.*record 1 of the batch, key "00000001_x+\.\.\.", 609 bytes; LMDB keys hold at most 511 bytes\)$/,
    );
    expect(await db.count()).toBe(0); // the batch is atomic
    await db.close();
  });

  it('opens files marked read-only without writing lock.mdb', async () => {
    const p = path.join(dir, 'readonly');
    const db = await openLMDB(p, 'new');
    const t = db.newTransaction();
    t.put('k', Uint8Array.from([1, 2, 3]));
    await t.commit();
    await db.close();
    const lock = path.join(p, 'lock.mdb');
    fs.chmodSync(lock, 0o444);
    fs.chmodSync(path.join(p, 'data.mdb'), 0o444);
    const before = fs.readFileSync(lock);
    const mtime = fs.statSync(lock).mtimeMs;
    const rd = await openLMDB(p, 'read');
    expect(rd.stat().noLock).toBe(true);
    expect((await readAll(rd)).map(([k, v]) => [k, Array.from(v)])).toEqual([['k', [1, 2, 3]]]);
    await rd.close();
    expect(fs.readFileSync(lock).equals(before)).toBe(true);
    expect(fs.statSync(lock).mtimeMs).toBe(mtime);
    // A writable database is opened with the lock, as Caffe does.
    fs.chmodSync(lock, 0o644);
    const rd2 = await openLMDB(p, 'read');
    expect(rd2.stat().noLock).toBe(false);
    await rd2.close();
  });

  it('hands out values that stay valid after the cursor and the database close', async () => {
    const p = path.join(dir, 'copies');
    const db = await openLMDB(p, 'new');
    const t = db.newTransaction();
    for (let i = 0; i < 3; i++) t.put(`k${i}`, value(i, 5000));
    await t.commit();
    await db.close();
    const rd = await openLMDB(p, 'read');
    const c = await rd.newCursor();
    const first = c.value;
    await c.next();
    await c.close();
    await rd.close();
    expect(checkValue(0, first, 5000)).toBe(true);
    first[10] ^= 1; // a private copy: writable
    // A closed database and its cursor answer in one line rather than crashing.
    await expect(rd.newCursor()).rejects.toThrow(/^LMDB .* is closed$/);
    await expect(c.next()).rejects.toThrow(/cursor is closed/);
  });

  it(
    'reads ahead in batches: every record in order, ' +
      'across batch and byte-cap boundaries, then from the start again',
    async () => {
      const p = path.join(dir, 'batches');
      const db = await openLMDB(p, 'new');
      const t = db.newTransaction();
      // 150 small records (more than one 64-record batch) with 1.5 MiB ones among them (over the 4 MiB cap)
      const len = (i: number) => (i % 50 === 7 || i === 149 ? 1.5 * MiB : 20 + i);
      const key = (i: number) => `k${String(i).padStart(4, '0')}`;
      for (let i = 0; i < 150; i++) t.put(key(i), value(i, len(i)));
      await t.commit();
      await db.close();
      const rd = await openLMDB(p, 'read');
      const c = await rd.newCursor();
      for (let pass = 0; pass < 2; pass++) {
        await c.seekToFirst();
        const seen: string[] = [];
        for (let i = 0; c.valid; i++, await c.next()) {
          seen.push(c.key);
          if (!checkValue(i, c.value, len(i))) throw new Error(`record ${i}: wrong value`);
        }
        expect(seen).toEqual(Array.from({ length: 150 }, (_, i) => key(i)));
      }
      c.seekToFirstSync!();
      for (let i = 0; i < 70; i++) c.nextSync!();
      expect(c.key).toBe(key(70));
      await c.close();
      await rd.close();
    },
  );

  it('refuses writes to a database opened for reading', async () => {
    const p = path.join(dir, 'ro-write');
    await (await openLMDB(p, 'new')).close();
    const rd = await openLMDB(p, 'read');
    const t = rd.newTransaction();
    t.put('k', new Uint8Array(1));
    await expect(t.commit()).rejects.toThrow(/^cannot write LMDB .*: Permission denied \(opened for reading\)$/);
    await rd.close();
  });

  it('names a path that is not an LMDB directory', async () => {
    const f = path.join(dir, 'plain-file');
    fs.writeFileSync(f, 'x');
    await expect(openDB('lmdb', f, 'read')).rejects.toThrow(`cannot open LMDB ${f}: Not a directory`);
    const bad = path.join(dir, 'garbage');
    fs.mkdirSync(bad);
    fs.writeFileSync(path.join(bad, 'data.mdb'), Buffer.alloc(16384, 1));
    await expect(openDB('lmdb', bad, 'read')).rejects.toThrow(
      `${bad}: not an LMDB database: data.mdb does not begin with an LMDB meta page`,
    );
    await expect(openDB('lmdb', path.join(dir, 'no', 'such'), 'new')).rejects.toThrow(
      /^cannot create LMDB .*: No such file or directory$/,
    );
  });

  it('says a 0-byte data.mdb is an empty or damaged database, naming the file', async () => {
    const z = path.join(dir, 'zero');
    fs.mkdirSync(z);
    fs.writeFileSync(path.join(z, 'data.mdb'), '');
    await expect(openDB('lmdb', z, 'read')).rejects.toThrow(
      `${z}: damaged LMDB database: data.mdb is 0 bytes (empty); it was truncated or never written`,
    );
  });

  it('checks the meta pages before mapping data.mdb: truncated, a damaged meta page, another version', async () => {
    const src = path.join(dir, 'metas');
    const w = await openLMDB(src, 'new');
    w.putBatch(
      Array.from({ length: 200 }, (_, i) => Buffer.from(String(i).padStart(8, '0'))),
      Array.from({ length: 200 }, () => Buffer.alloc(1000, 7)),
    );
    await w.close();
    const data = fs.readFileSync(path.join(src, 'data.mdb'));
    const ps = 4096,
      pages = data.length / ps; // liblmdb writes the file up to its last page
    const open = (bytes: Buffer) => {
      const d = fs.mkdtempSync(path.join(dir, 'meta-'));
      fs.writeFileSync(path.join(d, 'data.mdb'), bytes);
      return openDB('lmdb', d, 'read').then(
        (db) => db.close().then(() => 'opened'),
        (e: Error) => e.message.replace(`${d}: `, ''),
      );
    };
    const cut = 'it was truncated or partly copied';
    await expect(open(data.subarray(0, 8192))).resolves.toBe(
      `damaged LMDB database: data.mdb is 8192 bytes, its meta page says ${pages} pages of 4096 ` +
        `(${data.length} bytes); ${cut}`,
    );
    await expect(open(data.subarray(0, 4200))).resolves.toBe(
      `damaged LMDB database: data.mdb is 4200 bytes, shorter than its two meta pages (8192 bytes); ${cut}`,
    );
    const m0 = Buffer.from(data);
    m0.fill(0, 0, 100);
    await expect(open(m0)).resolves.toBe(
      'damaged LMDB database: its first page (meta page 0) is not an LMDB meta page',
    );
    const m1 = Buffer.from(data);
    m1.fill(0, ps, ps + 100);
    await expect(open(m1)).resolves.toBe(
      'damaged LMDB database: its second page (meta page 1) is not an LMDB meta page',
    );
    const v = Buffer.from(data);
    v.writeUInt32LE(2, 16 + 4);
    await expect(open(v)).resolves.toBe(
      'data.mdb is an LMDB database of format version 2; liblmdb 0.9 reads version 1',
    );
    await expect(open(data)).resolves.toBe('opened');
  });
});
