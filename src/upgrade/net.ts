// The entry points used whenever a net is read: which upgrades a NetParameter needs, and
// applying them in Caffe's order (V0 -> V1, data transformation, V1 -> V2, inputs, BatchNorm).
import { log } from '../util/logging';
import type { Message } from '../proto/message';
import { netNeedsV0ToV1Upgrade, upgradeV0Net } from './v0';
import { netNeedsDataUpgrade, upgradeNetDataTransformation } from './data';
import { netNeedsV1ToV2Upgrade, upgradeV1Net } from './v1';
import { netNeedsInputUpgrade, upgradeNetInput } from './input';
import { netNeedsBatchNormUpgrade, upgradeNetBatchNorm } from './batchnorm';

/** True iff any upgrade applies to `net` (old BatchNorm param specs included). */
export function netNeedsUpgrade(net: Message): boolean {
  return (
    netNeedsV0ToV1Upgrade(net) ||
    netNeedsV1ToV2Upgrade(net) ||
    netNeedsDataUpgrade(net) ||
    netNeedsInputUpgrade(net) ||
    netNeedsBatchNormUpgrade(net)
  );
}

/**
 * Upgrades `net` in place to the current format. A step that goes wrong is logged and the
 * remaining steps still run; the result is false if any step did. Fatal problems throw.
 */
export function upgradeNetAsNeeded(paramFile: string, net: Message): boolean {
  let success = true;
  if (netNeedsV0ToV1Upgrade(net)) {
    log.info(`Attempting to upgrade input file specified using deprecated V0LayerParameter: ${paramFile}`);
    if (!upgradeV0Net({ ...net }, net)) {
      success = false;
      log.error(
        'Warning: had one or more problems upgrading V0NetParameter to NetParameter ' +
          '(see above); continuing anyway.',
      );
    } else {
      log.info('Successfully upgraded file specified using deprecated V0LayerParameter');
    }
    log.warning(
      'Note that future Caffe releases will not support V0NetParameter; use ' +
        './build/tools/upgrade_net_proto_text for prototxt and ./build/tools/upgrade_net_proto_binary ' +
        'for model weights upgrade this and any other net protos to the new format.',
    );
  }
  if (netNeedsDataUpgrade(net)) {
    log.info(`Attempting to upgrade input file specified using deprecated transformation parameters: ${paramFile}`);
    upgradeNetDataTransformation(net);
    log.info('Successfully upgraded file specified using deprecated data transformation parameters.');
    log.warning(
      'Note that future Caffe releases will only support transform_param messages for ' + 'transformation fields.',
    );
  }
  if (netNeedsV1ToV2Upgrade(net)) {
    log.info(`Attempting to upgrade input file specified using deprecated V1LayerParameter: ${paramFile}`);
    if (!upgradeV1Net({ ...net }, net)) {
      success = false;
      log.error('Warning: had one or more problems upgrading V1LayerParameter (see above); continuing anyway.');
    } else {
      log.info('Successfully upgraded file specified using deprecated V1LayerParameter');
    }
  }
  if (netNeedsInputUpgrade(net)) {
    log.info(`Attempting to upgrade input file specified using deprecated input fields: ${paramFile}`);
    upgradeNetInput(net);
    log.info('Successfully upgraded file specified using deprecated input fields.');
    log.warning('Note that future Caffe releases will only support input layers and not input fields.');
  }
  if (netNeedsBatchNormUpgrade(net)) {
    log.info(`Attempting to upgrade batch norm layers using deprecated params: ${paramFile}`);
    upgradeNetBatchNorm(net);
    log.info('Successfully upgraded batch norm layers using deprecated params.');
  }
  return success;
}
