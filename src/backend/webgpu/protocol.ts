// The contract between the WebGPU device's main-thread side (webgpu_device.ts) and the worker thread
// that owns the GPUDevice (worker_main.ts). Shared by both sides; types and constants only.
//
// The main thread queues commands and posts them in batches ({ seq: -2, cmds }: no answer). A request
// that needs an answer (init, read, sync) carries seq > 0: the worker runs the commands before it,
// answers { seq, ok, ... } on the port, stores seq in ctrl[CTRL_DONE] and notifies (util/sync_call.ts).
// Errors of unanswered batches are kept by the worker and returned with the next answer.

/** ctrl words: [0] the last answered request, [1] worker state (0 running, 1 failed) */
export const CTRL_DONE = 0;
export const CTRL_STATE = 1;

/** One command, run in order on the worker. Sizes and offsets count floats. */
export type GpuCmd =
  | { c: 'alloc'; id: number; size: number }
  | { c: 'free'; id: number }
  | { c: 'write'; id: number; offset: number; data: Float32Array }
  | { c: 'copy'; src: number; srcOffset: number; dst: number; dstOffset: number; count: number }
  /** runs program `prog` over `groups` workgroups; `bufs` bind in order, `params` is its uniform block
   *  (32-bit words: integers as u32/i32, floats as their f32 bits) */
  | { c: 'dispatch'; prog: string; bufs: number[]; params: Uint32Array; groups: [number, number, number] };

export interface GpuRead {
  id: number;
  offset: number;
  count: number;
}

export type GpuRequest =
  | { op: 'init'; deviceIndex: number; powerPreference?: 'high-performance' | 'low-power' }
  | { op: 'run'; cmds: GpuCmd[] }
  | { op: 'read'; cmds: GpuCmd[]; reads: GpuRead[] };

export type GpuPosted = GpuRequest & { seq: number };

export interface GpuAdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** adapter limits requested for the device (maxBufferSize, maxStorageBufferBindingSize, ...) */
  limits: Record<string, number>;
  /** adapter features */
  features: string[];
  /** every adapter Dawn lists, by name */
  adapters: string[];
  /** the device ids there are (--gpu=all): the adapters, or CAFFETS_SOFTWARE_GPUS on a software one */
  deviceCount: number;
}

export type GpuReply =
  | { seq: number; ok: true; info?: GpuAdapterInfo; data?: Float32Array[] }
  | { seq: number; ok: false; msg: string; noAdapter?: boolean };
