// LevelDB backend (Caffe's db_leveldb.cpp) through the npm package classic-level, which bundles
// Google's LevelDB (with Snappy, as Debian's libleveldb that Caffe links). Caffe's options: block
// size 64 KiB, write buffer 256 MiB, at most 100 open files, create_if_missing unless READ,
// error_if_exists for NEW; the default bytewise comparator. Keys and values cross as Buffers
// (keyEncoding/valueEncoding 'buffer'), so LevelDB sees raw bytes and orders them bytewise; a key
// string is written as UTF-8 and read back from UTF-8.
import * as fs from 'fs';
import * as path from 'path';
import { ClassicLevel } from 'classic-level';
import { CaffeError } from '../util/errors';
import { log } from '../util/logging';
import { Cursor, DB, Mode, OpenDB, Transaction } from './db';

type Level = ClassicLevel<Buffer, Buffer>;

/** Entries a cursor fetches from LevelDB per native call. */
const CURSOR_BATCH = 64;

/** classic-level wraps LevelDB's status in `cause`; the status text is the useful part. */
function levelMessage(e: unknown): string {
  const err = e as { message?: string; cause?: { message?: string } };
  return (err.cause?.message ?? err.message ?? String(e)).split('\n')[0];
}

class LevelDBCursor implements Cursor {
  valid = false;
  private it: { nextv(size: number): Promise<Array<[Buffer, Buffer]>>; close(): Promise<void> } | undefined;
  private buf: Array<[Buffer, Buffer]> = [];
  private pos = 0;
  private done = false;
  private k: string | undefined;

  constructor(
    private readonly db: Level,
    private readonly where: string,
  ) {}

  private async fill(): Promise<void> {
    this.buf = [];
    this.pos = 0;
    if (this.done || !this.it) return;
    try {
      this.buf = await this.it.nextv(CURSOR_BATCH);
    } catch (e) {
      throw new CaffeError(`cannot read LevelDB ${this.where}: ${levelMessage(e)}`);
    }
    if (this.buf.length === 0) this.done = true;
  }

  async seekToFirst(): Promise<void> {
    if (this.it) await this.it.close();
    // A fresh iterator reads a fresh snapshot, as Caffe's SeekToFirst on a new leveldb::Iterator.
    this.it = this.db.iterator<Buffer, Buffer>({ keyEncoding: 'buffer', valueEncoding: 'buffer' });
    this.done = false;
    await this.fill();
    this.moved();
  }

  async next(): Promise<void> {
    if (!this.valid) return;
    if (++this.pos >= this.buf.length) await this.fill();
    this.moved();
  }

  private moved(): void {
    this.valid = this.pos < this.buf.length;
    this.k = undefined;
  }

  get key(): string {
    if (!this.valid) throw new CaffeError(`LevelDB ${this.where}: the cursor is past the last record`);
    return (this.k ??= this.buf[this.pos][0].toString('utf8'));
  }

  get value(): Uint8Array {
    if (!this.valid) throw new CaffeError(`LevelDB ${this.where}: the cursor is past the last record`);
    return this.buf[this.pos][1];
  }

  async close(): Promise<void> {
    this.valid = false;
    this.buf = [];
    if (this.it) await this.it.close();
    this.it = undefined;
  }
}

class LevelDBTransaction implements Transaction {
  private ops: Array<{ type: 'put'; key: Buffer; value: Buffer }> = [];

  constructor(
    private readonly db: Level,
    private readonly where: string,
  ) {}

  put(key: string, value: Uint8Array, handOver = false): void {
    // Copies, as Caffe's WriteBatch::Put: the caller may reuse its buffer before the commit.
    const v = handOver ? Buffer.from(value.buffer, value.byteOffset, value.byteLength) : Buffer.from(value);
    this.ops.push({ type: 'put', key: Buffer.from(key, 'utf8'), value: v });
  }

  async commit(): Promise<void> {
    if (this.ops.length === 0) return;
    const ops = this.ops;
    this.ops = [];
    try {
      await this.db.batch(ops, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
    } catch (e) {
      throw new CaffeError(`cannot write LevelDB ${this.where}: ${levelMessage(e)}`);
    }
  }
}

export class LevelDB implements DB {
  readonly backend = 'leveldb' as const;
  private cursors = new Set<LevelDBCursor>();

  constructor(
    readonly path: string,
    private readonly db: Level,
  ) {}

  async newCursor(): Promise<Cursor> {
    const c = new LevelDBCursor(this.db, this.path);
    this.cursors.add(c);
    await c.seekToFirst(); // Caffe's LevelDBCursor starts on the first record
    return c;
  }

  newTransaction(): Transaction {
    return new LevelDBTransaction(this.db, this.path);
  }

  /** LevelDB keeps no entry count: this walks the keys. */
  async count(): Promise<number> {
    const it = this.db.keys<Buffer>({ keyEncoding: 'buffer' });
    let n = 0;
    try {
      for (;;) {
        const keys = await it.nextv(1024);
        if (keys.length === 0) break;
        n += keys.length;
      }
    } catch (e) {
      throw new CaffeError(`cannot read LevelDB ${this.path}: ${levelMessage(e)}`);
    } finally {
      await it.close();
    }
    return n;
  }

  async close(): Promise<void> {
    for (const c of this.cursors) await c.close();
    this.cursors.clear();
    await this.db.close();
  }
}

/** For READ: why `dbPath` cannot be a LevelDB, checked before LevelDB runs (its Open creates the
 * directory and a LOCK file even when it then fails). */
function notALevelDB(dbPath: string): string | undefined {
  let st: fs.Stats;
  try {
    st = fs.statSync(dbPath);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? 'No such file or directory' : (e as Error).message;
  }
  if (!st.isDirectory()) return 'Not a directory';
  if (!fs.existsSync(path.join(dbPath, 'CURRENT'))) {
    return fs.existsSync(path.join(dbPath, 'data.mdb'))
      ? 'no CURRENT file (it looks like an LMDB: use backend lmdb)'
      : 'not a LevelDB (no CURRENT file)';
  }
  return undefined;
}

export const openLevelDB: OpenDB = async (dbPath: string, mode: Mode): Promise<DB> => {
  if (mode === 'read') {
    const why = notALevelDB(dbPath);
    if (why) throw new CaffeError(`cannot open LevelDB ${dbPath}: ${why}`);
  }
  const db: Level = new ClassicLevel<Buffer, Buffer>(dbPath, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
  try {
    await db.open({
      createIfMissing: mode !== 'read',
      errorIfExists: mode === 'new',
      blockSize: 65536,
      writeBufferSize: 268435456,
      maxOpenFiles: 100,
    });
  } catch (e) {
    const verb = mode === 'new' ? 'create' : 'open';
    let why = levelMessage(e);
    if (why.startsWith('Invalid argument: ' + dbPath + ': ')) why = why.slice(`Invalid argument: ${dbPath}: `.length);
    throw new CaffeError(`cannot ${verb} LevelDB ${dbPath}: ${why}`);
  }
  log.info(`Opened leveldb ${dbPath}`);
  return new LevelDB(dbPath, db);
};
