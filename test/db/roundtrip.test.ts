// Both backends: write/read round trips, ordering, reopening, and the one-line open errors.
import * as fs from 'fs';
import * as path from 'path';
import { Backend, openDB } from '../../src/db';
import { CaffeError } from '../../src/util/errors';
import { tmpDir } from '../helpers';
import { quietLogs, randomBytes, randomValues, readAll, rng } from './support';

const N = 10000;
const BATCH = 1000;

/** N records: Caffe-style keys `%08d_name`, plus a few odd ones; values of random bytes. */
function makeRecords(seed: number): Map<string, Uint8Array> {
  const r = rng(seed);
  const values = randomValues(seed, N - 3, 1500);
  const m = new Map<string, Uint8Array>();
  for (let i = 0; i < N - 3; i++) m.set(`${String(i).padStart(8, '0')}_img/${i}.png`, values[i]);
  m.set('zzz_last', new Uint8Array(0)); // an empty value
  m.set('é_utf8_after_z', Uint8Array.from([0, 255, 0, 255])); // 0xC3 > 'z' bytewise
  m.set('\u0001_control', randomBytes(r, 70000)); // an LMDB overflow page value
  return m;
}

function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

describe.each<Backend>(['lmdb', 'leveldb'])('%s backend', (backend) => {
  quietLogs();
  let dir: string;
  beforeAll(() => {
    dir = tmpDir(`caffets-db-${backend}-`);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it(`round-trips ${N} records written in several commits, keys in bytewise order`, async () => {
    const records = makeRecords(1);
    const p = path.join(dir, 'rt');
    const db = await openDB(backend, p, 'new');
    expect(db.backend).toBe(backend);
    // Insert in a shuffled order, committing every BATCH puts (and a partial last batch).
    const r = rng(2);
    const entries = [...records.entries()];
    for (let i = entries.length - 1; i > 0; i--) {
      const j = Math.floor(r() * (i + 1));
      [entries[i], entries[j]] = [entries[j], entries[i]];
    }
    // convert_imageset's pattern: one transaction, committed every BATCH puts and at the end.
    const txn = db.newTransaction();
    let commits = 0;
    for (let i = 0; i < entries.length; i++) {
      const [k, v] = entries[i];
      const scratch = Uint8Array.from(v);
      txn.put(k, scratch);
      scratch.fill(7); // the put copied it, as Caffe's Put does
      if ((i + 1) % BATCH === 0) {
        await txn.commit();
        commits++;
      }
    }
    await txn.commit(); // the partial last batch
    await txn.commit(); // an empty commit is a no-op
    expect(commits).toBe(N / BATCH);
    await db.close();

    const rd = await openDB(backend, p, 'read');
    expect(await rd.count()).toBe(N);
    const got = await readAll(rd);
    await rd.close();
    const keys = [...records.keys()].sort(byteOrder);
    expect(got.map(([k]) => k)).toEqual(keys);
    for (const [k, v] of got) expect(Buffer.compare(Buffer.from(v), Buffer.from(records.get(k)!))).toBe(0);
  });

  it('commits batch by batch, appends on reopening for write, and overwrites equal keys', async () => {
    const p = path.join(dir, 'batches');
    const db = await openDB(backend, p, 'new');
    const val = (i: number, gen: number) => Uint8Array.from([gen, i & 255, (i >> 8) & 255, 0, 255]);
    for (let b = 0; b < N / BATCH; b++) {
      const t = db.newTransaction();
      for (let i = b * BATCH; i < (b + 1) * BATCH; i++) t.put(String(i).padStart(8, '0'), val(i, 1));
      await t.commit();
      expect(await db.count()).toBe((b + 1) * BATCH);
    }
    await db.close();

    const w = await openDB(backend, p, 'write');
    const t = w.newTransaction();
    t.put(String(5).padStart(8, '0'), val(5, 2)); // replaces
    t.put(String(N).padStart(8, '0'), val(N, 2)); // appends
    await t.commit();
    await w.close();

    const rd = await openDB(backend, p, 'read');
    expect(await rd.count()).toBe(N + 1);
    const got = await readAll(rd);
    expect(got.length).toBe(N + 1);
    got.forEach(([k, v], i) => {
      expect(k).toBe(String(i).padStart(8, '0'));
      expect(Array.from(v)).toEqual(Array.from(val(i, i === 5 || i === N ? 2 : 1)));
    });
    await rd.close();
  });

  it('walks the cursor like Caffe: starts on the first record, stays invalid at the end, restarts', async () => {
    const p = path.join(dir, 'cursor');
    const db = await openDB(backend, p, 'new');
    const t = db.newTransaction();
    for (const k of ['b', 'a', 'c']) t.put(k, Buffer.from(k.repeat(3)));
    await t.commit();
    await db.close();
    const rd = await openDB(backend, p, 'read');
    const c = await rd.newCursor();
    const seen: string[] = [];
    for (; c.valid; await c.next()) seen.push(`${c.key}=${Buffer.from(c.value).toString()}`);
    expect(seen).toEqual(['a=aaa', 'b=bbb', 'c=ccc']);
    await c.next();
    expect(c.valid).toBe(false);
    expect(() => c.key).toThrow(CaffeError);
    await c.seekToFirst();
    expect(c.valid).toBe(true);
    expect(c.key).toBe('a');
    // Two cursors at once over the same database.
    const c2 = await rd.newCursor();
    await c.next();
    expect([c.key, c2.key]).toEqual(['b', 'a']);
    await c.close();
    await c2.close();
    await rd.close();
  });

  it('reads an empty database', async () => {
    const p = path.join(dir, 'empty');
    await (await openDB(backend, p, 'new')).close();
    const rd = await openDB(backend, p, 'read');
    expect(await rd.count()).toBe(0);
    const c = await rd.newCursor();
    expect(c.valid).toBe(false);
    await c.close();
    await rd.close();
  });

  const name = backend === 'lmdb' ? 'LMDB' : 'LevelDB';

  it('NEW on an existing database fails with one line', async () => {
    const p = path.join(dir, 'exists');
    await (await openDB(backend, p, 'new')).close();
    const err = await openDB(backend, p, 'new').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CaffeError);
    const msg = (err as Error).message;
    expect(msg).not.toContain('\n');
    expect(msg).toMatch(new RegExp(`^cannot create ${name} ${p}: `));
    expect(msg).toMatch(backend === 'lmdb' ? /File exists$/ : /exists/);
  });

  it('READ on a missing path fails with one line naming it, and leaves nothing behind', async () => {
    const p = path.join(dir, 'train_lmdb');
    const err = await openDB(backend, p, 'read').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CaffeError);
    expect((err as Error).message).toBe(`cannot open ${name} ${p}: No such file or directory`);
    expect(fs.existsSync(p)).toBe(false);
  });

  it("READ of the other backend's database says so", async () => {
    const other: Backend = backend === 'lmdb' ? 'leveldb' : 'lmdb';
    const p = path.join(dir, `made-by-${other}`);
    await (await openDB(other, p, 'new')).close();
    const err = await openDB(backend, p, 'read').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CaffeError);
    expect((err as Error).message).toMatch(new RegExp(`^cannot open ${name} ${p}: .*use backend ${other}`));
  });
});

describe('openDB', () => {
  quietLogs();
  it('takes backend names in any case and rejects unknown ones in one line', async () => {
    const d = tmpDir();
    const db = await openDB('LMDB', path.join(d, 'x'), 'new');
    expect(db.backend).toBe('lmdb');
    await db.close();
    await expect(openDB('rocksdb', path.join(d, 'y'), 'new')).rejects.toThrow(/^Unknown database backend: rocksdb/);
    fs.rmSync(d, { recursive: true, force: true });
  });
});
