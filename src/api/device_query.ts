// caffets device_query: what the compute backend is (Caffe's device_query shows a GPU's properties).
import { backend, parseEngine, setEngine } from '../backend';
import { log } from '../util/logging';
import { gpusFromFlag } from './common';

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

export function deviceQuery(gpuFlag?: string, engine?: string): string[] {
  const gpus = gpusFromFlag(gpuFlag);
  if (engine) setEngine(parseEngine(engine));
  if (gpus.length) log.info(`Querying GPUs ${gpuFlag}`);
  const lines = backend()
    .info()
    .lines.map((l) => l.replace(/^ISA: (\d+)$/, (_m, n) => `ISA oneDNN uses: ${isaName(Number(n))}`));
  if (gpus.length) lines.push('No GPU backend is available in this build; computing on the CPU.');
  for (const l of lines) log.info(l);
  return lines;
}
