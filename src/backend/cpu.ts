// The CPU backend: oneDNN through the native addon, on host Float32Arrays (no copies).
import * as os from 'os';
import { Backend, ConvDesc, ConvPrimitive, DeviceInfo } from './backend';
import { native } from './native';

export class CpuBackend implements Backend {
  readonly name = 'cpu';

  info(): DeviceInfo {
    const n = native().info();
    const cpus = os.cpus();
    return {
      backend: 'cpu',
      lines: [
        `Backend: CPU (oneDNN ${n.dnnl})`,
        `CPU: ${cpus[0]?.model ?? 'unknown'}`,
        `Cores: ${n.hardwareThreads}`,
        `Threads: ${n.threads}`,
        `ISA: ${n.isa}`,
      ],
    };
  }

  gemm(transA: boolean, transB: boolean, M: number, N: number, K: number, alpha: number,
    A: Float32Array, B: Float32Array, beta: number, C: Float32Array): void {
    native().gemm(transA, transB, M, N, K, alpha, A, B, beta, C);
  }

  convolution(_d: ConvDesc): ConvPrimitive {
    throw new Error('convolution: not yet in the native backend');
  }
}

let current: Backend | undefined;

/** The backend layers run on (CPU unless a device backend is selected). */
export function backend(): Backend {
  if (!current) current = new CpuBackend();
  return current;
}

export function setBackend(b: Backend): void { current = b; }
