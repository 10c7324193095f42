// Several devices in one process (`caffets train --gpu=0,1`), as Caffe's Worker threads: replica 0,
// the root, runs in the main thread on the first device; replica k in a worker thread of its own
// (replica_worker.ts) on device k, with its own module state (mode and device, generator, solver
// rank: Caffe's thread-local Caffe object). They meet in a ThreadCommunicator (backend/comm_threads.ts)
// and train through the same DataParallel as MPI's ranks.
//
// The root starts the workers, which open their devices and build their solvers while it builds its
// own; once every set-up succeeded it hands them the communicator and they all receive its state.
// A failed replica makes the others' waits throw; the root then reports the failure it was told of.
// The other replicas' log lines are dropped but for warnings and errors (CAFFETS_LOG_ALL_RANKS=1
// keeps them all).
import { MessageChannel, MessagePort, Worker, receiveMessageOnPort } from 'worker_threads';
import type { Message } from '../proto/schema';
import type { SolverParameter } from '../proto/caffe';
import { readSolverParamsFromTextFile } from '../io/proto_io';
import type { Communicator } from '../backend/comm';
import { ThreadGroup } from '../backend/comm_threads';
import { DataParallel } from '../solvers/parallel';
import type { Solver } from '../solvers/solver';
import { CaffeError } from '../util/errors';
import { log } from '../util/logging';
import { StartFailure, moduleWorkerEntry, startModuleWorker } from '../util/module_worker';
import { stagesFromFlag } from './common';
import type { TrainOptions } from './train';

/** The solver parameters of `train` (Caffe's: --level and --stage into train_state). */
export function trainParams(o: TrainOptions): SolverParameter {
  const stages = stagesFromFlag(o.stage ?? ''); // Caffe's --stage defaults to "", one empty stage
  const param = readSolverParamsFromTextFile(o.solver);
  const trainState: Message = (param.train_state ??= {});
  trainState.level = o.level ?? 0;
  trainState.stage = [...(trainState.stage ?? []), ...stages];
  return param;
}

/** The replicas' first collective: each gets the root's state (after every set-up succeeded). */
export function joinReplicas(solver: Solver, comm: Communicator): void {
  const dp = new DataParallel(solver, comm);
  dp.broadcastState();
  log.info(`Data-parallel: ${comm.size} replicas, gradients summed in ${dp.bucketCount} buckets`);
}

/** Worker -> root. */
export type ReplicaMessage =
  | { t: 'device'; name: string }
  | { t: 'ready' }
  | { t: 'log'; sev: 'I' | 'W' | 'E'; msg: string }
  | { t: 'error'; msg: string; caffe: boolean }
  | { t: 'done' };
/** Root -> worker: the communicator to join, or stop (another replica's set-up failed). */
export type RootMessage = { t: 'go'; group: ThreadGroup } | { t: 'quit' };

/** What a replica worker starts with. */
export interface ReplicaInit {
  options: TrainOptions;
  gpu: number;
  /** its index in this process (0 is the main thread's) and the number there */
  local: number;
  count: number;
  /** this process's MPI rank and the number of ranks (0 and 1 outside mpirun) */
  ranks: { rank: number; size: number };
}

const WORKER_ENTRY = moduleWorkerEntry(__filename, 'replica_worker');
const START_FAILURE: StartFailure = {
  message: { t: 'error', msg: 'the replica thread failed to start: ', caffe: false },
  stateWord: 0,
  state: 1,
  notify: [0],
};

interface Replica {
  gpu: number;
  worker: Worker;
  port: MessagePort;
  name?: string;
  ready?: boolean;
  done?: boolean;
  failure?: CaffeError | Error;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class ReplicaThreads {
  private readonly replicas: Replica[] = [];

  /** Starts a worker thread per device of `gpus` after the first (the main thread's), of MPI rank `ranks`. */
  constructor(o: TrainOptions, gpus: number[], ranks = { rank: 0, size: 1 }) {
    gpus.slice(1).forEach((gpu, k) => {
      const { port1, port2 } = new MessageChannel();
      const options = { ...o, progress: false };
      const init: ReplicaInit = { options, gpu, local: k + 1, count: gpus.length, ranks };
      const worker = startModuleWorker(
        WORKER_ENTRY,
        { ctrl: new SharedArrayBuffer(4), port: port2, init },
        START_FAILURE,
      );
      worker.on('error', () => undefined); // reported on the port
      this.replicas.push({ gpu, worker, port: port1 });
    });
  }

  /** how many replicas run in worker threads */
  get count(): number {
    return this.replicas.length;
  }

  /** Handles what the workers said so far: device names, set-up done, log lines, failures. */
  private drain(): void {
    for (const r of this.replicas) {
      for (let m = receiveMessageOnPort(r.port); m; m = receiveMessageOnPort(r.port)) {
        const msg = m.message as ReplicaMessage;
        if (msg.t === 'device') r.name = msg.name;
        else if (msg.t === 'ready') r.ready = true;
        else if (msg.t === 'done') r.done = true;
        else if (msg.t === 'log') (msg.sev === 'I' ? log.info : msg.sev === 'W' ? log.warning : log.error)(msg.msg);
        else if (msg.t === 'error' && !r.failure) r.failure = msg.caffe ? new CaffeError(msg.msg) : new Error(msg.msg);
      }
    }
  }

  /** The first failure a worker reported, if any. */
  failure(): CaffeError | Error | undefined {
    this.drain();
    return this.replicas.find((r) => r.failure)?.failure;
  }

  /** Waits until every worker has `what` (or one failed: throws its error). */
  private async waitAll(what: (r: Replica) => boolean): Promise<void> {
    for (;;) {
      const f = this.failure();
      if (f) throw f;
      if (this.replicas.every(what)) return;
      await sleep(5);
    }
  }

  /** Logs each worker's `GPU k: <name>` once it has opened its device. */
  async logDevices(): Promise<void> {
    await this.waitAll((r) => r.name !== undefined);
    for (const r of this.replicas) log.info(`GPU ${r.gpu}: ${r.name}`);
  }

  /** Waits for every worker's set-up, then hands them the communicator. */
  async start(group: ThreadGroup): Promise<void> {
    await this.waitAll((r) => !!r.ready);
    for (const r of this.replicas) r.port.postMessage({ t: 'go', group } satisfies RootMessage);
  }

  /** Waits for every worker to finish its iterations. */
  async finish(): Promise<void> {
    await this.waitAll((r) => !!r.done);
  }

  /** Stops the workers (after the end, or a failure anywhere). */
  dispose(): void {
    for (const r of this.replicas) {
      try {
        r.port.postMessage({ t: 'quit' } satisfies RootMessage);
      } catch {
        /* closed */
      }
      r.worker.terminate().catch(() => undefined);
      r.port.close();
    }
  }
}
