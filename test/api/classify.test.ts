// classify parity with reference BVLC Caffe: the `classification` example's top-5 lines for SqueezeNet
// v1.0, LeNet, CIFAR-10 quick (V2 and legacy V1 weights) and ResNet-20 (reference-outputs/
// classification-tool/*.txt), and the full output vectors of an ImageData front end
// (reference-outputs/*.json: imread, resize INTER_LINEAR, (x - mean_value) * scale) through
// --mean_value / --input_scale. Images the fixtures do not ship (two OpenCV samples) are skipped.
import * as fs from 'fs';
import { Classifier, ClassifierOptions, ClassifyResult } from '../../src/api/classify';
import { formatPrediction } from '../../src/api/classify_command';
import { run as runCli } from '../../src/cli/main';
import { setMinLogLevel } from '../../src/util/logging';
import { spawnSync } from 'child_process';
import { ROOT, describeShared, sharedPath } from '../helpers';
import { gpuSkipReason } from '../gpu';

const M = sharedPath('fixtures/models'),
  IMAGES = sharedPath('fixtures/images');
const REF = `${M}/reference-outputs`;
const CIFAR_SAMPLES = `${M}/cifar10-quick/samples`;
const cifar = { deploy: `${M}/cifar10-quick/deploy.prototxt`, labels: `${M}/cifar10-quick/labels.txt` };

interface Case {
  opts: ClassifierOptions;
  dirs: string[];
}
const CASES: Record<string, Case> = {
  squeezenet_dc: {
    opts: {
      deploy: `${M}/squeezenet-v1.0/deploy.prototxt`,
      weights: `${M}/squeezenet-v1.0/squeezenet_v1.0.caffemodel`,
      meanFile: `${M}/imagenet/imagenet_mean.binaryproto`,
      labels: `${M}/imagenet/synset_words.txt`,
    },
    dirs: [IMAGES],
  },
  cifar10q_simshang5000: {
    opts: {
      ...cifar,
      weights: `${M}/cifar10-quick/cifar10_quick_iter_5000.caffemodel`,
      meanFile: `${M}/cifar10-quick/mean.binaryproto`,
    },
    dirs: [CIFAR_SAMPLES, IMAGES],
  },
  cifar10q_ikkichung_v1: {
    // V1-format weights (upgraded on read) in the V2 deploy
    opts: {
      ...cifar,
      weights: `${M}/cifar10-quick-v1-legacy/cifar10_quick_iter_5000.v1.caffemodel`,
      meanFile: `${M}/cifar10-quick/mean.binaryproto`,
    },
    dirs: [CIFAR_SAMPLES, IMAGES],
  },
  resnet20_cifar10: {
    opts: {
      ...cifar,
      deploy: `${M}/resnet20-cifar10/deploy.prototxt`,
      weights: `${M}/resnet20-cifar10/cifar10_res20_iter_64000.caffemodel`,
      meanFile: `${M}/cifar10-quick/mean.binaryproto`,
    },
    dirs: [CIFAR_SAMPLES, IMAGES],
  },
  lenet_ahmdtaha: {
    // no mean file ships with LeNet: a zero mean (the outputs saturate to 1 / exact 0s)
    opts: {
      deploy: `${M}/lenet-mnist/deploy.prototxt`,
      weights: `${M}/lenet-mnist/lenet_iter_10000.caffemodel`,
      meanValue: [0],
      labels: `${M}/lenet-mnist/labels.txt`,
    },
    dirs: [`${M}/lenet-mnist/samples`],
  },
};

/** `### model | image` headers, then Caffe's `score - "label"` lines. */
function readToolOutput(name: string): Map<string, { score: number; label: string }[]> {
  const out = new Map<string, { score: number; label: string }[]>();
  let cur: { score: number; label: string }[] = [];
  for (const line of fs.readFileSync(`${REF}/classification-tool/${name}.txt`, 'utf8').split('\n')) {
    const h = /^### \S+ \| (\S+)/.exec(line);
    if (h) out.set(h[1], (cur = []));
    const p = /^(\S+) - "(.*)"$/.exec(line);
    if (p) cur.push({ score: Number(p[1]), label: p[2] });
  }
  return out;
}

function findImage(dirs: string[], name: string): string | undefined {
  return dirs.map((d) => `${d}/${name}`).find((p) => fs.existsSync(p));
}

async function run(
  opts: ClassifierOptions,
  files: string[],
  each?: (r: ClassifyResult, c: Classifier) => void,
): Promise<ClassifyResult[]> {
  const c = new Classifier({ batchSize: 1, ...opts });
  const results: ClassifyResult[] = [];
  await c.classifyFiles(files, 5, (r) => {
    results.push(r);
    each?.(r, c);
  });
  return results;
}

beforeAll(() => setMinLogLevel(2));
afterAll(() => setMinLogLevel(0));

describeShared("classify matches Caffe's classification example", () => {
  it.each(Object.keys(CASES))(
    "%s: same top-5 labels, scores within 0.1, Caffe's exact lines",
    async (name) => {
      const ref = readToolOutput(name),
        { opts, dirs } = CASES[name];
      const files = [...ref.keys()].map((f) => findImage(dirs, f)).filter((f): f is string => !!f);
      expect(files.length).toBeGreaterThanOrEqual(5);
      const results = await run({ ...opts, batchSize: 4 }, files);
      let maxDiff = 0;
      for (const r of results) {
        const base = r.image.slice(r.image.lastIndexOf('/') + 1),
          want = ref.get(base)!;
        expect(r.error).toBeUndefined();
        expect(r.predictions!.map((p) => p.label)).toEqual(want.map((w) => w.label));
        want.forEach((w, i) => {
          maxDiff = Math.max(maxDiff, Math.abs(w.score - r.predictions![i].score));
        });
        // the printed lines themselves (4 decimals): equal unless a score sits on a rounding edge
        const lines = formatPrediction(r).split('\n').slice(1, 6);
        const same = lines.filter((l, i) => l === `${want[i].score.toFixed(4)} - "${want[i].label}"`).length;
        expect(same).toBeGreaterThanOrEqual(4);
      }
      expect(maxDiff).toBeLessThan(0.1);
      expect(maxDiff).toBeLessThan(1e-3); // in practice: the print's rounding
    },
    120000,
  );
});

interface JsonRef {
  preprocess: { height: number; width: number; is_color: boolean; mean_value: number[]; scale: number | null };
  outputs: { image: string; blobs: Record<string, { data: number[] }> }[];
}

const JSON_CASES: Record<string, { opts: ClassifierOptions; dirs: string[] }> = {
  squeezenet_dc: CASES.squeezenet_dc,
  cifar10q_simshang5000: CASES.cifar10q_simshang5000,
  cifar10q_ikkichung_v1: CASES.cifar10q_ikkichung_v1,
  resnet20_cifar10: CASES.resnet20_cifar10,
  lenet_ahmdtaha_scaled: CASES.lenet_ahmdtaha,
  lenet_ahmdtaha_unscaled: CASES.lenet_ahmdtaha,
};

describeShared("classify front end matches Caffe's ImageData outputs (--mean_value, --input_scale)", () => {
  it.each(Object.keys(JSON_CASES))(
    '%s: every output blob within 1e-4 (relative to its largest value)',
    async (name) => {
      const ref = JSON.parse(fs.readFileSync(`${REF}/${name}.json`, 'utf8')) as JsonRef;
      const { opts, dirs } = JSON_CASES[name],
        pp = ref.preprocess;
      const o: ClassifierOptions = {
        ...opts,
        meanFile: undefined,
        meanValue: pp.mean_value.length ? pp.mean_value : undefined,
        inputScale: pp.scale ?? undefined,
      };
      const present = ref.outputs.filter((x) => findImage(dirs, x.image));
      const byImage = new Map(present.map((x) => [findImage(dirs, x.image)!, x.blobs]));
      const errs: Record<string, number> = {};
      await run(o, [...byImage.keys()], (r, c) => {
        // batch size 1: the net holds this image's blobs
        for (const [blob, want] of Object.entries(byImage.get(r.image)!)) {
          const ours = c.net.blobByName(blob).cpuData();
          expect(ours.length).toBe(want.data.length);
          let maxErr = 0,
            maxAbs = 0;
          want.data.forEach((v, i) => {
            maxErr = Math.max(maxErr, Math.abs(ours[i] - v));
            maxAbs = Math.max(maxAbs, Math.abs(v));
          });
          errs[blob] = Math.max(errs[blob] ?? 0, maxErr / (maxAbs || 1));
        }
      });
      expect(Object.keys(errs).length).toBeGreaterThan(0);
      for (const e of Object.values(errs)) expect(e).toBeLessThan(1e-4);
    },
    120000,
  );
});

describeShared('classify --center_only / --oversample on a real photo', () => {
  it('all three modes agree on a clear photo; the scores differ', async () => {
    const c = CASES.squeezenet_dc.opts,
      file = `${IMAGES}/squirrel_cls.jpg`;
    const [resize] = await run(c, [file]);
    const [center] = await run({ ...c, mode: 'center' }, [file]);
    const [over] = await run({ ...c, mode: 'oversample', batchSize: 10 }, [file]);
    for (const r of [resize, center, over]) expect(r.predictions![0].label).toMatch(/^n02356798 fox squirrel/);
    expect(center.predictions![0].score).not.toBeCloseTo(over.predictions![0].score, 3);
    expect(center.predictions![0].score).not.toBeCloseTo(resize.predictions![0].score, 3);
  }, 120000);
});

describeShared('caffets classify DEPLOY WEIGHTS none IMG... (one `none`: neither mean file nor labels)', () => {
  const L = `${M}/lenet-mnist`;
  /** `caffets classify ARGS` in process; its exit code and stdout. */
  async function classifyCli(...args: string[]): Promise<[number, string]> {
    let text = '';
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
      text += String(s);
      return true;
    });
    try {
      return [await runCli(['classify', `${L}/deploy.prototxt`, `${L}/lenet_iter_10000.caffemodel`, ...args]), text];
    } finally {
      spy.mockRestore();
      setMinLogLevel(2);
    }
  }

  it('classifies the lenet-mnist samples (a folder, a file), printing class indices', async () => {
    const [code, text] = await classifyCli('none', `${L}/samples`, `${L}/samples/img_7_0.png`);
    expect(code).toBe(0);
    const heads = text.split('\n').filter((l) => l.startsWith('----------'));
    const samples = fs.readdirSync(`${L}/samples`).filter((f) => f.endsWith('.png'));
    expect(heads).toHaveLength(samples.length + 1);
    // top-1 of each: the digit its file is named after (img_<digit>_<n>.png), printed as an index
    const top1 = text.split('\n').filter((_, i, all) => i > 0 && all[i - 1].startsWith('----------'));
    const digits = heads.map((h) => /img_(\d)_\d+\.png/.exec(h)![1]);
    expect(top1.map((l) => l.split(' - ')[1])).toEqual(digits);
    // the same as `none none`
    expect(await classifyCli('none', 'none', `${L}/samples`, `${L}/samples/img_7_0.png`)).toEqual([0, text]);
  });

  it('a labels file after `none` is still LABELS', async () => {
    const [code, text] = await classifyCli('none', `${L}/labels.txt`, `${L}/samples/img_7_0.png`);
    expect(code).toBe(0);
    expect(text.split('\n')[1]).toMatch(/^1\.0000 - "7 seven"$/);
  });
});

const gpuWhy = gpuSkipReason();
(gpuWhy ? describe.skip : describeShared)(
  `classify --gpu=0 matches Caffe's classification example${gpuWhy ? ` [skipped: ${gpuWhy}]` : ''}`,
  () => {
    it('squeezenet_dc: bin/caffets classify --gpu=0 gives the same top-5 on the 12 photos', () => {
      const ref = readToolOutput('squeezenet_dc'),
        { opts } = CASES.squeezenet_dc;
      const files = [...ref.keys()].map((f) => findImage([IMAGES], f)).filter((f): f is string => !!f);
      expect(files).toHaveLength(12);
      const r = spawnSync(
        process.execPath,
        [
          `${ROOT}/bin/caffets`,
          'classify',
          '--gpu=0',
          opts.deploy,
          opts.weights,
          opts.meanFile!,
          opts.labels!,
          ...files,
        ],
        { encoding: 'utf8', timeout: 300000 },
      );
      expect(r.status).toBe(0);
      const ours = new Map<string, string[]>();
      let cur: string[] = [];
      for (const line of r.stdout.split('\n')) {
        const h = /^---------- Prediction for (\S+) ----------$/.exec(line);
        if (h) ours.set(h[1].slice(h[1].lastIndexOf('/') + 1), (cur = []));
        const p = /^\S+ - "(.*)"$/.exec(line);
        if (p) cur.push(p[1]);
      }
      expect(ours.size).toBe(12);
      for (const [image, want] of ref) expect(ours.get(image)).toEqual(want.map((w) => w.label));
    }, 300000);
  },
);
