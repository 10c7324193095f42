// Caffe's SyncedMemory: one buffer of `size` floats, allocated (zeroed) on first use on either side.
// Host memory is a Float32Array; device memory a buffer of the current Device. Data moves only when
// the other side asks for it, by the `head` state, as Caffe's HEAD_AT_CPU / HEAD_AT_GPU / SYNCED: a
// read of a stale side copies once and leaves both SYNCED; a write makes the other side stale. Every
// copy is counted in `transfers`, so tests can see what moves. CPU mode only ever uses the host side.

import { CaffeError } from '../util/errors';
import type { Device, DeviceBuffer, DevicePtr, TransferCounts } from '../backend/device';
import { currentDevice } from '../backend/mode';
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

/** Transfers between host and device memory since the start (or the last resetTransfers). */
export const transfers: TransferCounts = { uploads: 0, downloads: 0, bytesUp: 0, bytesDown: 0 };

export function resetTransfers(): void {
  transfers.uploads = transfers.downloads = transfers.bytesUp = transfers.bytesDown = 0;
}

/** Device buffers are freed when the SyncedMemory holding them is collected (Caffe frees in ~SyncedMemory). */
const deviceFinalizer = new FinalizationRegistry<{ device: Device; buffer: DeviceBuffer }>(({ device, buffer }) =>
  device.free(buffer),
);

export class SyncedMemory {
  head: Head = 'UNINITIALIZED';
  private host?: Float32Array;
  private device?: Device;
  private deviceBuffer?: DeviceBuffer;

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

  /** Device data for reading (uploaded if the host is ahead), on the current device. */
  gpuData(): DevicePtr {
    this.toGpu();
    return { buffer: this.deviceBuffer!, offset: 0 };
  }

  /** Device data for writing: the host copy becomes stale. */
  mutableGpuData(): DevicePtr {
    this.toGpu();
    this.head = 'HEAD_AT_DEVICE';
    return { buffer: this.deviceBuffer!, offset: 0 };
  }

  /** Whether the device copy is current (HEAD_AT_DEVICE or SYNCED): where Caffe's Update computes. */
  get onDevice(): boolean {
    return this.deviceBuffer !== undefined && (this.head === 'HEAD_AT_DEVICE' || this.head === 'SYNCED');
  }

  /** The device this memory lives on, once it has been used there. */
  get deviceOf(): Device | undefined {
    return this.device;
  }

  /** Another device is current: the data comes to the host (an error if only a closed device had it),
   *  the old buffer is freed, and the next device use allocates on the current device. */
  private leaveDevice(): void {
    this.toCpu();
    this.device!.free(this.deviceBuffer!);
    deviceFinalizer.unregister(this);
    this.deviceBuffer = this.device = undefined;
    if (this.head === 'SYNCED') this.head = 'HEAD_AT_CPU';
  }

  private toCpu(): void {
    switch (this.head) {
      case 'UNINITIALIZED':
        this.host = allocateHost(this.size);
        this.head = 'HEAD_AT_CPU';
        break;
      case 'HEAD_AT_DEVICE':
        if (!this.host) this.host = allocateHost(this.size);
        this.device!.download({ buffer: this.deviceBuffer!, offset: 0 }, this.host);
        transfers.downloads++;
        transfers.bytesDown += this.size * 4;
        this.head = 'SYNCED';
        break;
      default:
        break;
    }
  }

  private toGpu(): void {
    if (this.deviceBuffer && this.device !== currentDevice()) this.leaveDevice();
    if (!this.deviceBuffer) {
      this.device = currentDevice();
      this.deviceBuffer = this.device.alloc(this.size); // zeroed, as Caffe's cudaMemset at first use
      deviceFinalizer.register(this, { device: this.device, buffer: this.deviceBuffer }, this);
    }
    switch (this.head) {
      case 'UNINITIALIZED':
        this.head = 'HEAD_AT_DEVICE';
        break;
      case 'HEAD_AT_CPU':
        this.device!.upload(this.host!, { buffer: this.deviceBuffer, offset: 0 });
        transfers.uploads++;
        transfers.bytesUp += this.size * 4;
        this.head = 'SYNCED';
        break;
      default:
        break;
    }
  }
}
