// A replica of in-process data-parallel training (train_replicas.ts starts it): Caffe's Worker thread
// of parallel.cpp. It opens its device, builds its solver from the same solver file (without
// --weights: the root's state arrives by broadcast), waits for the root's go, then runs the
// iterations (Step, not Solve: testing, snapshots and the final steps are the root's).
import { MessagePort, receiveMessageOnPort } from 'worker_threads';
import '../solvers';
import { setSolverCount, setSolverRank } from '../backend/mode';
import { HierCommunicator } from '../backend/comm_hier';
import { ThreadCommunicator } from '../backend/comm_threads';
import { createSolver } from '../solvers/registry';
import type { Solver } from '../solvers/solver';
import { CaffeError } from '../util/errors';
import { setLogSink } from '../util/logging';
import type { ModuleWorkerData } from '../util/module_worker';
import { openGpu, selectEngine } from './common';
import { ReplicaInit, ReplicaMessage, RootMessage, joinReplicas, trainParams } from './train_replicas';

export interface ReplicaWorkerData extends ModuleWorkerData {
  init: ReplicaInit;
}

/** The root's next message (it answers once every replica's set-up is done). */
async function fromRoot(port: MessagePort): Promise<RootMessage> {
  for (;;) {
    const m = receiveMessageOnPort(port);
    if (m) return m.message as RootMessage;
    await new Promise((r) => setTimeout(r, 5));
  }
}

export function workerMain(wd: ReplicaWorkerData): void {
  const { options: o, gpu, local, count, ranks } = wd.init;
  const post = (m: ReplicaMessage) => wd.port.postMessage(m);
  const all = !!process.env.CAFFETS_LOG_ALL_RANKS;
  setLogSink((line) => {
    const sev = line[0] === 'W' ? 'W' : line[0] === 'I' ? 'I' : 'E';
    if (sev === 'I' && !all) return;
    const at = line.indexOf('] ');
    post({ t: 'log', sev, msg: `GPU ${gpu}: ${at >= 0 ? line.slice(at + 2) : line}` });
  });
  setSolverCount(count * ranks.size);
  setSolverRank(ranks.rank * count + local);
  let comm: ThreadCommunicator | undefined;
  let solver: Solver | undefined;
  const release: (() => void)[] = [];
  (async () => {
    selectEngine(o.engine);
    release.push(openGpu(gpu, (dev) => post({ t: 'device', name: dev.name })));
    const param = trainParams(o);
    delete param.weights;
    param.device_id = gpu;
    solver = createSolver(param);
    post({ t: 'ready' });
    const go = await fromRoot(wd.port);
    if (go.t !== 'go') return;
    comm = new ThreadCommunicator(go.group, local);
    // under mpirun the main thread alone sums across the ranks (backend/comm_hier.ts)
    joinReplicas(solver, ranks.size > 1 ? new HierCommunicator(comm, null, ranks.rank, ranks.size) : comm);
    await solver.step(solver.p('max_iter') - solver.iter);
    post({ t: 'done' });
  })()
    .catch((e: unknown) => {
      comm?.abort();
      const err = e as Error;
      post({ t: 'error', msg: err?.message ?? String(e), caffe: err instanceof CaffeError });
    })
    .finally(() => {
      solver?.net.dispose();
      for (const f of release.reverse()) f();
      wd.port.close();
    });
}
