// Old V1 data layers kept scale/mean_file/crop_size/mirror in their own *_param; they now
// live in transform_param.
import { Message, has, items, mutable } from '../proto/message';

// V1 layer type -> the sub-message that used to hold the transformation fields.
const DATA_LAYERS: Array<[string, string]> = [
  ['DATA', 'data_param'],
  ['IMAGE_DATA', 'image_data_param'],
  ['WINDOW_DATA', 'window_data_param'],
];
const MOVED_FIELDS = ['scale', 'mean_file', 'crop_size', 'mirror'];

/** True iff a V1 data layer sets a transformation field in its data-source parameters. */
export function netNeedsDataUpgrade(net: Message): boolean {
  for (const layer of items<Message>(net, 'layers')) {
    for (const [type, param] of DATA_LAYERS) {
      if (layer.type !== type) continue;
      if (MOVED_FIELDS.some((f) => has(layer[param], f))) return true;
    }
  }
  return false;
}

/**
 * Moves the transformation fields of every V1 data layer into its transform_param. Like
 * Caffe, every DATA/IMAGE_DATA/WINDOW_DATA layer ends up with both its *_param and its
 * transform_param set, even when they stay empty.
 */
export function upgradeNetDataTransformation(net: Message): void {
  for (const layer of items<Message>(net, 'layers')) {
    for (const [type, param] of DATA_LAYERS) {
      if (layer.type !== type) continue;
      const source = mutable(layer, param);
      const transform = mutable(layer, 'transform_param');
      for (const f of MOVED_FIELDS) {
        if (!has(source, f)) continue;
        transform[f] = source[f];
        delete source[f];
      }
    }
  }
}
