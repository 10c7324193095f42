// The collectives of data-parallel training (Caffe's parallel.cpp, where NCCL does them): the replicas'
// gradients summed, the root's parameters broadcast. Implementations: comm_threads.ts (replicas as
// threads of one process: several devices in one process) and comm_mpi.ts (one replica per process,
// Open MPI across processes and machines). solvers/parallel.ts drives them; the update itself stays
// the solver's.
//
// Host memory: the WebGPU device's gradients come to the host in buckets and go back after the sum.
// A CUDA backend keeps them on the device and implements DeviceCollectives (below) with NCCL.
import type { Device, DevicePtr } from './device';

/** A collective started and not yet finished. */
export interface CommRequest {
  /** Blocks until it is done; the buffer it was given holds the result afterwards. */
  wait(): void;
}

export interface Communicator {
  /** this replica's index, 0 the root */
  readonly rank: number;
  /** how many replicas train together */
  readonly size: number;
  /** what carries the data (for the log): "Open MPI v4.1.4", "shared memory" */
  readonly transport: string;
  /**
   * Starts summing `buf` element-wise over the replicas, in place (ncclAllReduce, MPI_Allreduce with
   * MPI_SUM); `buf` must not be touched until the request's wait(). Every replica starts the same
   * sums, of the same sizes, in the same order, and gets the same bits.
   */
  sumStart(buf: Float32Array): CommRequest;
  /** Copies the root's `buf` into every replica's (ncclBcast, MPI_Bcast); blocks. */
  broadcast(buf: Float32Array | Int32Array, root: number): void;
  /** Ends this replica's part (MPI_Finalize); the communicator is unusable afterwards. */
  close(): void;
}

/** The sum of `buf` over the replicas, in place (blocking). */
export function sumAll(comm: Communicator, buf: Float32Array): void {
  comm.sumStart(buf).wait();
}

// ---- for a CUDA backend (not built here) ----

/** A device's queue of ops (a cudaStream_t); ops on one stream run in order. */
export interface DeviceStream {
  /** Blocks until the ops queued so far have run (cudaStreamSynchronize). */
  synchronize(): void;
}

/**
 * What a CUDA backend implements with NCCL for data-parallel training, so that gradients never leave
 * the devices (Caffe's NCCL class). One instance per process; `deviceIds` are its replicas (Caffe's
 * `--gpu` list, or the GPU of each MPI rank with ncclCommInitRank and a unique id broadcast over
 * MPI). Each replica's reductions run on a stream of their own, so that backward of the layers below
 * goes on on the default stream while a finished layer's gradients are summed (layer_wise_reduce).
 */
export interface DeviceCollectives {
  /** the device ids of this process's replicas, in rank order */
  readonly deviceIds: readonly number[];
  /** the global rank of this process's first replica and the number of replicas in all */
  readonly firstRank: number;
  readonly size: number;
  /** a non-blocking stream on `device` for the reductions (cudaStreamCreateWithFlags) */
  createStream(device: Device): DeviceStream;
  /** Makes `stream` wait for what is queued on `device`'s default stream so far (cudaEventRecord +
   *  cudaStreamWaitEvent): the layer's backward that wrote the gradients. */
  waitForDefault(device: Device, stream: DeviceStream): void;
  /** Sums `count` floats at `ptr` over every replica, in place, on `stream` (ncclAllReduce, ncclSum). */
  allReduce(ptr: DevicePtr, count: number, stream: DeviceStream): void;
  /** The root replica's `count` floats at `ptr` into every replica's (ncclBcast). */
  broadcast(ptr: DevicePtr, count: number, root: number, stream: DeviceStream): void;
  /** x *= alpha on `stream` (the 1/N of the summed gradients). */
  scal(count: number, alpha: number, ptr: DevicePtr, stream: DeviceStream): void;
}
