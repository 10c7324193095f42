// Caffe's mode: CPU, or GPU on a selected device (Caffe::set_mode / Caffe::SetDevice). In GPU mode
// layers run forwardGpu/backwardGpu, blobs sync to the device on demand, and solvers update there.
import { CaffeError } from '../util/errors';
import type { Device } from './device';

export type Mode = 'CPU' | 'GPU';

let gpu: Device | null = null;

/** GPU mode on `device`, or CPU mode (null). */
export function setDevice(device: Device | null): void {
  gpu = device;
}

export function mode(): Mode {
  return gpu ? 'GPU' : 'CPU';
}

/** The device of GPU mode, or null in CPU mode. */
export function currentDeviceOrNull(): Device | null {
  return gpu;
}

/** The device of GPU mode. */
export function currentDevice(): Device {
  if (!gpu) throw new CaffeError('internal: device memory used in CPU mode');
  return gpu;
}
