// The Net and its construction helpers (Caffe's net.cpp and util/insert_splits.cpp).
export { Net } from './net';
export type { NetStateOverrides } from './net';
export { filterNet, layerIncluded, stateMeetsRule } from './filter';
export { insertSplits, configureSplitLayer, splitBlobName, splitLayerName } from './insert_splits';
export { blobShapeEqualsProto } from './net_params';
export { planDiffMemory } from './diff_plan';
