// Caffe's SyncedMemory: one buffer of `size` floats, allocated (zeroed) on first use. Host memory is
// a Float32Array; a device backend keeps its own copy and syncs on demand by the `head` state, as
// Caffe's HEAD_AT_CPU / HEAD_AT_GPU / SYNCED do. The CPU backend only ever uses the host side.

export type Head = 'UNINITIALIZED' | 'HEAD_AT_CPU' | 'HEAD_AT_DEVICE' | 'SYNCED';

/** What a device backend provides to mirror host memory (none for the CPU backend). */
export interface DeviceMemory {
  toHost(dst: Float32Array): void;
  fromHost(src: Float32Array): void;
}

export class SyncedMemory {
  head: Head = 'UNINITIALIZED';
  private host?: Float32Array;
  device?: DeviceMemory;

  constructor(readonly size: number) {}

  /** Host data for reading (synced from the device if it is ahead). */
  cpuData(): Float32Array {
    this.toCpu();
    return this.host!;
  }

  /** Host data for writing: the device copy becomes stale. */
  mutableCpuData(): Float32Array {
    this.toCpu();
    this.head = 'HEAD_AT_CPU';
    return this.host!;
  }

  /** Uses `data` (shared with another blob) as the host buffer. */
  setCpuData(data: Float32Array): void {
    if (data.length < this.size) throw new Error(`setCpuData: ${data.length} < ${this.size}`);
    this.host = data;
    this.head = 'HEAD_AT_CPU';
  }

  private toCpu(): void {
    switch (this.head) {
      case 'UNINITIALIZED':
        this.host = new Float32Array(this.size);
        this.head = 'HEAD_AT_CPU';
        break;
      case 'HEAD_AT_DEVICE':
        if (!this.host) this.host = new Float32Array(this.size);
        this.device!.toHost(this.host);
        this.head = 'SYNCED';
        break;
      default:
        break;
    }
  }
}
