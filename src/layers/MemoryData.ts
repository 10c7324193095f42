// MemoryData: serves batches from arrays held in memory (memory_data_param: batch_size, channels,
// height, width). reset(data, labels, n) points the layer at n items (n a multiple of batch_size),
// untransformed; addDatumVector / addMatVector transform Datums / decoded images first. Each forward
// copies the next batch_size items and labels into the tops and wraps around after n. Tops: data
// and label. Caffe's API: Reset, AddDatumVector, AddMatVector, set_batch_size, batch_size, ...
import { Blob } from '../core/blob';
import { registerLayer } from '../core/layer_factory';
import type { Datum } from '../proto/caffe';
import { log } from '../util/logging';
import { BaseDataLayer } from './base_data_layer';
import type { ImageLike } from '../data/data_transformer';
import { check, checkOp } from '../util/check';

export class MemoryDataLayer extends BaseDataLayer {
  private batchSize_ = 0;
  private channels_ = 0;
  private height_ = 0;
  private width_ = 0;
  private size_ = 0;
  private data_: Float32Array | null = null;
  private labels_: Float32Array | null = null;
  private n_ = 0;
  private pos_ = 0;
  private hasNewData_ = false;
  private readonly addedData = new Blob();
  private readonly addedLabel = new Blob();

  private get p() {
    return this.param('memory_data_param');
  }

  protected override dataLayerSetUp(_bottom: Blob[], top: Blob[]): void {
    this.batchSize_ = this.p.batch_size;
    this.channels_ = this.p.channels;
    this.height_ = this.p.height;
    this.width_ = this.p.width;
    this.size_ = this.channels_ * this.height_ * this.width_;
    checkOp(
      this,
      this.batchSize_ * this.size_,
      '>',
      0,
      'batch_size_ * size_ > 0',
      'batch_size, channels, height, and width must be specified and positive in memory_data_param',
    );
    top[0].reshape([this.batchSize_, this.channels_, this.height_, this.width_]);
    top[1].reshape([this.batchSize_]);
    this.addedData.reshape([this.batchSize_, this.channels_, this.height_, this.width_]);
    this.addedLabel.reshape([this.batchSize_]);
    this.data_ = null;
    this.labels_ = null;
  }

  /** AddDatumVector: transforms the datums (raw, not encoded) and serves them. */
  addDatumVector(datums: Datum[]): void {
    check(this, !this.hasNewData_, '!has_new_data_', "Can't add data until current data has been consumed.");
    const num = datums.length;
    checkOp(this, num, '>', 0, 'num > 0', 'There is no datum to add.');
    checkOp(
      this,
      num % this.batchSize_,
      '==',
      0,
      'num % batch_size_ == 0',
      'The added data must be a multiple of the batch size.',
    );
    this.addedData.reshape([num, this.channels_, this.height_, this.width_]);
    this.addedLabel.reshape([num, 1, 1, 1]);
    this.transformer.transformDatums(datums, this.addedData);
    const labels = this.addedLabel.mutableCpuData();
    for (let i = 0; i < num; i++) labels[i] = datums[i].label ?? 0;
    this.reset(this.addedData.mutableCpuData(), labels, num);
    this.hasNewData_ = true;
  }

  /** AddMatVector: transforms decoded images (HWC, 8-bit) with their labels and serves them. */
  addMatVector(images: ImageLike[], labels: number[]): void {
    const num = images.length;
    check(this, !this.hasNewData_, '!has_new_data_', "Can't add mat until current data has been consumed.");
    checkOp(this, num, '>', 0, 'num > 0', 'There is no mat to add');
    checkOp(
      this,
      num % this.batchSize_,
      '==',
      0,
      'num % batch_size_ == 0',
      'The added data must be a multiple of the batch size.',
    );
    this.addedData.reshape([num, this.channels_, this.height_, this.width_]);
    this.addedLabel.reshape([num, 1, 1, 1]);
    this.transformer.transformImages(images, this.addedData);
    const out = this.addedLabel.mutableCpuData();
    for (let i = 0; i < num; i++) out[i] = labels[i];
    this.reset(this.addedData.mutableCpuData(), out, num);
    this.hasNewData_ = true;
  }

  /**
   * Reset: serve `n` items of `data` (n * channels * height * width floats) and `labels` as they are
   * (no transformation). The arrays are read at each forward, not copied here, as Caffe keeps the
   * pointers.
   */
  reset(data: Float32Array, labels: Float32Array, n: number): void {
    check(this, !!data, 'data');
    check(this, !!labels, 'labels');
    checkOp(this, n % this.batchSize_, '==', 0, 'n % batch_size_ == 0', 'n must be a multiple of batch size');
    checkOp(this, data.length, '>=', n * this.size_, 'data.length >= n * channels * height * width');
    checkOp(this, labels.length, '>=', n, 'labels.length >= n');
    // a memory array is meant to be generic: no transformation is done with Reset()
    if (this.layerParam.transform_param !== undefined)
      log.warning(`${this.type} does not transform array data on Reset()`);
    this.data_ = data;
    this.labels_ = labels;
    this.n_ = n;
    this.pos_ = 0;
  }

  setBatchSize(newSize: number): void {
    check(this, !this.hasNewData_, '!has_new_data_', "Can't change batch_size until current data has been consumed.");
    this.batchSize_ = newSize;
    this.addedData.reshape([this.batchSize_, this.channels_, this.height_, this.width_]);
    this.addedLabel.reshape([this.batchSize_, 1, 1, 1]);
  }

  get batchSize(): number {
    return this.batchSize_;
  }
  get channels(): number {
    return this.channels_;
  }
  get height(): number {
    return this.height_;
  }
  get width(): number {
    return this.width_;
  }

  protected forwardCpu(_bottom: Blob[], top: Blob[]): void {
    check(this, this.data_ !== null, 'data_', 'MemoryDataLayer needs to be initialized by calling Reset');
    const b = this.batchSize_,
      size = this.size_;
    top[0].reshape([b, this.channels_, this.height_, this.width_]);
    top[1].reshape([b, 1, 1, 1]);
    if ((this.pos_ + b) * size > this.data_!.length || this.pos_ + b > this.labels_!.length) {
      // Caffe reads past the array here (set_batch_size after Reset); refuse instead
      check(
        this,
        false,
        'pos_ + batch_size_ <= n_',
        `the next batch (items ${this.pos_}..${this.pos_ + b - 1}) is past the ${this.n_} items given to Reset`,
      );
    }
    top[0].mutableCpuData().set(this.data_!.subarray(this.pos_ * size, (this.pos_ + b) * size));
    top[1].mutableCpuData().set(this.labels_!.subarray(this.pos_, this.pos_ + b));
    this.pos_ = (this.pos_ + b) % this.n_;
    if (this.pos_ === 0) this.hasNewData_ = false;
  }

  override exactNumTopBlobs(): number {
    return 2;
  }
}

registerLayer('MemoryData', MemoryDataLayer);
