// The main-thread side of batch prefetching (Caffe's BasePrefetchingDataLayer queues and thread):
// a worker thread per data layer decodes and transforms batches into `prefetch` shared-memory slots
// ahead of the net; take() lends the oldest ready batch to the tops (Caffe 1.0's set_cpu_data of
// prefetch_current_: no copy) and frees the slot lent before, blocking (Atomics.wait) only when no
// batch is ready yet. Protocol: prefetch_protocol.ts.
//
// How the worker is started, under ts-jest and compiled alike: util/module_worker.ts runs
// data_worker.ts from src/ or data_worker.js from dist/.
//
// Shutdown: dispose() asks the worker to stop, waits briefly for it to close its database, then
// terminates it. Workers are unref'd, so they never keep the process alive, and Node stops them when
// the process exits (no exit hook: jest would pile one up per test file); a worker whose layer is
// garbage-collected without dispose() is terminated by a FinalizationRegistry.
import { MessageChannel, MessagePort, Worker, receiveMessageOnPort } from 'worker_threads';
import { native } from '../native/addon';
import { checkFailed } from '../util/check';
import { CaffeError } from '../util/errors';
import { MEMORY_ENV, checkMemoryFor } from '../util/memory';
import { log } from '../util/logging';
import { StartFailure, moduleWorkerEntry, startModuleWorker } from '../util/module_worker';
import {
  CTRL_CONSUMED,
  CTRL_HEADER,
  CTRL_PRODUCED,
  CTRL_STATE,
  CTRL_STOP,
  DbOpenSpec,
  HEADER_WORDS,
  StartMessage,
  STATE_FAILED,
  STATE_OPENED,
  STATE_STARTING,
  STATE_STOPPED,
  WorkerInit,
  WorkerMessage,
  WorkerSpec,
  ctrlWords,
} from './prefetch_protocol';

/** The worker module: data_worker.ts under ts-jest, data_worker.js when compiled. */
const WORKER_ENTRY = moduleWorkerEntry(__filename, 'data_worker');

/** A worker module that fails to load reports as a failed worker (STATE_FAILED, an 'error' message). */
const START_FAILURE: StartFailure = {
  message: { t: 'error', msg: 'data worker failed to start: ', caffe: false },
  stateWord: CTRL_STATE,
  state: STATE_FAILED,
  notify: [CTRL_STATE, CTRL_PRODUCED],
};

/** Modules every data worker requires first (plug-in database backends registered by users). */
const workerModules: string[] = [];

/**
 * Makes data workers require `modulePath` (absolute) before they open a database: registrations done
 * on the main thread (registerDBBackend) do not reach worker threads.
 */
export function registerDataWorkerModule(modulePath: string): void {
  if (!workerModules.includes(modulePath)) workerModules.push(modulePath);
}

/** What take() fills: a Blob. */
export interface LentBlob {
  reshape(s: number[]): void;
  readonly count: number;
  readonly dataMemory: { readonly size: number };
  setCpuData(data: Float32Array): void;
  mutableCpuData(): Float32Array;
}

/**
 * Makes `blob`'s memory the slot `view` (no copy). A slot smaller than the blob's capacity (a batch of
 * smaller images after larger ones) is copied into memory of the blob's own instead.
 */
function lend(blob: LentBlob, view: Float32Array): void {
  if (view.length >= blob.dataMemory.size) {
    blob.setCpuData(view);
    return;
  }
  blob.setCpuData(new Float32Array(blob.dataMemory.size));
  native().copyFloats(blob.mutableCpuData(), view, blob.count);
}

const live = new Set<Prefetcher>();

/** Data workers started and not yet disposed, in this thread. */
export function liveDataWorkers(): number {
  return live.size;
}
const finalizer = new FinalizationRegistry<Prefetcher>((p) => p.dispose(false));

/** Caffe's BlockingQueue logs "Waiting for data" on every 1000th wait (LOG_EVERY_N). */
let waitCount = 0;

/** How long set-up may wait for the worker's first record (opening the DB, decoding an image). */
const SETUP_TIMEOUT_MS = 10 * 60 * 1000;

export class Prefetcher {
  private readonly ctrl: Int32Array;
  private readonly port: MessagePort;
  private worker: Worker | null;
  private readonly who: string;
  private readonly prefetch: number;
  private batchSize = 0;
  private slots: { data: Float32Array; label: Float32Array }[] = [];
  /** batches freed for the worker to fill again (all taken but the one lent to the tops) */
  private consumed = 0;
  /** batches taken */
  private taken = 0;
  private disposed = false;
  private failure: CaffeError | null = null;
  /** [1, C, H, W] of the first record (InferBlobShape at set-up); null before start() */
  itemShape: number[] | null = null;
  /** times take() found no batch ready and blocked */
  waits = 0;
  /** settles when the worker thread has ended */
  readonly exited: Promise<void>;

  /**
   * Starts the worker. With `init.open` (a Data layer, at construction as Caffe's DataLayer opens its
   * database in its constructor) blocks until the database is open, throwing its error if any.
   * `owner` is registered so that the worker is terminated when the owner is garbage-collected.
   */
  constructor(init: { who: string; prefetch: number; open: DbOpenSpec | null }, owner?: object) {
    this.who = init.who;
    this.prefetch = init.prefetch;
    if (init.prefetch < 1) checkFailed(init.who, `prefetch > 0 (${init.prefetch} vs. 0)`);
    checkMemoryFor(init.who, `the headers of ${init.prefetch} prefetched batches`, 4 * ctrlWords(init.prefetch));
    const ctrlBuf = new SharedArrayBuffer(4 * ctrlWords(init.prefetch));
    this.ctrl = new Int32Array(ctrlBuf);
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.port.unref();
    const workerInit: WorkerInit = {
      who: init.who,
      open: init.open,
      modules: [...workerModules],
      memoryAvailable: process.env[MEMORY_ENV],
    };
    const workerData = { init: workerInit, ctrl: ctrlBuf, port: port2 };
    this.worker = startModuleWorker(WORKER_ENTRY, workerData, START_FAILURE);
    this.worker.unref();
    this.exited = new Promise((resolve) => this.worker!.once('exit', () => resolve()));
    live.add(this);
    if (owner) finalizer.register(owner, this, this);
    if (init.open) {
      this.waitWhile([STATE_STARTING]);
      this.drain();
      if (this.failure) {
        const err = this.failure;
        this.dispose(false);
        throw err;
      }
    }
  }

  /**
   * Sends the worker its batch spec and blocks until it has read the first record (set-up: its
   * shape, [1, C, H, W], is returned); errors there (empty database, unreadable image) are thrown.
   */
  start(spec: WorkerSpec): number[] {
    if (this.disposed) throw new CaffeError(`${this.who}: data layer used after dispose()`);
    if (this.itemShape) throw new Error(`${this.who}: prefetching started twice`);
    this.batchSize = spec.batchSize;
    const msg: StartMessage = { t: 'start', spec };
    this.port.postMessage(msg);
    this.waitWhile([STATE_STARTING, STATE_OPENED]);
    let shape: number[] | null = null;
    this.drain((m) => {
      if (m.t === 'setup') {
        shape = m.shape;
        this.slots = m.slots.map((s) => ({ data: new Float32Array(s.data), label: new Float32Array(s.label) }));
      }
    });
    // a failure after the set-up answer concerns a batch: it is thrown by the forward that takes it
    if (!shape) {
      const err = this.failure ?? new CaffeError(`${this.who}: the data worker stopped during set-up`);
      this.dispose(false);
      throw err;
    }
    this.itemShape = shape;
    return shape;
  }

  /** Blocks while the worker's state is one of `states` (start-up: opening, reading the first record). */
  private waitWhile(states: number[]): void {
    const deadline = Date.now() + SETUP_TIMEOUT_MS;
    for (let st = Atomics.load(this.ctrl, CTRL_STATE); states.includes(st); st = Atomics.load(this.ctrl, CTRL_STATE)) {
      if (Date.now() > deadline) {
        this.dispose(false);
        throw new CaffeError(`${this.who}: the data worker did not answer within ${SETUP_TIMEOUT_MS / 1000} s`);
      }
      Atomics.wait(this.ctrl, CTRL_STATE, st, 1000);
    }
  }

  /** Bytes of the batch buffers shared with the worker. */
  get slotBytes(): number {
    return this.slots.reduce((n, s) => n + s.data.byteLength + s.label.byteLength, 0);
  }

  /** Batches prepared and not yet taken. */
  get ready(): number {
    return Atomics.load(this.ctrl, CTRL_PRODUCED) - this.taken;
  }

  /**
   * Takes the next batch into `data` (reshaped to [batch, C, H, W]) and `label`: their memory becomes
   * the batch's slot until the next take(), which hands the slot back to the worker (Caffe's
   * prefetch_free_.push(prefetch_current_)). Blocks only when the worker has no batch ready.
   */
  take(data: LentBlob, label?: LentBlob): void {
    if (this.disposed) throw new CaffeError(`${this.who}: data layer used after dispose()`);
    if (!this.itemShape) throw new Error(`${this.who}: forward before set-up`);
    if (this.consumed < this.taken) this.release();
    const seq = this.taken;
    if (Atomics.load(this.ctrl, CTRL_PRODUCED) <= seq) {
      this.waits++;
      if (waitCount++ % 1000 === 0) log.info('Waiting for data');
      while (Atomics.load(this.ctrl, CTRL_PRODUCED) <= seq) {
        this.drain();
        if (this.failure) throw this.failure;
        if (Atomics.load(this.ctrl, CTRL_STATE) === STATE_STOPPED) throw new CaffeError('the data worker has stopped');
        Atomics.wait(this.ctrl, CTRL_PRODUCED, seq, 1000);
      }
    }
    // batches made before a failure are still delivered: the failure surfaces at the forward that
    // needs the batch it prevented, whatever the timing
    this.drain();
    const s = seq % this.prefetch,
      h = CTRL_HEADER + s * HEADER_WORDS;
    const c = this.ctrl[h],
      hh = this.ctrl[h + 1],
      w = this.ctrl[h + 2];
    data.reshape([this.batchSize, c, hh, w]);
    lend(data, this.slots[s].data);
    if (label) {
      label.reshape([this.batchSize]);
      lend(label, this.slots[s].label);
    }
    this.taken = seq + 1;
  }

  /** Hands the batch lent to the tops back to the worker. */
  private release(): void {
    this.consumed = this.taken;
    Atomics.store(this.ctrl, CTRL_CONSUMED, this.consumed);
    Atomics.notify(this.ctrl, CTRL_CONSUMED);
  }

  /** Handles the worker's pending messages: slot reallocations, log lines, failures. */
  private drain(onSetup?: (m: WorkerMessage) => void): void {
    for (;;) {
      const r = receiveMessageOnPort(this.port);
      if (!r) return;
      const m = r.message as WorkerMessage;
      switch (m.t) {
        case 'setup':
          onSetup?.(m);
          break;
        case 'slot':
          this.slots[m.slot].data = new Float32Array(m.data);
          break;
        case 'log':
          if (m.sev === 'I') log.info(m.msg);
          else if (m.sev === 'W') log.warning(m.msg);
          else log.error(m.msg);
          break;
        case 'error':
          if (!this.failure)
            this.failure = new CaffeError(m.caffe ? m.msg : `${m.msg}${m.stack ? `\n${m.stack}` : ''}`);
          break;
      }
    }
  }

  /**
   * Stops the worker. With `graceful`, waits up to a second for it to close its database first.
   * Idempotent; never throws.
   */
  dispose(graceful = true): void {
    if (this.disposed) return;
    this.disposed = true;
    live.delete(this);
    finalizer.unregister(this);
    Atomics.store(this.ctrl, CTRL_STOP, 1);
    Atomics.notify(this.ctrl, CTRL_STOP);
    Atomics.notify(this.ctrl, CTRL_CONSUMED);
    if (graceful) {
      const deadline = Date.now() + 1000;
      let st: number;
      while (
        (st = Atomics.load(this.ctrl, CTRL_STATE)) !== STATE_STOPPED &&
        st !== STATE_FAILED &&
        Date.now() < deadline
      ) {
        Atomics.wait(this.ctrl, CTRL_STATE, st, 50);
      }
    }
    this.worker?.terminate().catch(() => undefined);
    this.worker = null;
    try {
      this.drain();
    } catch {
      /* nothing to report any more */
    }
    this.port.close();
  }

  get isDisposed(): boolean {
    return this.disposed;
  }
}
