// caffets extract_features: Caffe's tools/extract_features.cpp. A TEST-phase net with trained
// weights is run NUM_BATCHES times; after each forward, every item of every requested blob becomes
// one Datum (channels/height/width of the blob, float_data = the item's values) stored under a
// running 10-digit key in that blob's new database, committed every 1000 items and at the end.
// Caffe logs these lines at ERROR severity (so that they show without --alsologtostderr); so do we.
import { openDB, DB, Transaction } from '../db';
import { encodeMessage } from '../formats/wire';
import { readNetParamsFromTextFile } from '../io/proto_io';
import { Net } from '../net';
import { checkFailed } from '../util/check';
import { CaffeError } from '../util/errors';
import { log } from '../util/logging';
import { ProgressBar } from '../util/progress';
import { openGpu } from './common';

export interface ExtractFeaturesOptions {
  /** the trained weights (.caffemodel) */
  weights: string;
  /** the net definition, with its data layer */
  model: string;
  /** blob names separated by ',' */
  blobs: string;
  /** database paths separated by ',', one per blob (created; they must not exist) */
  dbs: string;
  numBatches: number | string;
  /** lmdb or leveldb */
  dbType: string;
  /** 'GPU' asks for a GPU (this build computes on the CPU); anything else is CPU */
  mode?: string;
  device?: number | string;
  /** a progress bar on a terminal (default true) */
  progress?: boolean;
}

export interface ExtractFeaturesResult {
  /** items written per blob, in the order of `blobs` */
  counts: number[];
}

/** A 10-digit zero-padded key, as caffe::format_int(n, 10). */
export function featureKey(n: number): string {
  return String(n).padStart(10, '0');
}

/** Parses NUM_BATCHES (Caffe's atoi, but garbage is refused rather than read as 0). */
function parseCount(v: number | string, what: string): number {
  const s = String(v).trim();
  if (!/^\+?\d+$/.test(s)) throw new CaffeError(`${what} must be a non-negative integer, got "${v}"`);
  return Number(s);
}

/** The Datum of item n of a blob: the blob's channels/height/width, the item's values as float_data. */
function blobItemDatum(shape: readonly number[], values: Float32Array): Uint8Array {
  const legacy = shape.length <= 4;
  const dim = (i: number) => (legacy ? (i < shape.length ? shape[i] : 1) : 1);
  const datum = {
    channels: legacy ? dim(1) : values.length,
    height: dim(2),
    width: dim(3),
    float_data: values,
  };
  return encodeMessage(datum, 'caffe.Datum');
}

export async function extractFeatures(o: ExtractFeaturesOptions): Promise<ExtractFeaturesResult> {
  let release = () => {};
  if (o.mode === 'GPU') {
    log.error('Using GPU');
    const device = o.device === undefined ? 0 : Number(o.device);
    if (!Number.isInteger(device) || device < 0) checkFailed(null, `device_id >= 0 (${o.device} vs. 0)`);
    log.error(`Using Device_id=${device}`);
    release = openGpu(device);
  } else {
    log.error('Using CPU');
  }
  const net = new Net(readNetParamsFromTextFile(o.model), { phase: 'TEST' });
  const dbs: DB[] = [];
  try {
    net.copyTrainedLayersFromFile(o.weights);
    const blobNames = o.blobs.split(','),
      dbNames = o.dbs.split(',');
    if (blobNames.length !== dbNames.length) {
      checkFailed(
        null,
        `blob_names.size() == dataset_names.size() (${blobNames.length} vs. ${dbNames.length})`,
        ' the number of blob names and dataset names must be equal',
      );
    }
    for (const b of blobNames) {
      if (!net.hasBlob(b)) throw new CaffeError(`Unknown feature blob name ${b} in the network ${o.model}`);
    }
    const numBatches = parseCount(o.numBatches, 'NUM_BATCHES');
    const txns: Transaction[] = [];
    for (const name of dbNames) {
      log.info(`Opening dataset ${name}`);
      const db = await openDB(o.dbType, name, 'new');
      dbs.push(db);
      txns.push(db.newTransaction());
    }
    log.error('Extracting Features');
    const counts = blobNames.map(() => 0);
    const bar = new ProgressBar(numBatches, 'extract_features', process.stderr, o.progress ?? true);
    try {
      for (let batch = 0; batch < numBatches; batch++) {
        net.forward();
        for (let i = 0; i < blobNames.length; i++) {
          const blob = net.blobByName(blobNames[i]);
          const num = blob.numAxes === 0 ? 1 : blob.shape[0];
          const dim = num ? blob.count / num : 0,
            data = blob.cpuData();
          for (let n = 0; n < num; n++) {
            txns[i].put(featureKey(counts[i]), blobItemDatum(blob.shape, data.subarray(n * dim, (n + 1) * dim)));
            if (++counts[i] % 1000 === 0) {
              await txns[i].commit();
              txns[i] = dbs[i].newTransaction();
              log.error(`Extracted features of ${counts[i]} query images for feature blob ${blobNames[i]}`);
            }
          }
        }
        bar.tick();
      }
    } finally {
      bar.finish();
    }
    for (let i = 0; i < blobNames.length; i++) {
      if (counts[i] % 1000 !== 0) await txns[i].commit();
      log.error(`Extracted features of ${counts[i]} query images for feature blob ${blobNames[i]}`);
      await dbs[i].close();
    }
    dbs.length = 0;
    log.error('Successfully extracted the features!');
    return { counts };
  } finally {
    for (const db of dbs) await db.close().catch(() => undefined);
    net.dispose(); // the data layers' worker threads
    release();
  }
}
