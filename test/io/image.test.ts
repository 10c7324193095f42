// OpenCV-exact image reading and resizing. The hand cases' expected pixels were produced by BVLC
// Caffe's convert_imageset (OpenCV 4.5) on the same tiny images; the describeCaffe block re-checks
// random images against the installed convert_imageset at test time.
import * as fs from 'fs';
import * as path from 'path';
import { execFileSync } from 'child_process';
import sharp from 'sharp';
import { Image, decodeImage, readImage, sniffFormat } from '../../src/io/image';
import { grayOpenCV } from '../../src/io/gray';
import { resizeLinear } from '../../src/io/resize';
import { datumToImage, decodeDatumNative, encodeImage, imageToDatum, readImageToDatum } from '../../src/io/datum';
import { openDB } from '../../src/db';
import { decodeMessage } from '../../src/formats/wire';
import { CaffeError } from '../../src/util/errors';
import { setMinLogLevel } from '../../src/util/logging';
import { describeCaffe, sharedPath, tmpDir } from '../helpers';

beforeAll(() => setMinLogLevel(2));
afterAll(() => setMinLogLevel(0));

const png = (d: string, name: string, px: number[], w: number, h: number, ch: 1 | 3 | 4) =>
  sharp(Buffer.from(px), { raw: { width: w, height: h, channels: ch } })
    .png()
    .toFile(path.join(d, name))
    .then(() => path.join(d, name));
const gray = (w: number, h: number, px: number[]): Image => ({
  channels: 1,
  height: h,
  width: w,
  data: Uint8Array.from(px),
});

describe('resizeLinear: cv::resize INTER_LINEAR, outputs recorded from Caffe/OpenCV 4.5', () => {
  const g5 = gray(5, 1, [0, 50, 100, 200, 255]);
  it('shrinks and grows a row with 11-bit weights', () => {
    expect(Array.from(resizeLinear(g5, 1, 3).data)).toEqual([17, 100, 237]);
    expect(Array.from(resizeLinear(g5, 1, 8).data)).toEqual([0, 22, 53, 84, 131, 194, 231, 255]);
  });
  it('reproduces the vertical pass truncation (equal rows do not give equal outputs)', () => {
    expect(Array.from(resizeLinear(g5, 3, 2).data)).toEqual([37, 214, 38, 214, 37, 214]);
  });
  it('takes the INTER_AREA path for exactly half size, linear otherwise', () => {
    const g44 = gray(
      4,
      4,
      [...Array(16).keys()].map((i) => i * 17),
    );
    expect(Array.from(resizeLinear(g44, 2, 2).data)).toEqual([43, 77, 179, 213]);
    expect(Array.from(resizeLinear(g44, 3, 3).data)).toEqual([14, 37, 59, 105, 128, 150, 195, 218, 241]);
  });
  it('resizes BGR images channel by channel (CHW as Caffe stores them)', () => {
    const rgb = [
      255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30, 200, 100, 50, 7, 77, 177, 0, 0, 0, 128, 128, 128, 255, 255, 255,
    ];
    const bgr: number[] = [];
    for (let i = 0; i < rgb.length; i += 3) bgr.push(rgb[i + 2], rgb[i + 1], rgb[i]);
    const img: Image = { channels: 3, height: 3, width: 3, data: Uint8Array.from(bgr) };
    expect(Array.from(imageToDatum(resizeLinear(img, 2, 2)).data)).toEqual([
      9, 180, 33, 204, 58, 68, 34, 188, 158, 14, 38, 181,
    ]);
    expect(Array.from(imageToDatum(resizeLinear(img, 5, 4)).data)).toEqual([
      0, 0, 95, 255, 12, 17, 96, 224, 30, 43, 98, 177, 12, 65, 144, 224, 0, 80, 175, 255, 0, 159, 159, 0, 8, 123, 132,
      31, 20, 70, 91, 77, 8, 76, 142, 184, 0, 80, 175, 255, 255, 95, 0, 0, 157, 109, 51, 3, 10, 129, 128, 7, 4, 99, 156,
      156, 0, 80, 175, 255,
    ]);
  });
  it('copies at the same size and refuses an empty one', () => {
    const out = resizeLinear(g5, 1, 5);
    expect(Array.from(out.data)).toEqual([0, 50, 100, 200, 255]);
    expect(out.data).not.toBe(g5.data);
    expect(() => resizeLinear(g5, 0, 3)).toThrow(CaffeError);
  });
});

describe('readImage: cv::imread', () => {
  let d: string;
  beforeAll(() => {
    d = tmpDir();
  });

  it('converts colour PNGs to gray as libpng does for OpenCV (truncated 15-bit weights), not BGR2GRAY', async () => {
    const f = await png(d, 'g6.png', [0, 64, 0, 126, 0, 0, 0, 0, 64, 200, 100, 50, 1, 2, 3, 255, 255, 0], 6, 1, 3);
    // recorded from Caffe --gray
    expect(Array.from((await readImage(f, false)).data)).toEqual([37, 37, 7, 124, 1, 225]);
    expect(grayOpenCV(0, 64, 0)).toBe(38); // cvtColor's rounding would differ on the first pixel
  });

  it('gives BGR for colour, replicates gray, drops alpha without compositing', async () => {
    const rgba = await png(d, 'rgba.png', [10, 20, 30, 0, 40, 50, 60, 255], 2, 1, 4);
    expect(await readImage(rgba, true)).toEqual({
      channels: 3,
      height: 1,
      width: 2,
      data: Uint8Array.from([30, 20, 10, 60, 50, 40]),
    });
    const g = await png(d, 'g.png', [7, 9], 2, 1, 1);
    expect(Array.from((await readImage(g, true)).data)).toEqual([7, 7, 7, 9, 9, 9]);
    expect(Array.from((await readImage(g, false)).data)).toEqual([7, 9]);
    // IMREAD_UNCHANGED keeps alpha as BGRA
    const raw = await decodeImage(fs.readFileSync(rgba), undefined);
    expect(raw.channels).toBe(4);
    expect(Array.from(raw.data)).toEqual([30, 20, 10, 0, 60, 50, 40, 255]);
  });

  it('applies EXIF orientation to JPEGs (OpenCV 4.5 does), not to PNGs', async () => {
    const px = Buffer.alloc(8 * 4 * 3, 128);
    const jpg = path.join(d, 'rot.jpg'),
      p6 = path.join(d, 'rot.png');
    await sharp(px, { raw: { width: 8, height: 4, channels: 3 } })
      .withMetadata({ orientation: 6 })
      .jpeg()
      .toFile(jpg);
    await sharp(px, { raw: { width: 8, height: 4, channels: 3 } })
      .withMetadata({ orientation: 6 })
      .png()
      .toFile(p6);
    const a = await readImage(jpg, true),
      b = await readImage(p6, true);
    expect([a.height, a.width]).toEqual([8, 4]);
    expect([b.height, b.width]).toEqual([4, 8]);
  });

  it('names a missing or corrupt file in one line', async () => {
    await expect(readImage(path.join(d, 'nope.jpg'), true)).rejects.toThrow(/^Could not open or find file .*nope\.jpg/);
    const bad = path.join(d, 'bad.png');
    fs.writeFileSync(bad, Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 13, 10, 26, 10]), Buffer.alloc(40, 7)]));
    await expect(readImage(bad, true)).rejects.toThrow(CaffeError);
    await expect(readImage(bad, true)).rejects.toThrow(/bad\.png/);
    fs.writeFileSync(path.join(d, 'txt.jpg'), 'hello');
    await expect(readImage(path.join(d, 'txt.jpg'), false)).rejects.toThrow(/txt\.jpg \(not an image\)/);
  });

  it('sniffs the codec from the bytes, not the extension', () => {
    expect(sniffFormat(Uint8Array.from([0xff, 0xd8, 0xff, 0xe0]))).toBe('jpeg');
    expect(sniffFormat(Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 13, 10, 26, 10]))).toBe('png');
    expect(sniffFormat(Uint8Array.from([0x42, 0x4d, 0, 0]))).toBe('bmp');
  });
});

describe('Datum helpers', () => {
  it('CVMatToDatum: HWC BGR to CHW, encoded=false set; the inverse', () => {
    const img: Image = { channels: 3, height: 1, width: 2, data: Uint8Array.from([1, 2, 3, 4, 5, 6]) };
    const datum = imageToDatum(img, 7);
    expect(datum).toEqual({
      channels: 3,
      height: 1,
      width: 2,
      data: Uint8Array.from([1, 4, 2, 5, 3, 6]),
      label: 7,
      encoded: false,
    });
    expect(datumToImage(datum)).toEqual(img);
  });

  it('encodes PNG losslessly and decodes an encoded Datum back to the same pixels', async () => {
    const img: Image = {
      channels: 3,
      height: 3,
      width: 4,
      data: Uint8Array.from({ length: 36 }, (_, i) => (i * 37) % 256),
    };
    const datum = { data: new Uint8Array(await encodeImage(img, 'png')), label: 2, encoded: true };
    expect(await decodeDatumNative(datum)).toBe(true);
    expect(datum).toEqual({ ...imageToDatum(img, 2) });
    const g: Image = { channels: 1, height: 2, width: 2, data: Uint8Array.from([0, 50, 100, 255]) };
    const back = await decodeImage(await encodeImage(g, 'png'), undefined);
    expect(back).toEqual(g);
  });

  it(
    'ReadImageToDatum stores the file bytes as they are ' + 'when encoded without resize and the extension matches',
    async () => {
      const d = tmpDir();
      const f = await png(d, 'x.PNG', [1, 2, 3, 4, 5, 6], 2, 1, 3);
      const asIs = await readImageToDatum(f, 3, 0, 0, true, 'png');
      expect(Buffer.from(asIs.data).equals(fs.readFileSync(f))).toBe(true);
      expect(asIs).toMatchObject({ label: 3, encoded: true });
      expect(asIs.channels).toBeUndefined();
      const resized = await readImageToDatum(f, 3, 2, 2, true, 'png'); // resized: re-encoded
      expect(Buffer.from(resized.data).equals(fs.readFileSync(f))).toBe(false);
      expect((await decodeImage(resized.data, true)).height).toBe(2);
    },
  );
});

describeCaffe('image reading and resize vs the installed convert_imageset (OpenCV)', () => {
  let d: string;
  const list: string[] = [];
  beforeAll(async () => {
    d = tmpDir();
    let seed = 12345;
    const rnd = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed >>> 24;
    };
    for (const [w, h] of [
      [1, 1],
      [7, 1],
      [1, 9],
      [17, 13],
      [64, 48],
      [255, 129],
    ]) {
      for (const ch of [1, 3, 4] as const) {
        const name = `r_${w}x${h}_${ch}.png`;
        await png(d, name, Array.from({ length: w * h * ch }, rnd), w, h, ch);
        list.push(name);
      }
    }
    const px = Buffer.from(Array.from({ length: 40 * 30 * 3 }, rnd));
    await sharp(px, { raw: { width: 40, height: 30, channels: 3 } })
      .jpeg({ quality: 80 })
      .toFile(path.join(d, 'q.jpg'));
    await sharp(px, { raw: { width: 40, height: 30, channels: 3 } })
      .webp({ quality: 80 })
      .toFile(path.join(d, 'q.webp'));
    list.push('q.jpg', 'q.webp');
    fs.writeFileSync(path.join(d, 'list.txt'), list.map((f, i) => `${f} ${i}\n`).join(''));
  });

  async function caffeDatums(
    flags: string[],
  ): Promise<Map<string, { data: Uint8Array; c: number; h: number; w: number }>> {
    const db = path.join(d, `db${Math.random().toString(36).slice(2)}`);
    execFileSync('convert_imageset', [...flags, `${d}/`, path.join(d, 'list.txt'), db], { stdio: 'pipe' });
    const out = new Map();
    const h = await openDB('lmdb', db, 'read');
    const c = await h.newCursor();
    for (; c.valid; await c.next()) {
      const m = decodeMessage(c.value, 'caffe.Datum');
      out.set(c.key.slice(9), { data: m.data, c: m.channels, h: m.height, w: m.width });
    }
    await c.close();
    await h.close();
    return out;
  }

  for (const [flags, isColor, size] of [
    [[], true, null],
    [['--gray'], false, null],
    [['--resize_height=10', '--resize_width=23'], true, [10, 23]],
    [['--gray', '--resize_height=31', '--resize_width=9'], false, [31, 9]],
    [['--resize_height=128', '--resize_width=64'], true, [128, 64]],
  ] as [string[], boolean, [number, number] | null][]) {
    it(`matches Caffe bit for bit: ${flags.join(' ') || 'colour'}`, async () => {
      const ref = await caffeDatums(flags);
      expect(ref.size).toBe(list.length);
      for (const f of list) {
        let img = await readImage(path.join(d, f), isColor);
        if (size) img = resizeLinear(img, size[0], size[1]);
        const mine = imageToDatum(img);
        const r = ref.get(f)!;
        expect([f, mine.channels, mine.height, mine.width]).toEqual([f, r.c, r.h, r.w]);
        if (!isColor && f.endsWith('.webp')) {
          // the codec's own luma, recovered from RGB (a JPEG's is libjpeg's own: exact, below)
          let sum = 0;
          for (let i = 0; i < r.data.length; i++) sum += Math.abs(r.data[i] - mine.data[i]);
          expect([f, sum / r.data.length < 0.25]).toEqual([f, true]); // noise clips a lot; photos: < 0.05 below
          continue;
        }
        expect([f, Buffer.from(mine.data).equals(Buffer.from(r.data))]).toEqual([f, true]);
      }
    });
  }

  it("JPEG --gray: libjpeg's own luma, byte for byte Caffe's, on real photos", async () => {
    const photos = fs.readdirSync(sharedPath('fixtures', 'images')).filter((f) => f.endsWith('.jpg'));
    const lf = path.join(d, 'photos.txt'),
      db = path.join(d, 'photos_gray');
    fs.writeFileSync(lf, photos.map((f) => `${f} 0\n`).join(''));
    execFileSync('convert_imageset', ['--gray', `${sharedPath('fixtures', 'images')}/`, lf, db], { stdio: 'pipe' });
    const h = await openDB('lmdb', db, 'read');
    const c = await h.newCursor();
    for (; c.valid; await c.next()) {
      const ref = decodeMessage(c.value, 'caffe.Datum').data as Uint8Array;
      const mine = (await readImage(sharedPath('fixtures', 'images', c.key.slice(9)), false)).data;
      expect([c.key, Buffer.from(mine).equals(Buffer.from(ref))]).toEqual([c.key, true]);
    }
    await c.close();
    await h.close();
  });
});
