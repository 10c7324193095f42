// Caffe's BaseDataLayer and BasePrefetchingDataLayer (base_data_layer.cpp): data layers have no
// bottoms, own a DataTransformer, output labels when they have a second top, and do nothing on
// reshape and backward. Prefetching layers fill batches on a worker thread (data/prefetch.ts) and
// copy the next ready batch into their tops on forward.
//
// Draws from the global generator happen in Caffe's order, so that a seeded net consumes the same
// numbers before its fillers run: InitRand at LayerSetUp (one draw when the transform is random),
// the layer's own set-up draws (rand_skip, shuffle seed), InitRand again (the seed the prefetch
// thread's transformer uses), and StartInternalThread's seed for the thread.
import type { Blob } from '../core/blob';
import { Layer, LayerMemory } from '../core/layer';
import { rng } from '../core/rng';
import { log } from '../util/logging';
import { check } from '../util/check';
import { DataTransformer } from '../data/data_transformer';
import { Prefetcher } from '../data/prefetch';
import type { DbOpenSpec, DbSourceSpec, ImageSourceSpec, WindowSourceSpec } from '../data/prefetch_protocol';

export abstract class BaseDataLayer extends Layer {
  protected transformer!: DataTransformer;
  protected outputLabels = false;

  /** `<Type> layer <name>`, the prefix of this layer's errors. */
  get who(): string {
    return `${this.type} layer ${this.name}`;
  }

  override layerSetUp(bottom: Blob[], top: Blob[]): void {
    this.outputLabels = top.length !== 1;
    this.transformer = new DataTransformer(this.layerParam.transform_param, this.phase, { who: this.who });
    this.transformer.initRand();
    this.dataLayerSetUp(bottom, top);
  }

  /** The layer's own set-up (Caffe's DataLayerSetUp). */
  protected dataLayerSetUp(_bottom: Blob[], _top: Blob[]): void {}

  /** The tops are shaped by set-up and by each forward. */
  reshape(_bottom: Blob[], _top: Blob[]): void {}

  protected override backwardCpu(_top: Blob[], _propagateDown: boolean[], _bottom: Blob[]): void {}

  override exactNumBottomBlobs(): number {
    return 0;
  }

  /** Releases what the layer holds (worker threads); the layer is unusable afterwards. */
  override dispose(): void {}

  /** The transformer (for inspection and tests). */
  get dataTransformer(): DataTransformer {
    return this.transformer;
  }
}

export abstract class BasePrefetchingDataLayer extends BaseDataLayer {
  protected prefetcher: Prefetcher | null = null;

  /** Batch size of the layer's parameter message. */
  protected abstract batchSize(): number;

  /** Where the worker reads from; called after dataLayerSetUp. */
  protected abstract sourceSpec(): DbSourceSpec | ImageSourceSpec | WindowSourceSpec;

  /** Whether set-up logs "output data size" here (WindowData logs it amid its own set-up lines). */
  protected logsOutputSize = true;

  /** The database the worker opens as it starts (Data layers), or null. */
  protected openSpec(): DbOpenSpec | null {
    return null;
  }

  /** data_param.prefetch: batches prepared ahead (BasePrefetchingDataLayer reads it for every type). */
  protected prefetchCount(): number {
    return Number(this.param('data_param').prefetch);
  }

  /** Starts the worker thread (opening the database, if any, before returning). */
  protected startWorker(): Prefetcher {
    return new Prefetcher({ who: this.who, prefetch: this.prefetchCount(), open: this.openSpec() }, this);
  }

  override layerSetUp(bottom: Blob[], top: Blob[]): void {
    if (!this.prefetcher || this.prefetcher.itemShape || this.prefetcher.isDisposed) {
      // first set-up of a layer without a database, or set up again: a fresh worker
      this.prefetcher?.dispose();
      this.prefetcher = null;
      this.prefetcher = this.startWorker();
    }
    super.layerSetUp(bottom, top);
    this.transformer.initRand();
    rng().u32(); // StartInternalThread: the prefetch thread's own seed (it draws nothing from it)
    const batchSize = this.batchSize();
    const shape = this.prefetcher
      .start({
        who: this.who,
        batchSize,
        prefetch: this.prefetchCount(),
        outputLabels: this.outputLabels,
        transformer: this.transformer.state,
        source: this.sourceSpec(),
      })
      .slice();
    shape[0] = batchSize;
    top[0].reshape(shape);
    if (this.logsOutputSize) log.info(`output data size: ${shape.join(',')}`);
    // Caffe's load_batch CHECKs a non-empty batch (a Datum of height or width 0 makes an empty one)
    check(this, top[0].count !== 0, 'batch->data_.count()');
    if (this.outputLabels) top[1].reshape([batchSize]);
  }

  protected forwardCpu(_bottom: Blob[], top: Blob[]): void {
    if (!this.prefetcher) throw new Error(`${this.who}: forward before set-up`);
    this.prefetcher.take(top[0], this.outputLabels ? top[1] : undefined);
  }

  /** The prefetch queue (null before set-up). */
  get prefetchQueue(): Prefetcher | null {
    return this.prefetcher;
  }

  /** Batches prefetched and waiting (0 means the next forward blocks). */
  batchesReady(): number {
    return this.prefetcher?.ready ?? 0;
  }

  /** How many forwards had to wait for the worker. */
  get forwardWaits(): number {
    return this.prefetcher?.waits ?? 0;
  }

  /** The prefetch batches (shared with the worker) too. */
  override internalMemory(): LayerMemory {
    const m = super.internalMemory();
    return { blobs: m.blobs, bytes: m.bytes + (this.prefetcher?.slotBytes ?? 0) };
  }

  override dispose(): void {
    this.prefetcher?.dispose();
  }
}
