// RNN (Caffe's RNNLayer): a RecurrentLayer whose unrolled net, for t = 1..T, computes
//   h_conted_{t-1} = cont_t * h_{t-1}                                            (Scale, axis 0)
//   h_t = tanh(W_hh h_conted_{t-1} + W_xh x_t + b_h [+ W_xh_static x_static])    (InnerProduct, Eltwise, TanH)
//   o_t = tanh(W_ho h_t + b_o)
// with W_xh x + b_h computed for all timesteps at once and sliced, and o = concat(o_1..o_T). Parameters,
// in this order (the layer's blobs): W_xh, b_h, [W_xh_static], W_hh, W_ho, b_o. Hidden state: h_0 in,
// h_T out. Layer, blob and parameter names are Caffe's.
import { registerLayer } from '../core/layer_factory';
import type { LayerParameter, NetParameter } from '../proto/caffe';
import { RecurrentLayer } from './recurrent';
import { unrolledLayers } from './unrolled';

export class RNNLayer extends RecurrentLayer {
  protected recurrentInputBlobNames(): string[] {
    return ['h_0'];
  }
  protected recurrentOutputBlobNames(): string[] {
    return [`h_${this.T}`];
  }
  protected recurrentInputShapes(): number[][] {
    return [[1, this.N, this.param('recurrent_param').num_output]];
  }
  protected outputBlobNames(): string[] {
    return ['o'];
  }

  protected fillUnrolledNet(net: NetParameter): void {
    const u = unrolledLayers(this.rawParam('recurrent_param'), this.numOutput());
    const layers = net.layer as LayerParameter[];
    layers.push({ type: 'Input', top: ['h_0'], input_param: { shape: [{ dim: this.recurrentInputShapes()[0] }] } });
    const contSlice = u.slice('cont_slice', 'cont');
    layers.push(contSlice);
    // W_xh_x = W_xh x + b_h, all timesteps at once
    layers.push(u.hidden('x_transform', 'x', 'W_xh_x', ['W_xh', 'b_h'], { bias: true, propagateDown: true }));
    if (this.staticInput) layers.push(...u.staticTransform('W_xh'));
    const xSlice = u.slice('W_xh_x_slice', 'W_xh_x');
    layers.push(xSlice);
    const concat = u.concat('o_concat', 'o');
    const staticBlob = this.staticInput ? 'W_xh_x_static' : undefined;
    for (let t = 1; t <= this.T; t++) {
      const ts = String(t),
        tm1s = String(t - 1);
      contSlice.top!.push(`cont_${ts}`);
      xSlice.top!.push(`W_xh_x_${ts}`);
      layers.push(
        u.contScale(`h_conted_${tm1s}`, `h_${tm1s}`, `cont_${ts}`),
        u.hidden(`W_hh_h_${tm1s}`, `h_conted_${tm1s}`, `W_hh_h_${tm1s}`, ['W_hh']),
        u.sum(`h_input_sum_${ts}`, [`W_hh_h_${tm1s}`, `W_xh_x_${ts}`], `h_neuron_input_${ts}`, staticBlob),
        u.tanh(`h_neuron_${ts}`, `h_neuron_input_${ts}`, `h_${ts}`),
        u.hidden(`W_ho_h_${ts}`, `h_${ts}`, `W_ho_h_${ts}`, ['W_ho', 'b_o'], { bias: true }),
        u.tanh(`o_neuron_${ts}`, `W_ho_h_${ts}`, `o_${ts}`),
      );
      concat.bottom!.push(`o_${ts}`);
    }
    layers.push(concat);
  }
}

registerLayer('RNN', RNNLayer);
