// The WindowData layer without ../shared: the window file parser (fg / bg split in float, Caffe's
// label histogram, one-line errors with file:line:column), Caffe's crop geometry in float arithmetic
// and C rounding, and the layer on tiny PNGs made with sharp: Caffe's set-up log lines and global draws,
// batches equal to a replay of Caffe's sampling (bg then fg, raw draw % count, mirror draw), the mean
// and scale, cache_images, and the one-line errors at set-up and at forward.
import '../../src/layers/WindowData';
import * as fs from 'fs';
import * as path from 'path';
import sharp from 'sharp';
import { Rng, rng, setRandomSeed } from '../../src/core/rng';
import { windowCrop } from '../../src/data/window_batch';
import { writeProtoToBinaryFile } from '../../src/io/proto_io';
import { parseWindowFile, readWindowFile } from '../../src/io/window_file';
import type { WindowDataLayer } from '../../src/layers/WindowData';
import { captureLog, disposeAll, makeLayer, tops } from '../data/data_helpers';
import { tmpDir } from '../helpers';

afterEach(() => disposeAll());

const who = 'WindowData layer w';
const opts = { rootFolder: 'root/', fgThreshold: 0.5, bgThreshold: 0.3 };
const parse = (text: string, o = opts) => parseWindowFile(who, Buffer.from(text), 'w.txt', o);
const rows = (a: Int32Array) =>
  Array.from({ length: a.length / 6 }, (_, i) => Array.from(a.subarray(6 * i, 6 * i + 6)));

describe('window file parser', () => {
  it('reads records across any whitespace; splits fg / bg in float; forces bg classes to 0', () => {
    const f = parse(
      '# 0\n a.jpg\n3\n10\n20\n4\n1 0.5 0 1 5 6\n2 0.3 1 1 4 4\n5 0.29 2 2 8 8\n3 0.4 0 0 1 1\n' +
        '#\t1 b.png 3 7 9 2\r\n2 0.7 0 0 3 3\r\n-4 0 1 2 3 4\r\n',
    );
    expect(f.images.map((i) => [i.index, i.path, i.channels, i.height, i.width, i.numWindows, i.line])).toEqual([
      [0, 'root/a.jpg', 3, 10, 20, 4, 1],
      [1, 'root/b.png', 3, 7, 9, 2, 11],
    ]);
    // 0.5 >= fg 0.5: fg; 0.3 and 0.4 are neither (dropped); 0.29 < bg 0.3: bg, class 0
    expect(rows(f.fg)).toEqual([
      [0, 1, 0, 1, 5, 6],
      [1, 2, 0, 0, 3, 3],
    ]);
    expect(rows(f.bg)).toEqual([
      [0, 0, 2, 2, 8, 8],
      [1, 0, 1, 2, 3, 4],
    ]);
    expect([...f.labelHist].sort((a, b) => a[0] - b[0])).toEqual([
      [0, 2],
      [1, 1],
      [2, 1],
    ]);
    expect(f.fg.buffer).toBeInstanceOf(SharedArrayBuffer);
  });

  it('compares overlaps with the thresholds as floats (0.7 is 0.699999988 in both)', () => {
    const f = parse('# 0 a 3 4 4 2\n1 0.7 0 0 1 1\n1 0.69999999 0 0 1 1\n', { ...opts, fgThreshold: 0.7 });
    expect(rows(f.fg)).toHaveLength(2); // 0.69999999 rounds to the same float as 0.7
  });

  it.each([
    ['', 'Window file is empty'],
    [' \n\t', 'Window file is empty'],
    ['#0 a 3 4 4 0', 'w.txt:1:1: Check failed: hashtag == "#" (#0 vs. #) each image\'s record starts "# <index>"'],
    ['# 0\na 3 4 4 1\n1 0.9 0 0 12.5 3', 'w.txt:3:11: expected window 1 of 1: x2 (an int), found "12.5"'],
    ['# 0\na 3 4 4 1\n1 high 0 0 1 3', 'w.txt:3:3: expected window 1 of 1: the overlap (a float), found "high"'],
    [
      '# 0\na 3 4 4 2\n1 0.9 0 0 1 3\n',
      'w.txt:4:1: expected window 2 of 2: the class (an int), found the end of the file',
    ],
    ['# 0 a 3 4 4 1 0 0.9 0 0 1 1', 'Check failed: label > 0 (0 vs. 0) w.txt:1:15: a foreground window'],
    ['# 0 a 3 4 4 0\n# 2 b 3 4 4 1 1 0.1 0 0 1 1', 'w.txt:2: image index 2 is not a position 0..1 among the 2 images'],
    ['# 0 a 3 4 4 99999999999 ', 'w.txt:1:13: expected the number of windows (an int), found "99999999999"'],
  ])('refuses %j in one line', (text, msg) => {
    let err: Error | undefined;
    try {
      parse(text);
    } catch (e) {
      err = e as Error;
    }
    expect(err?.name).toBe('CaffeError');
    expect(err?.message).toContain(`${who}: ${msg}`);
    expect(err?.message).not.toContain('\n');
  });

  it("names a missing file as Caffe's CHECK does, with the reason", () => {
    expect(() => readWindowFile(who, '/nonexistent/w.txt', opts)).toThrow(
      `${who}: Check failed: infile.good() Failed to open window file /nonexistent/w.txt (ENOENT`,
    );
  });
});

describe('window crop geometry (float arithmetic, C rounding)', () => {
  const crop = (win: [number, number, number, number], c: number, pad: number, square = false, mirror = false) =>
    windowCrop(win, 500, 375, c, pad, square, mirror);

  it('warp without context: the window as it is, warped to the whole square', () => {
    expect(crop([10, 20, 99, 199], 227, 0)).toEqual({
      x: 10,
      y: 20,
      width: 90,
      height: 180,
      outWidth: 227,
      outHeight: 227,
      padW: 0,
      padH: 0,
    });
  });

  it('context_pad 16 of 227 grows the window by 227 / 195 about its centre', () => {
    // centre (200, 150), half size 100 * 1.1641026 = 116.41: 84..316, 34..266 (233 x 233) to 227 x 227
    expect(crop([100, 50, 299, 249], 227, 16)).toEqual({
      x: 84,
      y: 34,
      width: 233,
      height: 233,
      outWidth: 227,
      outHeight: 227,
      padW: 0,
      padH: 0,
    });
  });

  it('clips at the image border and pads where the clipped part would have gone (mirrored: the other side)', () => {
    // -8..108 x -4..54 (117 x 59) clipped to 0..108 x 0..54: 109 * 227/117 = 211.48, 55 * 227/59 = 211.6;
    // padding 8 * 1.94 = 15.5 -> 16 on the left, 4 * 3.85 = 15.4 -> 15 on top
    const plain = { x: 0, y: 0, width: 109, height: 55, outWidth: 211, outHeight: 212, padH: 15 };
    expect(crop([0, 0, 99, 49], 227, 16)).toEqual({ ...plain, padW: 16 });
    expect(crop([0, 0, 99, 49], 227, 16, false, true)).toEqual({ ...plain, padW: 0 });
  });

  it('shrinks the warped size where rounding would overflow the square', () => {
    // width 3 * 2.5 about 1.5: -2..5 (8), clipped to 0..5: 6 * 1.25 = 7.5 -> 8, padding 2 * 1.25 -> 3: 3 + 8 > 10
    const g = windowCrop([0, 0, 2, 5], 12, 40, 10, 3, false, false);
    expect(g).toEqual({ x: 0, y: 0, width: 6, height: 12, outWidth: 7, outHeight: 7, padW: 3, padH: 3 });
    expect(windowCrop([0, 0, 2, 5], 12, 40, 10, 3, false, true).outWidth).toBe(8); // no padding on the right
  });

  it('square mode takes the longer half side; C rounds -2.5 to -3; products round to float', () => {
    // x: centre 2.5, half 5: round(-2.5) = -3 .. round(7.5) = 8 (12 wide; Math.round would make it 11),
    // clipped to 0..8 (9); float(10/12) = 0.83333331: 9 x that is 7.4999998, which rounds to the float 7.5
    // -> 8, padding 3 x that -> 2.5 -> 3, and 3 + 8 > 10 shrinks the width to 7
    expect(windowCrop([0, 0, 4, 9], 20, 20, 10, 0, true, false)).toEqual({
      x: 0,
      y: 0,
      width: 9,
      height: 11,
      outWidth: 7,
      outHeight: 10,
      padW: 3,
      padH: 0,
    });
  });
});

describe('WindowData layer', () => {
  let dir: string;
  const S = 6; // image k: S x S, BGR pixel (h, w, c) = 40k + 6w + 2c + (h & 1)
  const px = (k: number, h: number, w: number, c: number) => 40 * k + 6 * w + 2 * c + (h & 1);

  beforeAll(async () => {
    dir = tmpDir('caffets-window-');
    for (let k = 0; k < 4; k++) {
      const rgb = Buffer.alloc(S * S * 3);
      for (let h = 0; h < S; h++)
        for (let w = 0; w < S; w++) for (let c = 0; c < 3; c++) rgb[(h * S + w) * 3 + 2 - c] = px(k, h, w, c);
      await sharp(rgb, { raw: { width: S, height: S, channels: 3 } })
        .png()
        .toFile(path.join(dir, `img${k}.png`));
    }
    // each image one whole-image window: 0, 1 foreground (classes 1, 2), 2, 3 background; one dropped
    const win = (k: number, cls: number, overlap: number) =>
      `# ${k}\nimg${k}.png\n3\n${S}\n${S}\n${k === 0 ? 2 : 1}\n` +
      `${cls} ${overlap} 0 0 ${S - 1} ${S - 1}\n${k === 0 ? '3 0.4 0 0 2 2\n' : ''}`;
    fs.writeFileSync(path.join(dir, 'w.txt'), win(0, 1, 0.9) + win(1, 2, 0.8) + win(2, 0, 0.1) + win(3, 7, 0.2));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const layer = (wp: object = {}, tp: object = {}, phase = 'TRAIN') =>
    makeLayer<WindowDataLayer>({
      type: 'WindowData',
      phase,
      transform_param: { crop_size: S, mirror: true, mean_value: [1, 2, 3], ...tp },
      window_data_param: {
        source: path.join(dir, 'w.txt'),
        root_folder: `${dir}/`,
        batch_size: 4,
        fg_fraction: 0.5,
        bg_threshold: 0.3,
        scale: 0.5,
        ...wp,
      },
    });

  /** Caffe's sampling replayed: per batch, bg then fg windows, each a draw % count and a mirror draw. */
  function replay(seed: number, batches: number) {
    const r = new Rng(seed);
    const out: { data: number[]; label: number[] }[] = [];
    for (let b = 0; b < batches; b++) {
      const data: number[] = [],
        label: number[] = [];
      for (const [images, labels] of [
        [
          [2, 3],
          [0, 0],
        ],
        [
          [0, 1],
          [1, 2],
        ],
      ]) {
        for (let i = 0; i < 2; i++) {
          const j = r.u32() % 2,
            mirror = r.u32() % 2 === 1;
          for (let c = 0; c < 3; c++)
            for (let h = 0; h < S; h++)
              for (let w = 0; w < S; w++) data.push(0.5 * (px(images[j], h, mirror ? S - 1 - w : w, c) - (c + 1)));
          label.push(labels[j]);
        }
      }
      out.push({ data, label });
    }
    return out;
  }

  it("logs Caffe's set-up lines, draws its seeds from the global generator in Caffe's order, shapes the tops", () => {
    setRandomSeed(77);
    const l = layer();
    const t = tops(2);
    const log = captureLog();
    try {
      l.setUp([], t);
    } finally {
      log.stop();
    }
    expect(log.lines).toEqual([
      'Window data layer:\n  foreground (object) overlap threshold: 0.5\n' +
        '  background (non-object) overlap threshold: 0.3\n  foreground sampling fraction: 0.5\n' +
        `  cache_images: 0\n  root_folder: ${dir}/`,
      `num: 0 ${dir}/img0.png 3 6 6 windows to process: 2`,
      'Number of images: 4',
      'class 0 has 2 samples',
      'class 1 has 1 samples',
      'class 2 has 1 samples',
      'Amount of context padding: 0',
      'Crop mode: warp',
      'output data size: 4,3,6,6',
    ]);
    expect(t[0].shape).toEqual([4, 3, S, S]);
    expect(t[1].shape).toEqual([4]);
    // InitRand, prefetch_rng_'s seed, InitRand again, the thread's seed: the next draw is the fifth
    const g = new Rng(77);
    for (let i = 0; i < 4; i++) g.u32();
    expect(rng().u32()).toBe(g.u32());
  });

  it("batches are Caffe's sampling replayed: windows, mirrors, (pixel - mean_value) * scale, classes", () => {
    setRandomSeed(5);
    const seed = (() => {
      const g = new Rng(5);
      g.u32(); // the transformer's InitRand
      return g.u32();
    })();
    const l = layer();
    const t = tops(2);
    l.setUp([], t);
    for (const want of replay(seed, 3)) {
      l.forward([], t);
      expect(Array.from(t[1].cpuData())).toEqual(want.label);
      expect(Array.from(t[0].cpuData())).toEqual(want.data);
    }
  });

  it('ignores transform_param.scale as Caffe does, with a warning (window_data_param.scale applies)', () => {
    setRandomSeed(5);
    const l = layer({}, { scale: 2 });
    const t = tops(2);
    const log = captureLog();
    try {
      l.setUp([], t);
    } finally {
      log.stop();
    }
    expect(log.lines).toContain(
      'WindowData layer data: transform_param.scale is not applied (as in Caffe): window_data_param.scale is',
    );
    l.forward([], t);
    const g = new Rng(5);
    g.u32();
    expect(Array.from(t[0].cpuData())).toEqual(replay(g.u32(), 1)[0].data);
  });

  it('cache_images reads every image at set-up (a file deleted later is still served); without, forward fails', () => {
    const copy = tmpDir('caffets-window-cache-');
    try {
      for (let k = 0; k < 4; k++) fs.copyFileSync(path.join(dir, `img${k}.png`), path.join(copy, `img${k}.png`));
      setRandomSeed(5);
      const cached = layer({ root_folder: `${copy}/`, cache_images: true });
      const plain = layer({ root_folder: `${copy}/` });
      const t = tops(2),
        u = tops(2);
      cached.setUp([], t);
      for (let k = 0; k < 4; k++) fs.unlinkSync(path.join(copy, `img${k}.png`));
      plain.setUp([], u);
      cached.forward([], t);
      expect(t[0].count).toBe(4 * 3 * S * S);
      expect(() => plain.forward([], u)).toThrow(
        new RegExp(`^WindowData layer data: Could not open or find file ${copy}/img\\d.png \\(ENOENT\\)$`),
      );
    } finally {
      fs.rmSync(copy, { recursive: true, force: true });
    }
  });

  const setUpError = (wp: object, tp: object = {}) => {
    try {
      layer(wp, tp).setUp([], tops(2));
    } catch (e) {
      expect((e as Error).name).toBe('CaffeError');
      expect((e as Error).message).not.toContain('\n');
      return (e as Error).message;
    }
    return 'no error';
  };

  it.each([
    [{ fg_fraction: 1.5 }, {}, 'fg_fraction 1.5 asks for 6 foreground windows in a batch of 4'],
    [{ context_pad: 3 }, {}, 'context_pad 3 leaves no window in crop_size 6 (crop_size > 2 context_pad)'],
    [{ fg_threshold: 0.95 }, {}, 'Check failed: fg_windows_.size() > 0 (0 vs. 0) no window in'],
    [{ bg_threshold: 0.05 }, {}, 'Check failed: bg_windows_.size() > 0 (0 vs. 0) no window in'],
    [{ crop_size: 6 }, { crop_size: 0 }, 'Check failed: crop_size > 0 (0 vs. 0) set transform_param.crop_size'],
    [{}, { mean_value: [1, 2] }, 'Check failed: mean_values_.size() == 1 || mean_values_.size() == channels Specify'],
  ])('refuses %j %j at set-up in one line', (wp, tp, msg) => {
    expect(setUpError(wp, tp)).toContain(`WindowData layer data: ${msg}`);
  });

  it('refuses a window file whose images are not 3-channel, and a mean file smaller than the crop', () => {
    const gray = path.join(dir, 'gray.txt');
    fs.writeFileSync(gray, fs.readFileSync(path.join(dir, 'w.txt'), 'utf8').replace(/img3.png\n3/, 'img3.png\n1'));
    expect(setUpError({ source: gray }, { mean_value: [] })).toContain(
      `Check failed: channels == 3 (1 vs. 3) ${gray}:25:1: images are read as colour, 3 channels`,
    );
    const mean = path.join(dir, 'mean.binaryproto');
    writeProtoToBinaryFile({ shape: { dim: [1, 3, 4, 4] }, data: new Float32Array(48) }, 'caffe.BlobProto', mean);
    expect(setUpError({}, { mean_value: [], mean_file: mean })).toContain(
      `the mean file ${mean} (3 x 4 x 4) does not cover the centred 3 x 6 x 6 crop`,
    );
  });

  it('a window outside its image fails the forward in one line (Caffe: an OpenCV assertion)', () => {
    const out = path.join(dir, 'out.txt');
    fs.writeFileSync(out, `# 0 img0.png 3 6 6 2\n1 0.9 0 0 5 5\n0 0.1 2 2 9 5\n`);
    const l = layer({ source: out });
    const t = tops(2);
    l.setUp([], t);
    expect(() => l.forward([], t)).toThrow(
      `WindowData layer data: the window 2 2 9 5 (x1 y1 x2 y2) of ${dir}/img0.png is not inside the 6x6 image ` +
        '(read region x 2, y 2, 8x4): without context_pad or square crop_mode, 0 <= x1 <= x2 < width',
    );
    fs.writeFileSync(out, `# 0 img0.png 3 6 6 2\n1 0.9 0 0 5 5\n0 0.1 4 4 1 1\n`);
    const inverted = layer({ source: out, context_pad: 1 });
    inverted.setUp([], t);
    expect(() => inverted.forward([], t)).toThrow(
      'is not inside the 6x6 image (read region x 5, y 5, -2x-2): a window must overlap its image, with x1 <= x2',
    );
  });
});
