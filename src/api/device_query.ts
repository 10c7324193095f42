// caffets device_query: a GPU's properties (--gpu), or what the CPU backend is.
import { backend, parseEngine, setEngine, setThreads } from '../backend';
import { log } from '../util/logging';
import { ComputeFlags, gpusFromFlag, threadsFromFlag } from './common';
import { WebGpuDevice } from '../backend/webgpu/webgpu_device';

// oneDNN's dnnl_cpu_isa_t values (dnnl_types.h) and their names.
const ISA: Record<number, string> = {
  0x1: 'SSE4.1',
  0x3: 'AVX',
  0x7: 'AVX2',
  0xf: 'AVX-512 (MIC)',
  0x1f: 'AVX-512 (MIC, 4OPS)',
  0x27: 'AVX-512 core',
  0x67: 'AVX-512 core + VNNI',
  0xe7: 'AVX-512 core + VNNI + BF16',
  0x3e7: 'AVX-512 core + AMX',
  0x407: 'AVX2 + VNNI',
};

export function isaName(isa: number): string {
  return ISA[isa] ?? `0x${isa.toString(16)}`;
}

/** Caffe's device_query: with --gpu, each GPU's properties (what WebGPU reports); without, the CPU
 *  backend with the thread count in effect (a caffets addition: Caffe needs --gpu). */
export function deviceQuery(flags: ComputeFlags = {}): string[] {
  const gpus = gpusFromFlag(flags.gpu, 1);
  setThreads(threadsFromFlag(flags.threads));
  if (flags.engine) setEngine(parseEngine(flags.engine));
  if (gpus.length) {
    log.info(`Querying GPUs ${gpus.join(', ')}`);
    const lines: string[] = [];
    for (const id of gpus) {
      const dev = new WebGpuDevice(id);
      try {
        lines.push(...dev.info().lines);
      } finally {
        dev.dispose();
      }
    }
    for (const l of lines) log.info(l);
    return lines;
  }
  const lines = backend()
    .info()
    .lines.map((l) => l.replace(/^ISA: (\d+)$/, (_m, n) => `ISA oneDNN uses: ${isaName(Number(n))}`));
  for (const l of lines) log.info(l);
  return lines;
}
