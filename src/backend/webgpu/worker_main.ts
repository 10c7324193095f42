// The WebGPU device's worker thread (webgpu_device.ts starts it through util/module_worker.ts). It
// owns the GPUDevice of Dawn's Node binding (the npm package `webgpu`, an ES module loaded with a
// native import()), runs the command batches the main thread posts, in order, and answers requests
// (init, read). Protocol: protocol.ts. Programs: programs.ts.
//
// A batch is recorded into one command encoder and compute pass; a 'write' ends the encoder (so the
// queue's writeBuffer lands after the dispatches before it) and a new one starts after it. Each
// dispatch's uniform block takes a 256-byte slot of one arena buffer written once per encoder, bound
// with a dynamic offset. Pipelines, bind group layouts and bind groups are cached (bind groups by the
// buffers they bind, dropped when one of those buffers is freed).
import { MessagePort } from 'worker_threads';
import { CTRL_DONE, CTRL_STATE, GpuAdapterInfo, GpuCmd, GpuPosted, GpuRead, GpuReply } from './protocol';
import { PROGRAMS, Program } from './programs';
import { LAYER_PROGRAMS } from './layer_programs';
import { signalAnswered } from '../../util/sync_call';
import type { ModuleWorkerData } from '../../util/module_worker';

export interface GpuWorkerData extends ModuleWorkerData {
  /** file URL of the `webgpu` package's entry */
  url: string;
}

/* eslint-disable @typescript-eslint/no-explicit-any -- WebGPU's types come from the binding at run time */
type GPU = any;

const SLOT = 256; // uniform slot size: minUniformBufferOffsetAlignment's usual value and the max block
const ARENA_SLOTS = 4096;
const importModule = new Function('url', 'return import(url)') as (url: string) => Promise<any>;

// WebGPU's usage and map-mode flags (the spec's values)
const STORAGE = 0x80,
  UNIFORM = 0x40,
  COPY_DST = 0x08,
  COPY_SRC = 0x04,
  MAP_READ = 0x01;
const MAP_MODE_READ = 1;
const COMPUTE = 0x4; // GPUShaderStage.COMPUTE

interface Pipeline {
  pipeline: GPU;
  layout: GPU;
  /** slot -> binding index */
  binding: number[];
}

class Executor {
  private buffers = new Map<number, GPU>();
  private pipelines = new Map<string, Pipeline>();
  private bindGroups = new Map<string, GPU>();
  private groupsOf = new Map<number, Set<string>>();
  private readonly arena: GPU;
  private staging: GPU = null;
  private stagingBytes = 0;
  private pendingFree: GPU[] = [];
  /** an error of an unanswered batch, reported with the next answer */
  error: string | null = null;
  // the open encoder and its dispatches
  private encoder: GPU = null;
  private pass: GPU = null;
  private uniforms: Uint32Array[] = [];

  constructor(private readonly device: GPU) {
    this.arena = device.createBuffer({ size: ARENA_SLOTS * SLOT, usage: UNIFORM | COPY_DST });
    device.addEventListener?.('uncapturederror', (e: any) => this.fail(e.error?.message ?? String(e)));
    device.lost?.then((l: any) => {
      if (l?.reason !== 'destroyed') this.fail(`device lost: ${l?.message ?? l?.reason}`);
    });
  }

  fail(msg: string): void {
    if (!this.error) this.error = msg;
  }

  run(cmds: GpuCmd[]): void {
    for (const c of cmds) {
      switch (c.c) {
        case 'alloc':
          this.buffers.set(
            c.id,
            this.device.createBuffer({ size: Math.max(4, c.size * 4), usage: STORAGE | COPY_SRC | COPY_DST }),
          );
          break;
        case 'free':
          this.free(c.id);
          break;
        case 'write':
          this.flush();
          this.device.queue.writeBuffer(
            this.buf(c.id),
            c.offset * 4,
            c.data.buffer,
            c.data.byteOffset,
            c.data.byteLength,
          );
          break;
        case 'copy':
          this.endPass();
          this.enc().copyBufferToBuffer(
            this.buf(c.src),
            c.srcOffset * 4,
            this.buf(c.dst),
            c.dstOffset * 4,
            c.count * 4,
          );
          break;
        case 'dispatch':
          this.dispatch(c.prog, c.bufs, c.params, c.groups);
          break;
      }
    }
  }

  /** Submits what is recorded; frees buffers freed meanwhile. */
  flush(): void {
    if (this.encoder) {
      this.endPass();
      if (this.uniforms.length) {
        const all = new Uint32Array((this.uniforms.length * SLOT) / 4);
        this.uniforms.forEach((u, i) => all.set(u, (i * SLOT) / 4));
        this.device.queue.writeBuffer(this.arena, 0, all.buffer);
      }
      this.device.queue.submit([this.encoder.finish()]);
      this.encoder = null;
      this.uniforms = [];
    }
    for (const b of this.pendingFree) b.destroy();
    this.pendingFree = [];
  }

  /** Runs the reads after everything before them; resolves with their values. */
  async read(reads: GpuRead[]): Promise<Float32Array[]> {
    this.flush();
    const total = reads.reduce((s, r) => s + r.count, 0) * 4;
    if (total === 0) {
      await this.device.queue.onSubmittedWorkDone();
      return reads.map(() => new Float32Array(0));
    }
    if (total > this.stagingBytes) {
      this.staging?.destroy();
      this.stagingBytes = Math.max(total, 2 * this.stagingBytes, 4096);
      this.staging = this.device.createBuffer({ size: this.stagingBytes, usage: MAP_READ | COPY_DST });
    }
    const enc = this.device.createCommandEncoder();
    let at = 0;
    for (const r of reads) {
      if (r.count) enc.copyBufferToBuffer(this.buf(r.id), r.offset * 4, this.staging, at, r.count * 4);
      at += r.count * 4;
    }
    this.device.queue.submit([enc.finish()]);
    await this.staging.mapAsync(MAP_MODE_READ, 0, total);
    const mapped = new Float32Array(this.staging.getMappedRange(0, total));
    const out: Float32Array[] = [];
    at = 0;
    for (const r of reads) {
      out.push(mapped.slice(at, at + r.count));
      at += r.count;
    }
    this.staging.unmap();
    return out;
  }

  private buf(id: number): GPU {
    const b = this.buffers.get(id);
    if (!b) throw new Error(`internal: no device buffer ${id}`);
    return b;
  }

  private enc(): GPU {
    if (!this.encoder) this.encoder = this.device.createCommandEncoder();
    return this.encoder;
  }

  private endPass(): void {
    if (this.pass) this.pass.end();
    this.pass = null;
  }

  private free(id: number): void {
    const b = this.buffers.get(id);
    if (!b) return;
    this.buffers.delete(id);
    for (const k of this.groupsOf.get(id) ?? []) this.bindGroups.delete(k);
    this.groupsOf.delete(id);
    this.pendingFree.push(b); // destroyed after the submit of the commands that may still use it
  }

  private dispatch(prog: string, bufs: number[], params: Uint32Array, groups: [number, number, number]): void {
    const unique = [...new Set(bufs)];
    const p = this.pipeline(
      prog,
      bufs.map((b) => unique.indexOf(b)),
    );
    // the arena holds one encoder's uniform blocks; a full one submits first (queue order keeps the
    // next encoder's blocks from overwriting them before they are used)
    if (this.uniforms.length === ARENA_SLOTS) this.flush();
    const key = `${prog}|${p.binding.join(',')}|${unique.join(',')}`;
    let bg = this.bindGroups.get(key);
    if (!bg) {
      const entries = unique.map((id, i) => ({ binding: i, resource: { buffer: this.buf(id) } }));
      entries.push({ binding: unique.length, resource: { buffer: this.arena, size: SLOT } as any });
      bg = this.device.createBindGroup({ layout: p.layout, entries });
      this.bindGroups.set(key, bg);
      for (const id of unique) {
        if (!this.groupsOf.has(id)) this.groupsOf.set(id, new Set());
        this.groupsOf.get(id)!.add(key);
      }
    }
    if (!this.pass) this.pass = this.enc().beginComputePass();
    this.pass.setPipeline(p.pipeline);
    this.pass.setBindGroup(0, bg, [this.uniforms.length * SLOT]);
    this.uniforms.push(params);
    this.pass.dispatchWorkgroups(groups[0], groups[1], groups[2]);
  }

  private pipeline(prog: string, slotToUnique: number[]): Pipeline {
    const key = `${prog}|${slotToUnique.join(',')}`;
    let p = this.pipelines.get(key);
    if (p) return p;
    const program: Program | undefined = PROGRAMS[prog] ?? LAYER_PROGRAMS[prog];
    if (!program) throw new Error(`internal: no WebGPU program ${prog}`);
    const n = Math.max(...slotToUnique, -1) + 1;
    const decls: string[] = [];
    for (let i = 0; i < n; i++) decls.push(`@group(0) @binding(${i}) var<storage, read_write> b${i}: array<f32>;`);
    decls.push(`@group(0) @binding(${n}) var<uniform> P: Params;`);
    const body = program.source.replace(/\bB(\d+)\b/g, (_, s) => `b${slotToUnique[Number(s)]}`);
    const module = this.device.createShaderModule({ code: `${decls.join('\n')}\n${body}` });
    const entries: any[] = [];
    for (let i = 0; i < n; i++) entries.push({ binding: i, visibility: COMPUTE, buffer: { type: 'storage' } });
    entries.push({ binding: n, visibility: COMPUTE, buffer: { type: 'uniform', hasDynamicOffset: true } });
    const layout = this.device.createBindGroupLayout({ entries });
    const pipeline = this.device.createComputePipeline({
      layout: this.device.createPipelineLayout({ bindGroupLayouts: [layout] }),
      compute: { module, entryPoint: 'main' },
    });
    p = { pipeline, layout, binding: slotToUnique };
    this.pipelines.set(key, p);
    return p;
  }
}

/** The GPU instance and adapter stay referenced: Dawn's binding crashes if they are collected. */
const keepAlive: GPU[] = [];

/**
 * The adapters Dawn can open, by name: WebGPU itself enumerates none, but Dawn's Node binding lists them
 * when asked for an adapter by a name it does not know. [] when the list cannot be had.
 */
async function listAdapters(create: (flags: string[]) => GPU): Promise<string[]> {
  const probe = create(['adapter=\u0001caffets: list the adapters']);
  keepAlive.push(probe);
  try {
    await probe.requestAdapter();
  } catch (e) {
    const names = [...String((e as Error)?.message).matchAll(/^ \* backend: '[^']*', name: '(.*)'$/gm)];
    return names.map((m) => m[1]);
  }
  return [];
}

const isSoftware = (a: GPU) =>
  a.info?.architecture === 'software' ||
  /llvmpipe|lavapipe|swiftshader/i.test(`${a.info?.device} ${a.info?.description}`);

/** How many devices a software adapter that is the only one offers (CAFFETS_SOFTWARE_GPUS, default 1). */
function softwareDevices(): number {
  const n = Number(process.env.CAFFETS_SOFTWARE_GPUS);
  return Number.isInteger(n) && n > 0 ? n : 1;
}

/**
 * Device id 0 is the adapter WebGPU picks; id k > 0 the k-th adapter Dawn lists (Caffe's device ids:
 * `--gpu=0,1` on a machine with two GPUs). A software adapter (lavapipe) that is the only one offers
 * CAFFETS_SOFTWARE_GPUS devices, each its own GPUDevice: several devices on the CPU, to run
 * data-parallel training without a GPU.
 */
async function openDevice(url: string, index: number, pref?: string): Promise<{ device: GPU; info: GpuAdapterInfo }> {
  const { create, globals } = await importModule(url);
  Object.assign(globalThis, globals);
  const names = await listAdapters(create);
  let gpu = create([]);
  if (index > 0 && index < names.length) gpu = create([`adapter=${names[index]}`]);
  keepAlive.push(gpu);
  const adapter = await gpu.requestAdapter(pref ? { powerPreference: pref } : undefined);
  if (!adapter) throw Object.assign(new Error('no WebGPU adapter'), { noAdapter: true });
  const soft = names.length <= 1 && isSoftware(adapter);
  const count = soft ? softwareDevices() : Math.max(1, names.length);
  if (index >= count) {
    const more = soft ? '; a software adapter offers more with CAFFETS_SOFTWARE_GPUS=N' : '';
    throw new Error(`no GPU with device id ${index}: WebGPU has ${count} (${names.join(', ')})${more}`);
  }
  keepAlive.push(adapter);
  const limits: Record<string, number> = {};
  for (const k in adapter.limits) if (typeof adapter.limits[k] === 'number') limits[k] = adapter.limits[k];
  // ask for the adapter's real limits: the defaults (128 MB bindings) are below AlexNet's fc6 weights
  const device = await adapter.requestDevice({
    requiredLimits: {
      maxBufferSize: limits.maxBufferSize,
      maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
      maxStorageBuffersPerShaderStage: limits.maxStorageBuffersPerShaderStage,
      maxComputeWorkgroupStorageSize: limits.maxComputeWorkgroupStorageSize,
    },
  });
  const ai = adapter.info ?? {};
  const info: GpuAdapterInfo = {
    vendor: ai.vendor ?? '',
    architecture: ai.architecture ?? '',
    device: ai.device ?? '',
    description: ai.description ?? '',
    limits,
    features: [...(adapter.features ?? [])].map(String),
    adapters: names,
    deviceCount: count,
  };
  return { device, info };
}

/** The worker's entry point (util/module_worker.ts calls it with the Worker's workerData). */
export function workerMain(wd: GpuWorkerData): void {
  const ctrl = new Int32Array(wd.ctrl);
  const port: MessagePort = wd.port;
  let exec: Executor | null = null;
  let device: GPU = null;
  const answer = (m: GpuReply, transfer: ArrayBuffer[] = []) => {
    port.postMessage(m, transfer);
    signalAnswered(ctrl, CTRL_DONE, m.seq);
  };
  // requests run one at a time, in order: each waits for the one before (reads are asynchronous)
  let chain: Promise<void> = Promise.resolve();
  port.on('message', (m: GpuPosted) => {
    chain = chain.then(async () => {
      try {
        if (m.op === 'init') {
          const d = await openDevice(wd.url, m.deviceIndex, m.powerPreference);
          device = d.device;
          exec = new Executor(device);
          answer({ seq: m.seq, ok: true, info: d.info });
          return;
        }
        if (!exec) throw new Error('internal: the device is not open');
        exec.run(m.cmds);
        if (m.op === 'run') {
          exec.flush();
          return;
        }
        const data = await exec.read(m.reads);
        const err = exec.error;
        exec.error = null;
        if (err) answer({ seq: m.seq, ok: false, msg: err });
        else
          answer(
            { seq: m.seq, ok: true, data },
            data.map((d) => d.buffer as ArrayBuffer),
          );
      } catch (e) {
        const msg = e instanceof Error ? e.message : String(e);
        if (m.seq > 0) answer({ seq: m.seq, ok: false, msg, noAdapter: (e as { noAdapter?: boolean }).noAdapter });
        else exec?.fail(msg);
      }
    });
  });
  port.on('close', () => device?.destroy());
  void CTRL_STATE;
}
