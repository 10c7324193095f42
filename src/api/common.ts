// Flag handling shared by train/test/time (tools/caffe.cpp's get_phase_from_flags, get_stages_from_flags,
// get_gpus), and device selection.
import { parseEngine, setEngine } from '../backend';
import { CaffeBackend } from '../backend/caffe';
import { log } from '../util/logging';
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

/** This build computes on the CPU: a GPU request (named by `request`, e.g. "--gpu=0") is noted and ignored. */
export function warnNoGpuBackend(request?: string): void {
  log.warning(`${request ? `${request}: ` : ''}no GPU backend is available in this build; using the CPU.`);
}

/** Picks the device for `--gpu` (this build computes on the CPU, so a GPU request is noted and ignored)
 *  and the engine for `--engine` (else $CAFFETS_ENGINE, else DEFAULT). `request` names the GPU request
 *  in the warning. */
export function selectDevice(gpuFlag: string | undefined, engine?: string, request = `--gpu=${gpuFlag}`): void {
  const gpus = gpusFromFlag(gpuFlag);
  if (gpus.length || gpuFlag === 'all') warnNoGpuBackend(request);
  log.info('Use CPU.');
  selectEngine(engine);
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
