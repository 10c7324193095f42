// Caffe's SyncedMemory: one buffer of `size` floats, allocated (zeroed) on first use. Host memory is
// a Float32Array; a device backend keeps its own copy and syncs on demand by the `head` state, as
// Caffe's HEAD_AT_CPU / HEAD_AT_GPU / SYNCED do. The CPU backend only ever uses the host side.

import { CaffeError } from '../util/errors';
import { bytesText, memoryAvailable } from '../util/memory';

export type Head = 'UNINITIALIZED' | 'HEAD_AT_CPU' | 'HEAD_AT_DEVICE' | 'SYNCED';

/** Host allocations from this size on are checked against the memory available (util/memory.ts). */
const CHECKED_BYTES = 256 * 2 ** 20;

/** A zeroed host buffer of `size` floats; running out of memory is one line, not a crash. */
function allocateHost(size: number): Float32Array {
  const bytes = size * Float32Array.BYTES_PER_ELEMENT;
  const available = bytes >= CHECKED_BYTES ? memoryAvailable() : Infinity;
  if (bytes > available) {
    throw new CaffeError(
      `out of memory: a blob of ${bytesText(bytes)} does not fit in the ${bytesText(available)} available`,
    );
  }
  try {
    return new Float32Array(size);
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    throw new CaffeError(
      `out of memory: cannot allocate ${bytesText(bytes)} for a blob (${bytesText(memoryAvailable())} available)`,
    );
  }
}

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
        this.host = allocateHost(this.size);
        this.head = 'HEAD_AT_CPU';
        break;
      case 'HEAD_AT_DEVICE':
        if (!this.host) this.host = allocateHost(this.size);
        this.device!.toHost(this.host);
        this.head = 'SYNCED';
        break;
      default:
        break;
    }
  }
}
