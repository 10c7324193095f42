// The main thread's side of the HDF5 worker (the thread that hosts h5wasm, the HDF5 C library
// compiled to WebAssembly, for io/hdf5.ts).
//
// h5wasm is an ES module that initialises asynchronously (top-level await), which neither ts-jest's
// require nor Node 20's require can load, and the layers that use it are synchronous. So one worker
// thread per process hosts it: the worker loads it with a native dynamic import() (worker code is
// real Node, whatever the main thread's module system), and the main thread calls it synchronously:
// util/sync_call.ts (the pattern of the data prefetcher, data/prefetch.ts). The worker's code is
// hdf5_worker_main.ts, started as the data prefetcher's is (util/module_worker.ts); the protocol is
// hdf5_protocol.ts.
//
// The worker is shared: every user holds a reference (hdf5.ts's Hdf5Session); the worker is started
// by the first and terminated when the last lets go. It is unref'd, so it never keeps the process
// alive.
import { packageEntryUrl } from '../util/package_url';
import { MessageChannel, MessagePort, Worker } from 'worker_threads';
import { SyncChannel, waitForAnswer } from '../util/sync_call';
import { CaffeError } from '../util/errors';
import { StartFailure, moduleWorkerEntry, startModuleWorker } from '../util/module_worker';
import {
  CTRL_DONE,
  CTRL_STATE,
  Hdf5Answers,
  Hdf5Error,
  Hdf5FailureCode,
  Hdf5Posted,
  Hdf5Reply,
  Hdf5Request,
} from './hdf5_protocol';
import type { Hdf5WorkerData } from './hdf5_worker_main';

export type { Hdf5FailureCode };

export class Hdf5Failure extends Error {
  constructor(
    readonly code: Hdf5FailureCode,
    message: string,
    readonly dataset?: string,
    readonly typeClass?: string,
  ) {
    super(message);
    this.name = 'Hdf5Failure';
  }
}

/** The worker module: hdf5_worker_main.ts under ts-jest, hdf5_worker_main.js when compiled. */
const WORKER_ENTRY = moduleWorkerEntry(__filename, 'hdf5_worker_main');

/** A worker module that fails to load reports as the worker's own failure (state 1). */
const START_FAILURE: StartFailure = {
  message: { seq: -1, ok: false, code: 'io', msg: 'the HDF5 worker failed: ' },
  stateWord: CTRL_STATE,
  state: 1,
  notify: [CTRL_DONE],
};

/** How long one request may take (reading a large file) before the worker is given up on. */
const REQUEST_TIMEOUT_MS = 10 * 60 * 1000;

/** The module's entry file (its ./node export). */
function h5wasmUrl(): string {
  const url = packageEntryUrl('h5wasm', 'dist/node/hdf5_hl.js', './node');
  if (url) return url;
  throw new CaffeError('HDF5 support needs the npm package h5wasm, which is not installed (npm install h5wasm)');
}

export class Hdf5Worker {
  private readonly ctrl = new Int32Array(new SharedArrayBuffer(8));
  private readonly port: MessagePort;
  private worker: Worker | null;
  private readonly channel: SyncChannel;
  private seq = 0;
  users = 0;

  constructor() {
    const url = h5wasmUrl();
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.port.unref();
    const workerData: Hdf5WorkerData = { ctrl: this.ctrl.buffer, port: port2, url };
    this.worker = startModuleWorker(WORKER_ENTRY, workerData, START_FAILURE);
    this.worker.unref();
    this.worker.on('error', () => undefined); // reported through ctrl; never an unhandled 'error' event
    this.channel = { port: this.port, ctrl: this.ctrl, doneWord: CTRL_DONE, stateWord: CTRL_STATE };
  }

  get alive(): boolean {
    return this.worker !== null && Atomics.load(this.ctrl, CTRL_STATE) === 0;
  }

  /** Sends a request and blocks until its answer; a failed request throws Hdf5Failure. */
  call<R extends Hdf5Request>(req: R): Hdf5Answers[R['op']] {
    if (!this.worker) throw new CaffeError('HDF5: the worker has been shut down');
    const seq = ++this.seq;
    const posted: Hdf5Posted = { ...req, seq };
    this.port.postMessage(posted);
    const m = waitForAnswer<Hdf5Reply>(this.channel, seq, REQUEST_TIMEOUT_MS, (why) => {
      this.shutdown();
      throw new CaffeError(
        why === 'stopped'
          ? 'HDF5: the worker stopped'
          : `HDF5: no answer from the worker within ${REQUEST_TIMEOUT_MS / 1000} s`,
      );
    });
    if (m.seq === -1) {
      this.shutdown();
      throw new CaffeError(`HDF5: ${(m as Hdf5Error).msg}`);
    }
    if (!m.ok) throw new Hdf5Failure(m.code, m.msg);
    return m as unknown as Hdf5Answers[R['op']];
  }

  /** Sends a request without waiting for (or receiving) an answer. */
  post(req: Hdf5Request): void {
    const posted: Hdf5Posted = { ...req, seq: -2 };
    try {
      this.port.postMessage(posted);
    } catch {
      /* closed */
    }
  }

  shutdown(): void {
    if (!this.worker) return;
    this.worker.terminate().catch(() => undefined);
    this.worker = null;
    this.port.close();
    if (shared === this) shared = null;
  }
}

let shared: Hdf5Worker | null = null;

export function acquire(): Hdf5Worker {
  if (!shared || !shared.alive) {
    shared?.shutdown();
    shared = new Hdf5Worker();
  }
  shared.users++;
  return shared;
}

export function release(w: Hdf5Worker): void {
  if (--w.users <= 0) w.shutdown();
}

/** Whether the HDF5 worker thread is running (tests check that disposing stops it). */
export function hdf5WorkerRunning(): boolean {
  return shared !== null;
}
