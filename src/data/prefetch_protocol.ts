// The contract between a prefetching data layer (main thread, prefetch.ts) and its worker thread
// (data_worker.ts). Shared by both sides; holds no code that needs anything beyond plain JS.
//
// Memory: one SharedArrayBuffer of Int32 control words plus, per batch slot, a SharedArrayBuffer of
// data floats and one of label floats. Slots form a ring: batch k (k = 0, 1, ...) goes to slot
// k % prefetch. The worker fills batch `produced` once `produced - consumed < prefetch`, writes its
// shape into the slot's header words, then increments PRODUCED (Atomics, so that the slot's
// contents are visible to the main thread before the count is). The main thread takes batch
// `taken` once `produced > taken` and lends its slot to the tops (no copy); its next take
// increments CONSUMED, which frees the slot lent before. Each side waits on the other's counter with
// Atomics (the main thread blocks with Atomics.wait only when no batch is ready; the worker awaits
// Atomics.waitAsync).
//
// Life cycle: the worker starts (a Data layer's at construction, when Caffe's DataLayer opens its
// database: the worker opens it and reports STATE_OPENED), receives one 'start' message with the
// full spec at set-up (the transformer's seed is drawn then), answers with 'setup' and
// STATE_RUNNING, then prefetches until CTRL_STOP.
//
// Messages (worker to main, on a MessagePort the main thread reads synchronously with
// receiveMessageOnPort, never with a listener): the set-up answer (first item shape and the slot
// buffers), slot reallocations (a batch larger than its slot), log lines to re-emit on the main
// thread, and a failure. A message that concerns batch k is posted before PRODUCED passes k, so the
// main thread, draining the port after seeing the count, always has it.
import type { TransformerState } from './data_transformer';

export const CTRL_STATE = 0;
export const CTRL_PRODUCED = 1;
export const CTRL_CONSUMED = 2;
export const CTRL_STOP = 3;
/** per-slot header: channels, height, width of the batch's items */
export const CTRL_HEADER = 8;
export const HEADER_WORDS = 4;

export const STATE_STARTING = 0;
export const STATE_RUNNING = 1;
export const STATE_FAILED = 2;
export const STATE_STOPPED = 3;
/** the database is open; the worker waits for its 'start' message */
export const STATE_OPENED = 4;

export function ctrlWords(prefetch: number): number {
  return CTRL_HEADER + prefetch * HEADER_WORDS;
}

/** The database a Data layer's worker opens as soon as it starts. */
export interface DbOpenSpec {
  backend: string;
  source: string;
}

/** A Data layer's records: the opened database read in key order, restarting at the end. */
export interface DbSourceSpec {
  kind: 'db';
  /** records to skip at the start (0: Caffe 1.0 ignores data_param.rand_skip; see layers/Data.ts) */
  skip: number;
  /** data-parallel training: this replica keeps the records whose running offset % count == rank */
  deal: { count: number; rank: number };
}

/** An ImageData layer's list of images. */
export interface ImageSourceSpec {
  kind: 'images';
  lines: [string, number][];
  rootFolder: string;
  newHeight: number;
  newWidth: number;
  isColor: boolean;
  /** seed of the shuffling generator (drawn on the main thread); null = no shuffling */
  shuffleSeed: number | null;
  /** first line to read (rand_skip) */
  start: number;
}

/**
 * A WindowData layer's windows (its window file is parsed on the main thread) and how a batch samples,
 * crops and warps them (window_batch.ts). The mean file, if any, is the transformer state's.
 */
export interface WindowSourceSpec {
  kind: 'windows';
  /** image paths (root_folder prepended), by position, which is what windows name with their `# index` */
  images: string[];
  /** foreground windows, WINDOW_FIELDS ints each (io/window_file.ts), in shared memory */
  fg: Int32Array;
  /** background windows, likewise */
  bg: Int32Array;
  /** the channels of the data top (the window file's, checked to be 3) */
  channels: number;
  cropSize: number;
  contextPad: number;
  /** crop_mode "square" (anything else warps) */
  square: boolean;
  mirror: boolean;
  /** foreground windows per batch: int(batch_size * fg_fraction) */
  numFg: number;
  /** window_data_param.scale, a float */
  scale: number;
  /** mean_value as floats, one per channel; null without */
  meanValues: number[] | null;
  /** read every image file into memory at start-up */
  cacheImages: boolean;
  /** seed of the layer's own generator (prefetch_rng_), drawn on the main thread at set-up */
  seed: number;
}

export interface WorkerSpec {
  /** who we are in messages: `<Type> layer <name>` */
  who: string;
  batchSize: number;
  prefetch: number;
  outputLabels: boolean;
  transformer: TransformerState;
  source: DbSourceSpec | ImageSourceSpec | WindowSourceSpec;
}

/** What a worker is started with (workerData), before its 'start' message. */
export interface WorkerInit {
  who: string;
  /** the database to open at once (Data layers) */
  open: DbOpenSpec | null;
  /** modules the worker requires first (e.g. user-registered database backends) */
  modules: string[];
  /** the main thread's CAFFETS_MEMORY_AVAILABLE_BYTES (a worker's environment is a copy made by Node) */
  memoryAvailable?: string;
}

export interface SlotBuffers {
  data: SharedArrayBuffer;
  label: SharedArrayBuffer;
}

/** main to worker */
export type StartMessage = { t: 'start'; spec: WorkerSpec };

/** worker to main */
export type WorkerMessage =
  | { t: 'setup'; shape: number[]; slots: SlotBuffers[] }
  | { t: 'slot'; slot: number; data: SharedArrayBuffer }
  | { t: 'log'; sev: 'I' | 'W' | 'E'; msg: string }
  | { t: 'error'; msg: string; stack?: string; caffe: boolean };
