// The contract between the HDF5 worker thread (hdf5_worker_main.ts) and the main thread that calls it
// synchronously (hdf5_worker.ts): the control words, the requests and their answers, and the data
// types they carry (re-exported by hdf5.ts). Shared by both sides; no code beyond constants.
//
// The main thread posts a request with a sequence number `seq` on a MessagePort; the worker answers
// each with { seq, ok: true, ...answer } or { seq, ok: false, code, msg }, then stores `seq` in
// ctrl[CTRL_DONE] and notifies. Requests with a negative seq are not answered (a close from a
// finalizer). A worker that fails or exits posts { seq: -1, ok: false, code: 'io', msg } and sets
// ctrl[CTRL_STATE].

/** ctrl words: [0] the last answered request, [1] worker state (0 running, 1 failed, 2 exited) */
export const CTRL_DONE = 0;
export const CTRL_STATE = 1;

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

/** The requests, by op; each answer is Hdf5Answers[op]. */
export type Hdf5Request =
  /** the root-group datasets `names`, in order, as float32; stops at the first unusable one */
  | { op: 'read'; file: string; names: string[] }
  /** every root-group dataset as stored */
  | { op: 'list'; file: string }
  /** a file created (truncated) for writing dataset by dataset */
  | { op: 'create'; file: string }
  | { op: 'write'; handle: number; name: string; shape: number[]; data: Float32Array | Float64Array | Int32Array }
  | { op: 'close'; handle: number }
  /** a whole file with groups, created (truncated) and closed */
  | { op: 'writeTree'; file: string; entries: Hdf5TreeEntry[] }
  /** every group and dataset of a file, with values */
  | { op: 'readTree'; file: string };

export type Hdf5Op = Hdf5Request['op'];

/** Why a 'read' stopped early: the dataset concerned, and its class for 'class'. */
export interface Hdf5ReadFailure {
  code: Hdf5FailureCode;
  dataset: string;
  typeClass?: string;
  msg: string;
}

export interface Hdf5Answers {
  read: { arrays: Hdf5Array[]; fail: Hdf5ReadFailure | null };
  list: { datasets: Record<string, Hdf5RawDataset> };
  create: { handle: number };
  write: Record<string, never>;
  close: Record<string, never>;
  writeTree: Record<string, never>;
  readTree: { nodes: Hdf5Tree };
}

/** A request as posted: with its sequence number (negative: no answer wanted). */
export type Hdf5Posted = Hdf5Request & { seq: number };

/** A failed request, or (seq -1) the worker's own failure. */
export interface Hdf5Error {
  seq: number;
  ok: false;
  code: Hdf5FailureCode;
  msg: string;
}

/** A message from the worker: an answer (its fields beside seq and ok) or an Hdf5Error. */
export type Hdf5Reply = { [O in Hdf5Op]: { seq: number; ok: true } & Hdf5Answers[O] }[Hdf5Op] | Hdf5Error;
