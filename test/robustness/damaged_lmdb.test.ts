// A damaged LMDB database (truncated, zeroed pages, bit flips, empty, shrunk while open) ends in one
// line and exit code 1, never a signal (SIGBUS 135, liblmdb's abort() 134, SIGSEGV 139) or a hang,
// whether it is read on the main thread (compute_image_mean) or by a Data layer's prefetch worker
// (caffets time); a full disk while writing one says so; faults outside LMDB calls reach the handlers
// they reached before. The CLI cases need `npm run build`.
import '../../src/layers/Data';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import { constants } from 'os';
import * as path from 'path';
import { openLMDB, writeFailure } from '../../src/db/lmdb';
import { DataLayer } from '../../src/layers/Data';
import { CaffeError } from '../../src/util/errors';
import { disposeAll, makeDB, makeLayer, rawDatum, tops } from '../data/data_helpers';
import { quietLogs } from '../db/support';
import { describeShared, ROOT, SHARED, tmpDir } from '../helpers';
import { mutants } from './mutants';

const CLI = path.join(ROOT, 'bin', 'caffets');
const FIXTURE = path.join(SHARED, 'fixtures/caffe-train/lenet-fmnist/train_lmdb/data.mdb');

/** A run's outcome: null when it succeeded or failed as it should (exit 1, one line), else what is wrong. */
function verdict(args: string[], cwd: string): { bad: string | null; refused: boolean } {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: 60000 });
  const err = r.stderr ?? '';
  if (r.error) return { bad: `no exit within 60 s (${r.error.message})`, refused: false };
  if (r.signal !== null || (r.status !== 0 && r.status !== 1)) {
    return { bad: `exit ${r.status ?? r.signal}: ${err.slice(-300)}`, refused: false };
  }
  if (r.status === 0) return { bad: null, refused: false };
  const lines = err.split('\n').filter((l) => l.trim() !== '');
  const errors = lines.filter((l) => l.startsWith('caffets:'));
  if (errors.length !== 1 || lines[lines.length - 1] !== errors[0])
    return { bad: `not one last error line: ${err.slice(-400)}`, refused: true };
  if (/\n\s+at .+:\d+:\d+|internal error|Assertion/.test(err))
    return { bad: `a stack or an assertion: ${err.slice(-400)}`, refused: true };
  return { bad: null, refused: true };
}

describeShared('damaged LMDB databases, end to end', () => {
  const buf = fs.existsSync(FIXTURE) ? fs.readFileSync(FIXTURE) : Buffer.alloc(0);
  const page = 4096;
  const lastPage = buf.length / page - 1;
  // truncations (0, one page, the two meta pages, half, a byte short), zeroed pages (the metas, the
  // last page and seeded ones), seeded bit flips
  const cases = mutants(buf, 13, {
    cuts: [0, 4096, 8192, buf.length >> 1, buf.length - 1],
    flips: 20,
    zeroed: 4,
    align: page,
    zeroAt: [0, page, 10 * page, lastPage * page],
  });
  const dir = tmpDir('caffets-damaged-lmdb-');
  const db = path.join(dir, 'db');
  // a Data layer read by its prefetch worker; 16 batches of 64 cover the 1000 records
  fs.writeFileSync(
    path.join(dir, 'net.prototxt'),
    'name: "d"\n' +
      'layer { name: "data" type: "Data" top: "data" top: "label" ' +
      'data_param { source: "db" batch_size: 64 backend: LMDB } transform_param { scale: 0.00390625 } }\n' +
      'layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip" inner_product_param { num_output: 10 } }\n' +
      'layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip" bottom: "label" top: "loss" }\n',
  );
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test.each(cases)('%s: compute_image_mean and a Data layer give one line or succeed', (name, bytes) => {
    fs.rmSync(db, { recursive: true, force: true });
    fs.mkdirSync(db);
    fs.writeFileSync(path.join(db, 'data.mdb'), bytes);
    const mean = verdict(['compute_image_mean', 'db', 'mean.binaryproto'], dir);
    const time = verdict(['time', '--model=net.prototxt', '--iterations=16'], dir);
    expect({ mean: mean.bad, time: time.bad }).toEqual({ mean: null, time: null });
    // a short file is always refused
    if (name.startsWith('truncated')) expect([mean.refused, time.refused]).toEqual([true, true]);
  });

  test('the messages say what is wrong', () => {
    const run = (bytes: Buffer) => {
      fs.rmSync(db, { recursive: true, force: true });
      fs.mkdirSync(db);
      fs.writeFileSync(path.join(db, 'data.mdb'), bytes);
      const r = spawnSync(process.execPath, [CLI, 'compute_image_mean', 'db'], { cwd: dir, encoding: 'utf8' });
      return r.stderr.trim().split('\n').pop();
    };
    expect(run(buf.subarray(0, 8192))).toBe(
      `caffets: db: damaged LMDB database: data.mdb is 8192 bytes, its meta page says ${lastPage + 1} pages ` +
        `of 4096 (${buf.length} bytes); it was truncated or partly copied`,
    );
    expect(run(Buffer.alloc(0))).toBe(
      'caffets: db: damaged LMDB database: data.mdb is 0 bytes (empty); it was truncated or never written',
    );
    expect(run(Buffer.alloc(3 * page, 7))).toBe(
      'caffets: db: not an LMDB database: data.mdb does not begin with an LMDB meta page',
    );
    const zeroed = Buffer.from(buf);
    zeroed.fill(0, 10 * page, 11 * page); // a leaf page: liblmdb's assertion, caught
    expect(run(zeroed)).toBe(
      'caffets: db: damaged LMDB database (a page that should be a leaf is not: ' +
        "liblmdb's check IS_LEAF(mp) failed in mdb_cursor_next)",
    );
  });
});

describe('a data.mdb truncated while it is open', () => {
  quietLogs();
  afterEach(() => disposeAll());
  const datums = Array.from({ length: 1000 }, (_, r) => rawDatum(1, 28, 28, r % 10, (i) => (r + i) & 255));
  const truncated =
    /damaged LMDB database \(bus error reading page \d+, past the end of data.mdb, which is 8192 bytes\)$/;

  test('a cursor on the main thread: one error, then the same error, and close() works', async () => {
    const src = await makeDB('lmdb', datums);
    const db = await openLMDB(src, 'read');
    const c = await db.newCursor();
    fs.truncateSync(path.join(src, 'data.mdb'), 8192);
    let err: unknown;
    try {
      for (let i = 0; i < 1000 && c.valid; i++) c.nextSync!();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CaffeError);
    expect((err as Error).message).toMatch(new RegExp(`^${src}: ${truncated.source}`));
    expect(() => c.nextSync!()).toThrow(truncated); // the environment is poisoned, not used again
    expect(() => db.stat()).toThrow(truncated);
    await c.close();
    await db.close();
  });

  test("a Data layer's prefetch worker: the forward that needs the batch throws the one line", async () => {
    const src = await makeDB('lmdb', datums);
    const l = makeLayer<DataLayer>({ type: 'Data', data_param: { source: src, backend: 'LMDB', batch_size: 64 } });
    const t = tops(2);
    l.setUp([], t);
    fs.truncateSync(path.join(src, 'data.mdb'), 8192);
    let err: unknown;
    try {
      for (let i = 0; i < 20; i++) l.forward([], t);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CaffeError);
    expect((err as Error).message).toMatch(truncated);
    expect((err as Error).message).not.toContain('\n');
  });
});

describe('a full disk while writing an LMDB', () => {
  /** the error native/lmdb.cc throws when mdb_txn_commit returns `code` */
  const nativeError = (code: number, msg: string) =>
    Object.assign(new Error(`mdb_txn_commit /d/db: ${msg}`), {
      code,
      lmdbMessage: msg,
      op: 'mdb_txn_commit',
      path: '/d/db',
    });
  const ENOSPC = constants.errno.ENOSPC,
    EIO = constants.errno.EIO;

  test('ENOSPC, and EIO with the disk (nearly) full, say "no space left on device", naming the file', () => {
    const full = `/d/db: no space left on device writing ${path.join('/d/db', 'data.mdb')}`;
    expect(writeFailure('/d/db', nativeError(ENOSPC, 'No space left on device'), 1000, () => 1e12).message).toBe(full);
    expect(writeFailure('/d/db', nativeError(EIO, 'Input/output error'), 1000, () => 4096).message).toBe(full);
    // EIO with room to spare is an I/O error
    expect(writeFailure('/d/db', nativeError(EIO, 'Input/output error'), 1000, () => 1e12).message).toBe(
      'cannot write LMDB /d/db: Input/output error',
    );
  });

  const root = process.getuid?.() === 0;
  (root ? test : test.skip)(
    `writing 3 MB into a 2 MB tmpfs${root ? '' : ' [skipped: mounting a tmpfs needs root]'}`,
    async () => {
      const mnt = tmpDir('caffets-small-');
      const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mnt]);
      if (m.status !== 0) {
        console.warn(`skipped: cannot mount a tmpfs (${String(m.stderr).trim()})`);
        fs.rmSync(mnt, { recursive: true, force: true });
        return;
      }
      try {
        const db = await openLMDB(path.join(mnt, 'db'), 'new', { mapSize: 8 << 20 });
        const keys = Array.from({ length: 400 }, (_, i) => Buffer.from(String(i).padStart(8, '0')));
        const values = keys.map((_, i) => Buffer.alloc(8192, i & 255));
        expect(() => db.putBatch(keys, values)).toThrow(
          new CaffeError(`${mnt}/db: no space left on device writing ${mnt}/db/data.mdb`),
        );
        await db.close();
      } finally {
        spawnSync('umount', [mnt]);
        fs.rmSync(mnt, { recursive: true, force: true });
      }
    },
  );
});

describe('the fault guard leaves faults outside LMDB calls as they were', () => {
  // a module whose f() loads 4 bytes at 128 KiB from a memory of 64 KiB: Node's WebAssembly trap
  // handler (a SIGSEGV handler, to which ours passes faults it did not arm for) turns it into an error
  const wasm = '0061736d010000000105016000017f03020100050301000107050101660000' + '0a0b01090041808008280200' + '0b';
  const child = (extra: string) =>
    spawnSync(
      process.execPath,
      [
        '-e',
        `require(${JSON.stringify(path.join(ROOT, 'dist/native/addon'))}).native();` + // the addon's handlers
          `const m = new WebAssembly.Instance(new WebAssembly.Module(Buffer.from('${wasm}', 'hex')));` +
          `try { m.exports.f(); } catch (e) { console.log(String(e)); }${extra}`,
      ],
      { encoding: 'utf8', timeout: 20000 },
    );

  test("WebAssembly's out-of-bounds trap, and a SIGSEGV elsewhere still ends the process", () => {
    const r = child("process.kill(process.pid, 'SIGSEGV');");
    expect(r.stdout.trim()).toBe('RuntimeError: memory access out of bounds');
    expect(r.signal).toBe('SIGSEGV');
  });
});
