// HDF5Output: saves its two bottoms to an HDF5 file (Caffe's hdf5_output_layer.cpp). Set-up creates
// hdf5_output_param.file_name, truncating any file there; each forward writes bottom 0 as dataset
// "data" and bottom 1 as dataset "label", float32, shaped by the legacy 4-d accessors
// [num, channels, height, width] (a [N, C] blob is stored as N x C x 1 x 1, a [N] one as N x 1 x 1
// x 1); dispose() closes the file. No tops, no backward.
//
// Caffe creates the datasets anew at every forward, so only the first forward of a run can succeed:
// the second finds "data" there already and fails ("Failed to make float dataset data"), as it does
// here (checked against the reference binary). The file is flushed after each write, so it is
// complete on disk before dispose().
import { Blob } from '../core/blob';
import { Layer } from '../core/layer';
import { registerLayer } from '../core/layer_factory';
import { Hdf5Session } from '../io/hdf5';
import { Hdf5Failure } from '../io/hdf5_worker';
import { log } from '../util/logging';
import { layerError } from './layer_check';
import { checkFailed, checkOp } from '../util/check';

export const HDF5_DATA_DATASET_NAME = 'data';
export const HDF5_DATA_LABEL_NAME = 'label';

export class HDF5OutputLayer extends Layer {
  private session: Hdf5Session | null = null;
  private file: number | null = null;
  private fileName = '';
  private readonly dataBlob = new Blob();
  private readonly labelBlob = new Blob();

  override layerSetUp(_bottom: Blob[], _top: Blob[]): void {
    this.fileName = String(this.param('hdf5_output_param').file_name);
    this.closeFile();
    this.session ??= new Hdf5Session(this);
    try {
      this.file = this.session.createFile(this.fileName);
    } catch (e) {
      if (!(e instanceof Hdf5Failure)) throw e;
      checkFailed(this, 'file_id_ >= 0 (-1 vs. 0)', `Failed to open HDF5 file ${this.fileName}`);
    }
  }

  /** Nothing to shape: the layer has no tops. */
  reshape(_bottom: Blob[], _top: Blob[]): void {}

  get file_name(): string {
    return this.fileName;
  }

  protected forwardCpu(bottom: Blob[], _top: Blob[]): void {
    checkOp(this, bottom[0].num, '==', bottom[1].num, 'bottom[0]->num() == bottom[1]->num()');
    const b0 = bottom[0],
      b1 = bottom[1];
    this.dataBlob.reshape([b0.num, b0.channels, b0.height, b0.width]);
    this.labelBlob.reshape([b1.num, b1.channels, b1.height, b1.width]);
    this.dataBlob.mutableCpuData().set(b0.cpuData());
    this.labelBlob.mutableCpuData().set(b1.cpuData());
    this.saveBlobs();
  }

  private saveBlobs(): void {
    if (this.file === null || !this.session) throw layerError(this, 'forward before set-up (or after dispose)');
    log.info(`Saving HDF5 file ${this.fileName}`);
    checkOp(
      this,
      this.dataBlob.num,
      '==',
      this.labelBlob.num,
      'data_blob_.num() == label_blob_.num()',
      'data blob and label blob must have the same batch size',
    );
    this.save(HDF5_DATA_DATASET_NAME, this.dataBlob);
    this.save(HDF5_DATA_LABEL_NAME, this.labelBlob);
    log.info(`Successfully saved ${this.dataBlob.num} rows`);
  }

  /** hdf5_save_nd_dataset: a new float dataset shaped like the blob. */
  private save(name: string, blob: Blob): void {
    try {
      this.session!.writeDataset(this.file!, name, { shape: blob.shape, data: blob.cpuData() });
    } catch (e) {
      if (!(e instanceof Hdf5Failure)) throw e;
      const why = e.code === 'exists' ? '' : ` (${e.message})`;
      checkFailed(this, 'status >= 0 (-1 vs. 0)', `Failed to make float dataset ${name}${why}`);
    }
  }

  /** Nothing to propagate (Caffe's Backward_cpu returns at once). */
  protected override backwardCpu(_top: Blob[], _propagateDown: boolean[], _bottom: Blob[]): void {}

  override exactNumBottomBlobs(): number {
    return 2;
  }
  override exactNumTopBlobs(): number {
    return 0;
  }

  private closeFile(): void {
    if (this.file === null || !this.session) return;
    const f = this.file;
    this.file = null;
    try {
      this.session.closeFile(f);
    } catch (e) {
      if (!(e instanceof Hdf5Failure)) throw e;
      checkFailed(this, 'status >= 0 (-1 vs. 0)', `Failed to close HDF5 file ${this.fileName}`);
    }
  }

  /** Closes the file (Caffe's destructor) and lets go of the HDF5 worker. Never throws. */
  override dispose(): void {
    try {
      this.closeFile();
    } catch (e) {
      log.error(e instanceof Error ? e.message : String(e));
    } finally {
      this.session?.dispose();
      this.session = null;
    }
  }
}

registerLayer('HDF5Output', HDF5OutputLayer);
