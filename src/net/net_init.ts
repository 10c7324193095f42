// Net construction, as Caffe's Net::Init: filter the layers by NetState, insert Split layers, then for
// each layer in order create it, connect its bottoms and tops by name, set it up, and register its
// parameters; finally work out which layers and blobs need backward and which blobs are outputs.
// The INFO lines are Caffe's, word for word and in Caffe's order.
import { Blob } from '../core/blob';
import { createLayer } from '../core/layer_factory';
import { Message, getField } from '../proto/schema';
import { printPrototxt } from '../formats/prototxt';
import { formatG } from '../util/format';
import { checkOp } from '../util/check';
import { CaffeError, excerpt } from '../util/errors';
import { log } from '../util/logging';
import { byteOrder } from '../util/strings';
import { filterNet } from './filter';
import { insertSplits } from './insert_splits';
import { NetMemory } from './net_memory';
import { memoryAvailable } from '../util/memory';
import { appendParam, shareWeights } from './net_params';
import { fuseForward } from './fuse';
import type { Net } from './net';

const SIZEOF_FLOAT = 4;

export function initNet(net: Net, inParam: Message): void {
  net.phase = getField(inParam.state, 'caffe.NetState', 'phase');
  const filtered = filterNet(inParam);
  log.info(`Initializing net from parameters: \n${printPrototxt(filtered, 'caffe.NetParameter').replace(/\n$/, '')}`);
  const param = insertSplits(filtered);
  net.name = param.name ?? '';
  const blobNameToIdx = new Map<string, number>();
  const available = new Set<string>();
  net.memoryUsed = 0;
  const layerParams: Message[] = param.layer;
  // set-up allocates parameters and layer buffers: the estimate so far is checked after each layer
  const memory = memoryAvailable(),
    setUpMemory = new NetMemory();

  layerParams.forEach((lp, layerId) => {
    if (lp.phase === undefined) lp.phase = net.phase; // layers inherit the net's phase
    const bottoms: string[] = lp.bottom ?? [];
    const propagateDown: boolean[] = lp.propagate_down ?? [];
    if (propagateDown.length > 0) {
      checkOp(
        null,
        propagateDown.length,
        '==',
        bottoms.length,
        'layer_param.propagate_down_size() == layer_param.bottom_size()',
        'propagate_down param must be specified either 0 or bottom_size times ',
      );
    }
    const layer = createLayer(lp);
    net.layers.push(layer);
    net.layerNames.push(lp.name ?? '');
    log.info(`Creating Layer ${lp.name ?? ''}`);
    net.bottomVecs.push([]);
    net.bottomIdVecs.push([]);
    net.bottomNeedBackward.push([]);
    net.topVecs.push([]);
    net.topIdVecs.push([]);
    net.paramIdVecs.push([]);
    let needBackward = false;

    for (let b = 0; b < bottoms.length; b++) {
      const blobId = appendBottom(net, lp, layerId, b, available, blobNameToIdx);
      // a layer fed by a blob that needs backward must provide it
      needBackward = needBackward || net.blobNeedBackward[blobId];
    }
    let numTop = (lp.top ?? []).length;
    for (let t = 0; t < numTop; t++) {
      appendTop(net, lp, layerId, t, available, blobNameToIdx);
      if (lp.type === 'Input') {
        // Input layers' tops are the net's inputs
        const blobId = net.blobs.length - 1;
        net.inputBlobIndices.push(blobId);
        net.inputBlobs.push(net.blobs[blobId]);
      }
    }
    if (layer.autoTopBlobs()) {
      // anonymous tops, up to the count the layer requires; nobody can consume them
      const needed = Math.max(layer.minTopBlobs(), layer.exactNumTopBlobs());
      for (; numTop < needed; numTop++) appendTop(net, lp, layerId, numTop, null, null);
    }

    layer.setUp(net.bottomVecs[layerId], net.topVecs[layerId]);
    log.info(`Setting up ${net.layerNames[layerId]}`);
    net.topVecs[layerId].forEach((top, t) => {
      const blobId = net.topIdVecs[layerId][t];
      while (net.blobLossWeights.length <= blobId) net.blobLossWeights.push(0);
      net.blobLossWeights[blobId] = layer.loss(t);
      log.info(`Top shape: ${top.shapeString()}`);
      if (layer.loss(t)) log.info(`    with loss weight ${formatG(Math.fround(layer.loss(t)), 6)}`);
      net.memoryUsed += top.count;
    });
    log.info(`Memory required for data: ${net.memoryUsed * SIZEOF_FLOAT}`);

    const specs: Message[] = lp.param ?? [];
    const numParamBlobs = layer.blobs.length;
    checkOp(
      null,
      specs.length,
      '<=',
      numParamBlobs,
      'param_size <= num_param_blobs',
      `Too many params specified for layer ${lp.name ?? ''}`,
    );
    for (let p = 0; p < numParamBlobs; p++) {
      const lr = getField(specs[p], 'caffe.ParamSpec', 'lr_mult');
      needBackward = needBackward || lr !== 0;
      layer.setParamPropagateDown(p, lr !== 0);
    }
    for (let p = 0; p < numParamBlobs; p++) appendParam(net, layerId, p);
    setUpMemory.addLayer(net, layerId);
    setUpMemory.check(net, memory, layerId);

    net.layerNeedBackward.push(needBackward);
    if (needBackward) for (const id of net.topIdVecs[layerId]) net.blobNeedBackward[id] = true;
  });

  pruneBackward(net);
  if (param.force_backward) forceBackward(net);
  fuseForward(net);

  // whatever was produced and never consumed is an output of the net
  for (const name of [...available].sort(byteOrder)) {
    log.info(`This network produces output ${name}`);
    const id = blobNameToIdx.get(name)!;
    net.outputBlobs.push(net.blobs[id]);
    net.outputBlobIndices.push(id);
  }
  net.blobNames.forEach((n, i) => net.blobNamesIndex.set(n, i));
  net.layerNames.forEach((n, i) => net.layerNamesIndex.set(n, i));
  shareWeights(net);
  NetMemory.ofNet(net).check(net, memory); // the whole net, against what was available at set-up
  net.debugInfo = !!param.debug_info;
  log.info('Network initialization done.');
}

/** Adds top `topId` of a layer: a new blob, or the bottom blob itself when computed in place. */
function appendTop(
  net: Net,
  lp: Message,
  layerId: number,
  topId: number,
  available: Set<string> | null,
  nameToIdx: Map<string, number> | null,
): void {
  const tops: string[] = lp.top ?? [],
    bottoms: string[] = lp.bottom ?? [];
  const blobName = tops.length > topId ? tops[topId] : '(automatic)';
  if (nameToIdx && bottoms.length > topId && blobName === bottoms[topId]) {
    log.info(`${lp.name ?? ''} -> ${blobName} (in-place)`);
    const id = nameToIdx.get(blobName)!;
    net.topVecs[layerId].push(net.blobs[id]);
    net.topIdVecs[layerId].push(id);
  } else if (nameToIdx && nameToIdx.has(blobName)) {
    throw new CaffeError(`Top blob '${blobName}' produced by multiple sources.`);
  } else {
    log.info(`${lp.name ?? ''} -> ${blobName}`);
    const blob = new Blob();
    const id = net.blobs.length;
    net.blobs.push(blob);
    net.blobNames.push(blobName);
    net.blobNeedBackward.push(false);
    if (nameToIdx) nameToIdx.set(blobName, id);
    net.topIdVecs[layerId].push(id);
    net.topVecs[layerId].push(blob);
  }
  if (available) available.add(blobName);
}

/** Connects bottom `bottomId` of a layer to the blob of that name; returns its blob id. */
function appendBottom(
  net: Net,
  lp: Message,
  layerId: number,
  bottomId: number,
  available: Set<string>,
  nameToIdx: Map<string, number>,
): number {
  const blobName: string = lp.bottom[bottomId];
  if (!available.has(blobName)) {
    throw new CaffeError(
      `Unknown bottom blob '${excerpt(blobName)}' (layer '${excerpt(lp.name ?? '')}', bottom index ${bottomId})`,
    );
  }
  const id = nameToIdx.get(blobName)!;
  log.info(`${net.layerNames[layerId]} <- ${blobName}`);
  net.bottomVecs[layerId].push(net.blobs[id]);
  net.bottomIdVecs[layerId].push(id);
  available.delete(blobName);
  let need = net.blobNeedBackward[id];
  const propagateDown: boolean[] = lp.propagate_down ?? [];
  if (propagateDown.length > 0) need = !!propagateDown[bottomId]; // propagate_down may switch a bottom off
  net.bottomNeedBackward[layerId].push(need);
  return id;
}

/**
 * Walks the net from the last layer back: a layer whose tops neither carry a loss nor feed a layer
 * that contributes to the loss needs no backward, nor does a layer none of whose tops will receive a
 * gradient (every consumer skips propagating to it). Logs each layer's verdict.
 */
function pruneBackward(net: Net): void {
  const underLoss = new Set<string>(),
    skipBackprop = new Set<string>();
  for (let id = net.layers.length - 1; id >= 0; id--) {
    const layer = net.layers[id];
    let contributesLoss = false,
      skipPropagateDown = true;
    for (let t = 0; t < net.topVecs[id].length; t++) {
      const name = net.blobNames[net.topIdVecs[id][t]];
      if (layer.loss(t) || underLoss.has(name)) contributesLoss = true;
      if (!skipBackprop.has(name)) skipPropagateDown = false;
      if (contributesLoss && !skipPropagateDown) break;
    }
    if (net.layerNeedBackward[id] && skipPropagateDown) {
      net.layerNeedBackward[id] = false;
      net.bottomNeedBackward[id].fill(false);
    }
    if (!contributesLoss) net.layerNeedBackward[id] = false;
    log.info(`${net.layerNames[id]} ${net.layerNeedBackward[id] ? 'needs' : 'does not need'} backward computation.`);
    for (let b = 0; b < net.bottomVecs[id].length; b++) {
      const name = net.blobNames[net.bottomIdVecs[id][b]];
      if (contributesLoss) underLoss.add(name);
      else net.bottomNeedBackward[id][b] = false;
      if (!net.bottomNeedBackward[id][b]) skipBackprop.add(name);
    }
  }
}

/** force_backward: every layer runs backward, to every bottom that allows it, and to all params. */
function forceBackward(net: Net): void {
  net.layers.forEach((layer, id) => {
    net.layerNeedBackward[id] = true;
    const need = net.bottomNeedBackward[id];
    for (let b = 0; b < need.length; b++) {
      need[b] = need[b] || layer.allowForceBackward(b);
      const blobId = net.bottomIdVecs[id][b];
      net.blobNeedBackward[blobId] = net.blobNeedBackward[blobId] || need[b];
    }
    for (let p = 0; p < layer.blobs.length; p++) layer.setParamPropagateDown(p, true);
  });
}
