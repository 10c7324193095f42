// Caffe's weight fillers, chosen by FillerParameter.type.
import { withDefaults } from '../proto/schema';
import type { FillerParameter } from '../proto/caffe';
import { CaffeError, excerpt } from '../util/errors';
import { Who, check, checkOp } from '../util/check';
import { Blob } from './blob';
import { caffeRngBernoulli, caffeRngGaussian, caffeRngUniform } from './rng';

const f32 = Math.fround;

const p = <K extends keyof FillerParameter>(m: FillerParameter | undefined, f: K) =>
  withDefaults('caffe.FillerParameter', m)[f];

const FILLERS = new Set(['constant', 'uniform', 'gaussian', 'positive_unitball', 'xavier', 'msra', 'bilinear']);

/**
 * Xavier's and MSRA's n, a float: fan_in = count / shape(0), fan_out = count / shape(1) (count for a
 * 1-axis blob), their mean by variance_norm AVERAGE.
 */
function fanScale(blob: Blob, m: FillerParameter | undefined): number {
  const fanIn = Math.trunc(blob.count / blob.shape[0]);
  const fanOut = blob.numAxes > 1 ? Math.trunc(blob.count / blob.shape[1]) : blob.count;
  switch (p(m, 'variance_norm')) {
    case 'FAN_OUT':
      return f32(fanOut);
    case 'AVERAGE':
      return f32(f32(fanIn + fanOut) / 2);
    default:
      return f32(fanIn);
  }
}

/**
 * Fills `blob.data` as the filler message says, with Caffe's draws (caffe_rng_*, in float) and checks: a
 * non-empty blob, and `sparse` only for the gaussian filler. `who` (the layer whose blob it is) prefixes
 * a failure.
 */
export function fillBlob(blob: Blob, m: FillerParameter | undefined, who: Who = null): void {
  const d = blob.mutableCpuData(),
    n = d.length;
  const type = p(m, 'type');
  const sparse = p(m, 'sparse');
  if (type !== 'positive_unitball' && type !== 'bilinear' && FILLERS.has(type))
    check(who, blob.count !== 0, type === 'constant' ? 'count' : 'blob->count()');
  if (type !== 'gaussian' && FILLERS.has(type))
    checkOp(who, sparse, '==', -1, 'this->filler_param_.sparse() == -1', 'Sparsity not supported by this Filler.');
  switch (type) {
    case 'constant':
      d.fill(p(m, 'value'));
      break;
    case 'uniform':
      caffeRngUniform(n, f32(p(m, 'min')), f32(p(m, 'max')), d, who);
      break;
    case 'gaussian': {
      caffeRngGaussian(n, f32(p(m, 'mean')), f32(p(m, 'std')), d, who);
      checkOp(who, sparse, '>=', -1, 'sparse >= -1');
      if (sparse >= 0) {
        // keep each weight with probability sparse / num_outputs (float), a bernoulli<float> mask
        if (blob.numAxes < 1) throw new CaffeError('sparse gaussian filler needs a blob with axes');
        const mask = new Int32Array(n);
        caffeRngBernoulli(n, f32(f32(sparse) / f32(blob.shape[0])), mask, true, who);
        for (let i = 0; i < n; i++) d[i] *= mask[i];
      }
      break;
    }
    case 'positive_unitball': {
      // uniform [0, 1], each of the shape(0) rows divided by its float sum
      caffeRngUniform(n, 0, 1, d, who);
      const num = blob.numAxes ? blob.shape[0] : 1,
        dim = num ? Math.trunc(blob.count / num) : 0;
      check(who, dim !== 0, 'dim');
      for (let r = 0; r < num; r++) {
        let s = 0;
        for (let j = 0; j < dim; j++) s = f32(s + d[r * dim + j]);
        for (let j = 0; j < dim; j++) d[r * dim + j] /= s;
      }
      break;
    }
    case 'xavier': {
      // uniform(-sqrt(3 / n), sqrt(3 / n)), in float
      const s = f32(Math.sqrt(f32(3 / fanScale(blob, m))));
      caffeRngUniform(n, -s, s, d, who);
      break;
    }
    case 'msra':
      // gaussian(0, sqrt(2 / n)), in float
      caffeRngGaussian(n, 0, f32(Math.sqrt(f32(2 / fanScale(blob, m)))), d, who);
      break;
    case 'bilinear': {
      // upsampling kernel for Deconvolution: f = ceil(w / 2), c = (w - 1) / (2 f) (as the reference
      // Caffe here, BVLC master since 2017; 1.0 had (2 f - 1 - f % 2) / (2 f)); the products in float
      checkOp(who, blob.numAxes, '==', 4, 'blob->num_axes() == 4', 'Blob must be 4 dim.');
      const w = blob.shape[3],
        h = blob.shape[2];
      checkOp(who, w, '==', h, 'blob->width() == blob->height()', 'Filter must be square');
      const f = Math.ceil(w / 2),
        c = f32((w - 1) / (2 * f));
      const tent = (t: number) => f32(1 - Math.abs(f32(f32(t / f) - c)));
      for (let i = 0; i < n; i++) d[i] = f32(tent(i % w) * tent(Math.floor(i / w) % h));
      break;
    }
    default:
      throw new CaffeError(`Unknown filler name: ${excerpt(type)}`);
  }
}
