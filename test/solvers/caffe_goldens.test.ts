// Training parity with reference Caffe (scripts/caffe-solver-goldens.js): the six solver types, the
// seven lr policies, iter_size 2 + clip_gradients + average_loss, L1 and L2 weight decay, on a small
// conv net fed by fixed Parameter inputs. Against the committed goldens (solver-caffe.json): every
// logged loss within 1e-4 relative (Caffe prints 6 digits), every lr, clipping factor and test output,
// and the final weights' digest. Live, when Caffe is installed: the same runs side by side, final
// weights within 1e-4 relative L2, and with engine CAFFE byte-identical to Caffe's.
import * as fs from 'fs';
import * as path from 'path';
import * as lib from '../../src';
import { setEngine } from '../../src/backend';
import { describeCaffe, tmpDir } from '../helpers';
import { G, modelBlobs, relL2, runOurs, worstRel } from './solver_helpers';

/** What scripts/caffe-solver-goldens.js recorded of reference Caffe's run of each case. */
interface SolverGolden {
  losses: number[];
  lrs: number[];
  clips: number[];
  tests: [string, number][];
  multistep: unknown[];
  weights: Record<string, { l2: number; sum: number; samples: number[] }>;
}
const golden: Record<string, SolverGolden> = require('../golden/solver-caffe.json');
const IDS: string[] = Object.keys(G.CASES);

describe('solver runs match the goldens from reference Caffe', () => {
  it('covers every solver type and lr policy', () => {
    expect(new Set(IDS.map((id) => G.CASES[id].type))).toEqual(
      new Set(['SGD', 'Nesterov', 'AdaGrad', 'RMSProp', 'AdaDelta', 'Adam']),
    );
    expect(new Set(IDS.map((id) => G.CASES[id].lr_policy))).toEqual(
      new Set(['fixed', 'step', 'exp', 'inv', 'multistep', 'poly', 'sigmoid']),
    );
    expect(Object.keys(golden).sort()).toEqual([...IDS].sort());
  });

  it.each(IDS)('%s', async (id) => {
    const dir = tmpDir('caffets-solver-');
    try {
      const { log } = await runOurs(id, dir);
      const want = golden[id];
      expect(log.losses).toHaveLength(G.MAX_ITER + 1);
      expect(worstRel(log.losses, want.losses, 10)).toBeLessThan(1e-4);
      expect(worstRel(log.losses, want.losses)).toBeLessThan(1e-4);
      expect(log.lrs).toHaveLength(G.MAX_ITER);
      expect(worstRel(log.lrs, want.lrs)).toBeLessThan(2e-6);
      expect(log.multistep).toEqual(want.multistep);
      expect(log.clips).toHaveLength(want.clips.length);
      expect(worstRel(log.clips, want.clips)).toBeLessThan(1e-4);
      expect(log.tests.map((t: [string, number]) => t[0])).toEqual(want.tests.map((t: [string, number]) => t[0]));
      expect(
        worstRel(
          log.tests.map((t: [string, number]) => t[1]),
          want.tests.map((t: [string, number]) => t[1]),
        ),
      ).toBeLessThan(1e-4);
      const ours = G.digest(modelBlobs(path.join(dir, `ours_iter_${G.MAX_ITER}.caffemodel`)));
      expect(Object.keys(ours)).toEqual(Object.keys(want.weights));
      for (const [k, w] of Object.entries(want.weights)) {
        expect({ k, l2: Math.abs(ours[k].l2 - w.l2) / w.l2 < 1e-4 }).toEqual({ k, l2: true });
        expect({ k, sum: Math.abs(ours[k].sum - w.sum) / w.l2 < 1e-4 }).toEqual({ k, sum: true });
        const d = Math.hypot(...w.samples.map((v: number, i: number) => v - ours[k].samples[i]));
        expect({ k, samples: d / w.l2 < 1e-4 }).toEqual({ k, samples: true });
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describeCaffe('solver runs side by side with reference Caffe', () => {
  it.each(IDS)('%s', async (id) => {
    const dir = tmpDir('caffets-solver-live-');
    try {
      const solver = G.writeCase(lib, id, dir, 'caffe');
      const caffe = G.parseLog(
        G.runCaffe(dir, [`--solver=${solver}`, `--weights=${path.join(dir, 'init.caffemodel')}`]),
      );
      const { log } = await runOurs(id, dir);
      expect(worstRel(log.losses, caffe.losses, 10)).toBeLessThan(1e-4);
      expect(worstRel(log.lrs, caffe.lrs)).toBeLessThan(2e-6);
      const caffeModel = path.join(dir, `caffe_iter_${G.MAX_ITER}.caffemodel`);
      const err = relL2(modelBlobs(path.join(dir, `ours_iter_${G.MAX_ITER}.caffemodel`)), modelBlobs(caffeModel));
      expect(err).toBeLessThan(1e-4);
      // engine CAFFE (Caffe's BLAS calls, expf/powf): the very same weights file
      setEngine('CAFFE');
      await runOurs(id, dir, 'exact');
      const exact = path.join(dir, `exact_iter_${G.MAX_ITER}.caffemodel`);
      expect({ id, relL2: relL2(modelBlobs(exact), modelBlobs(caffeModel)) }).toEqual({ id, relL2: 0 });
      expect(fs.readFileSync(exact).equals(fs.readFileSync(caffeModel))).toBe(true);
    } finally {
      setEngine('DEFAULT');
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
