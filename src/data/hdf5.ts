// HDF5 files for the HDF5Data and HDF5Output layers, through the `h5wasm` package (the HDF5 C
// library compiled to WebAssembly, with Node's file system mounted as is: NODERAWFS).
//
// h5wasm is an ES module that initialises asynchronously (top-level await), which neither ts-jest's
// require nor Node 20's require can load, and the layers that use it are synchronous. So one worker
// thread per process hosts it: the worker loads it with a native dynamic import() (worker code is
// real Node, whatever the main thread's module system), and the main thread calls it synchronously:
// it posts a request on a MessagePort, blocks in Atomics.wait until the worker has posted its answer
// and bumped a shared counter, then takes the answer with receiveMessageOnPort (the pattern of the
// data prefetcher, prefetch.ts). The worker's code is plain JavaScript held in a string here, so it
// runs the same under ts-jest and from dist/.
//
// The worker is shared: every user (a layer, or a one-off read or write) holds a reference through
// an Hdf5Session; the worker is started by the first and terminated when the last lets go. It is
// unref'd, so it never keeps the process alive, and a session whose owner is garbage-collected
// without dispose() is released by a FinalizationRegistry.
import * as fs from 'fs';
import * as path from 'path';
import { pathToFileURL } from 'url';
import { MessageChannel, MessagePort, Worker, receiveMessageOnPort } from 'worker_threads';
import { CaffeError } from '../util/errors';

/** How a request failed, for callers that word their own (Caffe's) messages. */
export type Hdf5FailureCode =
  /** the file cannot be opened (absent, unreadable, not HDF5) or created */
  | 'open'
  /** no dataset of that name in the file's root group */
  | 'missing'
  /** a dataset with no axes (a scalar) */
  | 'ndims'
  /** a datatype class other than integer or float */
  | 'class'
  /** a dataset of that name exists already */
  | 'exists'
  /** anything else the library reported */
  | 'io';

export class Hdf5Failure extends Error {
  constructor(readonly code: Hdf5FailureCode, message: string, readonly dataset?: string, readonly typeClass?: string) {
    super(message);
    this.name = 'Hdf5Failure';
  }
}

/** A dataset read as float32 (HDF5 converts integer and double data, as H5LTread_dataset_float). */
export interface Hdf5Array {
  shape: number[];
  data: Float32Array;
  /** the datatype class: H5T_FLOAT or H5T_INTEGER */
  typeClass: string;
}

/** A dataset as stored: its HDF5 dtype string ('<f', '<d', '<i', ...) and values as doubles. */
export interface Hdf5RawDataset {
  shape: number[];
  dtype: string;
  typeClass: string;
  data: Float64Array;
}

/** Values to write; the typed array picks the HDF5 type: float32, float64 or int32. */
export interface Hdf5DatasetInput {
  shape: readonly number[];
  data: Float32Array | Float64Array | Int32Array;
}

// ------------------------------------------------------------------ the worker (plain JavaScript)

/** ctrl words: [0] the last answered request, [1] worker state (0 running, 1 failed, 2 exited) */
const CTRL_DONE = 0;
const CTRL_STATE = 1;

const WORKER_SOURCE = String.raw`
const { workerData } = require('worker_threads');
const fs = require('fs');
const ctrl = new Int32Array(workerData.ctrl);
const port = workerData.port;
const finish = (seq) => { Atomics.store(ctrl, 0, seq); Atomics.notify(ctrl, 0); };
const dead = (state, msg) => {
  try { port.postMessage({ seq: -1, ok: false, code: 'io', msg }); } catch (_) {}
  Atomics.store(ctrl, 1, state);
  Atomics.notify(ctrl, 0);
};
process.on('uncaughtException', (e) => dead(1, 'the HDF5 worker failed: ' + (e && e.stack || e)));
process.on('exit', () => { if (Atomics.load(ctrl, 1) === 0) dead(2, 'the HDF5 worker has exited'); });

let lib = null, libError = null;
const loading = (async () => {
  try {
    const h5 = await import(workerData.url);
    await h5.ready;
    h5.Module.activate_throwing_error_handler(); // library errors become exceptions, not stderr dumps
    const classes = {};
    for (const [name, v] of Object.entries(h5.Module.H5T_class_t)) if (v && typeof v.value === 'number') classes[v.value] = name;
    lib = { h5, classes };
  } catch (e) {
    libError = 'HDF5 support needs the npm package h5wasm, which failed to load from ' + workerData.url + ': ' + (e && e.message || e);
  }
})();

class Fail extends Error { constructor(code, msg, extra) { super(msg); this.code = code; Object.assign(this, extra || {}); } }

/** The innermost cause of an HDF5 error stack ("bad object header version number"). */
function why(e) {
  const text = String(e && e.message || e);
  const lines = text.split('\n').filter((l) => /^\s*#\d+:/.test(l));
  const last = lines.length ? lines[lines.length - 1] : text.split('\n')[0];
  const m = /in [A-Za-z0-9_]+\(\): (.*)$/.exec(last);
  return (m ? m[1] : last).trim();
}

function openFile(file, mode) {
  if (mode === 'r' && !fs.existsSync(file)) throw new Fail('open', 'no such file');
  try {
    return mode === 'r' ? new lib.h5.File(file, 'r') : new lib.h5.File(file, 'w', { libver: ['earliest', 'v110'] });
  } catch (e) {
    throw new Fail('open', why(e));
  }
}

/** A root-group dataset (H5LTfind_dataset looks at the root group's links only), or null. */
function rootDataset(f, name) {
  if (!name || name.includes('/')) return null;
  if (!f.keys().includes(name)) return null;
  const d = f.get(name);
  return d instanceof lib.h5.Dataset ? d : null;
}

function toFloat(v, Out) {
  const out = new Out(v.length);
  if (typeof v[0] === 'bigint') for (let i = 0; i < v.length; i++) out[i] = Number(v[i]);
  else out.set(v);
  return out;
}

const handles = new Map();
let nextHandle = 1;

function handle(req, transfer) {
  switch (req.op) {
    case 'read': {
      const f = openFile(req.file, 'r');
      const arrays = [];
      let fail = null;
      try {
        for (const name of req.names) {
          const d = rootDataset(f, name);
          if (!d) { fail = { code: 'missing', dataset: name, msg: 'no dataset ' + name }; break; }
          const md = d.metadata;
          const shape = (md.shape || []).map(Number);
          const typeClass = lib.classes[md.type] || 'unknown';
          if (shape.length < 1) { fail = { code: 'ndims', dataset: name, msg: 'dataset ' + name + ' has no axes' }; break; }
          if (typeClass !== 'H5T_FLOAT' && typeClass !== 'H5T_INTEGER') {
            fail = { code: 'class', dataset: name, typeClass, msg: 'unsupported datatype class ' + typeClass }; break;
          }
          let data;
          try { data = toFloat(d.value, Float32Array); } catch (e) { fail = { code: 'io', dataset: name, msg: why(e) }; break; }
          arrays.push({ shape, data, typeClass });
          transfer.push(data.buffer);
        }
      } finally {
        f.close();
      }
      return { arrays, fail };
    }
    case 'list': {
      const f = openFile(req.file, 'r');
      const datasets = {};
      try {
        for (const name of f.keys()) {
          const d = f.get(name);
          if (!(d instanceof lib.h5.Dataset)) continue;
          const md = d.metadata;
          const typeClass = lib.classes[md.type] || 'unknown';
          const entry = { shape: (md.shape || []).map(Number), dtype: String(d.dtype), typeClass, data: new Float64Array(0) };
          if (typeClass === 'H5T_FLOAT' || typeClass === 'H5T_INTEGER') { entry.data = toFloat(d.value, Float64Array); transfer.push(entry.data.buffer); }
          datasets[name] = entry;
        }
      } finally {
        f.close();
      }
      return { datasets };
    }
    case 'create': {
      const f = openFile(req.file, 'w');
      const h = nextHandle++;
      handles.set(h, f);
      return { handle: h };
    }
    case 'write': {
      const f = handles.get(req.handle);
      if (!f) throw new Fail('io', 'the file is closed');
      if (f.keys().includes(req.name)) throw new Fail('exists', 'dataset ' + req.name + ' exists');
      const dtype = req.data instanceof Float64Array ? '<d' : req.data instanceof Int32Array ? '<i' : '<f';
      try {
        f.create_dataset({ name: req.name, data: req.data, shape: req.shape, dtype });
        f.flush();
      } catch (e) {
        throw new Fail('io', why(e));
      }
      return {};
    }
    case 'close': {
      const f = handles.get(req.handle);
      handles.delete(req.handle);
      if (f) { try { f.close(); } catch (e) { throw new Fail('io', why(e)); } }
      return {};
    }
    case 'writeTree': {
      const f = openFile(req.file, 'w');
      try {
        for (const e of req.entries) {
          try {
            if (e.group) f.create_group(e.path);
            else if (typeof e.string === 'string') {
              // H5LTmake_dataset_string: a scalar, fixed-size, NUL-terminated ASCII string
              f.create_dataset({ name: e.path, data: e.string, shape: [], dtype: 'A' + (Buffer.byteLength(e.string) + 1) });
            } else {
              const dtype = e.data instanceof Float64Array ? '<d' : e.data instanceof Int32Array ? '<i' : '<f';
              f.create_dataset({ name: e.path, data: e.data, shape: e.shape, dtype });
            }
          } catch (err) {
            throw new Fail('io', 'cannot create ' + e.path + ': ' + why(err));
          }
        }
      } finally {
        f.close();
      }
      return {};
    }
    case 'readTree': {
      const f = openFile(req.file, 'r');
      const nodes = {};
      try {
        const walk = (g, gpath) => {
          const keys = g.keys();
          nodes[gpath] = { kind: 'group', keys };
          for (const name of keys) {
            const p = (gpath === '/' ? '' : gpath) + '/' + name;
            let o;
            try { o = g.get(name); } catch (err) { nodes[p] = { kind: 'other' }; continue; }
            if (o instanceof lib.h5.Group) walk(o, p);
            else if (o instanceof lib.h5.Dataset) {
              const md = o.metadata;
              const typeClass = lib.classes[md.type] || 'unknown';
              const node = { kind: 'dataset', shape: (md.shape || []).map(Number), typeClass };
              try {
                if (typeClass === 'H5T_FLOAT') { node.data = toFloat(o.value, Float32Array); transfer.push(node.data.buffer); }
                else if (typeClass === 'H5T_INTEGER') { node.data = toFloat(o.value, Float64Array); transfer.push(node.data.buffer); }
                else if (typeClass === 'H5T_STRING') {
                  let v = o.value;
                  if (Array.isArray(v)) v = v[0];
                  if (typeof v === 'string') { const z = v.indexOf('\0'); node.string = z >= 0 ? v.slice(0, z) : v; }
                }
              } catch (err) {
                node.error = why(err);
              }
              nodes[p] = node;
            } else nodes[p] = { kind: 'other' };
          }
        };
        walk(f, '/');
      } finally {
        f.close();
      }
      return { nodes };
    }
    default:
      throw new Fail('io', 'unknown request ' + req.op);
  }
}

port.on('message', async (req) => {
  await loading;
  const transfer = [];
  let reply;
  if (!lib) reply = { seq: req.seq, ok: false, code: 'io', msg: libError };
  else {
    try {
      reply = { seq: req.seq, ok: true, ...handle(req, transfer) };
    } catch (e) {
      reply = { seq: req.seq, ok: false, code: e instanceof Fail ? e.code : 'io', msg: e instanceof Fail ? e.message : why(e) };
      transfer.length = 0;
    }
  }
  if (req.seq < 0) return; // fire-and-forget (a close from a finalizer)
  port.postMessage(reply, transfer);
  finish(req.seq);
});
`;

// ------------------------------------------------------------------ the main-thread side

/** How long one request may take (reading a large file) before the worker is given up on. */
const REQUEST_TIMEOUT_MS = 10 * 60 * 1000;

/** The module's entry file, found by walking up from here to a node_modules/h5wasm. */
function h5wasmUrl(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const pkgDir = path.join(dir, 'node_modules', 'h5wasm');
    const pkgFile = path.join(pkgDir, 'package.json');
    if (fs.existsSync(pkgFile)) {
      let entry = 'dist/node/hdf5_hl.js';
      try {
        const exp = JSON.parse(fs.readFileSync(pkgFile, 'utf8')).exports?.['./node'];
        const imp = typeof exp === 'string' ? exp : exp?.import;
        if (typeof imp === 'string') entry = imp;
        else if (typeof imp?.default === 'string') entry = imp.default;
      } catch { /* keep the default entry */ }
      return pathToFileURL(path.join(pkgDir, entry)).href;
    }
    if (path.dirname(dir) === dir) break;
  }
  throw new CaffeError('HDF5 support needs the npm package h5wasm, which is not installed (npm install h5wasm)');
}

class Hdf5Worker {
  private readonly ctrl = new Int32Array(new SharedArrayBuffer(8));
  private readonly port: MessagePort;
  private worker: Worker | null;
  private seq = 0;
  users = 0;

  constructor() {
    const url = h5wasmUrl();
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.port.unref();
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true, workerData: { ctrl: this.ctrl.buffer, port: port2, url }, transferList: [port2],
    });
    this.worker.unref();
    this.worker.on('error', () => undefined); // reported through ctrl; never an unhandled 'error' event
  }

  get alive(): boolean { return this.worker !== null && Atomics.load(this.ctrl, CTRL_STATE) === 0; }

  /** Sends a request and blocks until its answer; a failed request throws Hdf5Failure. */
  call(req: Record<string, unknown>): any {
    if (!this.worker) throw new CaffeError('HDF5: the worker has been shut down');
    const seq = ++this.seq;
    this.port.postMessage({ ...req, seq });
    const deadline = Date.now() + REQUEST_TIMEOUT_MS;
    for (;;) {
      const r = receiveMessageOnPort(this.port);
      if (r) {
        const m = r.message;
        if (m.seq === seq) {
          if (!m.ok) throw new Hdf5Failure(m.code, m.msg);
          return m;
        }
        if (m.seq === -1) { this.shutdown(); throw new CaffeError(`HDF5: ${m.msg}`); }
        continue; // an answer nobody waits for any more
      }
      const state = Atomics.load(this.ctrl, CTRL_STATE);
      if (state !== 0) { this.shutdown(); throw new CaffeError('HDF5: the worker stopped'); }
      const done = Atomics.load(this.ctrl, CTRL_DONE);
      if (Date.now() > deadline) {
        this.shutdown();
        throw new CaffeError(`HDF5: no answer from the worker within ${REQUEST_TIMEOUT_MS / 1000} s`);
      }
      // answered but not yet readable (never seen in practice): look again shortly
      Atomics.wait(this.ctrl, CTRL_DONE, done, done >= seq ? 1 : 1000);
    }
  }

  /** Sends a request without waiting for (or receiving) an answer. */
  post(req: Record<string, unknown>): void {
    try { this.port.postMessage({ ...req, seq: -2 }); } catch { /* closed */ }
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

function acquire(): Hdf5Worker {
  if (!shared || !shared.alive) {
    shared?.shutdown();
    shared = new Hdf5Worker();
  }
  shared.users++;
  return shared;
}

function release(w: Hdf5Worker): void {
  if (--w.users <= 0) w.shutdown();
}

/** Whether the HDF5 worker thread is running (tests check that disposing stops it). */
export function hdf5WorkerRunning(): boolean { return shared !== null; }

interface SessionState { worker: Hdf5Worker | null; handles: Set<number> }

const finalizer = new FinalizationRegistry<SessionState>((s) => {
  if (!s.worker) return;
  for (const h of s.handles) s.worker.post({ op: 'close', handle: h });
  release(s.worker);
  s.worker = null;
});

/**
 * A user's hold on the HDF5 worker: synchronous reads and writes. dispose() closes the files it
 * created and lets the worker go; `owner` (a layer) is watched so that a forgotten session is
 * released when its owner is garbage-collected.
 */
export class Hdf5Session {
  private readonly s: SessionState;

  constructor(owner?: object) {
    this.s = { worker: acquire(), handles: new Set() };
    if (owner) finalizer.register(owner, this.s, this);
  }

  private get w(): Hdf5Worker {
    if (!this.s.worker) throw new CaffeError('HDF5: session used after dispose()');
    return this.s.worker;
  }

  /**
   * Reads the root-group datasets `names` of `file`, in order, as float32, stopping at the first that
   * is missing or unusable: `failure` then says why (the file itself failing to open throws).
   */
  readDatasets(file: string, names: readonly string[]): { arrays: Hdf5Array[]; failure: Hdf5Failure | null } {
    const m = this.w.call({ op: 'read', file: path.resolve(file), names: [...names] });
    const f = m.fail;
    return { arrays: m.arrays, failure: f ? new Hdf5Failure(f.code, f.msg, f.dataset, f.typeClass) : null };
  }

  /** Every root-group dataset of `file` as stored (dtype, shape, values as doubles). */
  listDatasets(file: string): Record<string, Hdf5RawDataset> {
    return this.w.call({ op: 'list', file: path.resolve(file) }).datasets;
  }

  /** Creates `file`, truncating it (H5F_ACC_TRUNC); returns a handle for writeDataset. */
  createFile(file: string): number {
    const h: number = this.w.call({ op: 'create', file: path.resolve(file) }).handle;
    this.s.handles.add(h);
    return h;
  }

  /** Makes a new dataset (an existing name fails with 'exists'), then flushes the file. */
  writeDataset(handle: number, name: string, ds: Hdf5DatasetInput): void {
    this.w.call({ op: 'write', handle, name, shape: [...ds.shape], data: ds.data });
  }

  /** Creates `file` (truncating it) with `entries` in order, then closes it. */
  writeTree(file: string, entries: readonly Hdf5TreeEntry[]): void {
    this.w.call({ op: 'writeTree', file: path.resolve(file), entries: entries.map((e) => ({ ...e })) });
  }

  /** Every group and dataset of `file` by absolute path, with values. */
  readTree(file: string): Hdf5Tree {
    return this.w.call({ op: 'readTree', file: path.resolve(file) }).nodes;
  }

  closeFile(handle: number): void {
    if (!this.s.handles.delete(handle)) return;
    this.w.call({ op: 'close', handle });
  }

  /** Closes the files this session created and releases the worker. Idempotent; never throws. */
  dispose(): void {
    const w = this.s.worker;
    if (!w) return;
    finalizer.unregister(this);
    for (const h of [...this.s.handles]) {
      try { this.closeFile(h); } catch { /* the worker is gone: nothing left to close */ }
    }
    this.s.worker = null;
    release(w);
  }
}

/** Message for a failure outside a layer: `file: what`. */
function fileError(file: string, e: unknown): CaffeError {
  if (e instanceof Hdf5Failure) return new CaffeError(`${file}: ${e.code === 'open' ? `cannot open HDF5 file (${e.message})` : e.message}`);
  return e instanceof CaffeError ? e : new CaffeError(`${file}: ${String(e)}`);
}

/** Writes a new HDF5 file (replacing any) holding `datasets` in its root group. */
export function writeHdf5File(file: string, datasets: Record<string, Hdf5DatasetInput>): void {
  const s = new Hdf5Session();
  try {
    const h = s.createFile(file);
    for (const [name, ds] of Object.entries(datasets)) s.writeDataset(h, name, ds);
    s.closeFile(h);
  } catch (e) {
    throw fileError(file, e);
  } finally {
    s.dispose();
  }
}

/** Reads every root-group dataset of an HDF5 file, as stored. */
export function readHdf5File(file: string): Record<string, Hdf5RawDataset> {
  const s = new Hdf5Session();
  try {
    return s.listDatasets(file);
  } catch (e) {
    throw fileError(file, e);
  } finally {
    s.dispose();
  }
}

// ------------------------------------------------------------------ whole files with groups

/** One object to create, in order (a group before its members): Caffe's H5Gcreate2 / H5LTmake_dataset_*. */
export type Hdf5TreeEntry =
  | { path: string; group: true }
  /** a dataset: float32, float64 or int32 by the typed array */
  | { path: string; shape: readonly number[]; data: Float32Array | Float64Array | Int32Array }
  /** a scalar fixed-size NUL-terminated string (H5LTmake_dataset_string) */
  | { path: string; string: string };

/** An object of a file read by readHdf5Tree. */
export interface Hdf5Node {
  kind: 'group' | 'dataset' | 'other';
  /** a group's member names, in name order (H5_INDEX_NAME) */
  keys?: string[];
  shape?: number[];
  typeClass?: string;
  /** H5T_FLOAT datasets as float32 (H5LTread_dataset_float), H5T_INTEGER ones as doubles */
  data?: Float32Array | Float64Array;
  /** an H5T_STRING dataset's (first) value */
  string?: string;
  /** why the values could not be read */
  error?: string;
}

/** Every object of a file by absolute path ('/', '/data', '/data/conv1/0'). */
export type Hdf5Tree = Record<string, Hdf5Node>;

/** Creates `file` (truncating it) holding `entries`; any failure throws (Hdf5Failure 'open' or 'io'). */
export function writeHdf5Tree(file: string, entries: readonly Hdf5TreeEntry[]): void {
  const s = new Hdf5Session();
  try {
    s.writeTree(file, entries);
  } finally {
    s.dispose();
  }
}

/** Reads every group and dataset of `file`; a file that cannot be opened throws Hdf5Failure 'open'. */
export function readHdf5Tree(file: string): Hdf5Tree {
  const s = new Hdf5Session();
  try {
    return s.readTree(file);
  } finally {
    s.dispose();
  }
}
