// Caffe's Blob: an N-d array of floats with data and diff, shape-changeable with Reshape (capacity
// only grows), shareable, convertible to and from BlobProto.
import { Message } from '../proto/schema';
import { BlobShapeError, CaffeError } from '../util/errors';
import { SyncedMemory } from './synced_memory';
import { backend } from '../backend';
import type { DevicePtr } from '../backend/device';

export const MAX_BLOB_AXES = 32;

export class Blob {
  private _shape: number[] = [];
  private _count = 0;
  private _capacity = 0;
  private _data = new SyncedMemory(0);
  private _diff = new SyncedMemory(0);

  constructor(shape: readonly number[] = []) {
    if (shape.length) this.reshape(shape);
  }

  /** Changes the shape; memory is reallocated only when the count exceeds the capacity. */
  reshape(shape: readonly number[]): void {
    if (shape.length > MAX_BLOB_AXES)
      throw new BlobShapeError(`blob has ${shape.length} axes, more than ${MAX_BLOB_AXES}`);
    let count = 1;
    for (const d of shape) {
      if (!Number.isInteger(d) || d < 0)
        throw new BlobShapeError(`invalid blob dimension ${d} in shape [${shape.join(', ')}]`);
      count *= d;
    }
    if (count > 2 ** 31 - 1) throw new BlobShapeError(`blob size ${count} exceeds INT_MAX`);
    this._shape = shape.slice();
    this._count = count;
    if (count > this._capacity) {
      this._capacity = count;
      this._data = new SyncedMemory(count);
      this._diff = new SyncedMemory(count);
    }
  }

  reshapeLike(other: Blob): void {
    this.reshape(other._shape);
  }

  /** Caffe's ShapeFromProto: `shape.dim` if present, else the legacy num/channels/height/width. */
  reshapeFromProto(proto: Message): void {
    this.reshape(blobProtoShape(proto));
  }

  get shape(): readonly number[] {
    return this._shape;
  }
  get numAxes(): number {
    return this._shape.length;
  }
  get count(): number {
    return this._count;
  }
  /** Floats its memory holds (the largest count it had). */
  get capacity(): number {
    return this._capacity;
  }

  /** Product of dims in [start, end). */
  countRange(start: number, end = this._shape.length): number {
    let c = 1;
    for (let i = start; i < end; i++) c *= this._shape[i];
    return c;
  }

  /** Axis index with negatives counted from the end (-1 = last), range-checked. */
  canonicalAxisIndex(axis: number): number {
    const n = this.numAxes;
    if (axis < -n || axis >= Math.max(n, 1)) {
      throw new CaffeError(`axis ${axis} out of range for ${n}-D blob with shape ${this.shapeString()}`);
    }
    return axis < 0 ? axis + n : axis;
  }

  dim(axis: number): number {
    return this._shape[this.canonicalAxisIndex(axis)];
  }

  // Legacy 4-d accessors (missing axes read as 1).
  private legacy(i: number): number {
    if (this.numAxes > 4) throw new CaffeError(`legacy accessor on a ${this.numAxes}-D blob`);
    return i < this.numAxes ? this._shape[i] : 1;
  }
  get num(): number {
    return this.legacy(0);
  }
  get channels(): number {
    return this.legacy(1);
  }
  get height(): number {
    return this.legacy(2);
  }
  get width(): number {
    return this.legacy(3);
  }

  offset(n: number, c = 0, h = 0, w = 0): number {
    return ((n * this.channels + c) * this.height + h) * this.width + w;
  }

  /** `64 20 24 24 (737280)`, as Caffe's shape_string(). */
  shapeString(): string {
    return `${this._shape.map((d) => `${d} `).join('')}(${this._count})`;
  }

  // Data and diff, as Caffe's cpu_data / mutable_cpu_data: views of exactly `count` floats.
  cpuData(): Float32Array {
    return this._data.cpuData().subarray(0, this._count);
  }
  mutableCpuData(): Float32Array {
    return this._data.mutableCpuData().subarray(0, this._count);
  }
  cpuDiff(): Float32Array {
    return this._diff.cpuData().subarray(0, this._count);
  }
  mutableCpuDiff(): Float32Array {
    return this._diff.mutableCpuData().subarray(0, this._count);
  }

  // Device data and diff, as Caffe's gpu_data / mutable_gpu_data (count floats from the pointer).
  gpuData(): DevicePtr {
    return this._data.gpuData();
  }
  mutableGpuData(): DevicePtr {
    return this._data.mutableGpuData();
  }
  gpuDiff(): DevicePtr {
    return this._diff.gpuData();
  }
  mutableGpuDiff(): DevicePtr {
    return this._diff.mutableGpuData();
  }

  get dataMemory(): SyncedMemory {
    return this._data;
  }
  get diffMemory(): SyncedMemory {
    return this._diff;
  }

  /**
   * Caffe's set_cpu_data: the data memory (and every blob sharing it) now reads and writes `data`,
   * which holds at least the blob's capacity; the caller keeps it for as long as the blob uses it.
   */
  setCpuData(data: Float32Array): void {
    const size = this._data.size;
    if (data.length < size) throw new Error(`setCpuData: ${data.length} floats < capacity ${size}`);
    this._data.setCpuData(data.length === size ? data : data.subarray(0, size));
  }

  /** Makes this blob use `other`'s data memory (same count required), as Caffe's ShareData. */
  shareData(other: Blob): void {
    if (this._count !== other._count) throw new CaffeError(`ShareData: count ${this._count} vs ${other._count}`);
    this._data = other._data;
  }

  shareDiff(other: Blob): void {
    if (this._count !== other._count) throw new CaffeError(`ShareDiff: count ${this._count} vs ${other._count}`);
    this._diff = other._diff;
  }

  /** Makes this blob keep its diff in `mem` (at least its capacity), as the Net's diff planner assigns. */
  useDiffMemory(mem: SyncedMemory): void {
    if (mem.size < this._capacity) throw new Error(`useDiffMemory: ${mem.size} < capacity ${this._capacity}`);
    this._diff = mem;
  }

  // Update and the norms compute where the data is current, as Caffe's switch on head(): on the
  // device when its copy is current (HEAD_AT_DEVICE or SYNCED), else on the host.

  /** data -= diff (plain gradient step; solvers put the scaled update into diff first). */
  update(): void {
    if (this._data.onDevice) {
      const dev = this._data.deviceOf!;
      dev.math.axpy(this._count, -1, this.gpuDiff(), this.mutableGpuData());
      return;
    }
    const d = this.mutableCpuData(),
      g = this.cpuDiff();
    for (let i = 0; i < d.length; i++) d[i] -= g[i];
  }

  // on the host caffe_cpu_asum: the engine's (BLAS sasum under CAFFE, as debug_info's means in Caffe)
  asumData(): number {
    if (this._data.onDevice) return this._data.deviceOf!.math.asum(this._count, this.gpuData());
    return backend().asum(this.cpuData());
  }
  asumDiff(): number {
    if (this._diff.onDevice) return this._diff.deviceOf!.math.asum(this._count, this.gpuDiff());
    return backend().asum(this.cpuDiff());
  }
  sumsqData(): number {
    if (this._data.onDevice) return this._data.deviceOf!.math.dot(this._count, this.gpuData(), this.gpuData());
    const d = this.cpuData();
    return backend().dot(d, d);
  }
  sumsqDiff(): number {
    if (this._diff.onDevice) return this._diff.deviceOf!.math.dot(this._count, this.gpuDiff(), this.gpuDiff());
    const d = this.cpuDiff();
    return backend().dot(d, d);
  }
  scaleData(s: number): void {
    if (this._data.onDevice) this._data.deviceOf!.math.scal(this._count, s, this.mutableGpuData());
    else backend().scal(s, this.mutableCpuData());
  }
  scaleDiff(s: number): void {
    if (this._diff.onDevice) this._diff.deviceOf!.math.scal(this._count, s, this.mutableGpuDiff());
    else backend().scal(s, this.mutableCpuDiff());
  }

  shapeEquals(proto: Message): boolean {
    const s = blobProtoShape(proto);
    return s.length === this._shape.length && s.every((d, i) => d === this._shape[i]);
  }

  /** Caffe's FromProto: copies data (and diff if present); reshapes when `reshape`, else shapes must match. */
  fromProto(proto: Message, reshape = true): void {
    if (reshape) this.reshapeFromProto(proto);
    else if (!this.shapeEquals(proto)) {
      throw new CaffeError(
        `Trying to copy blobs of different sizes: ${blobProtoShape(proto).join(' ')} vs ${this.shape.join(' ')}`,
      );
    }
    copyValues(proto.double_data?.length ? proto.double_data : proto.data, this.mutableCpuData(), 'data');
    const diff = proto.double_diff?.length ? proto.double_diff : proto.diff;
    if (diff?.length) copyValues(diff, this.mutableCpuDiff(), 'diff');
  }

  /** Caffe's ToProto (float): shape.dim, data, and diff if asked. */
  toProto(writeDiff = false): Message {
    const m: Message = { shape: { dim: this._shape.slice() }, data: Float32Array.from(this.cpuData()) };
    if (writeDiff) m.diff = Float32Array.from(this.cpuDiff());
    return m;
  }
}

/** The shape a BlobProto describes: shape.dim, or the legacy 4-d fields when any is set. */
export function blobProtoShape(proto: Message): number[] {
  if (proto.shape) return Array.from(proto.shape.dim ?? [], Number);
  if (
    proto.num !== undefined ||
    proto.channels !== undefined ||
    proto.height !== undefined ||
    proto.width !== undefined
  ) {
    return [proto.num ?? 0, proto.channels ?? 0, proto.height ?? 0, proto.width ?? 0];
  }
  return [];
}

function copyValues(src: ArrayLike<number> | undefined, dst: Float32Array, what: string): void {
  const n = src?.length ?? 0;
  if (n !== dst.length) throw new CaffeError(`BlobProto has ${n} ${what} values for a blob of count ${dst.length}`);
  if (src instanceof Float32Array || src instanceof Float64Array || Array.isArray(src))
    dst.set(src as ArrayLike<number>);
}
