// Caffe's key-value databases (caffe/util/db.hpp): LMDB and LevelDB holding serialized Datums.
// Reading is a cursor over keys in order; writing goes through transactions committed in batches
// (convert_imageset commits every 1000 puts). The API is async because LevelDB's is; LMDB answers at once.

export type Backend = 'lmdb' | 'leveldb';
export type Mode = 'read' | 'write' | 'new'; // Caffe's db::READ, db::WRITE, db::NEW

export interface Cursor {
  /** Positions on the first key (Caffe's SeekToFirst). */
  seekToFirst(): Promise<void>;
  next(): Promise<void>;
  /** The same without a promise, where the backend reads synchronously (LMDB). */
  nextSync?(): void;
  seekToFirstSync?(): void;
  readonly valid: boolean;
  /** Current key and value; valid only until the next cursor call. */
  readonly key: string;
  readonly value: Uint8Array;
  /**
   * Where the backend reads records ahead (LMDB): the batch holding the current record (values at
   * bytes[ends[2i], ends[2i + 1])) and the record's index in it; the same object while the batch lasts.
   */
  readAhead?(): ReadAhead | null;
  close(): Promise<void>;
}

/** A read-ahead batch of records and the current one's index in it (Cursor.readAhead). */
export interface ReadAhead {
  readonly bytes: Uint8Array;
  readonly ends: Int32Array;
  readonly count: number;
  index: number;
}

export interface Transaction {
  /** Queues a record, copying value as Caffe's Put does; `handOver`: the caller never changes value
   *  again, so it is kept as it is (no copy). */
  put(key: string, value: Uint8Array, handOver?: boolean): void;
  /** Writes everything put since the last commit, atomically. */
  commit(): Promise<void>;
}

export interface DB {
  readonly backend: Backend;
  readonly path: string;
  newCursor(): Promise<Cursor>;
  newTransaction(): Transaction;
  /** Number of records (LMDB: from the environment stats; LevelDB: counted). */
  count(): Promise<number>;
  close(): Promise<void>;
}

/** Opens `path` with the named backend (implemented in lmdb.ts / leveldb.ts). */
export type OpenDB = (path: string, mode: Mode) => Promise<DB>;
