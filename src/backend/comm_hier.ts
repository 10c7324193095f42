// The Communicator of a rank that holds several replicas (`mpirun ... --gpu=0,1,2,3`, k devices per
// rank): the two existing ones composed, no transport of its own. A sum runs in three steps: within
// the process (ThreadCommunicator: every replica gets the process's sum), then across the ranks by the
// process's first replica alone (MpiCommunicator: every rank gets the same bits), then that result is
// broadcast within the process. Every replica of every rank thus holds the same bits.
//
// Global replica r of rank q with k replicas per rank is q * k + r (the same k on every rank: train.ts
// refuses others). Only the main thread holds the MpiCommunicator (`across`); the worker threads' is
// null, they take part in the steps within the process only.
import type { CommRequest, Communicator } from './comm';
import type { ThreadCommunicator } from './comm_threads';

export class HierCommunicator implements Communicator {
  readonly rank: number;
  readonly size: number;

  constructor(
    private readonly local: ThreadCommunicator,
    /** the ranks' communicator; null in the worker threads */
    private readonly across: Communicator | null,
    /** the rank of this process */
    private readonly processRank: number,
    /** the number of ranks */
    processes: number,
  ) {
    this.rank = processRank * local.size + local.rank;
    this.size = processes * local.size;
  }

  get transport(): string {
    return `${this.across?.transport ?? 'MPI'} + shared memory`;
  }

  sumStart(buf: Float32Array): CommRequest {
    const within = this.local.sumStart(buf);
    let done = false;
    return {
      wait: () => {
        if (done) return;
        done = true;
        within.wait();
        if (this.across) this.across.sumStart(buf).wait();
        this.local.broadcast(buf, 0);
      },
    };
  }

  /** Global replica `root`'s buf: to its process's first replica, across the ranks, then within each. */
  broadcast(buf: Float32Array | Int32Array, root: number): void {
    const k = this.local.size;
    const owner = Math.floor(root / k);
    if (owner === this.processRank && root % k !== 0) this.local.broadcast(buf, root % k);
    if (this.across) this.across.broadcast(buf, owner);
    this.local.broadcast(buf, 0);
  }

  close(): void {
    this.local.close();
  }
}
