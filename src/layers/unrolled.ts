// The LayerParameters LSTM's and RNN's unrolled nets are made of, as Caffe's FillUnrolledNet writes
// them (the generic InnerProduct, Eltwise, Scale, Slice, Concat, TanH layers it copies from), so that the
// internal net, its log and its parameter order are Caffe's.
import type { FillerParameter, LayerParameter, RecurrentParameter } from '../proto/caffe';
import { cloneMessage } from '../proto/message';

export interface UnrolledLayers {
  /** InnerProduct to num_output over axis 2 with the weight filler (and bias with its filler), params named. */
  hidden(
    name: string,
    bottom: string,
    top: string,
    params: string[],
    opts?: { bias?: boolean; propagateDown?: boolean },
  ): LayerParameter;
  /** W x_static (InnerProduct over axis 1, no bias) reshaped to 1 x N x num_output: `<w>_x_static`. */
  staticTransform(w: string): LayerParameter[];
  /** Slice over axis 0 of `bottom`; its tops are added per timestep. */
  slice(name: string, bottom: string): LayerParameter;
  /** h scaled by cont over axis 0 (the state flushed where a sequence starts). */
  contScale(name: string, h: string, cont: string): LayerParameter;
  /** Eltwise SUM of the bottoms, and of the static input's transform `<static>` when given. */
  sum(name: string, bottoms: string[], top: string, staticBlob?: string): LayerParameter;
  tanh(name: string, bottom: string, top: string): LayerParameter;
  /** Concat over axis 0 into `top`; its bottoms are added per timestep. */
  concat(name: string, top: string): LayerParameter;
}

/** The layer builders of an unrolled net whose InnerProducts have `numOutput` outputs. */
export function unrolledLayers(rp: RecurrentParameter, numOutput: number): UnrolledLayers {
  // Caffe copies the fillers with mutable_*_filler()->CopyFrom: set (empty) even when not given
  const filler = (f: FillerParameter | undefined): FillerParameter => cloneMessage(f ?? {});
  const ip = (bias: boolean, axis: number) => ({
    num_output: numOutput,
    bias_term: bias,
    weight_filler: filler(rp.weight_filler),
    ...(bias ? { bias_filler: filler(rp.bias_filler) } : {}),
    axis,
  });
  return {
    hidden: (name, bottom, top, params, opts = {}) => ({
      name,
      type: 'InnerProduct',
      bottom: [bottom],
      top: [top],
      param: params.map((n) => ({ name: n })),
      ...(opts.propagateDown ? { propagate_down: [true] } : {}),
      inner_product_param: ip(!!opts.bias, 2),
    }),
    staticTransform: (w) => [
      {
        name: `${w}_x_static`,
        type: 'InnerProduct',
        bottom: ['x_static'],
        top: [`${w}_x_static_preshape`],
        param: [{ name: `${w}_static` }],
        propagate_down: [true],
        inner_product_param: ip(false, 1),
      },
      {
        name: `${w}_x_static_reshape`,
        type: 'Reshape',
        bottom: [`${w}_x_static_preshape`],
        top: [`${w}_x_static`],
        // one timestep, N inferred (the batch may change), num_output
        reshape_param: { shape: { dim: [1, -1, numOutput] } },
      },
    ],
    slice: (name, bottom) => ({ name, type: 'Slice', bottom: [bottom], top: [], slice_param: { axis: 0 } }),
    contScale: (name, h, cont) => ({ name, type: 'Scale', bottom: [h, cont], top: [name], scale_param: { axis: 0 } }),
    sum: (name, bottoms, top, staticBlob) => ({
      name,
      type: 'Eltwise',
      bottom: staticBlob ? [...bottoms, staticBlob] : bottoms,
      top: [top],
      eltwise_param: { operation: 'SUM' },
    }),
    tanh: (name, bottom, top) => ({ name, type: 'TanH', bottom: [bottom], top: [top] }),
    concat: (name, top) => ({ name, type: 'Concat', bottom: [], top: [top], concat_param: { axis: 0 } }),
  };
}
