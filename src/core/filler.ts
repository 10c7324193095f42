// Caffe's weight fillers, chosen by FillerParameter.type.
import { withDefaults } from '../proto/schema';
import type { FillerParameter } from '../proto/caffe';
import { CaffeError, excerpt } from '../util/errors';
import { Who, check, checkOp } from '../util/check';
import { Blob } from './blob';
import { rng } from './rng';

const p = <K extends keyof FillerParameter>(m: FillerParameter | undefined, f: K) =>
  withDefaults('caffe.FillerParameter', m)[f];

const FILLERS = new Set(['constant', 'uniform', 'gaussian', 'positive_unitball', 'xavier', 'msra', 'bilinear']);

/** fan_in / fan_out / average by variance_norm, from blob shape (num = fan-out axis). */
function fanScale(blob: Blob, m: FillerParameter | undefined): number {
  const fanIn = blob.count / blob.shape[0];
  const fanOut = blob.numAxes > 1 ? blob.count / blob.shape[1] : blob.count;
  switch (p(m, 'variance_norm')) {
    case 'FAN_OUT':
      return fanOut;
    case 'AVERAGE':
      return (fanIn + fanOut) / 2;
    default:
      return fanIn;
  }
}

/**
 * Fills `blob.data` as the filler message says, with Caffe's checks: a non-empty blob, and `sparse`
 * only for the gaussian filler. `who` (the layer whose blob it is) prefixes a failure.
 */
export function fillBlob(blob: Blob, m: FillerParameter | undefined, who: Who = null): void {
  const d = blob.mutableCpuData(),
    r = rng();
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
    case 'uniform': {
      const a = p(m, 'min'),
        b = p(m, 'max');
      for (let i = 0; i < d.length; i++) d[i] = r.uniform(a, b);
      break;
    }
    case 'gaussian': {
      const mean = p(m, 'mean'),
        std = p(m, 'std');
      for (let i = 0; i < d.length; i++) d[i] = r.gaussian(mean, std);
      checkOp(who, sparse, '>=', -1, 'sparse >= -1');
      if (sparse >= 0) {
        // keep each weight with probability sparse / num_outputs
        if (blob.numAxes < 1) throw new CaffeError('sparse gaussian filler needs a blob with axes');
        const prob = sparse / blob.shape[0];
        for (let i = 0; i < d.length; i++) d[i] *= r.bernoulli(prob);
      }
      break;
    }
    case 'positive_unitball': {
      // uniform [0,1], each of the `num` rows normalized to sum 1
      for (let i = 0; i < d.length; i++) d[i] = r.next();
      const num = blob.numAxes ? blob.shape[0] : 1,
        dim = num ? blob.count / num : 0;
      check(who, dim !== 0, 'dim');
      for (let n = 0; n < num; n++) {
        let s = 0;
        for (let j = 0; j < dim; j++) s += d[n * dim + j];
        for (let j = 0; j < dim; j++) d[n * dim + j] /= s;
      }
      break;
    }
    case 'xavier': {
      // uniform(-sqrt(3/n), sqrt(3/n))
      const s = Math.sqrt(3 / fanScale(blob, m));
      for (let i = 0; i < d.length; i++) d[i] = r.uniform(-s, s);
      break;
    }
    case 'msra': {
      // gaussian(0, sqrt(2/n))
      const std = Math.sqrt(2 / fanScale(blob, m));
      for (let i = 0; i < d.length; i++) d[i] = r.gaussian(0, std);
      break;
    }
    case 'bilinear': {
      // upsampling kernel for Deconvolution
      checkOp(who, blob.numAxes, '==', 4, 'blob->num_axes() == 4', 'Blob must be 4 dim.');
      const w = blob.shape[3],
        h = blob.shape[2];
      checkOp(who, w, '==', h, 'blob->width() == blob->height()', 'Filter must be square');
      const f = Math.ceil(w / 2),
        c = (2 * f - 1 - (f % 2)) / (2 * f);
      for (let i = 0; i < d.length; i++) {
        const x = i % w,
          y = Math.floor(i / w) % h;
        d[i] = (1 - Math.abs(x / f - c)) * (1 - Math.abs(y / f - c));
      }
      break;
    }
    default:
      throw new CaffeError(`Unknown filler name: ${excerpt(type)}`);
  }
}
