// Test support for the Net tests: stand-ins for Caffe's Input and EuclideanLoss layers (registered
// only when the real ones are not built in yet, so that the nets below also run in reference Caffe),
// private data/loss layers for the numerical checks, and log capture.
import '../../src/layers';
import { Blob } from '../../src/core/blob';
import { Layer, LossLayer } from '../../src/core/layer';
import { layerTypeList, registerLayer, LayerCtor } from '../../src/core/layer_factory';
import { Message } from '../../src/proto/schema';
import { parsePrototxt } from '../../src/formats/prototxt';
import { setLogSink } from '../../src/util/logging';
import { CaffeError } from '../../src/util/errors';

/** Input: tops shaped by input_param.shape (one shape for all tops, or one per top). */
class StandInInput extends Layer {
  override layerSetUp(_bottom: Blob[], top: Blob[]): void {
    const shapes: Message[] = this.layerParam.input_param?.shape ?? [];
    if (shapes.length !== 1 && shapes.length !== top.length)
      throw new CaffeError("Must specify 'shape' once, or once per top blob");
    top.forEach((t, i) => t.reshape((shapes.length === 1 ? shapes[0] : shapes[i]).dim ?? []));
  }
  reshape(): void {}
  override exactNumBottomBlobs(): number {
    return 0;
  }
  override minTopBlobs(): number {
    return 1;
  }
  protected forwardCpu(): void {}
}

/** EuclideanLoss: sum((a - b)^2) / (2 num). */
export class EuclideanLossStandIn extends LossLayer {
  private diff = new Blob();
  reshape(bottom: Blob[], top: Blob[]): void {
    if (bottom[0].shape[0] !== bottom[1].shape[0])
      throw new CaffeError('The data and label should have the same first dimension.');
    top[0].reshape([]);
    this.diff.reshapeLike(bottom[0]);
  }
  override allowForceBackward(): boolean {
    return true;
  }
  protected forwardCpu(bottom: Blob[], top: Blob[]): void {
    const a = bottom[0].cpuData(),
      b = bottom[1].cpuData(),
      d = this.diff.mutableCpuData();
    let s = 0;
    for (let i = 0; i < d.length; i++) {
      d[i] = a[i] - b[i];
      s += d[i] * d[i];
    }
    top[0].mutableCpuData()[0] = s / bottom[0].num / 2;
  }
  protected override backwardCpu(top: Blob[], propagateDown: boolean[], bottom: Blob[]): void {
    for (let i = 0; i < 2; i++) {
      if (!propagateDown[i]) continue;
      const alpha = ((i === 0 ? 1 : -1) * top[0].cpuDiff()[0]) / bottom[i].num;
      const d = this.diff.cpuData(),
        g = bottom[i].mutableCpuDiff();
      for (let k = 0; k < d.length; k++) g[k] = alpha * d[k];
    }
  }
}

function registerIfAbsent(type: string, ctor: LayerCtor): void {
  if (!layerTypeList().includes(type)) registerLayer(type, ctor);
}
registerIfAbsent('Input', StandInInput);
registerIfAbsent('EuclideanLoss', EuclideanLossStandIn);
// private types: always these implementations, whatever else gets built in
registerIfAbsent('TestEuclideanLoss', EuclideanLossStandIn);
registerIfAbsent('TestInput', StandInInput);

export function netParam(text: string): Message {
  return parsePrototxt(text, 'caffe.NetParameter');
}

/** Runs fn with log lines captured; returns the messages (glog prefix stripped) and fn's result. */
export function captureLog<T>(fn: () => T): { lines: string[]; result: T } {
  const raw: string[] = [];
  const restore = setLogSink((l) => raw.push(l));
  let result: T;
  try {
    result = fn();
  } finally {
    restore();
  }
  return { lines: raw.map(strip), result };
}

/** `I1122 20:42:06.568290 15893 net.cpp:86] msg` -> `I msg` */
export function strip(line: string): string {
  const m = /^([IWEF])\d{4} [\d:.]+ +\d+ [^\]]+\] ([\s\S]*)$/.exec(line);
  return m ? `${m[1]} ${m[2]}` : line;
}

/** The net-construction lines of a Caffe log (from "Initializing net" to "Network initialization done."). */
export function netSetupLines(log: string): string[] {
  const out: string[] = [];
  let entry: string | undefined;
  for (const raw of log.split('\n')) {
    if (/^[IWEF]\d{4} /.test(raw)) {
      if (entry !== undefined) out.push(strip(entry));
      entry = raw;
    } else if (entry !== undefined) {
      entry += '\n' + raw; // a multi-line message (the net's DebugString)
    }
  }
  if (entry !== undefined) out.push(strip(entry));
  const start = out.findIndex((l) => l.startsWith('I Initializing net from parameters'));
  const end = out.indexOf('I Network initialization done.');
  return out.slice(start, end + 1);
}
