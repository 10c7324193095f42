// The ImageData layer on a temporary folder of PNGs made with sharp: list parsing, colour and gray
// reading (BGR planes), root_folder, resizing, shuffling, rand_skip, wrap-around, errors.
import '../../src/layers/ImageData';
import * as fs from 'fs';
import * as path from 'path';
import sharp from 'sharp';
import { Rng, rng, setRandomSeed } from '../../src/core/rng';
import { DataTransformer } from '../../src/data/data_transformer';
import { caffeShuffle } from '../../src/data/random';
import { readImage } from '../../src/io/image';
import { resizeLinear } from '../../src/io/resize';
import { ImageDataLayer } from '../../src/layers/ImageData';
import { parseImageList } from '../../src/io/image_list';
import { captureLog, disposeAll, makeLayer, tops } from '../data/data_helpers';
import { tmpDir } from '../helpers';

const arr = (a: ArrayLike<number>) => Array.from(a);

afterEach(() => disposeAll());

let dir: string;
/** gray image k: 4 x 5, pixel (h, w) = 10k + 5h + w; colour image: 2 x 3 RGB */
const grayPixel = (k: number, h: number, w: number) => 10 * k + 5 * h + w;
const N = 6;

beforeAll(async () => {
  dir = tmpDir();
  fs.mkdirSync(path.join(dir, 'img'));
  for (let k = 0; k < N; k++) {
    const px = Buffer.from(Array.from({ length: 20 }, (_, i) => grayPixel(k, Math.floor(i / 5), i % 5)));
    await sharp(px, { raw: { width: 5, height: 4, channels: 1 } })
      .png()
      .toFile(path.join(dir, 'img', `g${k}.png`));
  }
  const rgb = Buffer.from([255, 0, 0, 0, 255, 0, 0, 0, 255, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  await sharp(rgb, { raw: { width: 3, height: 2, channels: 3 } })
    .png()
    .toFile(path.join(dir, 'img', 'c.png'));
  fs.writeFileSync(
    path.join(dir, 'gray.txt'),
    Array.from({ length: N }, (_, k) => `img/g${k}.png ${100 + k}\n`).join(''),
  );
  fs.writeFileSync(path.join(dir, 'color.txt'), 'img/c.png 7\n');
});

const gray = (k: number) => Array.from({ length: 20 }, (_, i) => grayPixel(k, Math.floor(i / 5), i % 5));

function layer(p: object, tp: object = {}, phase = 'TEST') {
  return makeLayer<ImageDataLayer>({
    type: 'ImageData',
    phase,
    transform_param: tp,
    image_data_param: { root_folder: dir + '/', ...p },
  });
}

describe('ImageData layer', () => {
  it("gray images in list order, labels, wrap-around; Caffe's log lines", () => {
    const log = captureLog();
    try {
      const l = layer({ source: path.join(dir, 'gray.txt'), batch_size: 4, is_color: false });
      const t = tops(2);
      l.setUp([], t);
      expect(t[0].shape).toEqual([4, 1, 4, 5]);
      expect(t[1].shape).toEqual([4]);
      expect(log.lines).toEqual(
        expect.arrayContaining([
          `Opening file ${path.join(dir, 'gray.txt')}`,
          `A total of ${N} images.`,
          'output data size: 4,1,4,5',
        ]),
      );
      l.forward([], t);
      expect(arr(t[1].cpuData())).toEqual([100, 101, 102, 103]);
      expect(arr(t[0].cpuData())).toEqual([0, 1, 2, 3].flatMap(gray));
      l.forward([], t);
      expect(arr(t[1].cpuData())).toEqual([104, 105, 100, 101]);
      expect(arr(t[0].cpuData())).toEqual([4, 5, 0, 1].flatMap(gray));
    } finally {
      log.stop();
    }
  });

  it('colour (is_color default): 3 planes in BGR order', () => {
    const l = layer({ source: path.join(dir, 'color.txt') });
    const t = tops(2);
    l.setUp([], t);
    l.forward([], t);
    expect(t[0].shape).toEqual([1, 3, 2, 3]);
    // RGB pixels (255,0,0) (0,255,0) (0,0,255) / (1,2,3) (4,5,6) (7,8,9)
    expect(arr(t[0].cpuData())).toEqual([0, 0, 255, 3, 6, 9, /* G */ 0, 255, 0, 2, 5, 8, /* R */ 255, 0, 0, 1, 4, 7]);
    expect(arr(t[1].cpuData())).toEqual([7]);
  });

  it('gray PNGs read as colour are replicated into 3 planes', () => {
    const l = layer({ source: path.join(dir, 'gray.txt'), batch_size: 1 });
    const t = tops(2);
    l.setUp([], t);
    l.forward([], t);
    expect(arr(t[0].cpuData())).toEqual([...gray(0), ...gray(0), ...gray(0)]);
  });

  it('new_height / new_width resize with cv::resize INTER_LINEAR (resizeLinear), then transform', async () => {
    const l = layer(
      { source: path.join(dir, 'gray.txt'), batch_size: 1, is_color: false, new_height: 3, new_width: 7 },
      { scale: 0.5 },
    );
    const t = tops(2);
    l.setUp([], t);
    l.forward([], t);
    expect(t[0].shape).toEqual([1, 1, 3, 7]);
    const img = resizeLinear(await readImage(path.join(dir, 'img/g0.png'), false), 3, 7);
    const want = new Float32Array(21);
    new DataTransformer({ scale: 0.5 }, 'TEST').transformImage(img, want, 0);
    expect(t[0].cpuData()).toEqual(want);
  });

  it("shuffle: Caffe's shuffle with a generator seeded from the global one, again at every epoch", () => {
    setRandomSeed(3);
    const g = new Rng(rng().u32()); // the layer draws this seed first (no random transform)
    const order = Array.from({ length: N }, (_, k) => 100 + k);
    const want: number[] = [];
    for (let epoch = 0; epoch < 3; epoch++) {
      caffeShuffle(order, g);
      want.push(...order);
    }
    setRandomSeed(3);
    const log = captureLog();
    try {
      const l = layer({ source: path.join(dir, 'gray.txt'), batch_size: 3, shuffle: true, is_color: false });
      const t = tops(2);
      l.setUp([], t);
      expect(log.lines).toContain('Shuffling data');
      const got: number[] = [];
      for (let b = 0; b < 6; b++) {
        l.forward([], t);
        got.push(...t[1].cpuData());
      }
      expect(got).toEqual(want);
      // every epoch is a permutation of the list
      for (let e = 0; e < 3; e++) expect(got.slice(e * N, e * N + N).sort()).toEqual([100, 101, 102, 103, 104, 105]);
    } finally {
      log.stop();
    }
  });

  it('rand_skip starts at line rand() % rand_skip', () => {
    setRandomSeed(11);
    const skip = rng().u32() % 5;
    setRandomSeed(11);
    const log = captureLog();
    try {
      const l = layer({ source: path.join(dir, 'gray.txt'), batch_size: 1, rand_skip: 5, is_color: false });
      const t = tops(2);
      l.setUp([], t);
      expect(log.lines).toContain(`Skipping first ${skip} data points.`);
      l.forward([], t);
      expect(arr(t[1].cpuData())).toEqual([100 + skip]);
    } finally {
      log.stop();
    }
  });

  it('errors: empty list, unreadable image, half a new size, one top, rand_skip beyond the list', () => {
    fs.writeFileSync(path.join(dir, 'empty.txt'), '');
    expect(() => layer({ source: path.join(dir, 'empty.txt') }).setUp([], tops(2))).toThrow(
      'ImageData layer data: Check failed: !lines_.empty() File is empty',
    );
    expect(() => layer({ source: path.join(dir, 'nonexistent.txt') }).setUp([], tops(2))).toThrow(
      `ImageData layer data: the image list file ${dir}/nonexistent.txt does not exist`,
    );
    expect(() => layer({ source: dir }).setUp([], tops(2))).toThrow(
      `ImageData layer data: cannot read the image list file ${dir}: EISDIR: illegal operation on a directory`,
    );
    fs.writeFileSync(path.join(dir, 'missing.txt'), 'img/none.png 1\n');
    const log = captureLog();
    try {
      expect(() => layer({ source: path.join(dir, 'missing.txt') }).setUp([], tops(2))).toThrow(
        'ImageData layer data: Check failed: cv_img.data Could not load img/none.png',
      );
      expect(log.lines.some((x) => x.startsWith(`Could not open or find file ${dir}/img/none.png`))).toBe(true);
    } finally {
      log.stop();
    }
    expect(() => layer({ source: path.join(dir, 'gray.txt'), new_height: 3 }).setUp([], tops(2))).toThrow(
      'Current implementation requires new_height and new_width to be set at the same time.',
    );
    expect(() => layer({ source: path.join(dir, 'gray.txt') }).setUp([], tops(1))).toThrow(
      'produces 2 top blob(s) as output.',
    );
    fs.writeFileSync(path.join(dir, 'one.txt'), 'img/g0.png 1\n');
    setRandomSeed(1);
    expect(rng().u32() % 1000).not.toBe(0);
    setRandomSeed(1);
    expect(() => layer({ source: path.join(dir, 'one.txt'), rand_skip: 1000 }).setUp([], tops(2))).toThrow(
      'Not enough points to skip',
    );
  });

  it("new sizes: 2^32 - 1 reads as -1 (Caffe's int), a size that cannot fit is refused before resizing", () => {
    expect(() =>
      layer({ source: path.join(dir, 'gray.txt'), new_height: 2 ** 32 - 1, new_width: 5 }).setUp([], tops(2)),
    ).toThrow('Current implementation requires new_height and new_width to be set at the same time.');
    const prev = process.env.CAFFETS_MEMORY_AVAILABLE_BYTES;
    process.env.CAFFETS_MEMORY_AVAILABLE_BYTES = String(2 ** 30);
    try {
      const big = { source: path.join(dir, 'gray.txt'), is_color: false, new_height: 65536, new_width: 65536 };
      expect(() => layer(big).setUp([], tops(2))).toThrow(
        /^ImageData layer data: out of memory: images resized to 65536x65536 need 4\.0 GB, 1\.0 GB available$/,
      );
    } finally {
      if (prev === undefined) delete process.env.CAFFETS_MEMORY_AVAILABLE_BYTES;
      else process.env.CAFFETS_MEMORY_AVAILABLE_BYTES = prev;
    }
  });

  it('a bad image later in the list fails the forward that needs it', () => {
    fs.writeFileSync(path.join(dir, 'bad.txt'), 'img/g0.png 0\nimg/g1.png 1\nimg/none.png 2\n');
    const log = captureLog();
    try {
      const l = layer({ source: path.join(dir, 'bad.txt'), batch_size: 2, is_color: false });
      const t = tops(2);
      l.setUp([], t);
      l.forward([], t);
      expect(arr(t[1].cpuData())).toEqual([0, 1]);
      expect(() => l.forward([], t)).toThrow('Could not load img/none.png');
    } finally {
      log.stop();
    }
  });
});

describe("parseImageList (std::getline + find_last_of(' ') + atoi)", () => {
  it('splits at the last space; names may hold spaces', () => {
    expect(parseImageList('a b/c.png 3\nd.png 12\n')).toEqual([
      ['a b/c.png', 3],
      ['d.png', 12],
    ]);
  });
  it('no final newline; CR before LF is ignored by atoi', () => {
    expect(parseImageList('x.png 1\r\ny.png 2')).toEqual([
      ['x.png', 1],
      ['y.png', 2],
    ]);
  });
  it('no space: the whole line is the name and atoi(line) the label; empty lines count', () => {
    expect(parseImageList('x.png\n\n7\n')).toEqual([
      ['x.png', 0],
      ['', 0],
      ['7', 7],
    ]);
  });
  it('labels as atoi reads them', () => {
    expect(parseImageList('a -4\nb +5\nc 6x\nd x6\n').map((r) => r[1])).toEqual([-4, 5, 6, 0]);
  });
});
