// HDF5 files (the HDF5Data and HDF5Output layers, .h5 weights, solver snapshots) through the
// `h5wasm` package (the HDF5 C library compiled to WebAssembly, with Node's file system mounted as
// is: NODERAWFS).
//
// Every user (a layer, or a one-off read or write) holds a reference to the one HDF5 worker thread
// of the process (hdf5_worker.ts) through an Hdf5Session; a session whose owner is garbage-collected
// without dispose() is released by a FinalizationRegistry.
import * as path from 'path';
import { CaffeError } from '../util/errors';
import type { Hdf5Array, Hdf5DatasetInput, Hdf5RawDataset, Hdf5Tree, Hdf5TreeEntry } from './hdf5_protocol';
import { Hdf5Failure, Hdf5Worker, acquire, release } from './hdf5_worker';

export type { Hdf5Array, Hdf5DatasetInput, Hdf5Node, Hdf5RawDataset, Hdf5Tree, Hdf5TreeEntry } from './hdf5_protocol';

interface SessionState {
  worker: Hdf5Worker | null;
  handles: Set<number>;
}

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
      try {
        this.closeFile(h);
      } catch {
        /* the worker is gone: nothing left to close */
      }
    }
    this.s.worker = null;
    release(w);
  }
}

/** Message for a failure outside a layer: `file: what`. */
function fileError(file: string, e: unknown): CaffeError {
  if (e instanceof Hdf5Failure)
    return new CaffeError(`${file}: ${e.code === 'open' ? `cannot open HDF5 file (${e.message})` : e.message}`);
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
