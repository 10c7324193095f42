// Data: batches of Datums read in key order from an LMDB or LevelDB database (data_param.source,
// backend LEVELDB by default), transformed by transform_param, prefetched on a worker thread
// (data_param.prefetch batches ahead). Tops: data, and label when there is a second top. At the
// end of the database reading restarts from the first record ("Restarting data prefetching from
// start."). data_param.rand_skip is ignored, as Caffe 1.0 ignores it (deprecated since the 2015
// DataReader rewrite; verified against the reference binary: no skip, no log line, no random draw).
// Skipping before 1.0 drew caffe_rng_rand() % rand_skip here; honouring it now would shift the data
// order and every later draw of the global generator (the fillers) away from Caffe 1.0's.
// Each batch takes the shape of its first record, as Caffe's load_batch does. In data-parallel
// training the replicas share the records round-robin (Caffe's Skip): replica r of N keeps those whose
// running offset % N == r, so one iteration of N replicas sees the records of one batch of N x
// batch_size; TEST nets (the root's alone) read every record. The database is opened
// when the layer is created (Caffe's constructor), so "Opened lmdb ..." is logged in Caffe's place.
import type { Blob } from '../core/blob';
import { registerLayer } from '../core/layer_factory';
import { BasePrefetchingDataLayer } from './base_data_layer';
import type { DbOpenSpec, DbSourceSpec } from '../data/prefetch_protocol';
import type { LayerParameter } from '../proto/caffe';
import { checkOp } from '../util/check';
import { solverCount, solverRank } from '../backend/mode';

export class DataLayer extends BasePrefetchingDataLayer {
  /** Opens the database, as Caffe's DataLayer constructor does (errors surface at layer creation). */
  constructor(param: LayerParameter) {
    super(param);
    this.prefetcher = this.startWorker();
  }

  protected override dataLayerSetUp(_bottom: Blob[], _top: Blob[]): void {
    checkOp(this, this.batchSize(), '>', 0, 'batch_size > 0', 'Positive batch size required');
  }

  protected batchSize(): number {
    return Number(this.param('data_param').batch_size);
  }

  protected sourceSpec(): DbSourceSpec {
    const deal = this.phase === 'TEST' ? { count: 1, rank: 0 } : { count: solverCount(), rank: solverRank() };
    return { kind: 'db', skip: 0, deal }; // rand_skip: see the header
  }

  protected override openSpec(): DbOpenSpec {
    const backend = String(this.param('data_param').backend);
    return { backend: backend.toLowerCase(), source: String(this.param('data_param').source) };
  }

  override minTopBlobs(): number {
    return 1;
  }
  override maxTopBlobs(): number {
    return 2;
  }
}

registerLayer('Data', DataLayer);
