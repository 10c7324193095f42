// Data-parallel training over a Communicator (backend/comm.ts), as Caffe's NCCL class (parallel.cpp):
// each replica's solver runs the prototxt's batch on its own records (the Data layer deals them by
// rank), so the replicas together train with batch_size x N at the same learning rate.
//
// - At start the root's state is broadcast: weights, the iteration and lr step, the solver history
//   (Caffe's workers read the history from the snapshot file themselves; here only the root reads
//   files, so --weights and --snapshot need to exist on the root's machine only).
// - Gradients are summed over the replicas and scaled by 1/N before the update. With
//   layer_wise_reduce (the default) the learnable parameters are cut into buckets in the order
//   backward finishes them, and a bucket's sum starts as soon as the backward pass has gone below
//   the last layer using it, while backward goes on; on_gradients_ready waits for them all. With
//   iter_size > 1 only the last pass's buckets are summed (the sum of the accumulated gradients).
// - In GPU mode a bucket's gradients are gathered on the device and cross to the host in one download
//   and back in one upload, where the 1/N is applied (the WebGPU backend has no device collectives;
//   a CUDA backend would sum on the devices: backend/comm.ts, DeviceCollectives).
// - Each iteration the replicas combine their signal requests (SIGINT/SIGHUP at any rank): all stop
//   or snapshot (the root writes it) at the same iteration.
import { f32 } from './float_math';
import type { Communicator, CommRequest } from '../backend/comm';
import { ptrAt, type DevicePtr } from '../backend/device';
import { currentDevice, mode } from '../backend/mode';
import type { Blob } from '../core/blob';
import type { Net } from '../net';
import type { Solver, SolverAction, SolverCallback } from './solver';

/** Bytes of gradients per bucket (CAFFETS_BUCKET_BYTES overrides it). */
const BUCKET_BYTES = 1 << 20;

interface Bucket {
  params: Blob[];
  /** the lowest layer using one of its params: the bucket is complete after its backward */
  readyLayer: number;
  buf: Float32Array;
  request: CommRequest | null;
  /** GPU mode: the bucket's gradients gathered on the device (freed with the device) */
  staging?: DevicePtr;
}

/** The learnable params in the order backward completes them, cut into buckets of about `floats`. */
export function makeBuckets(net: Net, floats: number): Bucket[] {
  const ready = net.learnableParams.map(() => Infinity);
  net.learnableParamIds.forEach((k, i) => {
    ready[k] = Math.min(ready[k], net.paramLayerIndices[i][0]);
  });
  const order = net.learnableParams.map((_, k) => k).sort((a, b) => ready[b] - ready[a] || a - b);
  const buckets: Bucket[] = [];
  let cur: Blob[] = [],
    size = 0;
  const close = (readyLayer: number) => {
    buckets.push({ params: cur, readyLayer, buf: new Float32Array(size), request: null });
    cur = [];
    size = 0;
  };
  order.forEach((k, i) => {
    cur.push(net.learnableParams[k]);
    size += net.learnableParams[k].count;
    if (size >= floats || i === order.length - 1) close(ready[k]);
  });
  return buckets;
}

export class DataParallel implements SolverCallback {
  private readonly buckets: Bucket[];
  private readonly iterSize: number;
  private next = 0;
  private pass = 0;
  private readonly flags = new Float32Array(2);

  constructor(
    private readonly solver: Solver,
    readonly comm: Communicator,
  ) {
    const env = Number(process.env.CAFFETS_BUCKET_BYTES);
    const bytes = Number.isFinite(env) && env > 0 ? env : BUCKET_BYTES;
    this.buckets = makeBuckets(solver.net, Math.max(1, Math.floor(bytes / 4)));
    this.iterSize = solver.p('iter_size');
    solver.addCallback(this);
    if (solver.p('layer_wise_reduce')) solver.net.addAfterBackward((layer) => this.afterBackward(layer));
    solver.replicas = { agreeAction: (a) => this.agreeAction(a) };
  }

  /** how many buckets the gradients are summed in */
  get bucketCount(): number {
    return this.buckets.length;
  }

  /** The root's iteration, lr step, weights and solver history into every replica. */
  broadcastState(): void {
    const s = this.solver;
    const counters = new Int32Array([s.iter, s.currentStep]);
    this.comm.broadcast(counters, 0);
    s.iter = counters[0];
    s.currentStep = counters[1];
    for (const p of s.net.learnableParams) this.comm.broadcast(p.mutableCpuData(), 0);
    for (const h of s.stateBlobs()) this.comm.broadcast(h.mutableCpuData(), 0);
  }

  onStart(): void {
    this.next = 0;
    this.pass = 0;
  }

  /** After layer `layer`'s backward: start the sums of the buckets it completed (in the last pass). */
  private afterBackward(layer: number): void {
    if (this.pass === this.iterSize - 1) {
      while (this.next < this.buckets.length && this.buckets[this.next].readyLayer >= layer) this.start(this.next++);
    }
    if (layer === 0) this.pass++;
  }

  /** Sums what is left, waits for every bucket, then diff = sum / N (Caffe's on_gradients_ready). */
  onGradientsReady(): void {
    while (this.next < this.buckets.length) this.start(this.next++);
    const scale = f32(1 / this.comm.size);
    for (const b of this.buckets) {
      b.request!.wait();
      b.request = null;
      const dev = b.staging ? currentDevice() : null;
      if (dev) dev.upload(b.buf, b.staging!);
      let off = 0;
      for (const p of b.params) {
        const n = p.count;
        if (dev) dev.math.scale(n, scale, ptrAt(b.staging!, off), p.mutableGpuDiff());
        else {
          const d = p.mutableCpuDiff();
          for (let i = 0; i < n; i++) d[i] = b.buf[off + i] * scale;
        }
        off += n;
      }
    }
  }

  private start(k: number): void {
    const b = this.buckets[k];
    let off = 0;
    if (mode() === 'GPU') {
      const dev = currentDevice();
      b.staging ??= { buffer: dev.alloc(b.buf.length), offset: 0 };
      for (const p of b.params) {
        dev.math.copy(p.count, p.gpuDiff(), ptrAt(b.staging, off));
        off += p.count;
      }
      dev.download(b.staging, b.buf);
    } else {
      for (const p of b.params) {
        b.buf.set(p.cpuDiff(), off);
        off += p.count;
      }
    }
    b.request = this.comm.sumStart(b.buf);
  }

  /** STOP when a replica asked for it, else SNAPSHOT when one did, else NONE. */
  agreeAction(request: SolverAction): SolverAction {
    this.flags[0] = request === 'STOP' ? 1 : 0;
    this.flags[1] = request === 'SNAPSHOT' ? 1 : 0;
    this.comm.sumStart(this.flags).wait();
    return this.flags[0] > 0 ? 'STOP' : this.flags[1] > 0 ? 'SNAPSHOT' : 'NONE';
  }
}
