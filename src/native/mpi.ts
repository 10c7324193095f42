// The optional MPI addon (build/Release/caffets_mpi.node, native/mpi/mpi.cc), built by `npm ci` only
// where mpi.h exists (scripts/mpi-config.js), and how this process was launched.
import * as path from 'path';
import { CaffeError } from '../util/errors';

export interface MpiInfo {
  rank: number;
  size: number;
  /** rank and count of the ranks on this machine */
  localRank: number;
  localSize: number;
  /** the library's name and version ("Open MPI v4.1.4") */
  library: string;
}

/** What native/mpi/mpi.cc exports. Every call but abort() runs on its communication thread, in order. */
export interface NativeMpi {
  /** MPI_Init_thread (once; later calls return the same) */
  init(): MpiInfo;
  /** starts the sum of `buf` over the ranks, in place; the id is for wait() */
  sumStart(buf: Float32Array): number;
  /** blocks until job `id` is done (throws its MPI error) */
  wait(id: number): void;
  /** the root's bytes into every rank's `buf` (blocks) */
  broadcast(buf: Float32Array | Int32Array, root: number): void;
  finalize(): void;
  /** MPI_Abort: ends every rank of the job */
  abort(code: number): void;
}

const FILE = path.resolve(__dirname, '../../build/Release/caffets_mpi.node');
let addon: NativeMpi | null | undefined;

/** The MPI addon, or null where it was not built (or CAFFETS_NO_MPI is set). */
export function nativeMpi(): NativeMpi | null {
  if (process.env.CAFFETS_NO_MPI) return null;
  if (addon === undefined) {
    try {
      addon = require(FILE) as NativeMpi;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'MODULE_NOT_FOUND') addon = null;
      else throw new CaffeError(`cannot load the MPI addon ${FILE}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  return addon;
}

/**
 * The number of processes an MPI launcher started (mpirun, mpiexec, srun with PMI): Open MPI's
 * OMPI_COMM_WORLD_SIZE, else the PMI_SIZE of MPICH's Hydra and Slurm; 1 outside a launcher.
 */
export function mpiLaunchSize(env: NodeJS.ProcessEnv = process.env): number {
  const n = Number(env.OMPI_COMM_WORLD_SIZE ?? env.PMI_SIZE ?? 1);
  return Number.isInteger(n) && n > 0 ? n : 1;
}

/** This process's rank as the launcher numbered it (0 outside a launcher). */
export function mpiLaunchRank(env: NodeJS.ProcessEnv = process.env): number {
  const r = Number(env.OMPI_COMM_WORLD_RANK ?? env.PMI_RANK ?? 0);
  return Number.isInteger(r) && r >= 0 ? r : 0;
}
