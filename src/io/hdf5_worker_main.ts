// The HDF5 worker thread (hdf5_worker.ts starts it through util/module_worker.ts: this file under
// ts-jest, dist/io/hdf5_worker_main.js when compiled). It loads h5wasm with a native dynamic import()
// and answers one request at a time on its MessagePort: 'read' / 'list' (root-group datasets),
// 'create' / 'write' / 'close' (a file written dataset by dataset), 'writeTree' / 'readTree' (whole
// files with groups). After each answer it stores the request's number in ctrl[CTRL_DONE] and
// notifies. Protocol: hdf5_protocol.ts.
//
// This module runs only inside the worker: it imports nothing but types, Node's own modules and the
// protocol's constants.
import * as fs from 'fs';
import { MessagePort } from 'worker_threads';
import type * as H5 from 'h5wasm';
import {
  CTRL_DONE,
  CTRL_STATE,
  Hdf5Answers,
  Hdf5Array,
  Hdf5Error,
  Hdf5FailureCode,
  Hdf5Node,
  Hdf5Op,
  Hdf5Posted,
  Hdf5RawDataset,
  Hdf5ReadFailure,
  Hdf5Reply,
  Hdf5Request,
  Hdf5Tree,
  Hdf5TreeEntry,
} from './hdf5_protocol';
import { signalAnswered } from '../util/sync_call';

export interface Hdf5WorkerData {
  ctrl: SharedArrayBuffer;
  port: MessagePort;
  /** the file: URL of h5wasm's Node entry (an ES module) */
  url: string;
}

type H5Lib = typeof H5;

/**
 * A native import() of an ES module. Compiled to CommonJS (by tsc, or by the worker's require hook
 * under ts-jest), `import(url)` would become require(url), which cannot load h5wasm (an ES module
 * with top-level await); a function built at run time keeps the real import().
 */
const importModule = new Function('url', 'return import(url)') as (url: string) => Promise<H5Lib>;

interface Lib {
  h5: H5Lib;
  /** H5T class numbers to their names ('H5T_FLOAT', ...) */
  classes: Record<number, string>;
}

class Fail extends Error {
  constructor(
    readonly code: Hdf5FailureCode,
    msg: string,
  ) {
    super(msg);
  }
}

/** The innermost cause of an HDF5 error stack ("bad object header version number"). */
function why(e: unknown): string {
  const text = String((e && (e as { message?: unknown }).message) || e);
  const lines = text.split('\n').filter((l) => /^\s*#\d+:/.test(l));
  const last = lines.length ? lines[lines.length - 1] : text.split('\n')[0];
  const m = /in [A-Za-z0-9_]+\(\): (.*)$/.exec(last);
  return (m ? m[1] : last).trim();
}

/** Values as read by h5wasm (a typed array, of bigints for 64-bit integers) into a float array. */
function toFloat<T extends Float32Array<ArrayBuffer> | Float64Array<ArrayBuffer>>(
  value: H5.OutputData | null,
  Out: new (n: number) => T,
): T {
  const v = value as unknown as ArrayLike<number | bigint>;
  const out = new Out(v.length);
  if (typeof v[0] === 'bigint') for (let i = 0; i < v.length; i++) out[i] = Number(v[i]);
  else out.set(v as ArrayLike<number>);
  return out;
}

/** Typed-array dtypes: float64, int32, else float32. */
function dtypeOf(data: Float32Array | Float64Array | Int32Array): string {
  return data instanceof Float64Array ? '<d' : data instanceof Int32Array ? '<i' : '<f';
}

class Server {
  private readonly handles = new Map<number, H5.File>();
  private nextHandle = 1;

  constructor(private readonly lib: Lib) {}

  private className(md: H5.Metadata): string {
    return this.lib.classes[md.type] || 'unknown';
  }

  private openFile(file: string, mode: 'r' | 'w'): H5.File {
    if (mode === 'r' && !fs.existsSync(file)) throw new Fail('open', 'no such file');
    try {
      return mode === 'r'
        ? new this.lib.h5.File(file, 'r')
        : new this.lib.h5.File(file, 'w', { libver: ['earliest', 'v110'] });
    } catch (e) {
      throw new Fail('open', why(e));
    }
  }

  /** A root-group dataset (H5LTfind_dataset looks at the root group's links only), or null. */
  private rootDataset(f: H5.File, name: string): H5.Dataset | null {
    if (!name || name.includes('/')) return null;
    if (!f.keys().includes(name)) return null;
    const d = f.get(name);
    return d instanceof this.lib.h5.Dataset ? d : null;
  }

  handle(req: Hdf5Request, transfer: ArrayBuffer[]): Hdf5Answers[Hdf5Op] {
    switch (req.op) {
      case 'read': {
        const f = this.openFile(req.file, 'r');
        const arrays: Hdf5Array[] = [];
        let fail: Hdf5ReadFailure | null = null;
        try {
          for (const name of req.names) {
            const d = this.rootDataset(f, name);
            if (!d) {
              fail = { code: 'missing', dataset: name, msg: 'no dataset ' + name };
              break;
            }
            const md = d.metadata;
            const shape = (md.shape || []).map(Number);
            const typeClass = this.className(md);
            if (shape.length < 1) {
              fail = { code: 'ndims', dataset: name, msg: 'dataset ' + name + ' has no axes' };
              break;
            }
            if (typeClass !== 'H5T_FLOAT' && typeClass !== 'H5T_INTEGER') {
              fail = { code: 'class', dataset: name, typeClass, msg: 'unsupported datatype class ' + typeClass };
              break;
            }
            let data: Float32Array<ArrayBuffer>;
            try {
              data = toFloat(d.value, Float32Array);
            } catch (e) {
              fail = { code: 'io', dataset: name, msg: why(e) };
              break;
            }
            arrays.push({ shape, data, typeClass });
            transfer.push(data.buffer);
          }
        } finally {
          f.close();
        }
        return { arrays, fail };
      }
      case 'list': {
        const f = this.openFile(req.file, 'r');
        const datasets: Record<string, Hdf5RawDataset> = {};
        try {
          for (const name of f.keys()) {
            const d = f.get(name);
            if (!(d instanceof this.lib.h5.Dataset)) continue;
            const md = d.metadata;
            const typeClass = this.className(md);
            const entry: Hdf5RawDataset = {
              shape: (md.shape || []).map(Number),
              dtype: String(d.dtype),
              typeClass,
              data: new Float64Array(0),
            };
            if (typeClass === 'H5T_FLOAT' || typeClass === 'H5T_INTEGER') {
              const data = toFloat(d.value, Float64Array);
              entry.data = data;
              transfer.push(data.buffer);
            }
            datasets[name] = entry;
          }
        } finally {
          f.close();
        }
        return { datasets };
      }
      case 'create': {
        const f = this.openFile(req.file, 'w');
        const h = this.nextHandle++;
        this.handles.set(h, f);
        return { handle: h };
      }
      case 'write': {
        const f = this.handles.get(req.handle);
        if (!f) throw new Fail('io', 'the file is closed');
        if (f.keys().includes(req.name)) throw new Fail('exists', 'dataset ' + req.name + ' exists');
        const dtype = dtypeOf(req.data);
        try {
          f.create_dataset({ name: req.name, data: req.data, shape: req.shape, dtype });
          f.flush();
        } catch (e) {
          throw new Fail('io', why(e));
        }
        return {};
      }
      case 'close': {
        const f = this.handles.get(req.handle);
        this.handles.delete(req.handle);
        if (f) {
          try {
            f.close();
          } catch (e) {
            throw new Fail('io', why(e));
          }
        }
        return {};
      }
      case 'writeTree': {
        const f = this.openFile(req.file, 'w');
        try {
          for (const e of req.entries) {
            try {
              if ('group' in e && e.group) f.create_group(e.path);
              else if ('string' in e && typeof e.string === 'string') {
                // H5LTmake_dataset_string: a scalar, fixed-size, NUL-terminated ASCII string
                f.create_dataset({
                  name: e.path,
                  data: e.string,
                  shape: [],
                  dtype: 'A' + (Buffer.byteLength(e.string) + 1),
                });
              } else {
                const d = e as Extract<Hdf5TreeEntry, { data: unknown }>;
                f.create_dataset({ name: e.path, data: d.data, shape: d.shape as number[], dtype: dtypeOf(d.data) });
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
        const f = this.openFile(req.file, 'r');
        const nodes: Hdf5Tree = {};
        try {
          const walk = (g: H5.Group, gpath: string): void => {
            const keys = g.keys();
            nodes[gpath] = { kind: 'group', keys };
            for (const name of keys) {
              const p = (gpath === '/' ? '' : gpath) + '/' + name;
              let o: H5.Entity | null;
              try {
                o = g.get(name);
              } catch {
                nodes[p] = { kind: 'other' };
                continue;
              }
              if (o instanceof this.lib.h5.Group) walk(o, p);
              else if (o instanceof this.lib.h5.Dataset) {
                const md = o.metadata;
                const typeClass = this.className(md);
                const node: Hdf5Node = { kind: 'dataset', shape: (md.shape || []).map(Number), typeClass };
                try {
                  if (typeClass === 'H5T_FLOAT') {
                    const data = toFloat(o.value, Float32Array);
                    node.data = data;
                    transfer.push(data.buffer);
                  } else if (typeClass === 'H5T_INTEGER') {
                    const data = toFloat(o.value, Float64Array);
                    node.data = data;
                    transfer.push(data.buffer);
                  } else if (typeClass === 'H5T_STRING') {
                    let v = o.value;
                    if (Array.isArray(v)) v = v[0];
                    if (typeof v === 'string') {
                      const z = v.indexOf('\0');
                      node.string = z >= 0 ? v.slice(0, z) : v;
                    }
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
        throw new Fail('io', 'unknown request ' + (req as { op: unknown }).op);
    }
  }
}

/** The worker's entry point (util/module_worker.ts calls it with the Worker's workerData). */
export function workerMain(wd: Hdf5WorkerData): void {
  const ctrl = new Int32Array(wd.ctrl);
  const port = wd.port;
  const finish = (seq: number): void => signalAnswered(ctrl, CTRL_DONE, seq);
  const dead = (state: number, msg: string): void => {
    const m: Hdf5Error = { seq: -1, ok: false, code: 'io', msg };
    try {
      port.postMessage(m);
    } catch {
      /* closed */
    }
    Atomics.store(ctrl, CTRL_STATE, state);
    Atomics.notify(ctrl, CTRL_DONE);
  };
  process.on('uncaughtException', (e) => dead(1, 'the HDF5 worker failed: ' + ((e && e.stack) || e)));
  process.on('exit', () => {
    if (Atomics.load(ctrl, CTRL_STATE) === 0) dead(2, 'the HDF5 worker has exited');
  });

  let server: Server | null = null,
    libError: string | null = null;
  const loading = (async () => {
    try {
      const h5 = await importModule(wd.url);
      await h5.ready;
      h5.Module.activate_throwing_error_handler(); // library errors become exceptions, not stderr dumps
      const classes: Record<number, string> = {};
      for (const [name, v] of Object.entries(h5.Module.H5T_class_t))
        if (v && typeof v.value === 'number') classes[v.value] = name;
      server = new Server({ h5, classes });
    } catch (e) {
      libError =
        'HDF5 support needs the npm package h5wasm, which failed to load from ' +
        wd.url +
        ': ' +
        ((e && (e as { message?: unknown }).message) || e);
    }
  })();

  port.on('message', async (req: Hdf5Posted) => {
    await loading;
    const transfer: ArrayBuffer[] = [];
    let reply: Hdf5Reply;
    if (!server) reply = { seq: req.seq, ok: false, code: 'io', msg: libError as string };
    else {
      try {
        reply = { seq: req.seq, ok: true, ...server.handle(req, transfer) } as Hdf5Reply;
      } catch (e) {
        reply = {
          seq: req.seq,
          ok: false,
          code: e instanceof Fail ? e.code : 'io',
          msg: e instanceof Fail ? e.message : why(e),
        };
        transfer.length = 0;
      }
    }
    if (req.seq < 0) return; // fire-and-forget (a close from a finalizer)
    port.postMessage(reply, transfer);
    finish(req.seq);
  });
}
