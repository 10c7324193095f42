// The WebGPU device as the main thread sees it: a Device (backend/device.ts) whose ops become commands
// for the worker thread that owns the GPU (worker_main.ts). Ops are queued and posted in batches, so
// a forward/backward pass reaches the GPU as a few command buffers, with no host round trip per layer.
// Reads (download, dot, asum) post what is queued and block in Atomics.wait until the worker answers
// (util/sync_call.ts): the only points where the host waits for the GPU. See docs/engine.md.
import { MessageChannel, MessagePort, Worker } from 'worker_threads';
import { CaffeError } from '../../util/errors';
import { native } from '../../native/addon';
import { StartFailure, moduleWorkerEntry, startModuleWorker } from '../../util/module_worker';
import { packageEntryUrl } from '../../util/package_url';
import { SyncChannel, waitForAnswer } from '../../util/sync_call';
import type { DeviceInfo } from '../backend';
import type { Device, DeviceBuffer, DevicePtr } from '../device';
import { CTRL_DONE, CTRL_STATE, GpuAdapterInfo, GpuCmd, GpuPosted, GpuRead, GpuReply, GpuRequest } from './protocol';
import type { GpuWorkerData } from './worker_main';
import { GemmKind, WebGpuMath } from './webgpu_math';
import { WebGpuKernels } from './webgpu_kernels';

const WORKER_ENTRY = moduleWorkerEntry(__filename, 'worker_main');
const START_FAILURE: StartFailure = {
  message: { seq: -1, ok: false, msg: 'the WebGPU worker failed: ' },
  stateWord: CTRL_STATE,
  state: 1,
  notify: [CTRL_DONE],
};
/** How long one read may wait for the GPU (a whole forward/backward of a large net on a software GPU). */
const READ_TIMEOUT_MS = 30 * 60 * 1000;
/** Commands queued before a batch is posted without waiting for a read. */
const BATCH = 256;

/** What to do when no adapter is found, for the one-line error. */
export const NO_ADAPTER_FIX =
  'install a Vulkan driver (the NVIDIA or AMD driver, or mesa-vulkan-drivers for a software GPU), ' +
  'then check with `caffets device_query --gpu=0`';

/** The float bits of `x` as a u32 (uniform blocks carry floats as their bits). */
const f32bits = (() => {
  const f = new Float32Array(1);
  const u = new Uint32Array(f.buffer);
  return (x: number) => ((f[0] = x), u[0]);
})();

/** A uniform block from `types` ('u' u32, 'i' i32, 'f' f32 per field) and values. */
export function packParams(types: string, values: readonly number[]): Uint32Array {
  if (types.length !== values.length) throw new Error(`internal: ${values.length} params for '${types}'`);
  const out = new Uint32Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = types[i] === 'f' ? f32bits(values[i]) : values[i] >>> 0;
  return out;
}

export class WebGpuDevice implements Device {
  readonly math: WebGpuMath;
  readonly kernels: WebGpuKernels;
  readonly adapter: GpuAdapterInfo;
  private readonly ctrl = new Int32Array(new SharedArrayBuffer(8));
  private readonly port: MessagePort;
  private readonly channel: SyncChannel;
  private worker: Worker | null;
  private seq = 0;
  private nextId = 1;
  /** reads so far (each a point where the host waits for the device) */
  reads = 0;
  private cmds: GpuCmd[] = [];
  private transfer: ArrayBuffer[] = [];

  /** Opens GPU `id`; no adapter (or no `webgpu` package) is a one-line CaffeError. */
  /** `gemm` picks the GEMM program (tests run the GPUs' tiled one on a CPU adapter too) */
  constructor(
    readonly id: number,
    opts: { gemm?: GemmKind } = {},
  ) {
    const url = packageEntryUrl('webgpu', 'index.js');
    if (!url) throw new CaffeError('GPU: the npm package webgpu is not installed (npm install webgpu)');
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.port.unref();
    const wd: GpuWorkerData = { ctrl: this.ctrl.buffer, port: port2, url };
    this.worker = startModuleWorker(WORKER_ENTRY, wd, START_FAILURE);
    this.worker.unref();
    this.worker.on('error', () => undefined); // reported through ctrl
    this.channel = { port: this.port, ctrl: this.ctrl, doneWord: CTRL_DONE, stateWord: CTRL_STATE };
    // Dawn prints warnings of its own while a Vulkan adapter opens (lavapipe's limit clamps); the
    // main thread waits here, so nothing of ours is lost while stderr is silenced
    const quiet = process.env.CAFFETS_DAWN_WARNINGS ? -1 : native().silenceStderr();
    let r;
    try {
      r = this.request({ op: 'init', deviceIndex: id }, (m) => {
        this.dispose();
        return m.noAdapter ? `no GPU found (WebGPU has no adapter): ${NO_ADAPTER_FIX}` : `GPU ${id}: ${m.msg}`;
      });
    } finally {
      native().restoreStderr(quiet);
    }
    this.adapter = r.info!;
    this.math = new WebGpuMath(this, opts.gemm ?? (this.isCpuAdapter ? 'register' : 'tiled'));
    this.kernels = new WebGpuKernels(this);
  }

  /** Whether the adapter is a CPU (Mesa's llvmpipe, SwiftShader): programs that suit a CPU run there. */
  get isCpuAdapter(): boolean {
    const a = this.adapter;
    return a.architecture === 'software' || /llvmpipe|lavapipe|swiftshader/i.test(`${a.device} ${a.description}`);
  }

  get name(): string {
    return this.adapter.description || this.adapter.device || this.adapter.vendor || 'WebGPU adapter';
  }

  info(): DeviceInfo {
    const a = this.adapter,
      l = a.limits;
    const mb = (b: number | undefined) => (b === undefined ? '?' : `${Math.round(b / 2 ** 20)} MB`);
    const row = (k: string, v: string | number) => `${`${k}:`.padEnd(34)}${v}`;
    return {
      backend: 'webgpu',
      lines: [
        row('Device id', this.id),
        row('Name', this.name),
        row('Vendor', a.vendor),
        row('Architecture', a.architecture || '(not reported)'),
        row('Backend', 'WebGPU (Dawn)'),
        row('Max buffer size', mb(l.maxBufferSize)),
        row('Max storage buffer binding size', mb(l.maxStorageBufferBindingSize)),
        row('Max storage buffers per stage', l.maxStorageBuffersPerShaderStage ?? '?'),
        row('Max workgroup storage', `${l.maxComputeWorkgroupStorageSize ?? '?'} bytes`),
        row('Max invocations per workgroup', l.maxComputeInvocationsPerWorkgroup ?? '?'),
        row(
          'Max workgroup size',
          `${l.maxComputeWorkgroupSizeX} x ${l.maxComputeWorkgroupSizeY} x ${l.maxComputeWorkgroupSizeZ}`,
        ),
        row('Max workgroups per dimension', l.maxComputeWorkgroupsPerDimension ?? '?'),
      ],
    };
  }

  alloc(size: number): DeviceBuffer {
    // a shader binds a whole buffer: one larger than the adapter's binding limit cannot be used
    const limit = Math.min(
      this.adapter.limits.maxStorageBufferBindingSize ?? Infinity,
      this.adapter.limits.maxBufferSize ?? Infinity,
    );
    if (size * 4 > limit) {
      const mb = (b: number) => `${(b / 2 ** 20).toFixed(0)} MB`;
      throw new CaffeError(
        `GPU ${this.id}: a blob of ${mb(size * 4)} is larger than this GPU's largest buffer binding (${mb(limit)}); ` +
          'run it on the CPU (without --gpu), or on a GPU with larger bindings',
      );
    }
    const b: DeviceBuffer = { id: this.nextId++, size };
    this.enqueue({ c: 'alloc', id: b.id, size });
    return b;
  }

  free(b: DeviceBuffer): void {
    if (this.worker) this.enqueue({ c: 'free', id: b.id });
  }

  upload(src: Float32Array, dst: DevicePtr): void {
    if (!src.length) return;
    const data = src.slice(); // the caller may change src as soon as we return
    this.transfer.push(data.buffer as ArrayBuffer);
    this.enqueue({ c: 'write', id: dst.buffer.id, offset: dst.offset, data });
  }

  download(src: DevicePtr, dst: Float32Array): void {
    const [d] = this.read([{ id: src.buffer.id, offset: src.offset, count: dst.length }]);
    dst.set(d);
  }

  copy(n: number, src: DevicePtr, dst: DevicePtr): void {
    if (n > 0)
      this.enqueue({
        c: 'copy',
        src: src.buffer.id,
        srcOffset: src.offset,
        dst: dst.buffer.id,
        dstOffset: dst.offset,
        count: n,
      });
  }

  /** Queues program `prog` over `groups` workgroups with `ptrs` in its slots and its uniform block. */
  dispatch(prog: string, ptrs: readonly DevicePtr[], params: Uint32Array, groups: [number, number, number]): void {
    if (groups[0] * groups[1] * groups[2] === 0) return;
    this.enqueue({ c: 'dispatch', prog, bufs: ptrs.map((p) => p.buffer.id), params, groups });
  }

  /** Values of device ranges, after every op queued before (the host waits here). */
  read(reads: GpuRead[]): Float32Array[] {
    this.reads++;
    const cmds = this.takeQueue();
    return this.request({ op: 'read', cmds: cmds.cmds, reads }, (m) => `GPU ${this.id}: ${m.msg}`, cmds.transfer).data!;
  }

  synchronize(): void {
    this.read([]);
  }

  dispose(): void {
    if (!this.worker) return;
    this.worker.terminate().catch(() => undefined);
    this.worker = null;
    this.port.close();
  }

  private enqueue(c: GpuCmd): void {
    if (!this.worker) throw new CaffeError(`GPU ${this.id}: the device has been closed`);
    this.cmds.push(c);
    if (this.cmds.length >= BATCH) this.post();
  }

  private takeQueue(): { cmds: GpuCmd[]; transfer: ArrayBuffer[] } {
    const q = { cmds: this.cmds, transfer: this.transfer };
    this.cmds = [];
    this.transfer = [];
    return q;
  }

  private post(): void {
    const q = this.takeQueue();
    const m: GpuPosted = { op: 'run', cmds: q.cmds, seq: -2 };
    this.port.postMessage(m, q.transfer);
  }

  private request(
    req: GpuRequest,
    error: (m: Extract<GpuReply, { ok: false }>) => string,
    transfer: ArrayBuffer[] = [],
  ): Extract<GpuReply, { ok: true }> {
    if (!this.worker) throw new CaffeError(`GPU ${this.id}: the device has been closed`);
    const seq = ++this.seq;
    this.port.postMessage({ ...req, seq } as GpuPosted, transfer);
    const m = waitForAnswer<GpuReply>(this.channel, seq, READ_TIMEOUT_MS, (why) => {
      this.dispose();
      throw new CaffeError(
        why === 'stopped' ? `GPU ${this.id}: the device worker stopped` : `GPU ${this.id}: no answer from the GPU`,
      );
    });
    if (!m.ok) throw new CaffeError(error(m));
    return m;
  }
}
