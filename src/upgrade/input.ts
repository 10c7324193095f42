// Net-level `input` / `input_shape` / `input_dim` fields become an "Input" layer placed first.
import { CaffeError } from '../util/errors';
import { Message, add, cloneMessage, has, items } from '../proto/message';

/** True iff the net declares net-level `input` blobs. */
export function netNeedsInputUpgrade(net: Message): boolean {
  return has(net, 'input');
}

/**
 * Replaces the net's input fields by a layer { name: "input" type: "Input" } placed first, with
 * one top and one shape per input: input_shape[i], or else input_dim[4i .. 4i+3]. With neither
 * shape nor dims (old binary models), the input names are simply dropped.
 */
export function upgradeNetInput(net: Message): void {
  const inputs = items<string>(net, 'input');
  const shapes = items<Message>(net, 'input_shape');
  const dims = items<number>(net, 'input_dim');
  if (shapes.length > 0 || dims.length > 0) {
    const inputParam: Message = {};
    const layer: Message = { name: 'input', type: 'Input', input_param: inputParam };
    inputs.forEach((name, i) => {
      add(layer, 'top', name);
      if (shapes.length > 0) {
        // Caffe indexes past the end here (undefined behaviour); refuse instead.
        if (i >= shapes.length) {
          throw new CaffeError(
            `Net input ${i} (${name}) has no input_shape: ` +
              `${inputs.length} inputs but ${shapes.length} input_shape entries`,
          );
        }
        add(inputParam, 'shape', cloneMessage(shapes[i]));
      } else {
        if (4 * i + 4 > dims.length) {
          throw new CaffeError(
            `Net input ${i} (${name}) needs input_dim entries ${4 * i} to ` +
              `${4 * i + 3}, but only ${dims.length} input_dim values are given (4 per input)`,
          );
        }
        add(inputParam, 'shape', { dim: dims.slice(4 * i, 4 * i + 4) });
      }
    });
    net.layer = [layer, ...items<Message>(net, 'layer')];
  }
  delete net.input;
  delete net.input_shape;
  delete net.input_dim;
}
