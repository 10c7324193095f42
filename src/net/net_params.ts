// Parameters of a Net, as Caffe handles them: registration with `param { name }` sharing (the first
// layer to use a name owns the blob; later users share its data and diff), the lr/decay multipliers
// the solver reads, and copying or sharing trained weights by layer name.
import { Blob, blobProtoShape } from '../core/blob';
import { Layer } from '../core/layer';
import { Message, getField } from '../proto/schema';
import { cloneMessage } from '../proto/message';
import { checkFailed, checkOp } from '../util/check';
import { CaffeError } from '../util/errors';
import { log } from '../util/logging';
import type { Net } from './net';
import { Hdf5Tree, readHdf5Tree } from '../io/hdf5';
import { Hdf5Failure } from '../io/hdf5_worker';

/** Caffe's kMaxBlobAxes */
const MAX_BLOB_AXES = 32;

const SPEC = 'caffe.ParamSpec';

const sameShape = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && a.every((d, i) => d === b[i]);

/** Registers parameter `paramId` of layer `layerId` with the net (Caffe's AppendParam). */
export function appendParam(net: Net, layerId: number, paramId: number): void {
  const layer = net.layers[layerId];
  const specs: Message[] = layer.layerParam.param ?? [];
  const spec: Message | undefined = specs[paramId];
  const paramName: string = spec?.name ?? '';
  net.paramDisplayNames.push(paramName || String(paramId));
  const netParamId = net.params.length;
  net.params.push(layer.blobs[paramId]);
  net.paramIdVecs[layerId].push(netParamId);
  net.paramLayerIndices.push([layerId, paramId]);
  const lrMult = Math.fround(getField(spec, SPEC, 'lr_mult'));
  const decayMult = Math.fround(getField(spec, SPEC, 'decay_mult'));
  const hasLr = spec?.lr_mult !== undefined,
    hasDecay = spec?.decay_mult !== undefined;

  if (!paramName || !net.paramNamesIndex.has(paramName)) {
    // anonymous, or the first use of this name: the layer owns the blob
    net.paramOwners.push(-1);
    if (paramName) net.paramNamesIndex.set(paramName, netParamId);
    net.learnableParamIds.push(net.learnableParams.length);
    net.learnableParams.push(net.params[netParamId]);
    net.hasParamsLr.push(hasLr);
    net.hasParamsDecay.push(hasDecay);
    net.paramsLr.push(lrMult);
    net.paramsWeightDecay.push(decayMult);
    return;
  }

  // a name seen before: share the owner's blob
  const ownerNetParamId = net.paramNamesIndex.get(paramName)!;
  net.paramOwners.push(ownerNetParamId);
  const [ownerLayerId, ownerParamId] = net.paramLayerIndices[ownerNetParamId];
  const ownerLayerName = net.layerNames[ownerLayerId],
    layerName = net.layerNames[layerId];
  log.info(`Sharing parameters '${paramName}' owned by layer '${ownerLayerName}', param index ${ownerParamId}`);
  const mine = layer.blobs[paramId],
    owner = net.layers[ownerLayerId].blobs[ownerParamId];
  const who = `Cannot share param '${paramName}' owned by layer '${ownerLayerName}' with layer '${layerName}'`;
  if (spec?.share_mode === 'PERMISSIVE') {
    checkOp(
      null,
      mine.count,
      '==',
      owner.count,
      'this_blob->count() == owner_blob->count()',
      `${who}; count mismatch.  Owner layer param shape is ${owner.shapeString()}; ` +
        `sharing layer shape is ${mine.shapeString()}`,
    );
  } else if (!sameShape(mine.shape, owner.shape)) {
    checkFailed(
      null,
      'this_blob->shape() == owner_blob->shape()',
      `${who}; shape mismatch.  Owner layer param shape is ${owner.shapeString()}; ` +
        `sharing layer expects shape ${mine.shapeString()}`,
    );
  }
  const learnableId = net.learnableParamIds[ownerNetParamId];
  net.learnableParamIds.push(learnableId);
  if (hasLr) {
    if (net.hasParamsLr[learnableId]) {
      checkOp(
        null,
        lrMult,
        '==',
        net.paramsLr[learnableId],
        'param_spec->lr_mult() == params_lr_[learnable_param_id]',
        `Shared param '${paramName}' has mismatched lr_mult.`,
      );
    } else {
      net.hasParamsLr[learnableId] = true;
      net.paramsLr[learnableId] = lrMult;
    }
  }
  if (hasDecay) {
    if (net.hasParamsDecay[learnableId]) {
      checkOp(
        null,
        decayMult,
        '==',
        net.paramsWeightDecay[learnableId],
        'param_spec->decay_mult() == params_weight_decay_[learnable_param_id]',
        `Shared param '${paramName}' has mismatched decay_mult.`,
      );
    } else {
      net.hasParamsDecay[learnableId] = true;
      net.paramsWeightDecay[learnableId] = decayMult;
    }
  }
}

/** Points every sharer's data and diff at its owner's memory. */
export function shareWeights(net: Net): void {
  net.params.forEach((p, i) => {
    const owner = net.paramOwners[i];
    if (owner < 0) return;
    p.shareData(net.params[owner]);
    p.shareDiff(net.params[owner]);
  });
}

/**
 * Caffe's Blob::ShapeEquals: a proto with legacy num/channels/height/width matches a blob of at most 4
 * axes whose shape, padded with leading 1s to 4 axes, is (num, channels, height, width).
 */
export function blobShapeEqualsProto(blob: Blob, proto: Message): boolean {
  const legacy =
    proto.num !== undefined || proto.channels !== undefined || proto.height !== undefined || proto.width !== undefined;
  if (!legacy) return sameShape(blob.shape, blobProtoShape(proto));
  if (blob.numAxes > 4) return false;
  const padded = [1, 1, 1, 1, ...blob.shape].slice(-4);
  return sameShape(padded, [proto.num ?? 0, proto.channels ?? 0, proto.height ?? 0, proto.width ?? 0]);
}

/** Copies a matching BlobProto's values (data, and diff if present) into `blob`, keeping its shape. */
function copyFromProto(blob: Blob, proto: Message): void {
  if (sameShape(blob.shape, blobProtoShape(proto))) {
    blob.fromProto(proto, false);
    return;
  }
  // legacy 4-d proto of a lower-dimensional blob: read it at its own shape, then copy the values
  const tmp = new Blob();
  tmp.fromProto(proto, true);
  blob.mutableCpuData().set(tmp.cpuData());
  const diff = proto.double_diff?.length ? proto.double_diff : proto.diff;
  if (diff?.length) blob.mutableCpuDiff().set(tmp.cpuDiff());
}

/** Caffe's CopyTrainedLayersFrom(NetParameter). */
export function copyTrainedLayers(net: Net, param: Message): void {
  for (const source of (param.layer ?? []) as Message[]) {
    const name: string = source.name ?? '';
    const target = net.layerNames.indexOf(name);
    if (target < 0) {
      log.info(`Ignoring source layer ${name}`);
      continue;
    }
    const targetBlobs = net.layers[target].blobs;
    const sourceBlobs: Message[] = source.blobs ?? [];
    checkOp(
      null,
      targetBlobs.length,
      '==',
      sourceBlobs.length,
      'target_blobs.size() == source_layer.blobs_size()',
      `Incompatible number of blobs for layer ${name}`,
    );
    targetBlobs.forEach((blob, j) => {
      if (!blobShapeEqualsProto(blob, sourceBlobs[j])) {
        const srcShape = new Blob(blobProtoShape(sourceBlobs[j])).shapeString();
        throw new CaffeError(
          `Cannot copy param ${j} weights from layer '${name}'; shape mismatch.  ` +
            `Source param shape is ${srcShape}; target param shape is ${blob.shapeString()}. ` +
            "To learn this layer's parameters from scratch rather than copying from a saved net, rename the layer.",
        );
      }
      copyFromProto(blob, sourceBlobs[j]);
    });
  }
}

/** Caffe's ShareTrainedLayersWith: same-named layers of `net` use `other`'s parameter data. */
export function shareTrainedLayers(net: Net, other: Net): void {
  other.layers.forEach((sourceLayer, i) => {
    const name = other.layerNames[i];
    const target = net.layerNames.indexOf(name);
    if (target < 0) {
      log.info(`Ignoring source layer ${name}`);
      return;
    }
    const targetBlobs = net.layers[target].blobs;
    checkOp(
      null,
      targetBlobs.length,
      '==',
      sourceLayer.blobs.length,
      'target_blobs.size() == source_layer->blobs().size()',
      `Incompatible number of blobs for layer ${name}`,
    );
    targetBlobs.forEach((blob, j) => {
      const src = sourceLayer.blobs[j];
      if (!sameShape(blob.shape, src.shape)) {
        checkFailed(
          null,
          'target_blobs[j]->shape() == source_blob->shape()',
          `Cannot share param ${j} weights from layer '${name}'; shape mismatch.  Source param shape is ` +
            `${src.shapeString()}; target param shape is ${blob.shapeString()}`,
        );
      }
      blob.shareData(src);
    });
  });
}

/** Caffe's Layer::ToProto: the layer's definition with its current parameter blobs. */
export function layerToProto(layer: Layer, writeDiff: boolean): Message {
  const m: Message = {};
  for (const [k, v] of Object.entries(layer.layerParam)) if (k !== 'blobs' && v !== undefined) m[k] = cloneMessage(v);
  if (layer.blobs.length) m.blobs = layer.blobs.map((b) => b.toProto(writeDiff));
  return m;
}

/**
 * Caffe's hdf5_load_nd_dataset (no reshape, float): the dataset at `dsPath` of `tree` into `blob`,
 * whose shape it must have. `name` is the dataset's name as Caffe's messages give it.
 */
export function loadHdf5Blob(tree: Hdf5Tree, dsPath: string, name: string, blob: Blob): void {
  const node = tree[dsPath];
  if (!node || node.kind !== 'dataset') {
    checkFailed(null, 'H5LTfind_dataset(file_id, dataset_name_)', `Failed to find HDF5 dataset ${name}`);
  }
  const dims = node.shape ?? [];
  checkOp(null, dims.length, '<=', MAX_BLOB_AXES, 'ndims <= max_dim', '');
  const cls = node.typeClass ?? 'unknown';
  if (cls !== 'H5T_FLOAT' && cls !== 'H5T_INTEGER') {
    throw new CaffeError(cls.startsWith('H5T_') ? `Unsupported datatype class: ${cls}` : 'Datatype class unknown');
  }
  if (!sameShape(dims, blob.shape)) {
    const count = dims.reduce((a, b) => a * b, 1);
    checkFailed(
      null,
      'blob_dims == blob->shape()',
      'Cannot load blob from hdf5; shape mismatch. Source shape is ' +
        `${dims.map((d) => `${d} `).join('')}(${count}) target shape is ${blob.shapeString()}`,
    );
  }
  if (!node.data) {
    const why = node.error ? ` (${node.error})` : '';
    checkFailed(null, 'status >= 0 (-1 vs. 0)', `Failed to read float dataset ${name}${why}`);
  }
  blob.mutableCpuData().set(node.data);
}

/** Caffe's CopyTrainedLayersFromHDF5: weights from a .caffemodel.h5, matched by layer name. */
export function copyTrainedLayersFromHdf5(net: Net, file: string): void {
  let tree: Hdf5Tree;
  try {
    tree = readHdf5Tree(file);
  } catch (e) {
    if (e instanceof Hdf5Failure && e.code === 'open') {
      checkFailed(null, 'file_hid >= 0 (-1 vs. 0)', `Couldn't open ${file}`);
    }
    throw e;
  }
  const data = tree['/data'];
  if (!data || data.kind !== 'group') {
    checkFailed(null, 'data_hid >= 0 (-1 vs. 0)', `Error reading weights from ${file}`);
  }
  for (const name of data.keys ?? []) {
    const target = net.layerNamesIndex.get(name);
    if (target === undefined) {
      log.info(`Ignoring source layer ${name}`);
      continue;
    }
    const targetBlobs = net.layers[target].blobs;
    const layer = tree[`/data/${name}`];
    if (!layer || layer.kind !== 'group') {
      checkFailed(null, 'layer_hid >= 0 (-1 vs. 0)', `Error reading weights from ${file}`);
    }
    const numSource = layer.keys?.length ?? 0;
    checkOp(
      null,
      numSource,
      '<=',
      targetBlobs.length,
      'num_source_params <= target_blobs.size()',
      `Incompatible number of blobs for layer ${name}`,
    );
    targetBlobs.forEach((blob, j) => {
      const dsPath = `/data/${name}/${j}`;
      if (!tree[dsPath]) {
        // absent from the source: fine when the target shares this param from another layer
        if (net.paramOwners[net.paramIdVecs[target][j]] !== -1) return;
        throw new CaffeError(`Incompatible number of blobs for layer ${name}`);
      }
      loadHdf5Blob(tree, dsPath, String(j), blob);
    });
  }
}
