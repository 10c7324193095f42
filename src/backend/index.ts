// The backend layers and solvers run on, chosen by engine: DEFAULT is the fast native CPU backend
// (oneDNN); CAFFE is Caffe's own CPU arithmetic (im2col + the system BLAS), bit for bit what Caffe
// computes on the same machine. Like Caffe's per-layer `engine: CAFFE | CUDNN`, but for the whole
// process: `--engine=CAFFE` on the command line or CAFFETS_ENGINE=CAFFE in the environment.
import { Backend } from './backend';
import { CaffeBackend } from './caffe';
import { CpuBackend } from './cpu';
import { CaffeError } from '../util/errors';

export type Engine = 'DEFAULT' | 'CAFFE';
export const ENGINES: readonly Engine[] = ['DEFAULT', 'CAFFE'];

let current: Backend | undefined;
let threads: number | undefined;

/** The engine named by `name` (case-insensitive), or a one-line error. */
export function parseEngine(name: string): Engine {
  const e = name.toUpperCase();
  if (!(ENGINES as readonly string[]).includes(e))
    throw new CaffeError(`unknown engine '${name}' (expected DEFAULT or CAFFE)`);
  return e as Engine;
}

/** Selects the backend for `engine` (replacing the current one), with the thread count of setThreads. */
export function setEngine(engine: Engine): Backend {
  current = engine === 'CAFFE' ? new CaffeBackend() : new CpuBackend();
  current.setThreads(threads);
  return current;
}

/** The compute thread count from now on: n (--threads, a caffets addition), or undefined for the
 *  runtimes' own choice (OMP_NUM_THREADS, else one per CPU). */
export function setThreads(n: number | undefined): void {
  threads = n;
  current?.setThreads(n);
}

/** The backend layers run on: the engine selected, else $CAFFETS_ENGINE, else DEFAULT. */
export function backend(): Backend {
  if (!current) setEngine(parseEngine(process.env.CAFFETS_ENGINE || 'DEFAULT'));
  return current as Backend;
}

export function setBackend(b: Backend): void {
  current = b;
  b.setThreads(threads);
}
