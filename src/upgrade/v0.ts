// V0 -> V1 for whole nets: V0 nets describe every layer inside `layers { layer { ... } }`,
// and pad with separate "padding" layers, which the V1 format folds into conv/pool layers.
import { Message, add, clearMessage, cloneMessage, has, items } from '../proto/message';
import { checkFailed, checkOp, fatal } from '../util/check';
import { upgradeV0LayerParameter } from './v0-layer';

/** True iff some entry of `layers` still carries a V0 `layer` message. */
export function netNeedsV0ToV1Upgrade(net: Message): boolean {
  return items<Message>(net, 'layers').some((l) => has(l, 'layer'));
}

/**
 * Copies `net` into `out` (cleared first) without its "padding" layers: each one's `pad` goes
 * to the conv/pool layer that reads its output, and that layer reads the padding layer's input
 * instead. Anything else reading a padding layer's output is fatal.
 */
export function upgradeV0PaddingLayers(net: Message, out: Message): void {
  const layers = items<Message>(net, 'layers');
  const rest: Message = { ...net };
  delete rest.layers;
  const copy = cloneMessage(rest);
  clearMessage(out);
  Object.assign(out, copy);

  // Blob name -> index in `layers` of the last layer writing it (-1 for net inputs).
  const producer = new Map<string, number>();
  for (const name of items<string>(net, 'input')) producer.set(name, -1);

  const kept: Message[] = [];
  layers.forEach((conn, i) => {
    const v0: Message = conn.layer ?? {};
    const type: string = v0.type ?? '';
    if (type !== 'padding') kept.push(cloneMessage(conn));
    const bottoms = items<string>(conn, 'bottom');
    bottoms.forEach((blob, j) => {
      const src = producer.get(blob);
      // Caffe reports the bottom's index here, not the layer's.
      if (src === undefined) fatal(null, `Unknown blob input ${blob} to layer ${j}`);
      if (src === -1) return;
      const source = layers[src];
      const sourceV0: Message = source.layer ?? {};
      if ((sourceV0.type ?? '') !== 'padding') return;
      if (type !== 'conv' && type !== 'pool') {
        checkFailed(
          null,
          '(layer_param.type() == "conv") || (layer_param.type() == "pool")',
          `Padding layer input to non-convolutional / non-pooling layer type ${type}`,
        );
      }
      checkOp(
        null,
        bottoms.length,
        '==',
        1,
        'layer_connection.bottom_size() == 1',
        'Conv Layer takes a single blob as input.',
      );
      checkOp(
        null,
        items(source, 'bottom').length,
        '==',
        1,
        'source_layer.bottom_size() == 1',
        'Padding Layer takes a single blob as input.',
      );
      checkOp(
        null,
        items(source, 'top').length,
        '==',
        1,
        'source_layer.top_size() == 1',
        'Padding Layer produces a single blob as output.',
      );
      const target = kept[kept.length - 1];
      if (target.layer === undefined) target.layer = {};
      target.layer.pad = sourceV0.pad ?? 0; // an unset pad still folds in as an explicit 0
      target.bottom[j] = source.bottom[0];
    });
    for (const blob of items<string>(conn, 'top')) producer.set(blob, i);
  });
  if (kept.length > 0) out.layers = kept;
}

/**
 * Rebuilds V0 `v0Net` as a V1 net in `net` (may be the same object). Only name, layers,
 * input, input_dim and force_backward survive; every other net-level field is dropped, as
 * in Caffe. Returns false if some layer setting could not be carried over.
 */
export function upgradeV0Net(v0Net: Message, net: Message): boolean {
  const padded: Message = {};
  upgradeV0PaddingLayers(v0Net, padded);
  let compatible = true;
  clearMessage(net);
  if (has(padded, 'name')) net.name = padded.name;
  for (const v0Layer of items<Message>(padded, 'layers')) {
    const layer: Message = {};
    add(net, 'layers', layer);
    compatible = upgradeV0LayerParameter(v0Layer, layer) && compatible;
  }
  for (const name of items<string>(padded, 'input')) add(net, 'input', name);
  for (const dim of items<number>(padded, 'input_dim')) add(net, 'input_dim', dim);
  if (has(padded, 'force_backward')) net.force_backward = padded.force_backward;
  return compatible;
}
