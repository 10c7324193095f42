// LSTM (Caffe's LSTMLayer): a RecurrentLayer whose unrolled net, for t = 1..T, computes
//   h_conted_{t-1} = cont_t * h_{t-1}                                   (Scale, axis 0)
//   gate_input_t = W_hc h_conted_{t-1} + W_xc x_t + b_c [+ W_xc_static x_static]   (InnerProduct, Eltwise)
//   c_t, h_t = LSTMUnit(c_{t-1}, gate_input_t, cont_t)
// with W_xc x + b_c computed for all timesteps at once and sliced, and h = concat(h_1..h_T). Parameters,
// in this order (the layer's blobs): W_xc (4H x input), b_c (4H), [W_xc_static (4H x static input)], W_hc
// (4H x H). Hidden state: h_0, c_0 in; h_T, c_T out. Layer, blob and parameter names are Caffe's.
import { registerLayer } from '../core/layer_factory';
import type { LayerParameter, NetParameter } from '../proto/caffe';
import { RecurrentLayer } from './recurrent';
import { unrolledLayers } from './unrolled';

export class LSTMLayer extends RecurrentLayer {
  protected recurrentInputBlobNames(): string[] {
    return ['h_0', 'c_0'];
  }
  protected recurrentOutputBlobNames(): string[] {
    return [`h_${this.T}`, 'c_T'];
  }
  protected recurrentInputShapes(): number[][] {
    const H = this.param('recurrent_param').num_output;
    return [
      [1, this.N, H],
      [1, this.N, H],
    ];
  }
  protected outputBlobNames(): string[] {
    return ['h'];
  }

  protected fillUnrolledNet(net: NetParameter): void {
    const H = this.numOutput();
    const u = unrolledLayers(this.rawParam('recurrent_param'), 4 * H);
    const [c0Shape, h0Shape] = this.recurrentInputShapes();
    const layers = net.layer as LayerParameter[];
    layers.push({ type: 'Input', top: ['c_0', 'h_0'], input_param: { shape: [{ dim: c0Shape }, { dim: h0Shape }] } });
    const contSlice = u.slice('cont_slice', 'cont');
    layers.push(contSlice);
    // W_xc_x = W_xc x + b_c, all timesteps at once
    layers.push(u.hidden('x_transform', 'x', 'W_xc_x', ['W_xc', 'b_c'], { bias: true, propagateDown: true }));
    if (this.staticInput) layers.push(...u.staticTransform('W_xc'));
    const xSlice = u.slice('W_xc_x_slice', 'W_xc_x');
    layers.push(xSlice);
    const concat = u.concat('h_concat', 'h');
    const staticBlob = this.staticInput ? 'W_xc_x_static' : undefined;
    for (let t = 1; t <= this.T; t++) {
      const ts = String(t),
        tm1s = String(t - 1);
      contSlice.top!.push(`cont_${ts}`);
      xSlice.top!.push(`W_xc_x_${ts}`);
      layers.push(
        u.contScale(`h_conted_${tm1s}`, `h_${tm1s}`, `cont_${ts}`),
        u.hidden(`transform_${ts}`, `h_conted_${tm1s}`, `W_hc_h_${tm1s}`, ['W_hc']),
        u.sum(`gate_input_${ts}`, [`W_hc_h_${tm1s}`, `W_xc_x_${ts}`], `gate_input_${ts}`, staticBlob),
        {
          type: 'LSTMUnit',
          bottom: [`c_${tm1s}`, `gate_input_${ts}`, `cont_${ts}`],
          top: [`c_${ts}`, `h_${ts}`],
          name: `unit_${ts}`,
        },
      );
      concat.bottom!.push(`h_${ts}`);
    }
    layers.push({ type: 'Split', bottom: [`c_${this.T}`], top: ['c_T'] }, concat);
  }
}

registerLayer('LSTM', LSTMLayer);
