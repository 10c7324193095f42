// Caffe's debug_info lines (NetParameter.debug_info / SolverParameter.debug_info): the mean absolute
// value of each top's data after a layer's forward, of each bottom's and param's diff after its
// backward, and the L1/L2 norms of all learnable params after a whole backward.
import { Blob } from '../core/blob';
import { streamFloat } from '../util/format';
import { log } from '../util/logging';
import type { Net } from './net';

/** asum / count in float. */
const meanAbs = (b: Blob, diff: boolean) => streamFloat(Math.fround(diff ? b.asumDiff() : b.asumData()) / b.count);
const g = streamFloat;

export function forwardDebugInfo(net: Net, layerId: number): void {
  const name = net.layerNames[layerId];
  net.topVecs[layerId].forEach((blob, t) => {
    const blobName = net.blobNames[net.topIdVecs[layerId][t]];
    log.info(`    [Forward] Layer ${name}, top blob ${blobName} data: ${meanAbs(blob, false)}`);
  });
  net.layers[layerId].blobs.forEach((blob, p) => {
    const displayName = net.paramDisplayNames[net.paramIdVecs[layerId][p]];
    log.info(`    [Forward] Layer ${name}, param blob ${displayName} data: ${meanAbs(blob, false)}`);
  });
}

export function backwardDebugInfo(net: Net, layerId: number): void {
  const name = net.layerNames[layerId];
  net.bottomVecs[layerId].forEach((blob, b) => {
    if (!net.bottomNeedBackward[layerId][b]) return;
    const blobName = net.blobNames[net.bottomIdVecs[layerId][b]];
    log.info(`    [Backward] Layer ${name}, bottom blob ${blobName} diff: ${meanAbs(blob, true)}`);
  });
  const layer = net.layers[layerId];
  layer.blobs.forEach((blob, p) => {
    if (!layer.paramPropagate(p)) return;
    log.info(`    [Backward] Layer ${name}, param blob ${p} diff: ${meanAbs(blob, true)}`);
  });
}

/** After a whole backward: norms of all learnable params' data and diff (Caffe logs this at ERROR). */
export function paramNormsDebugInfo(net: Net): void {
  let asumData = 0,
    asumDiff = 0,
    sumsqData = 0,
    sumsqDiff = 0;
  for (const p of net.learnableParams) {
    asumData = Math.fround(asumData + Math.fround(p.asumData()));
    asumDiff = Math.fround(asumDiff + Math.fround(p.asumDiff()));
    sumsqData = Math.fround(sumsqData + Math.fround(p.sumsqData()));
    sumsqDiff = Math.fround(sumsqDiff + Math.fround(p.sumsqDiff()));
  }
  log.error(
    `    [Backward] All net params (data, diff): L1 norm = (${g(asumData)}, ${g(asumDiff)}); ` +
      `L2 norm = (${g(Math.sqrt(sumsqData))}, ${g(Math.sqrt(sumsqDiff))})`,
  );
}

export function updateDebugInfo(net: Net, paramId: number): void {
  const blob = net.params[paramId];
  const owner = net.paramOwners[paramId];
  const layerName = net.layerNames[net.paramLayerIndices[paramId][0]];
  const displayName = net.paramDisplayNames[paramId];
  if (owner < 0) {
    log.info(
      `    [Update] Layer ${layerName}, param ${displayName} ` +
        `data: ${meanAbs(blob, false)}; diff: ${meanAbs(blob, true)}`,
    );
  } else {
    const ownerLayerName = net.layerNames[net.paramLayerIndices[owner][0]];
    log.info(
      `    [Update] Layer ${layerName}, param blob ${displayName} (owned by layer ${ownerLayerName}, ` +
        `param ${net.paramDisplayNames[owner]}) diff: ${meanAbs(blob, true)}`,
    );
  }
}
