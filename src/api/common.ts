// Flag handling shared by train/test/time (tools/caffe.cpp's get_phase_from_flags, get_stages_from_flags,
// get_gpus), and device selection.
import { parseEngine, setEngine, setThreads } from '../backend';
import { CaffeBackend } from '../backend/caffe';
import { log } from '../util/logging';
import type { Device } from '../backend/device';
import { currentDeviceOrNull, setDevice } from '../backend/mode';
import { WebGpuDevice } from '../backend/webgpu/webgpu_device';
import { CaffeError } from '../util/errors';
import { Phase } from '../core/layer';

export function phaseFromFlag(flag: string | undefined, dflt: Phase): Phase {
  if (flag === undefined || flag === '') return dflt;
  if (flag === 'TRAIN' || flag === 'TEST') return flag;
  throw new CaffeError('phase must be "TRAIN" or "TEST"');
}

export function stagesFromFlag(flag: string | undefined): string[] {
  return flag === undefined ? [] : flag.split(','); // boost::split: '' gives one empty stage, as in Caffe
}

/** Caffe's --gpu parsing; returns device ids ('all' = every device the backend has). */
export function gpusFromFlag(flag: string | undefined, deviceCount = 0): number[] {
  if (!flag) return [];
  if (flag === 'all') return Array.from({ length: deviceCount }, (_, i) => i);
  return flag.split(',').map((s) => {
    const n = Number(s);
    if (!Number.isInteger(n) || n < 0)
      throw new CaffeError(`--gpu: "${s}" is not a device id (use e.g. --gpu=0,1 or --gpu=all)`);
    return n;
  });
}

/** `--threads=N` (a caffets addition): the compute thread count, a whole number from 1; undefined when not given. */
export function threadsFromFlag(flag: string | number | undefined): number | undefined {
  if (flag === undefined) return undefined;
  const s = String(flag);
  if (!/^\d{1,4}$/.test(s) || Number(s) < 1)
    throw new CaffeError(`--threads=${s}: expected a whole number of threads from 1 to 9999`);
  return Number(s);
}

/** The flags that say where and how a net computes: --gpu, --engine, --threads. */
export interface ComputeFlags {
  gpu?: string;
  /** DEFAULT (oneDNN) or CAFFE (Caffe's im2col + BLAS arithmetic); else $CAFFETS_ENGINE */
  engine?: string;
  /** compute threads (--threads); else OMP_NUM_THREADS, else one per CPU */
  threads?: string | number;
}

/**
 * Opens GPU `id` (the WebGPU backend) and selects GPU mode on it (Caffe::SetDevice + set_mode(GPU)).
 * Returns what closes it and restores the mode before.
 */
export function openGpu(id: number, opened?: (dev: Device) => void): () => void {
  const prev = currentDeviceOrNull();
  const dev = new WebGpuDevice(id);
  setDevice(dev);
  opened?.(dev);
  return () => {
    setDevice(prev);
    dev.dispose();
  };
}

/** CPU mode; returns what restores the mode before. */
function selectCpu(): () => void {
  const prev = currentDeviceOrNull();
  setDevice(null);
  log.info('Use CPU.');
  return () => setDevice(prev);
}

/**
 * Picks the mode for `--gpu` (GPU on the first id; CPU without), the CPU engine for `--engine`
 * (else $CAFFETS_ENGINE, else DEFAULT), which also runs the layers without a device kernel, and its
 * thread count for `--threads`. Logs as tools/caffe.cpp's test and time: `Use GPU with device ID 0` /
 * `GPU device name: <name>`, or `Use CPU.`.
 */
export function selectDevice(flags: ComputeFlags): () => void {
  setThreads(threadsFromFlag(flags.threads));
  selectEngine(flags.engine);
  const gpus = gpusFromFlag(flags.gpu, 1);
  if (!gpus.length) return selectCpu();
  log.info(`Use GPU with device ID ${gpus[0]}`);
  return openGpu(gpus[0], (dev) => log.info(`GPU device name: ${dev.name}`));
}

/**
 * The ids of `ids` that local rank `r` of `L` ranks on a machine holds: ids[i] for i % L == r (one
 * rank per machine holds them all). With fewer ids than ranks each rank takes one, in turn
 * (ids[r % ids.length]): ranks then share devices.
 */
export function localShare(ids: number[], r: number, L: number): number[] {
  if (ids.length < L) return [ids[r % ids.length]];
  return ids.filter((_, i) => i % L === r);
}

/**
 * train's devices: every id of `--gpu` (`all`: every device there is); this process's share of them
 * (`share`, all of them outside mpirun), its first in GPU mode here, as tools/caffe.cpp's train logs
 * them: `Using GPUs 0, 1`, then `GPU 0: <name>` (the other replicas' devices are named as they open
 * them). Engine and threads as in selectDevice.
 */
export function selectTrainDevices(
  flags: ComputeFlags,
  share: (ids: number[]) => number[] = (ids) => ids,
): { gpus: number[]; release: () => void } {
  setThreads(threadsFromFlag(flags.threads));
  selectEngine(flags.engine);
  const gpuFlag = flags.gpu ?? '';
  if (!gpuFlag) return { gpus: [], release: selectCpu() };
  let gpus = gpuFlag === 'all' ? [] : share(gpusFromFlag(gpuFlag));
  let dev: Device | undefined;
  let release = openGpu(gpuFlag === 'all' ? 0 : gpus[0], (d) => (dev = d));
  if (gpuFlag === 'all') {
    gpus = share(gpusFromFlag('all', dev instanceof WebGpuDevice ? dev.adapter.deviceCount : 1));
    if (gpus[0] !== 0) {
      release();
      release = openGpu(gpus[0], (d) => (dev = d));
    }
  }
  log.info(`Using GPUs ${gpus.join(', ')}`);
  log.info(`GPU ${dev!.id}: ${dev!.name}`);
  return { gpus, release };
}

/** Selects the engine named by `flag` or $CAFFETS_ENGINE; the CAFFE engine says which BLAS it uses. */
export function selectEngine(flag: string | undefined): void {
  const name = flag || process.env.CAFFETS_ENGINE || 'DEFAULT';
  const b = setEngine(parseEngine(name));
  if (b instanceof CaffeBackend) {
    const threads = b.blasThreads();
    log.info(`Engine CAFFE: im2col + BLAS (${b.blasLibrary}${threads ? `, ${threads} threads` : ''})`);
  }
}
