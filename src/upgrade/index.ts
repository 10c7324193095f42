// Caffe's automatic upgrades of old net and solver definitions (caffe/util/upgrade_proto).
// Every function works on plain-object messages (see src/proto/schema.ts) and, like Caffe,
// mutates its output argument; LOG(FATAL)/CHECK failures throw CaffeError.
export { netNeedsUpgrade, upgradeNetAsNeeded } from './net';
export { netNeedsV0ToV1Upgrade, upgradeV0Net, upgradeV0PaddingLayers } from './v0';
export { upgradeV0LayerParameter, upgradeV0LayerType } from './v0-layer';
export { netNeedsDataUpgrade, upgradeNetDataTransformation } from './data';
export { netNeedsV1ToV2Upgrade, upgradeV1Net, upgradeV1LayerParameter, upgradeV1LayerType } from './v1';
export { netNeedsInputUpgrade, upgradeNetInput } from './input';
export { netNeedsBatchNormUpgrade, upgradeNetBatchNorm } from './batchnorm';
export {
  solverNeedsTypeUpgrade,
  upgradeSolverType,
  upgradeSolverAsNeeded,
  upgradeSnapshotPrefixProperty,
} from './solver';
