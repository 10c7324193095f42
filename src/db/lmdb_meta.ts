// The check of an LMDB data file before liblmdb maps it: its two meta pages are read here (LMDB 0.9's
// 64-bit layout) and the file must hold every page the newer one lists. liblmdb itself only reads the
// meta pages and maps the rest, so a truncated or partly copied data.mdb would fault on its first
// missing page (native/lmdb.cc catches that too, but cannot say why as plainly).
//
// Layout: page 0 and page 1 are meta pages. A page starts with a 16-byte header (pgno u64, pad u16,
// flags u16, lower/upper u16); a meta page (flags & P_META) then holds MDB_meta: magic u32
// (0xBEEFC0DE), version u32 (1), address, map size, two 48-byte MDB_db records (the first's md_pad is
// the page size), last page u64, txnid u64. liblmdb uses the meta with the larger txnid (the first on
// a tie).
import * as fs from 'fs';
import * as path from 'path';
import { CaffeError } from '../util/errors';

const PAGE_HEADER = 16;
const P_META = 0x08;
const MAGIC = 0xbeefc0de;
const DATA_VERSION = 1;
const META_BYTES = PAGE_HEADER + 136;
const OFF_MAGIC = PAGE_HEADER,
  OFF_VERSION = PAGE_HEADER + 4,
  OFF_PSIZE = PAGE_HEADER + 24,
  OFF_LAST_PAGE = PAGE_HEADER + 120,
  OFF_TXNID = PAGE_HEADER + 128;

export interface LmdbMeta {
  pageSize: number;
  version: number;
  lastPage: bigint;
  txnid: bigint;
}

/** The meta page at `at` of `buf`, or null when there is none (flags, magic). */
export function parseMeta(buf: Buffer, at: number): LmdbMeta | null {
  if (buf.length < at + META_BYTES) return null;
  if ((buf.readUInt16LE(at + 10) & P_META) === 0 || buf.readUInt32LE(at + OFF_MAGIC) !== MAGIC) return null;
  return {
    pageSize: buf.readUInt32LE(at + OFF_PSIZE),
    version: buf.readUInt32LE(at + OFF_VERSION),
    lastPage: buf.readBigUInt64LE(at + OFF_LAST_PAGE),
    txnid: buf.readBigUInt64LE(at + OFF_TXNID),
  };
}

const validPageSize = (n: number) => n >= 512 && n <= 65536 && (n & (n - 1)) === 0;

/**
 * Throws a one-line CaffeError when `dbPath`/data.mdb cannot be a whole LMDB database: empty (unless
 * `emptyOk`: liblmdb initializes an empty file opened for writing), not LMDB, of another format
 * version, or shorter than its pages. A missing or unreadable file is left to liblmdb's own error.
 */
export function checkLmdbDataFile(dbPath: string, emptyOk: boolean): void {
  const file = path.join(dbPath, 'data.mdb');
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return;
  }
  let size: number, head: Buffer;
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) return;
    size = st.size;
    // the first meta page, and the second wherever the page size puts it (at most 64 KiB on)
    head = Buffer.alloc(Math.min(size, 65536 + META_BYTES));
    fs.readSync(fd, head, 0, head.length, 0);
  } catch {
    return;
  } finally {
    fs.closeSync(fd);
  }
  const damaged = (why: string) => new CaffeError(`${dbPath}: damaged LMDB database: ${why}`);
  const cut = 'it was truncated or partly copied';
  if (size === 0) {
    if (emptyOk) return;
    throw damaged('data.mdb is 0 bytes (empty); it was truncated or never written');
  }
  if (size < META_BYTES) throw damaged(`data.mdb is ${size} bytes, shorter than an LMDB meta page; ${cut}`);
  const m0 = parseMeta(head, 0);
  if (!m0) {
    // a damaged first page, or another format: a second meta page where liblmdb's page sizes put it
    for (let p = 512; p <= 65536; p *= 2) {
      const m1 = parseMeta(head, p);
      if (m1 && m1.pageSize === p) throw damaged('its first page (meta page 0) is not an LMDB meta page');
    }
    throw new CaffeError(`${dbPath}: not an LMDB database: data.mdb does not begin with an LMDB meta page`);
  }
  if (m0.version !== DATA_VERSION) {
    throw new CaffeError(
      `${dbPath}: data.mdb is an LMDB database of format version ${m0.version}; ` +
        `liblmdb 0.9 reads version ${DATA_VERSION}`,
    );
  }
  const ps = m0.pageSize;
  if (!validPageSize(ps)) throw damaged(`its meta page gives a page size of ${ps}`);
  if (size < ps + META_BYTES) {
    throw damaged(`data.mdb is ${size} bytes, shorter than its two meta pages (${2 * ps} bytes); ${cut}`);
  }
  const m1 = parseMeta(head, ps);
  if (!m1 || m1.version !== DATA_VERSION || m1.pageSize !== ps) {
    throw damaged('its second page (meta page 1) is not an LMDB meta page');
  }
  const meta = m1.txnid > m0.txnid ? m1 : m0;
  const pages = meta.lastPage + 1n;
  if (pages < 2n) throw damaged(`its meta page says ${pages} page(s), fewer than the two meta pages`);
  const need = pages * BigInt(ps);
  if (BigInt(size) < need) {
    throw damaged(`data.mdb is ${size} bytes, its meta page says ${pages} pages of ${ps} (${need} bytes); ${cut}`);
  }
}
