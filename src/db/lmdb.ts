// LMDB backend (Caffe's db_lmdb.cpp) over the native addon's liblmdb binding (native/lmdb.cc).
// The on-disk format is liblmdb 0.9's, as Caffe's: a directory with data.mdb and lock.mdb holding
// one unnamed database whose keys compare bytewise. Keys are strings written as UTF-8; values raw.
//
// Differences from Caffe, none visible on disk:
//  - the map grows on demand. Caffe 1.0's releases differ (a fixed 1 TB map in some, which fails
//    on systems limiting address space; doubling in others); here a write environment starts at
//    64 MiB (or the data file's size) and a commit that meets MDB_MAP_FULL is aborted, the map
//    grown (at least doubled) and the batch redone, so a commit never fails with MAP_FULL.
//  - reading uses MDB_NOLOCK when the database's files are marked read-only (Caffe's
//    ALLOW_LMDB_NOLOCK fallback, taken up front), so read-only golden data is never written to.
//  - cursor values are copies (one Buffer per record): LMDB's pointers go into the memory map and
//    die with the read transaction, so a zero-copy Buffer kept by a caller could crash the process.
//  - a damaged database is one line, never a crash: data.mdb's meta pages are checked before it is
//    mapped (lmdb_meta.ts: empty, not LMDB, truncated), and a damaged page met later (a fault, a
//    liblmdb assertion or corruption code, caught in native/lmdb.cc) is `<DB>: damaged LMDB database
//    (<why>)`. A full disk says so, naming the file (liblmdb reports a short write as EIO).
import * as fs from 'fs';
import { constants } from 'os';
import * as path from 'path';
import { LmdbStat, NativeLmdbCursor, NativeLmdbEnv, native } from '../native/addon';
import { CaffeError } from '../util/errors';
import { log } from '../util/logging';
import { Cursor, DB, Mode, ReadAhead, Transaction } from './db';
import { checkLmdbDataFile } from './lmdb_meta';

/** The initial map size of a write environment; it grows on demand. */
export const INITIAL_MAP_SIZE = 64 * 1024 * 1024;

const MODE: Record<Mode, number> = { read: 0, write: 1, new: 2 };

export type { LmdbStat };

/** The LMDB message of a native error (the error's own message if it has none). */
function lmdbMessage(e: unknown): string {
  const err = e as { lmdbMessage?: string; message?: string };
  return err.lmdbMessage ?? err.message ?? String(e);
}

/** A native error's message without its `<op> <path>: ` prefix (LMDB's message plus any detail). */
function nativeDetail(e: unknown): string {
  const err = e as { op: string; path: string; message: string };
  const prefix = `${err.op} ${err.path}: `;
  return err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message;
}

function isNativeError(e: unknown): boolean {
  return typeof e === 'object' && e !== null && typeof (e as { lmdbMessage?: unknown }).lmdbMessage === 'string';
}

/** A native error's account of damage (a fault, an assertion, a corruption code), if it is one. */
function damage(dbPath: string, e: unknown): CaffeError | null {
  const why = (e as { damaged?: string }).damaged;
  return why === undefined ? null : new CaffeError(`${dbPath}: damaged LMDB database (${why})`);
}

/** A native error from reading `dbPath`, as one line. */
function readFailure(dbPath: string, e: unknown): CaffeError {
  return damage(dbPath, e) ?? new CaffeError(`cannot read LMDB ${dbPath}: ${lmdbMessage(e)}`);
}

/** Free bytes of the file system holding `p` (for the caller's user), or Infinity when unknown. */
function freeBytes(p: string): number {
  try {
    const s = fs.statfsSync(p);
    return s.bavail * s.bsize;
  } catch {
    return Infinity;
  }
}

/**
 * Whether a native error from writing `bytes` into `dbPath` means a full disk: liblmdb returns ENOSPC,
 * or EIO when a write of its pages comes out short, which with less free space left than the batch
 * (and 1 MiB) is a full disk too.
 */
function diskFull(dbPath: string, e: unknown, bytes: number, free: (p: string) => number): boolean {
  const code = (e as { code?: unknown }).code;
  return code === constants.errno.ENOSPC || (code === constants.errno.EIO && free(dbPath) < bytes + (1 << 20));
}

const noSpace = (dbPath: string) =>
  new CaffeError(`${dbPath}: no space left on device writing ${path.join(dbPath, 'data.mdb')}`);

/** A native error from writing `bytes` into `dbPath`, as one line (`free`: for tests). */
export function writeFailure(dbPath: string, e: unknown, bytes: number, free = freeBytes): CaffeError {
  if (diskFull(dbPath, e, bytes, free)) return noSpace(dbPath);
  return damage(dbPath, e) ?? new CaffeError(`cannot write LMDB ${dbPath}: ${nativeDetail(e)}`);
}

// Records are read ahead in batches (one native call copies up to BATCH records into one buffer);
// key and value are views into it, valid as long as the caller keeps them.
const BATCH = 256,
  BATCH_BYTES = 4 << 20;

class LmdbCursor implements Cursor {
  valid = false;
  private buf: Buffer | null = null;
  /** buf as a plain Uint8Array: its views are cheaper to make than a Buffer's */
  private bytes: Uint8Array | null = null;
  private ends: Int32Array = new Int32Array(0);
  private ahead: ReadAhead | null = null;
  private count = 0;
  private i = 0;

  constructor(
    private readonly c: NativeLmdbCursor,
    private readonly where: string,
  ) {}

  private call<T>(fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      this.valid = false;
      this.buf = this.bytes = null;
      if (isNativeError(e)) throw readFailure(this.where, e);
      throw e;
    }
  }

  /** Reads the batch starting at the native cursor's record (valid = false when there is none). */
  private fill(positioned: boolean): void {
    const batch = positioned ? this.call(() => this.c.readBatch(BATCH, BATCH_BYTES)) : null;
    this.buf = batch?.buf ?? null;
    this.bytes = this.buf && new Uint8Array(this.buf.buffer, this.buf.byteOffset, this.buf.length);
    this.ahead = null;
    this.ends = batch?.ends ?? new Int32Array(0);
    this.count = this.ends.length / 2;
    this.i = 0;
    this.valid = this.count > 0;
  }

  async seekToFirst(): Promise<void> {
    this.seekToFirstSync();
  }
  async next(): Promise<void> {
    this.nextSync();
  }

  seekToFirstSync(): void {
    this.fill(this.call(() => this.c.first()));
  }

  nextSync(): void {
    if (!this.buf) {
      this.fill(this.call(() => this.c.next()));
      return;
    } // unpositioned: the first
    if (++this.i < this.count) return;
    this.fill(this.call(() => this.c.next()));
  }

  private check(): void {
    if (!this.valid) throw new CaffeError(`LMDB ${this.where}: the cursor is past the last record`);
  }

  get key(): string {
    this.check();
    const start = this.i === 0 ? 0 : this.ends[2 * this.i - 1];
    return this.buf!.toString('utf8', start, this.ends[2 * this.i]);
  }

  readAhead(): ReadAhead | null {
    if (!this.valid || !this.bytes) return null;
    this.ahead ??= { bytes: this.bytes, ends: this.ends, count: this.count, index: 0 };
    this.ahead.index = this.i;
    return this.ahead;
  }

  get value(): Uint8Array {
    this.check();
    return this.bytes!.subarray(this.ends[2 * this.i], this.ends[2 * this.i + 1]);
  }

  async close(): Promise<void> {
    this.valid = false;
    this.buf = this.bytes = null;
    this.c.close();
  }
}

class LmdbTransaction implements Transaction {
  private keys: Buffer[] = [];
  private values: Uint8Array[] = [];

  constructor(private readonly db: LmdbDB) {}

  put(key: string, value: Uint8Array, handOver = false): void {
    this.keys.push(Buffer.from(key, 'utf8'));
    this.values.push(handOver ? value : Buffer.from(value)); // a copy, as Caffe's Put: the caller may reuse its buffer
  }

  /** Writes the pairs on libuv's pool (the caller may go on decoding meanwhile; close() waits for it). */
  async commit(): Promise<void> {
    const n = this.keys.length;
    if (n === 0) return;
    await this.db.putBatchAsync(this.keys.slice(), this.values.slice());
    // written: a failed batch stays for a later commit, pairs put meanwhile for the next
    this.keys.splice(0, n);
    this.values.splice(0, n);
  }
}

export class LmdbDB implements DB {
  readonly backend = 'lmdb' as const;
  private env: NativeLmdbEnv | undefined;
  /** the last putBatchAsync, settled (the environment is busy until then) */
  private writing: Promise<void> = Promise.resolve();
  private writes = 0;

  constructor(
    readonly path: string,
    env: NativeLmdbEnv,
  ) {
    this.env = env;
  }

  private handle(): NativeLmdbEnv {
    if (!this.env) throw new CaffeError(`LMDB ${this.path} is closed`);
    return this.env;
  }

  /** liblmdb's statistics of the environment (mdb_stat + mdb_env_info). */
  stat(): LmdbStat {
    try {
      return this.handle().stat();
    } catch (e) {
      if (isNativeError(e)) throw readFailure(this.path, e);
      throw e;
    }
  }

  /** Writes the pairs in one transaction, growing the map as needed (see native/lmdb.cc). */
  putBatch(keys: Buffer[], values: Uint8Array[]): { mapSize: number; grown: number } {
    try {
      return this.handle().putBatch(keys, values);
    } catch (e) {
      if (!isNativeError(e)) throw e;
      let bytes = 0;
      for (let i = 0; i < keys.length; i++) bytes += keys[i].length + values[i].length;
      throw writeFailure(this.path, e, bytes);
    }
  }

  /** putBatch on libuv's pool, started at once; one at a time: a second waits for the first. */
  putBatchAsync(keys: Buffer[], values: Uint8Array[]): Promise<{ mapSize: number; grown: number }> {
    const write = async () => {
      try {
        return await this.handle().putBatchAsync(keys, values);
      } catch (e) {
        if (!isNativeError(e)) throw e;
        let bytes = 0;
        for (let i = 0; i < keys.length; i++) bytes += keys[i].length + values[i].length;
        throw writeFailure(this.path, e, bytes);
      }
    };
    const done = this.writes++ > 0 ? this.writing.then(write, write) : write();
    this.writing = done.then(
      () => void this.writes--,
      () => void this.writes--,
    );
    return done;
  }

  async newCursor(): Promise<Cursor> {
    const env = this.handle();
    let c: NativeLmdbCursor;
    try {
      c = new (native().LmdbCursor)(env);
    } catch (e) {
      if (isNativeError(e)) throw readFailure(this.path, e);
      throw e;
    }
    const cursor = new LmdbCursor(c, this.path);
    await cursor.seekToFirst(); // Caffe's LMDBCursor starts on the first record
    return cursor;
  }

  newTransaction(): Transaction {
    return new LmdbTransaction(this);
  }

  async count(): Promise<number> {
    return this.stat().entries;
  }

  async close(): Promise<void> {
    await this.writing;
    this.env?.close();
    this.env = undefined;
  }
}

/** Why an open failed, with a hint when the directory is something else. */
function openFailure(dbPath: string, mode: Mode, e: unknown): CaffeError {
  const err = e as { op?: string };
  if (err.op === 'mkdir') return new CaffeError(`cannot create LMDB ${dbPath}: ${lmdbMessage(e)}`);
  if (mode !== 'read' && diskFull(dbPath, e, 0, freeBytes)) return noSpace(dbPath); // a new file's meta pages
  const damaged = damage(dbPath, e);
  if (damaged) return damaged;
  let hint = '';
  if (fs.existsSync(path.join(dbPath, 'CURRENT')) && !fs.existsSync(path.join(dbPath, 'data.mdb'))) {
    hint = ' (it looks like a LevelDB: use backend leveldb)';
  }
  return new CaffeError(`cannot open LMDB ${dbPath}${mode === 'read' ? '' : ' for writing'}: ${lmdbMessage(e)}${hint}`);
}

export interface LmdbOptions {
  /** Initial map size in bytes for write/new (default INITIAL_MAP_SIZE); the map grows past it. */
  mapSize?: number;
}

/** Caffe's LMDB::Open. The third argument is for tests and tools; openDB passes two. */
export const openLMDB = async (dbPath: string, mode: Mode, options: LmdbOptions = {}): Promise<LmdbDB> => {
  let mapSize = options.mapSize ?? INITIAL_MAP_SIZE;
  if (mode === 'write') {
    try {
      mapSize = Math.max(mapSize, fs.statSync(path.join(dbPath, 'data.mdb')).size);
    } catch {
      /* new file */
    }
  }
  if (mode !== 'new') checkLmdbDataFile(dbPath, mode === 'write');
  const Env = native().LmdbEnv;
  let env: NativeLmdbEnv;
  try {
    env = new Env(dbPath, MODE[mode], mode === 'read' ? 0 : mapSize);
  } catch (e) {
    if (isNativeError(e)) throw openFailure(dbPath, mode, e);
    throw e;
  }
  log.info(`Opened lmdb ${dbPath}`);
  return new LmdbDB(dbPath, env);
};
