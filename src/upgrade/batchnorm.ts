// BatchNorm layers written for the old definition declared three param specs (usually
// `param { lr_mult: 0 }` x3) to keep the solver off their statistics blobs.
import { Message, items } from '../proto/message';

/** True iff some BatchNorm layer has exactly three param specs (the old definition). */
export function netNeedsBatchNormUpgrade(net: Message): boolean {
  return items<Message>(net, 'layer').some((l) => l.type === 'BatchNorm' && items(l, 'param').length === 3);
}

/**
 * Sets lr_mult and decay_mult to 0 in each param spec of such BatchNorm layers, keeping the
 * specs and their other fields (so the net still "needs" this upgrade afterwards, as in Caffe).
 */
export function upgradeNetBatchNorm(net: Message): void {
  for (const layer of items<Message>(net, 'layer')) {
    if (layer.type !== 'BatchNorm' || items(layer, 'param').length !== 3) continue;
    for (const spec of layer.param as Message[]) {
      spec.lr_mult = 0;
      spec.decay_mult = 0;
    }
  }
}
