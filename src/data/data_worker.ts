// The prefetch thread of a data layer (Caffe's BasePrefetchingDataLayer::InternalThreadEntry with
// DataLayer / ImageDataLayer / WindowDataLayer::load_batch): reads records in order, decodes them,
// transforms them with a DataTransformer rebuilt from the main thread's (same parameters, mean and RNG
// seed), or samples and warps windows (window_batch.ts), and fills batch slots in shared memory ahead
// of the net. See prefetch_protocol.ts for the handshake.
//
// One worker per layer and one sequential stream of records and random draws, as Caffe's single
// prefetch thread, so a seeded run produces the same batches (records, crops, mirrors) every time.
// This module runs only inside the worker (prefetch.ts starts it; under ts-jest through a
// TypeScript require hook, compiled as dist/data/data_worker.js otherwise).
import { MessagePort } from 'worker_threads';
import { Rng } from '../core/rng';
import type { Message } from '../proto/schema';
import { decodeDatum } from '../formats/datum_wire';
import { checkFailed } from '../util/check';
import { CaffeError } from '../util/errors';
import { setLogSink } from '../util/logging';
import { MEMORY_ENV, checkMemoryFor } from '../util/memory';
import { DataTransformer, ImageLike } from './data_transformer';
import { caffeShuffle } from './random';
import type { Cursor, DB, ReadAhead } from '../db/db';
import {
  CTRL_CONSUMED,
  CTRL_HEADER,
  CTRL_PRODUCED,
  CTRL_STATE,
  CTRL_STOP,
  HEADER_WORDS,
  DbOpenSpec,
  DbSourceSpec,
  ImageSourceSpec,
  SlotBuffers,
  StartMessage,
  STATE_FAILED,
  STATE_OPENED,
  STATE_RUNNING,
  STATE_STOPPED,
  WorkerInit,
  WorkerMessage,
  WindowSourceSpec,
  WorkerSpec,
} from './prefetch_protocol';

export interface WorkerData {
  init: WorkerInit;
  ctrl: SharedArrayBuffer;
  port: MessagePort;
}

/** A database opened at start-up, positioned on its first record. */
interface OpenedDb {
  spec: DbOpenSpec;
  db: DB;
  cursor: Cursor;
}

/** Caffe's DataLayer constructor: db->Open(source, READ), a cursor on the first record. */
async function openDatabase(spec: DbOpenSpec): Promise<OpenedDb> {
  const { openDB } = require('../db') as typeof import('../db');
  const db = await openDB(spec.backend, spec.source, 'read');
  const cursor = await db.newCursor();
  await cursor.seekToFirst();
  return { spec, db, cursor };
}

/** A plain uint8 Datum parsed natively: its C x H x W and pixels buf[at, at + len). */
interface RawDatum {
  buf: Uint8Array;
  at: number;
  len: number;
  dims: [number, number, number];
}

/** One record, ready to transform: a datum (natively parsed or decoded) or a decoded image, with its label. */
type Item =
  | { datum: Message; img?: undefined; raw?: undefined; label: number }
  | { datum?: undefined; img: ImageLike; raw?: undefined; label: number }
  | { datum?: undefined; img?: undefined; raw: RawDatum; label: number };

/** Where records come from: a database cursor or an image list. */
interface Source {
  /** the current record (a promise only where reading it is asynchronous) */
  current(): Item | Promise<Item>;
  /** moves to the next record, wrapping around at the end */
  advance(): void | Promise<void>;
  /** moves past the records that belong to other data-parallel replicas (Caffe's Skip loop) */
  deal?(): void | Promise<void>;
  close(): Promise<void>;
}

class Stopped extends Error {}

/** What fills the batches: the item shape at set-up, then one batch per call into a slot. */
interface Producer {
  shape(): Promise<number[]>;
  load(slot: number): Promise<void>;
  close(): Promise<void>;
}

/** Atomics.waitAsync (Node >= 16; not in the ES2022 lib typings). */
const waitAsync = (
  Atomics as unknown as {
    waitAsync(a: Int32Array, i: number, v: number): { async: boolean; value: Promise<string> | string };
  }
).waitAsync;

class Prefetch {
  private readonly ctrl: Int32Array;
  private readonly spec: WorkerSpec;
  private readonly port: MessagePort;
  private readonly transformer: DataTransformer;
  private slots: { data: Float32Array; label: Float32Array; buffers: SlotBuffers }[] = [];
  private produced = 0;

  constructor(
    wd: WorkerData,
    spec: WorkerSpec,
    private readonly opened: OpenedDb | null,
  ) {
    this.spec = spec;
    this.ctrl = new Int32Array(wd.ctrl);
    this.port = wd.port;
    this.transformer = DataTransformer.fromState(spec.transformer);
  }

  post(m: WorkerMessage): void {
    this.port.postMessage(m);
  }
  log(msg: string): void {
    this.post({ t: 'log', sev: 'I', msg });
  }

  private get stopping(): boolean {
    return Atomics.load(this.ctrl, CTRL_STOP) !== 0;
  }

  async run(): Promise<void> {
    const src = this.spec.source;
    const producer =
      src.kind === 'windows'
        ? this.windowProducer(src)
        : this.itemProducer(src.kind === 'db' ? await this.dbSource(src) : await this.imageSource(src));
    try {
      // set-up: the item shape (Caffe's DataLayerSetUp: the first record's, InferBlobShape)
      const shape = await producer.shape();
      const itemCount = shape[1] * shape[2] * shape[3];
      this.checkSlotsFit(this.spec.prefetch * (itemCount + 1) * this.spec.batchSize);
      for (let s = 0; s < this.spec.prefetch; s++) {
        const buffers = {
          data: new SharedArrayBuffer(4 * Math.max(1, itemCount * this.spec.batchSize)),
          label: new SharedArrayBuffer(4 * Math.max(1, this.spec.batchSize)),
        };
        this.slots.push({ data: new Float32Array(buffers.data), label: new Float32Array(buffers.label), buffers });
      }
      this.post({ t: 'setup', shape, slots: this.slots.map((s) => s.buffers) });
      Atomics.store(this.ctrl, CTRL_STATE, STATE_RUNNING);
      Atomics.notify(this.ctrl, CTRL_STATE);

      for (;;) {
        await this.waitForFreeSlot();
        await producer.load(this.produced % this.spec.prefetch);
        this.produced++;
        Atomics.store(this.ctrl, CTRL_PRODUCED, this.produced);
        Atomics.notify(this.ctrl, CTRL_PRODUCED);
      }
    } catch (e) {
      if (!(e instanceof Stopped)) throw e;
    } finally {
      await producer.close().catch(() => undefined);
    }
  }

  /** Batches of records (Data, ImageData): shaped by the first record, each transformed. */
  private itemProducer(source: Source): Producer {
    return {
      shape: async () => this.infer(await source.current()),
      load: (s) => this.loadBatch(source, s),
      close: () => source.close(),
    };
  }

  /** WindowData's batches of sampled windows: a fixed shape. */
  private windowProducer(spec: WindowSourceSpec): Producer {
    const { WindowBatches } = require('./window_batch') as typeof import('./window_batch');
    const checkStop = () => {
      if (this.stopping) throw new Stopped();
    };
    const batches = new WindowBatches(spec, this.spec.transformer.mean, this.spec.who, checkStop);
    return {
      shape: async () => {
        batches.init();
        return batches.itemShape;
      },
      load: async (s) => {
        const slot = this.slots[s],
          h = CTRL_HEADER + s * HEADER_WORDS;
        [this.ctrl[h], this.ctrl[h + 1], this.ctrl[h + 2]] = batches.itemShape.slice(1);
        await batches.fill(this.spec.batchSize, slot.data, slot.label);
      },
      close: async () => undefined,
    };
  }

  private async waitForFreeSlot(): Promise<void> {
    for (;;) {
      if (this.stopping) throw new Stopped();
      const consumed = Atomics.load(this.ctrl, CTRL_CONSUMED);
      if (this.produced - consumed < this.spec.prefetch) return;
      const w = waitAsync(this.ctrl, CTRL_CONSUMED, consumed);
      if (w.async) await w.value;
    }
  }

  /** Refuses in one line, before allocating, batch buffers of `floats` that cannot fit in memory. */
  private checkSlotsFit(floats: number): void {
    const { who, batchSize, prefetch } = this.spec;
    checkMemoryFor(who, `batch buffers (batch_size ${batchSize}, prefetch ${prefetch})`, 4 * floats);
  }

  private infer(item: Item): number[] {
    if (item.img) return this.transformer.inferImageShape(item.img);
    if (item.raw) {
      const [channels, height, width] = item.raw.dims;
      return this.transformer.inferDatumShape({ channels, height, width });
    }
    return this.transformer.inferDatumShape(item.datum!);
  }

  /** load_batch: batch_size records, reshaped by the first one, transformed into slot `s`. */
  private async loadBatch(source: Source, s: number): Promise<void> {
    const { batchSize, outputLabels } = this.spec;
    const slot = this.slots[s];
    let item: number[] = [];
    let itemCount = 0;
    this.transformer.beginBatch(); // uint8 pixels: one native call for the batch, at flushBatch()
    for (let i = 0; i < batchSize; i++) {
      if (this.stopping) throw new Stopped();
      const dealt = source.deal?.();
      if (dealt) await dealt;
      const cur = source.current();
      const it = cur instanceof Promise ? await cur : cur; // raw LMDB records: no promise per record
      if (i === 0) {
        const shape = this.infer(it);
        item = shape.slice(1);
        itemCount = item[0] * item[1] * item[2];
        if (itemCount * batchSize > slot.data.length) {
          this.checkSlotsFit(itemCount * batchSize);
          const data = new SharedArrayBuffer(4 * itemCount * batchSize);
          slot.buffers.data = data;
          slot.data = new Float32Array(data);
          this.post({ t: 'slot', slot: s, data });
        }
        const h = CTRL_HEADER + s * HEADER_WORDS;
        this.ctrl[h] = item[0];
        this.ctrl[h + 1] = item[1];
        this.ctrl[h + 2] = item[2];
      }
      if (it.raw) {
        const r = it.raw;
        this.transformer.transformUint8Datum(r.buf, r.at, r.len, r.dims, slot.data, i * itemCount, item);
      } else if (it.img) this.transformer.transformImage(it.img, slot.data, i * itemCount, item);
      else this.transformer.transformDatum(it.datum!, slot.data, i * itemCount, item);
      if (outputLabels) slot.label[i] = it.label;
      const moved = source.advance();
      if (moved) await moved;
    }
    this.transformer.flushBatch();
  }

  // ---------------------------------------------------------------- sources

  private async dbSource(spec: DbSourceSpec): Promise<Source> {
    if (!this.opened) throw new Error('data worker: no database was opened');
    const { cursor } = this.opened;
    const source = this.opened.spec.source;
    if (!cursor.valid) throw new CaffeError(`${this.spec.who}: the database ${source} holds no records`);
    const restart = () => this.log('Restarting data prefetching from start.');
    const advance =
      cursor.nextSync && cursor.seekToFirstSync
        ? () => {
            // LMDB: no promise per record
            cursor.nextSync!();
            if (!cursor.valid) {
              restart();
              cursor.seekToFirstSync!();
            }
          }
        : async () => {
            await cursor.next();
            if (!cursor.valid) {
              restart();
              await cursor.seekToFirst();
            }
          };
    for (let k = 0; k < spec.skip; k++) await advance();
    const t = this.transformer;
    // the running offset of the record under the cursor, for dealing records to replicas
    let offset = 0;
    const { count, rank } = spec.deal ?? { count: 1, rank: 0 };
    const plain = plainDatums(cursor);
    const dealt = cachedSource(
      () => {
        const raw = plain();
        if (raw) return raw;
        const datum = decodeDatum(cursor.value, () => `${source} record ${cursor.key}`);
        const label = datum.label ?? 0;
        return datum.encoded ? t.decodeDatum(datum).then((img) => ({ img, label })) : { datum, label };
      },
      () => {
        offset++;
        return advance();
      },
      async () => undefined,
    ); // workerMain closes the database
    if (count > 1) {
      const deal = (): void | Promise<void> => {
        while (offset % count !== rank) {
          const moved = dealt.advance();
          if (moved) return moved.then(deal);
        }
      };
      dealt.deal = deal;
    }
    return dealt;
  }

  private async imageSource(spec: ImageSourceSpec): Promise<Source> {
    const image = require('../io/image') as typeof import('../io/image');
    const resize = require('../io/resize') as typeof import('../io/resize');
    const lines = spec.lines;
    const shuffleRng = spec.shuffleSeed !== null ? new Rng(spec.shuffleSeed) : null;
    if (shuffleRng) caffeShuffle(lines, shuffleRng);
    let id = spec.start;
    const read = async (): Promise<Item> => {
      const [name, label] = lines[id];
      const file = spec.rootFolder + name;
      let img: import('../io/image').Image;
      try {
        img = await image.readImage(file, spec.isColor);
      } catch (e) {
        // Caffe: ReadImageToCVMat logs the unreadable file, then the layer's CHECK fails
        this.post({ t: 'log', sev: 'E', msg: e instanceof Error ? e.message : `Could not open or find file ${file}` });
        checkFailed(this.spec.who, 'cv_img.data', `Could not load ${name}`);
      }
      // cv::resize(..., INTER_LINEAR) when both new sizes are set (ReadImageToCVMat)
      if (spec.newHeight > 0 && spec.newWidth > 0) {
        const bytes = spec.newHeight * spec.newWidth * img.channels;
        checkMemoryFor(this.spec.who, `images resized to ${spec.newHeight}x${spec.newWidth}`, bytes);
        try {
          img = resize.resizeLinear(img, spec.newHeight, spec.newWidth);
        } catch (e) {
          if (!(e instanceof RangeError)) throw e; // larger than a typed array can be
          throw new CaffeError(
            `${this.spec.who}: cannot resize ${name} to ${spec.newHeight}x${spec.newWidth}: ${e.message}`,
          );
        }
      }
      return { img, label };
    };
    const advance = async () => {
      id++;
      if (id >= lines.length) {
        id = 0; // DLOG only in Caffe: "Restarting data prefetching from start."
        if (shuffleRng) caffeShuffle(lines, shuffleRng);
      }
    };
    return cachedSource(read, advance, async () => undefined);
  }
}

/**
 * The current record as a natively parsed plain uint8 Datum, where the cursor reads ahead (LMDB): each
 * read-ahead batch is parsed in one call. null for any other record (the general decoder's).
 */
function plainDatums(cursor: Cursor): () => Item | null {
  if (!cursor.readAhead) return () => null;
  const { native } = require('../native/addon') as typeof import('../native/addon');
  let parsed: ReadAhead | null = null,
    table = new Int32Array(0);
  return () => {
    const ra = cursor.readAhead!();
    if (!ra) return null;
    if (ra !== parsed) {
      if (table.length < 8 * ra.count) table = new Int32Array(8 * ra.count);
      native().parseDatums(ra.bytes, ra.ends, 0, ra.count, table);
      parsed = ra;
    }
    const t = 8 * ra.index;
    if (table[t] !== 1) return null;
    const raw: RawDatum = {
      buf: ra.bytes,
      at: table[t + 5],
      len: table[t + 6],
      dims: [table[t + 1], table[t + 2], table[t + 3]],
    };
    return { raw, label: table[t + 4] };
  };
}

/**
 * A source whose current record is read (and decoded) once however often it is asked for: Caffe
 * reads the first record twice at set-up and the first of every batch twice (shape, then data).
 */
function cachedSource(
  read: () => Item | Promise<Item>,
  advance: () => void | Promise<void>,
  close: () => Promise<void>,
): Source {
  let item: Item | null = null;
  return {
    current: () => {
      if (item) return item;
      const r = read();
      return r instanceof Promise ? r.then((v) => (item = v)) : (item = r);
    },
    advance: () => {
      item = null;
      return advance();
    },
    close,
  };
}

function fail(ctrl: Int32Array, port: MessagePort, e: unknown): void {
  const err = e as Error;
  const msg: WorkerMessage = {
    t: 'error',
    msg: err?.message ?? String(e),
    stack: err?.stack,
    caffe: err instanceof CaffeError || err?.name === 'CaffeError',
  };
  try {
    port.postMessage(msg);
  } catch {
    /* port closed: the layer is gone */
  }
  Atomics.store(ctrl, CTRL_STATE, STATE_FAILED);
  Atomics.notify(ctrl, CTRL_STATE);
  Atomics.notify(ctrl, CTRL_PRODUCED);
}

/** Entry point, called by the bootstrap in prefetch.ts. */
export function workerMain(wd: WorkerData): void {
  const ctrl = new Int32Array(wd.ctrl);
  const onFatal = (e: unknown) => fail(ctrl, wd.port, e);
  process.on('uncaughtException', onFatal);
  process.on('unhandledRejection', onFatal);
  // The port's listener receives the 'start' message, and keeps this thread's event loop alive
  // while it awaits Atomics.waitAsync (which does not). The main side unrefs the Worker, so the
  // process never waits for this thread.
  let onStart: (spec: WorkerSpec) => void = () => undefined;
  const started = new Promise<WorkerSpec>((resolve) => {
    onStart = resolve;
  });
  wd.port.on('message', (m: StartMessage) => {
    if (m?.t === 'start') onStart(m.spec);
  });
  // log lines (the DB's "Opened lmdb ...", the transformer's) go to the main thread, which re-emits
  // them through its own sink, so they reach the same stream (and tests' captures)
  setLogSink((line) => {
    const sev = line[0] === 'W' ? 'W' : line[0] === 'I' ? 'I' : 'E';
    const at = line.indexOf('] ');
    try {
      wd.port.postMessage({ t: 'log', sev, msg: at >= 0 ? line.slice(at + 2) : line });
    } catch {
      /* closed */
    }
  });
  if (wd.init.memoryAvailable === undefined) delete process.env[MEMORY_ENV];
  else process.env[MEMORY_ENV] = wd.init.memoryAvailable;
  (async () => {
    for (const m of wd.init.modules) require(m);
    const opened = wd.init.open ? await openDatabase(wd.init.open) : null;
    try {
      if (opened) {
        Atomics.store(ctrl, CTRL_STATE, STATE_OPENED);
        Atomics.notify(ctrl, CTRL_STATE);
      }
      const spec = await Promise.race([started, stopRequested(ctrl)]);
      if (spec) await new Prefetch(wd, spec, opened).run();
    } finally {
      if (opened) {
        await opened.cursor.close().catch(() => undefined);
        await opened.db.close().catch(() => undefined);
      }
    }
    Atomics.store(ctrl, CTRL_STATE, STATE_STOPPED);
    Atomics.notify(ctrl, CTRL_STATE);
    wd.port.close();
  })().catch(onFatal);
}

/** Resolves (to null) once the main thread sets CTRL_STOP. */
async function stopRequested(ctrl: Int32Array): Promise<null> {
  while (Atomics.load(ctrl, CTRL_STOP) === 0) {
    const w = waitAsync(ctrl, CTRL_STOP, 0);
    if (w.async) await w.value;
  }
  return null;
}
