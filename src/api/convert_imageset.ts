// Caffe's tools/convert_imageset.cpp as a library call: a list of `path label` lines becomes an
// LMDB/LevelDB of Datums keyed `%08d_<path>` by list position. Images are read, decoded, resized
// and serialized concurrently and written in list order: plain Datums of JPEGs natively on libuv's
// thread pool (native/image.cc jpegFileDatum: no JavaScript per image); other images, encoded Datums
// and JPEGs that path leaves in worker threads (one per core, started when first needed, when run
// from dist/; else on the main thread with sharp's pool). The database is built
// under `<DB>.tmp-<pid>-<n>` and renamed into place at the end, so a failed or interrupted run never
// leaves a half-written database under the final name. Without --overwrite the final name is claimed
// exclusively at the end: a database or folder that appeared there during the run is kept and the run
// fails. SIGINT/SIGTERM remove the temp folder; those of killed (dead) processes are removed by the
// next run to the same name.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { Worker } from 'worker_threads';
import { openDB, DB, Transaction } from '../db';
import type { DatumBytes } from '../io/datum';
import { listLineHint, parseImageList, visibleText } from '../io/image_list';
import { checkFailed } from '../util/check';
import { pidAlive } from '../io/atomic';
import { native } from '../native/addon';
import { CaffeError } from '../util/errors';
import { log } from '../util/logging';
import { ProgressBar } from '../util/progress';

export interface ConvertImagesetOptions {
  /** prefixed to every path of the list as is (Caffe: ROOTFOLDER/, keep the slash) */
  root: string;
  listFile: string;
  db: string;
  gray?: boolean;
  shuffle?: boolean;
  /** seed of the shuffle (caffets' addition: Caffe seeds from /dev/urandom) */
  shuffleSeed?: number;
  backend?: string;
  resizeHeight?: number;
  resizeWidth?: number;
  checkSize?: boolean;
  encoded?: boolean;
  encodeType?: string;
  /** replace an existing database (caffets' addition: Caffe fails on one) */
  overwrite?: boolean;
  /** images in flight at once (default: 4 per thread) */
  concurrency?: number;
  /** decoding worker threads; 0 = decode on the main thread (default: one per core from dist/) */
  threads?: number;
  /** draw a progress bar when stderr is a terminal (default true) */
  progress?: boolean;
}

export interface ListEntry {
  path: string;
  label: number;
  line: number;
  /** what may be wrong with the line when its file cannot be read (caffets' addition) */
  hint?: string;
}

export interface ConvertImagesetResult {
  count: number;
  total: number;
  skipped: string[];
  db: string;
}

/**
 * The list file as Caffe reads it (parseImageList): the label is atoi of what follows the LAST space; a
 * line without a space is the file name whole. A CR of CRLF line ends stays in the line, a tab or a
 * leading or trailing space in the file name: such files are then not found, and are skipped. Lines
 * without a space are counted in one warning, where Caffe is silent.
 */
export function readImageList(listFile: string): ListEntry[] {
  let text: string;
  try {
    text = fs.readFileSync(listFile, 'utf8');
  } catch (e) {
    throw new CaffeError(
      `cannot read list file ${listFile}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
  const raw = text.split('\n');
  const entries = parseImageList(text).map(([file, label], i) => {
    const hint = listLineHint(raw[i]);
    return { path: file, label, line: i + 1, ...(hint && { hint: `${listFile}:${i + 1}: ${hint}` }) };
  });
  const unlabelled = entries.filter((e) => e.path !== '' && !raw[e.line - 1].includes(' '));
  if (unlabelled.length > 0) {
    log.warning(
      `${unlabelled.length} line(s) of ${listFile} have no space, so no label: as Caffe, each is read ` +
        `whole as the file name, with label atoi(line) (0 unless it starts with digits); first: line ` +
        `${unlabelled[0].line}, '${visibleText(raw[unlabelled[0].line - 1])}'`,
    );
  }
  return entries;
}

/** caffe::format_int(n, 8): zero-padded to at least 8 digits. */
export const formatKey = (index: number, file: string) => `${String(index).padStart(8, '0')}_${file}`;

interface Job {
  file: string;
  label: number;
  height: number;
  width: number;
  isColor: boolean;
  encoding: string;
}
/** A serialized Datum with what --check_size needs, a skip (logged), or a bug (rethrown in order). */
type Outcome = DatumBytes | { error: string } | { fatal: unknown };

const skipMessage = (file: string, msg: string) =>
  msg.startsWith('Could not open') ? msg : `Could not open or find file ${file} (${msg})`;

// Loaded when first needed (start-up: a run of plain JPEGs never uses them): the general decoding path,
// worker threads, the shuffle's generator.
const datumModule = () => require('../io/datum') as typeof import('../io/datum');

async function decodeHere(j: Job): Promise<Outcome> {
  try {
    return await datumModule().readImageToDatumBytes(j.file, j.label, j.height, j.width, j.isColor, j.encoding);
  } catch (err) {
    return err instanceof CaffeError ? { error: skipMessage(j.file, err.message) } : { fatal: err };
  }
}

// Worker threads decode, resize and serialize on every core; the main thread only writes. They run
// the compiled modules, so they are used when caffets runs from dist/ (ts-jest decodes in process).
const WORKER_SRC =
  `
const { parentPort, workerData } = require('worker_threads');
const { readImageToDatumBytes } = require(workerData.datum);
parentPort.on('message', async (j) => {
  try {
    const d = await readImageToDatumBytes(j.file, j.label, j.height, j.width, j.isColor, j.encoding);
    // a Buffer from protobufjs or sharp may share its pool's memory: transfer a copy of it only
    const bytes = d.bytes.byteLength === d.bytes.buffer.byteLength ? d.bytes : d.bytes.slice();
    parentPort.postMessage({ id: j.id, bytes, dataLen: d.dataLen, dims: d.dims }, [bytes.buffer]);
  } catch (e) {
    parentPort.postMessage({ id: j.id, error: e && e.name === 'CaffeError' ? String(e.message) : undefined, ` +
  `fatal: String(e && e.stack || e) });
  }
});`;

class DecodePool {
  private readonly workers: Worker[] = [];
  private readonly waiting = new Map<number, (o: Outcome) => void>();
  private nextId = 0;
  private broken: unknown;

  constructor(n: number) {
    const workerData = {
      datum: path.join(__dirname, '../io/datum.js'),
    };
    for (let i = 0; i < n; i++) {
      const { Worker: WorkerThread } = require('worker_threads') as typeof import('worker_threads');
      const w: Worker = new WorkerThread(WORKER_SRC, { eval: true, workerData });
      w.on(
        'message',
        (m: { id: number; bytes?: Uint8Array; dataLen: number; dims: number; error?: string; fatal?: string }) => {
          const done = this.waiting.get(m.id)!;
          this.waiting.delete(m.id);
          if (m.bytes) done({ bytes: m.bytes, dataLen: m.dataLen, dims: m.dims });
          else done(m.error !== undefined ? { error: m.error } : { fatal: new Error(`decoding worker: ${m.fatal}`) });
        },
      );
      w.on('error', (e) => {
        this.broken = e;
        for (const done of this.waiting.values()) done({ fatal: e });
        this.waiting.clear();
      });
      this.workers.push(w);
    }
  }

  run(j: Job): Promise<Outcome> {
    const id = this.nextId++;
    if (this.broken) return Promise.resolve({ fatal: this.broken });
    return new Promise((resolve) => {
      this.waiting.set(id, (o) => resolve('error' in o ? { error: skipMessage(j.file, o.error) } : o));
      this.workers[id % this.workers.length].postMessage({ ...j, id });
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

// Caffe commits every 1000 records; caffets also commits once 8 MiB are queued, so that writing (on
// libuv's pool, one batch at a time: putBatchAsync) overlaps decoding and memory stays bounded. The
// records are the same: the database is built in a temp folder and appears under its name only when
// whole, so no reader sees the commits in between.
const COMMIT_BYTES = 8 << 20;
// Written Datums' buffers kept for the next JPEGs (more than a batch of 8 MiB of 256x256 images; a run
// of other images, which take none, keeps no more).
const SPARE_MAX = 64;

let tmpSeq = 0;
const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Removes `<DB>.tmp-<pid>[-<n>][.old]` folders that processes no longer alive left beside `db`. */
function removeStaleTempDbs(db: string): void {
  const abs = path.resolve(db);
  const dir = path.dirname(abs);
  const re = new RegExp(`^${escapeRe(path.basename(abs))}\\.tmp-(\\d+)(?:-\\d+)?(?:\\.old)?$`);
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const m = re.exec(name);
    if (!m || pidAlive(Number(m[1]))) continue;
    log.info(`Removing ${path.join(dir, name)}, left by process ${m[1]} (no longer running)`);
    fs.rmSync(path.join(dir, name), { recursive: true, force: true });
  }
}

/**
 * Renames the finished database `tmp` to `final` unless something is there: a folder is claimed with
 * an exclusive mkdir (rename then replaces only that empty folder), a file with an exclusive link.
 */
function placeExclusively(tmp: string, final: string): void {
  const exists = () =>
    new CaffeError(`${final} already exists (created during this run; remove it, or pass --overwrite to replace it)`);
  const isDir = fs.statSync(tmp).isDirectory();
  try {
    if (isDir) fs.mkdirSync(final);
    else fs.linkSync(tmp, final);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw exists();
    throw e;
  }
  if (!isDir) {
    fs.rmSync(tmp, { force: true });
    return;
  }
  try {
    fs.renameSync(tmp, final);
  } catch (e) {
    // something was put into the claimed folder meanwhile: leave it be
    if (['ENOTEMPTY', 'EEXIST'].includes((e as NodeJS.ErrnoException).code ?? '')) throw exists();
    fs.rmdirSync(final);
    throw e;
  }
}

export async function convertImageset(o: ConvertImagesetOptions): Promise<ConvertImagesetResult> {
  const backend = (o.backend ?? 'lmdb').toLowerCase();
  if (backend !== 'lmdb' && backend !== 'leveldb')
    throw new CaffeError(`Unknown database backend: ${o.backend} (expected lmdb or leveldb)`);
  const isColor = !o.gray,
    encodeType = o.encodeType ?? '',
    encoded = !!o.encoded;
  const final = o.db;
  if (fs.existsSync(final) && !o.overwrite) {
    throw new CaffeError(`${final} already exists (remove it, or pass --overwrite to replace it)`);
  }
  const lines = readImageList(o.listFile);
  if (o.shuffle) {
    log.info('Shuffling data');
    const { Rng } = require('../core/rng') as typeof import('../core/rng');
    const { caffeShuffle } = require('../data/random') as typeof import('../data/random');
    caffeShuffle(lines, new Rng(o.shuffleSeed ?? 0));
  }
  log.info(`A total of ${lines.length} images.`);
  if (encodeType && !encoded) log.info('encode_type specified, assuming encoded=true.');
  const resizeHeight = Math.max(0, o.resizeHeight ?? 0),
    resizeWidth = Math.max(0, o.resizeWidth ?? 0);

  const parent = path.dirname(path.resolve(final));
  if (!fs.existsSync(parent)) throw new CaffeError(`cannot create ${final}: directory ${parent} does not exist`);
  removeStaleTempDbs(final);
  const tmp = `${final.replace(/[\\/]+$/, '')}.tmp-${process.pid}-${++tmpSeq}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  const onSignal = (sig: NodeJS.Signals) => {
    // interrupted: drop the temp database, then die of the signal as without this handler
    fs.rmSync(tmp, { recursive: true, force: true });
    fs.rmSync(`${tmp}.old`, { recursive: true, force: true });
    unhook();
    if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
  };
  const unhook = () => {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const cores = os.availableParallelism?.() ?? os.cpus().length;
  const threads = o.threads ?? (__filename.endsWith('.js') && lines.length >= 64 ? Math.min(cores, 16) : 0);
  // JPEGs (native) and sharp's decodes run on libuv's pool: 4 threads unless set before its first use
  process.env.UV_THREADPOOL_SIZE ??= String(Math.max(4, Math.min(cores, 16)));
  // Datums and liblmdb's overflow pages: large buffers, one after another, reused instead of refaulted
  native().keepFreedMemory();
  let pool: DecodePool | undefined;
  // the buffers of Datums already written, refilled by the next JPEGs
  const spare: Uint8Array[] = [];
  const read = (e: ListEntry): Promise<Outcome> => {
    const file = o.root + e.path;
    if (e.path === '') return Promise.resolve({ error: `Could not open or find file ${file}` }); // a folder
    let encoding = encodeType;
    if (encoded && !encoding) {
      // guess the encoding from the file name
      const p = e.path.lastIndexOf('.');
      if (p < 0) return Promise.resolve({ error: `Failed to guess the encoding of '${e.path}' (give --encode_type)` });
      encoding = e.path.slice(p + 1).toLowerCase();
    }
    const job: Job = { file, label: e.label, height: resizeHeight, width: resizeWidth, isColor, encoding };
    const general = (): Promise<Outcome> => {
      // the worker threads start when the first image needs them
      if (threads > 0) pool ??= new DecodePool(threads);
      return pool ? pool.run(job) : decodeHere(job);
    };
    if (encoding) return general();
    return native()
      .jpegFileDatum(file, !isColor, resizeHeight, resizeWidth, e.label, spare.pop())
      .then((r) => (r ? { bytes: r.bytes, dataLen: r.dims, dims: r.dims } : general()));
  };

  let db: DB | undefined;
  const bar = new ProgressBar(lines.length, 'convert_imageset', process.stderr, o.progress ?? true);
  const skipped: string[] = [];
  let count = 0;
  try {
    db = await openDB(backend, tmp, 'new');
    let txn: Transaction = db.newTransaction();
    const window = Math.max(2, o.concurrency ?? Math.max(threads, cores) * 4);
    const pending: (Promise<Outcome> | undefined)[] = new Array(lines.length);
    let launched = 0,
      dataSize = -1,
      queued = 0,
      committing: Promise<void> = Promise.resolve(),
      batch: Uint8Array[] = [];
    for (let i = 0; i < lines.length; i++) {
      for (; launched < lines.length && launched < i + window; launched++) pending[launched] = read(lines[launched]);
      const r = await pending[i]!;
      pending[i] = undefined;
      bar.tick();
      if ('fatal' in r) throw r.fatal;
      if ('error' in r) {
        const file = o.root + lines[i].path;
        log.error(r.error.replace(file, visibleText(file)) + (lines[i].hint ? ` [${lines[i].hint}]` : ''));
        skipped.push(o.root + lines[i].path);
        continue;
      }
      if (o.checkSize) {
        if (dataSize < 0) dataSize = r.dims;
        else if (r.dataLen !== dataSize) {
          checkFailed(
            null,
            `data.size() == data_size (${r.dataLen} vs. ${dataSize})`,
            `Incorrect data field size ${r.dataLen} (${o.root + lines[i].path})`,
          );
        }
      }
      txn.put(formatKey(i, lines[i].path), r.bytes, true);
      batch.push(r.bytes);
      queued += r.bytes.length;
      if (++count % 1000 === 0 || queued >= COMMIT_BYTES) {
        // the batch is written on the pool while the next images decode; one batch in flight at a time
        await committing;
        const written = batch,
          done = count;
        // Caffe logs every 1000 files once they are committed
        committing = txn.commit().then(() => {
          spare.push(...written.slice(0, SPARE_MAX - spare.length));
          if (done % 1000 === 0) log.info(`Processed ${done} files.`);
        });
        committing.catch(() => undefined); // its failure is thrown where it is awaited
        txn = db.newTransaction();
        batch = [];
        queued = 0;
      }
    }
    await committing;
    if (count % 1000 !== 0) {
      await txn.commit();
      log.info(`Processed ${count} files.`);
    }
    await db.close();
    db = undefined;
    if (o.overwrite && fs.existsSync(final)) {
      // --overwrite: the old database goes only once the new one is whole
      const old = `${tmp}.old`;
      fs.renameSync(final, old);
      fs.renameSync(tmp, final);
      fs.rmSync(old, { recursive: true, force: true });
    } else {
      placeExclusively(tmp, final);
    }
  } catch (e) {
    await pool?.close();
    pool = undefined;
    await db?.close().catch(() => undefined);
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  } finally {
    unhook();
    await pool?.close();
    bar.finish();
  }
  return { count, total: lines.length, skipped, db: final };
}
