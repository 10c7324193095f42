// The Communicator across processes: Open MPI through the optional addon (src/native/mpi.ts), one
// replica per rank. Sums run on the addon's communication thread while backward goes on.
import { mpiLaunchRank, mpiLaunchSize, nativeMpi, MpiInfo, NativeMpi } from '../native/mpi';
import { CaffeError } from '../util/errors';
import type { CommRequest, Communicator } from './comm';

export class MpiCommunicator implements Communicator {
  readonly rank: number;
  readonly size: number;
  readonly info: MpiInfo;
  private closed = false;

  private constructor(private readonly mpi: NativeMpi) {
    this.info = mpi.init();
    this.rank = this.info.rank;
    this.size = this.info.size;
  }

  /**
   * MPI_Init when this process was started by an MPI launcher with more than one process; null
   * otherwise. A launch without the addon is a one-line error (from rank 0; the others exit quietly).
   */
  static fromLaunch(): MpiCommunicator | null {
    const n = mpiLaunchSize();
    if (n <= 1) return null;
    const mpi = nativeMpi();
    if (!mpi) {
      if (mpiLaunchRank() > 0) throw new CaffeError('', 1); // the same line from every rank: rank 0 says it
      throw new CaffeError(
        `started by mpirun with ${n} processes, but this caffets was built without MPI (no mpi.h when its ` +
          'addon was built): apt-get install -y libopenmpi-dev, then npm rebuild (or npm run build:native)',
      );
    }
    return new MpiCommunicator(mpi);
  }

  get transport(): string {
    return this.info.library;
  }

  sumStart(buf: Float32Array): CommRequest {
    const id = this.mpi.sumStart(buf);
    let done = false;
    return {
      wait: () => {
        if (done) return;
        done = true;
        this.mpi.wait(id);
      },
    };
  }

  broadcast(buf: Float32Array | Int32Array, root: number): void {
    this.mpi.broadcast(buf, root);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.mpi.finalize();
  }

  /** Ends every rank (MPI_Abort): this one failed and the others would wait for it forever. */
  abort(code: number): void {
    this.mpi.abort(code);
  }
}
