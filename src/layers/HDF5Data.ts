// HDF5Data: rows read from HDF5 files (Caffe's hdf5_data_layer.cpp). hdf5_data_param.source is a
// text file listing .h5 files (whitespace-separated, paths relative to the working directory); each
// file holds one dataset per top, named after the top ("data", "label", ...), float or integer (read
// as float32), all with the same number of rows N along the first axis. One file is held in memory at
// a time; each forward copies batch_size rows into the tops, moving to the next file after the last
// row and back to the first after the last file. Tops are shaped [batch_size, ...the dataset's other
// axes] from the first file. No transform_param, no backward (a data layer: nothing to propagate).
//
// shuffle shuffles the file order at set-up and at every wrap to the first file, and the row order
// of every file as it is loaded and again after each pass over a file, with the C library's rand()
// as Caffe's std::random_shuffle does (see data/hdf5_crand.ts: not random_seed, and the same order
// in every run).
//
// Caffe's log lines: "Loading list of HDF5 filenames from: ...", "Number of HDF5 files: N", and the
// first time a float (integer) dataset is read in the process "Datatype class: H5T_FLOAT"
// ("H5T_INTEGER"). Caffe's "Loading HDF5 file: ...", "Successfully loaded N rows" and "Looping
// around to first file." are DLOG lines, absent from release builds (and from the reference
// binary's output), so they are not logged here either.
//
// Beyond Caffe: a later file whose rows have a different size than the first's, or a file with no
// rows, is an error (Caffe copies past the end of its buffers there).
import * as fs from 'fs';
import type { Blob } from '../core/blob';
import { Layer } from '../core/layer';
import { registerLayer } from '../core/layer_factory';
import { Hdf5Array, Hdf5Session } from '../io/hdf5';
import { Hdf5Failure } from '../io/hdf5_worker';
import { randomShuffle } from '../data/hdf5_crand';
import { log } from '../util/logging';
import { solverCount, solverRank } from '../backend/mode';
import { layerError } from './layer_check';
import { check, checkFailed, checkOp } from '../util/check';

/** LOG_FIRST_N(INFO, 1) in hdf5_load_nd_dataset_helper: once per class per process. */
const classLogged = new Set<string>();

export class HDF5DataLayer extends Layer {
  private session: Hdf5Session | null = null;
  private filenames: string[] = [];
  private filePermutation: number[] = [];
  private dataPermutation: number[] = [];
  private currentFile = 0;
  private currentRow = 0;
  /** rows passed so far (Caffe's offset_: data-parallel replicas keep those of their rank) */
  private offset = 0;
  private rows = 0;
  private hdfBlobs: Hdf5Array[] = [];
  /** values per row of each top, fixed by the first file */
  private rowSizes: number[] = [];
  private shuffle = false;

  private get p() {
    return this.param('hdf5_data_param');
  }

  private get topNames(): string[] {
    return this.layerParam.top ?? [];
  }

  override layerSetUp(_bottom: Blob[], top: Blob[]): void {
    // HDF5 data is generic: no transformation
    check(
      this,
      this.layerParam.transform_param === undefined,
      '!this->layer_param_.has_transform_param()',
      `${this.type} does not transform data.`,
    );
    const source = this.p.source;
    log.info(`Loading list of HDF5 filenames from: ${source}`);
    let text: string;
    try {
      text = fs.readFileSync(source, 'latin1');
    } catch {
      throw layerError(this, `Failed to open source file: ${source}`);
    }
    this.filenames = text.split(/[ \t\n\v\f\r]+/).filter((s) => s.length > 0); // `source_file >> line`
    log.info(`Number of HDF5 files: ${this.filenames.length}`);
    checkOp(
      this,
      this.filenames.length,
      '>=',
      1,
      'num_files_ >= 1',
      `Must have at least 1 HDF5 filename listed in ${source}`,
    );

    this.shuffle = this.p.shuffle;
    this.filePermutation = this.filenames.map((_, i) => i);
    if (this.shuffle) randomShuffle(this.filePermutation);

    this.session?.dispose();
    this.session = new Hdf5Session(this);
    this.currentFile = 0;
    this.rowSizes = [];
    this.loadFile(this.filenames[this.filePermutation[this.currentFile]]);
    this.currentRow = 0;

    const batchSize = this.p.batch_size;
    top.forEach((t, i) => {
      const shape = this.hdfBlobs[i].shape.slice();
      shape[0] = batchSize;
      t.reshape(shape);
    });
    this.rowSizes = this.hdfBlobs.map((b) => rowSize(b.shape));
  }

  /** LoadHDF5FileData: every top's dataset, checked, with a fresh (maybe shuffled) row order. */
  private loadFile(file: string): void {
    const names = this.topNames;
    let res: ReturnType<Hdf5Session['readDatasets']>;
    try {
      res = this.session!.readDatasets(file, names);
    } catch (e) {
      if (e instanceof Hdf5Failure && e.code === 'open') throw layerError(this, `Failed opening HDF5 file: ${file}`);
      throw e instanceof Hdf5Failure ? layerError(this, `${file}: ${e.message}`) : e;
    }
    // datasets are loaded in top order: those before a failing one have been read (and logged)
    for (const a of res.arrays) {
      if (!classLogged.has(a.typeClass)) {
        classLogged.add(a.typeClass);
        log.info(`Datatype class: ${a.typeClass}`);
      }
    }
    const f = res.failure;
    if (f) {
      const name = f.dataset ?? '';
      switch (f.code) {
        case 'missing':
          return checkFailed(this, 'H5LTfind_dataset(file_id, dataset_name_)', `Failed to find HDF5 dataset ${name}`);
        case 'ndims':
          return checkFailed(this, 'ndims >= min_dim (0 vs. 1)');
        case 'class':
          throw layerError(
            this,
            f.typeClass && f.typeClass !== 'unknown'
              ? `Unsupported datatype class: ${f.typeClass}`
              : 'Datatype class unknown',
          );
        default:
          checkFailed(this, 'status >= 0 (-1 vs. 0)', `Failed to read float dataset ${name} (${file}: ${f.message})`);
      }
    }
    const blobs = res.arrays;
    const num = blobs[0].shape[0];
    for (let i = 1; i < blobs.length; i++)
      checkOp(this, blobs[i].shape[0], '==', num, 'hdf_blobs_[i]->shape(0) == num');
    if (num === 0) throw layerError(this, `HDF5 file ${file} holds no rows`);
    if (this.rowSizes.length) {
      blobs.forEach((b, i) => {
        const size = rowSize(b.shape);
        if (size !== this.rowSizes[i]) {
          throw layerError(
            this,
            `dataset ${names[i]} of ${file} has rows of ${size} values (shape ${b.shape.join(' ')}); ` +
              `the top was set up for rows of ${this.rowSizes[i]} values by the first file`,
          );
        }
      });
    }
    this.hdfBlobs = blobs;
    this.rows = num;
    this.dataPermutation = Array.from({ length: num }, (_, i) => i);
    if (this.shuffle) randomShuffle(this.dataPermutation);
  }

  /** Data layers have no bottoms: the tops keep their set-up shape. */
  reshape(_bottom: Blob[], _top: Blob[]): void {}

  /** Next(): the next row, moving on to the next file (reshuffling) at the end of this one. */
  private next(): void {
    if (++this.currentRow === this.rows) {
      if (this.filenames.length > 1) {
        if (++this.currentFile === this.filenames.length) {
          this.currentFile = 0;
          if (this.shuffle) randomShuffle(this.filePermutation);
        }
        this.loadFile(this.filenames[this.filePermutation[this.currentFile]]);
      }
      this.currentRow = 0;
      if (this.shuffle) randomShuffle(this.dataPermutation);
    }
    this.offset++;
  }

  /** Skip(): in TRAIN, replica r of N keeps the rows whose offset % N == r (TEST runs on the root only). */
  private skip(): boolean {
    return this.phase !== 'TEST' && this.offset % solverCount() !== solverRank();
  }

  protected forwardCpu(_bottom: Blob[], top: Blob[]): void {
    if (!this.session) throw layerError(this, 'forward before set-up');
    const batchSize = this.p.batch_size;
    const outs = top.map((t) => t.mutableCpuData());
    for (let i = 0; i < batchSize; i++) {
      while (this.skip()) this.next();
      const row = this.dataPermutation[this.currentRow];
      for (let j = 0; j < top.length; j++) {
        const n = this.rowSizes[j];
        outs[j].set(this.hdfBlobs[j].data.subarray(row * n, (row + 1) * n), i * n);
      }
      this.next();
    }
  }

  /** Nothing to propagate (Caffe's Backward_cpu is empty). */
  protected override backwardCpu(_top: Blob[], _propagateDown: boolean[], _bottom: Blob[]): void {}

  override exactNumBottomBlobs(): number {
    return 0;
  }
  override minTopBlobs(): number {
    return 1;
  }

  /** Lets go of the HDF5 worker; the layer is unusable afterwards. */
  override dispose(): void {
    this.session?.dispose();
    this.session = null;
    this.hdfBlobs = [];
  }
}

function rowSize(shape: readonly number[]): number {
  let n = 1;
  for (let i = 1; i < shape.length; i++) n *= shape[i];
  return n;
}

registerLayer('HDF5Data', HDF5DataLayer);
