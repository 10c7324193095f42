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

// Data-parallel training (Caffe::solver_count / solver_rank / root_solver): how many replicas train
// together and which one this thread or process is. The root (rank 0) alone tests, displays,
// snapshots and logs; the Data layer deals records to replicas by rank.
let solvers = { count: 1, rank: 0 };

export function setSolverCount(count: number): void {
  solvers = { ...solvers, count };
}
export function setSolverRank(rank: number): void {
  solvers = { ...solvers, rank };
}
export function solverCount(): number {
  return solvers.count;
}
export function solverRank(): number {
  return solvers.rank;
}
export function rootSolver(): boolean {
  return solvers.rank === 0;
}
