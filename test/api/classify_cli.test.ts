// classify without ../shared: a tiny linear net (Input 3x4x4 -> InnerProduct 4), so that every
// output is checked by hand: Caffe's preprocessing (mean of the mean file, channel conversion),
// --center_only / --oversample crops, --raw_scale / --input_scale / --channel_swap, the top-N order
// of std::partial_sort, Caffe's printf, the JSON document, and the one-line errors.
import * as fs from 'fs';
import * as path from 'path';
import sharp from 'sharp';
import { Classifier, ClassifierOptions, readLabels, topN } from '../../src/api/classify';
import { classifyCommand, expandImageArgs, fixed4 } from '../../src/api/classify_command';
import { toChannels } from '../../src/api/classify_input';
import { grayOpenCV } from '../../src/io/gray';
import { Image } from '../../src/io/image';
import { resizeLinear } from '../../src/io/resize';
import { writeProtoToBinaryFile } from '../../src/io/proto_io';
import { run as runCli } from '../../src/cli/main';
import { setMinLogLevel } from '../../src/util/logging';
import { tmpDir } from '../helpers';

const dir = tmpDir('caffets-classify-');
const K = 4,
  C = 3,
  H = 4,
  W = 4,
  D = C * H * W;
const weights = Float32Array.from({ length: K * D }, (_, i) => ((i * 7) % 13) / 8 - 0.75);
const bias = Float32Array.from([0.5, -1, 0.25, 2]);
const P = (f: string) => path.join(dir, f);

// a 6x8 RGB picture with distinct pixels, as PNG (lossless: the decoded pixels are these)
const RGB = Uint8Array.from({ length: 6 * 8 * 3 }, (_, i) => (i * 37 + 11) % 256);
const BGR: Image = {
  channels: 3,
  height: 6,
  width: 8,
  data: Uint8Array.from(RGB, (_, i) => RGB[i - (i % 3) + 2 - (i % 3)]),
};

beforeAll(async () => {
  setMinLogLevel(2);
  fs.writeFileSync(
    P('deploy.prototxt'),
    `name: "tiny"
layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 1 dim: ${C} dim: ${H} dim: ${W} } } }
layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip" inner_product_param { num_output: ${K} } }\n`,
  );
  writeProtoToBinaryFile(
    {
      name: 'tiny',
      layer: [
        {
          name: 'ip',
          type: 'InnerProduct',
          blobs: [
            { shape: { dim: [K, D] }, data: weights },
            { shape: { dim: [K] }, data: bias },
          ],
        },
      ],
    },
    'caffe.NetParameter',
    P('w.caffemodel'),
  );
  // mean image 3x2x2 with channel means 10, 20, 30
  writeProtoToBinaryFile(
    {
      num: 1,
      channels: 3,
      height: 2,
      width: 2,
      data: Float32Array.from([5, 15, 5, 15, 20, 20, 20, 20, 0, 60, 30, 30]),
    },
    'caffe.BlobProto',
    P('mean.binaryproto'),
  );
  writeProtoToBinaryFile(
    { num: 1, channels: 1, height: 2, width: 2, data: Float32Array.from([1, 2, 3, 4]) },
    'caffe.BlobProto',
    P('mean1.binaryproto'),
  );
  fs.writeFileSync(P('labels.txt'), 'zero\none\ntwo\r\nthree\n');
  fs.writeFileSync(P('labels3.txt'), 'a\nb\nc\n');
  fs.mkdirSync(P('imgs'));
  await sharp(Buffer.from(RGB), { raw: { width: 8, height: 6, channels: 3 } })
    .png()
    .toFile(P('imgs/pic.png'));
  await sharp(Buffer.from(RGB), { raw: { width: 8, height: 6, channels: 3 } })
    .png()
    .toFile(P('imgs/pic2.png'));
  fs.writeFileSync(P('imgs/notes.txt'), 'not an image');
  fs.writeFileSync(P('list.txt'), 'imgs/pic.png 3\n\n# comment\nimgs/pic2.png\n');
}, 30000);
afterAll(() => setMinLogLevel(0));

/** Expected net output for the crop (y0, x0, mirror) of img (BGR HWC), preprocessed as given. */
function expected(
  img: Image,
  y0: number,
  x0: number,
  mirror: boolean,
  pre: (v: number, c: number) => number,
  srcCh = [0, 1, 2],
): number[] {
  const x = new Float64Array(D);
  for (let c = 0; c < C; c++)
    for (let y = 0; y < H; y++)
      for (let xx = 0; xx < W; xx++) {
        const sx = x0 + (mirror ? W - 1 - xx : xx);
        x[(c * H + y) * W + xx] = pre(img.data[((y0 + y) * img.width + sx) * 3 + srcCh[c]], c);
      }
  return Array.from({ length: K }, (_, k) => {
    let s = bias[k];
    for (let i = 0; i < D; i++) s += weights[k * D + i] * x[i];
    return s;
  });
}

async function scores(o: Partial<ClassifierOptions>): Promise<Float32Array> {
  const c = new Classifier({ deploy: P('deploy.prototxt'), weights: P('w.caffemodel'), ...o });
  let s: Float32Array | undefined;
  await c.classifyFiles([P('imgs/pic.png')], 5, (r) => {
    s = r.scores;
    if (r.error) throw new Error(r.error);
  });
  return s!;
}

const close = (got: Float32Array, want: number[]) => want.forEach((w, i) => expect(got[i]).toBeCloseTo(w, 3));

describe('classify preprocessing', () => {
  it('resize mode: cv::resize to the input, minus the per-channel mean of the mean file', async () => {
    const r = resizeLinear(BGR, H, W),
      mean = [10, 20, 30];
    close(
      await scores({ meanFile: P('mean.binaryproto') }),
      expected(r, 0, 0, false, (v, c) => v - mean[c]),
    );
  });

  it('--mean_value, --raw_scale, --input_scale, --channel_swap', async () => {
    const r = resizeLinear(BGR, H, W);
    close(
      await scores({ meanValue: [1, 2, 3], rawScale: 1, inputScale: 0.5 }),
      expected(r, 0, 0, false, (v, c) => (v / 255 - [1, 2, 3][c]) * 0.5),
    );
    // channel_swap 0,1,2 = RGB order fed to the net
    close(
      await scores({ meanValue: [7], channelSwap: [0, 1, 2] }),
      expected(r, 0, 0, false, (v) => v - 7, [2, 1, 0]),
    );
  });

  it('--center_only: resize to --images_dim, then the center crop', async () => {
    const r = resizeLinear(BGR, 6, 7);
    close(
      await scores({ mode: 'center', imagesDim: [6, 7] }),
      expected(r, 1, 1, false, (v) => v),
    );
  });

  it('--oversample: the mean of 4 corners + center and their mirrors', async () => {
    const r = resizeLinear(BGR, 6, 7),
      crops: [number, number][] = [
        [0, 0],
        [0, 3],
        [2, 0],
        [2, 3],
        [1, 1],
      ];
    const all = [false, true].flatMap((m) => crops.map(([y, x]) => expected(r, y, x, m, (v) => v - 100)));
    const want = Array.from({ length: K }, (_, k) => all.reduce((s, o) => s + o[k], 0) / 10);
    close(await scores({ mode: 'oversample', imagesDim: [6, 7], meanValue: [100] }), want);
    close(await scores({ mode: 'oversample', imagesDim: [6, 7], meanValue: [100], batchSize: 3 }), want);
  });
});

describe('classify output', () => {
  it("Caffe's lines: top-5 capped by the labels, 4 decimals", async () => {
    let text = '';
    const code = await classifyCommand({
      positionals: [P('deploy.prototxt'), P('w.caffemodel'), P('mean.binaryproto'), P('labels.txt'), P('imgs/pic.png')],
      out: (s) => {
        text += s;
      },
      progress: false,
    });
    expect(code).toBe(0);
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toBe(`---------- Prediction for ${P('imgs/pic.png')} ----------`);
    expect(lines).toHaveLength(5);
    for (const l of lines.slice(1)) expect(l).toMatch(/^-?\d+\.\d{4} - "(zero|one|two|three)"$/);
  });

  it('--json: one document; unreadable images are error entries, the others still classified', async () => {
    let text = '';
    const code = await classifyCommand({
      positionals: [
        P('deploy.prototxt'),
        P('w.caffemodel'),
        P('imgs/pic.png'),
        P('missing.jpg'),
        P('imgs/notes.txt'),
        P('imgs/pic2.png'),
      ],
      meanValue: [1, 2, 3],
      labels: '-',
      topK: 2,
      json: true,
      out: (s) => {
        text += s;
      },
      progress: false,
    });
    expect(code).toBe(1);
    const doc = JSON.parse(text);
    expect(doc).toMatchObject({
      deploy: P('deploy.prototxt'),
      weights: P('w.caffemodel'),
      mean: [1, 2, 3],
      labels: null,
      output: 'ip',
      mode: 'resize',
    });
    expect(doc.results).toHaveLength(4);
    expect(doc.results[0].predictions).toHaveLength(2);
    expect(Object.keys(doc.results[0].predictions[0]).sort()).toEqual(['index', 'score']);
    expect(doc.results[1].error).toContain(P('missing.jpg'));
    expect(doc.results[2].error).toContain(P('imgs/notes.txt'));
    expect(doc.results[3].predictions).toEqual(doc.results[0].predictions);
  });

  it('the CLI: --mean_value, --labels, a folder and an @list', async () => {
    let text = '';
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
      text += String(s);
      return true;
    });
    try {
      const code = await runCli([
        'classify',
        P('deploy.prototxt'),
        P('w.caffemodel'),
        '--mean_value=1,2,3',
        `--labels=${P('labels.txt')}`,
        '--top_k=3',
        P('imgs'),
        `@${P('list.txt')}`,
      ]);
      expect(code).toBe(0);
    } finally {
      spy.mockRestore();
      setMinLogLevel(2);
    }
    const heads = text.split('\n').filter((l) => l.startsWith('----------'));
    expect(heads).toEqual(
      [P('imgs/pic.png'), P('imgs/pic2.png'), P('imgs/pic.png'), P('imgs/pic2.png')].map(
        (f) => `---------- Prediction for ${f} ----------`,
      ),
    );
    expect(text.split('\n').filter((l) => / - "/.test(l))).toHaveLength(12);
  });

  it('the CLI: `none` for the mean and the labels prints class indices', async () => {
    let text = '';
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
      text += String(s);
      return true;
    });
    try {
      expect(
        await runCli([
          'classify',
          P('deploy.prototxt'),
          P('w.caffemodel'),
          'none',
          'none',
          P('imgs/pic.png'),
          '--top_k=4',
          '--center_only',
          '--images_dim=6,7',
        ]),
      ).toBe(0);
    } finally {
      spy.mockRestore();
      setMinLogLevel(2);
    }
    const lines = text.trimEnd().split('\n').slice(1);
    expect(lines.map((l) => l.replace(/^.* - /, '')).sort()).toEqual(['0', '1', '2', '3']);
    const want = expected(resizeLinear(BGR, 6, 7), 1, 1, false, (v) => v);
    expect(lines.map((l) => Number(l.split(' - ')[0]))).toEqual(
      [...want].sort((a, b) => b - a).map((v) => Number(v.toFixed(4))),
    );
  });
});

describe('classify errors', () => {
  const base = (o: Partial<ClassifierOptions> = {}) =>
    new Classifier({ deploy: P('deploy.prototxt'), weights: P('w.caffemodel'), ...o });
  it('missing model, weights, mean, labels', () => {
    expect(() => base({ deploy: P('nope.prototxt') })).toThrow(`File not found: ${P('nope.prototxt')}`);
    expect(() => base({ weights: P('nope.caffemodel') })).toThrow(`File not found: ${P('nope.caffemodel')}`);
    expect(() => base({ meanFile: P('nope.binaryproto') })).toThrow(`File not found: ${P('nope.binaryproto')}`);
    expect(() => base({ labels: P('nope.txt') })).toThrow(`Unable to open labels file ${P('nope.txt')}`);
  });
  it('a mean file of the wrong channel count, a labels file of the wrong length', () => {
    expect(() => base({ meanFile: P('mean1.binaryproto') })).toThrow(
      `mean file ${P('mean1.binaryproto')} has 1 channels, the net's input has 3`,
    );
    expect(() => base({ labels: P('labels3.txt') })).toThrow(
      'Number of labels is different from the output layer dimension.',
    );
    expect(() => base({ meanValue: [1, 2] })).toThrow("--mean_value has 2 values, the net's input has 3 channels");
    expect(() => base({ channelSwap: [0, 0, 1] })).toThrow('is not a permutation');
    expect(() => base({ mode: 'oversample', imagesDim: [3, 8] })).toThrow(
      "--images_dim 3,8 is smaller than the net's input 4x4",
    );
  });
  it('CLI usage: errors; one `none` before the images', async () => {
    const cmd = (positionals: string[], extra = {}) =>
      classifyCommand({ positionals, progress: false, out: () => undefined, ...extra });
    await expect(cmd([P('deploy.prototxt'), P('w.caffemodel'), P('mean.binaryproto')])).rejects.toThrow(
      'missing LABELS',
    );
    await expect(cmd([P('deploy.prototxt'), P('w.caffemodel'), '-', '-'])).rejects.toThrow('no images given');
    // one `none` before the images: no labels (and no mean file, or --mean_value's)
    for (const extra of [{}, { meanValue: [1] }]) {
      let text = '';
      const code = await cmd([P('deploy.prototxt'), P('w.caffemodel'), 'none', P('imgs/pic.png')], {
        ...extra,
        out: (t: string) => (text += t),
      });
      expect([code, text.split('\n')[1]]).toEqual([0, expect.stringMatching(/^-?\d+\.\d{4} - \d$/)]);
    }
    await expect(
      cmd([P('deploy.prototxt'), P('w.caffemodel'), P('mean.binaryproto'), 'l.txt', 'x.png'], { meanValue: [1] }),
    ).rejects.toThrow('give either a mean file or --mean_value');
  });
});

describe('classify helpers', () => {
  it('topN follows libstdc++ partial_sort, ties included', () => {
    expect(topN([0.1, 0.5, 0.2, 0.9], 3)).toEqual([3, 1, 2]);
    // Caffe's LeNet output [1, 0 x 9] prints 0, then 1 3 4 2 (classification-tool/lenet_ahmdtaha.txt)
    expect(topN([1, 0, 0, 0, 0, 0, 0, 0, 0, 0], 5)).toEqual([0, 1, 3, 4, 2]);
    expect(topN([0, 1, 0, 0, 0, 0, 0, 0, 0, 0], 5)).toEqual([1, 3, 4, 0, 2]);
    expect(topN([0, 0, 0, 0, 0, 0, 0, 0, 0, 1], 5)).toEqual([9, 1, 3, 4, 0]);
    expect(topN([3], 5)).toEqual([0]);
  });
  it('fixed4 prints as printf("%.4f"), ties to even', () => {
    expect(fixed4(Math.fround(0.31341))).toBe('0.3134');
    expect(fixed4(0.03125)).toBe('0.0312');
    expect(fixed4(0.09375)).toBe('0.0938');
    expect(fixed4(-0.00001)).toBe('-0.0000');
    expect(fixed4(Math.fround(5327.8212890625))).toBe('5327.8213');
    expect(fixed4(1)).toBe('1.0000');
  });
  it("cvtColor to the net's channels: BGR->GRAY, BGRA->GRAY, BGRA->BGR, GRAY->BGR", () => {
    const bgra: Image = { channels: 4, height: 1, width: 2, data: Uint8Array.from([10, 200, 30, 255, 250, 0, 5, 0]) };
    expect(Array.from(toChannels(bgra, 1).data)).toEqual([grayOpenCV(30, 200, 10), grayOpenCV(5, 0, 250)]);
    expect(Array.from(toChannels(bgra, 3).data)).toEqual([10, 200, 30, 250, 0, 5]);
    expect(Array.from(toChannels(toChannels(bgra, 3), 1).data)).toEqual([
      grayOpenCV(30, 200, 10),
      grayOpenCV(5, 0, 250),
    ]);
    expect(Array.from(toChannels({ channels: 1, height: 1, width: 2, data: Uint8Array.from([7, 9]) }, 3).data)).toEqual(
      [7, 7, 7, 9, 9, 9],
    );
  });

  it('labels as std::getline reads them; image arguments', () => {
    expect(readLabels(P('labels.txt'))).toEqual(['zero', 'one', 'two', 'three']);
    expect(expandImageArgs([P('imgs'), `@${P('list.txt')}`, 'x.jpg'])).toEqual([
      P('imgs/pic.png'),
      P('imgs/pic2.png'),
      P('imgs/pic.png'),
      P('imgs/pic2.png'),
      'x.jpg',
    ]);
  });
});
