// The native image path (native/image.cc): JPEGs decoded by the system libjpeg as cv::imread sets it up,
// Datums serialized in one pass, and jpegFileDatum (convert_imageset's per-image work on libuv's pool).
// Each must give what the general path gives (sharp + resize.ts + encodeMessage), or hand the file to it.
import * as fs from 'fs';
import * as path from 'path';
import sharp from 'sharp';
import { native } from '../../src/native/addon';
import { decodeImage, readImage } from '../../src/io/image';
import { resizeLinear } from '../../src/io/resize';
import { imageToDatum, imageToDatumBytes } from '../../src/io/datum';
import { encodeMessage } from '../../src/formats/wire';
import { sharedPath, tmpDir } from '../helpers';

const d = tmpDir();
afterAll(() => fs.rmSync(d, { recursive: true, force: true }));

/** A 4:2:0 JPEG of smooth colour gradients (w x h), written to d/name. */
async function jpeg(name: string, w: number, h: number, opts: { gray?: boolean; orientation?: number } = {}) {
  const px = Buffer.alloc(w * h * 3);
  for (let y = 0, i = 0; y < h; y++)
    for (let x = 0; x < w; x++, i += 3) {
      px[i] = (x * 255) / w;
      px[i + 1] = (y * 255) / h;
      px[i + 2] = ((x + y) * 97) & 255;
    }
  let s = sharp(px, { raw: { width: w, height: h, channels: 3 } });
  if (opts.gray) s = s.toColourspace('b-w');
  if (opts.orientation) s = s.withMetadata({ orientation: opts.orientation });
  const file = path.join(d, name);
  await s.jpeg({ quality: 90, chromaSubsampling: '4:2:0' }).toFile(file);
  return file;
}

/** What sharp (libvips' libjpeg-turbo, the general path) decodes, as BGR. */
async function sharpBgr(file: string) {
  const { data, info } = await sharp(file, { ignoreIcc: true }).raw().toBuffer({ resolveWithObject: true });
  const out = new Uint8Array(info.width * info.height * 3);
  for (let i = 0, s = 0; i < out.length; i += 3, s += info.channels) {
    out[i] = data[s + 2];
    out[i + 1] = data[s + 1];
    out[i + 2] = data[s];
  }
  return { width: info.width, height: info.height, data: out };
}

let haveLibjpeg = false;
beforeAll(async () => {
  haveLibjpeg = native().jpegDecode(fs.readFileSync(await jpeg('probe.jpg', 8, 8)), false) !== null;
});
const ifLibjpeg = (name: string, fn: () => Promise<void>) =>
  it(name, async () => {
    if (!haveLibjpeg) return console.warn(`skipped: no system libjpeg (libjpeg.so.62) at run time: ${name}`);
    await fn();
  });

describe('jpegDecode', () => {
  ifLibjpeg('decodes what sharp decodes, as BGR, for 4:2:0 colour and gray JPEGs', async () => {
    for (const [name, gray] of [
      ['c.jpg', false],
      ['g.jpg', true],
    ] as const) {
      const file = await jpeg(name, 61, 37, { gray });
      const mine = native().jpegDecode(fs.readFileSync(file), false)!;
      const ref = await sharpBgr(file);
      expect([name, mine.channels, mine.height, mine.width]).toEqual([name, 3, 37, 61]);
      expect([name, Buffer.from(mine.data).equals(Buffer.from(ref.data))]).toEqual([name, true]);
    }
  });

  ifLibjpeg('hands the general path what OpenCV treats apart: EXIF rotation, damage, CMYK, other formats', async () => {
    const rotated = fs.readFileSync(await jpeg('r6.jpg', 16, 8, { orientation: 6 }));
    const upright = fs.readFileSync(await jpeg('r1.jpg', 16, 8, { orientation: 1 }));
    const whole = fs.readFileSync(await jpeg('t.jpg', 64, 64));
    const cmyk = await sharp(Buffer.alloc(16 * 16 * 3, 90), { raw: { width: 16, height: 16, channels: 3 } })
      .toColourspace('cmyk')
      .jpeg()
      .toBuffer();
    const png = await sharp(Buffer.alloc(12, 1), { raw: { width: 2, height: 2, channels: 3 } })
      .png()
      .toBuffer();
    expect(native().jpegDecode(rotated, false)).toBeNull();
    expect(native().jpegDecode(upright, false)).not.toBeNull();
    expect(native().jpegDecode(whole.subarray(0, whole.length >> 1), false)).toBeNull(); // truncated: a warning
    expect(native().jpegDecode(cmyk, false)).toBeNull();
    expect(native().jpegDecode(png, false)).toBeNull();
    // and decodeImage still rotates the one OpenCV rotates
    const img = await decodeImage(rotated, true);
    expect([img.height, img.width]).toEqual([16, 8]);
  });
});

describe('imageToDatumBytes', () => {
  it('serializes as encodeMessage(imageToDatum(img, label)) for every channel count and label', () => {
    let seed = 7;
    const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 24;
    for (const c of [1, 3, 4] as const)
      for (const label of [undefined, 0, 5, -3, 2 ** 31 - 1, -(2 ** 31)]) {
        const img = { channels: c, height: 13, width: 200, data: Uint8Array.from({ length: c * 13 * 200 }, rnd) };
        const want = Buffer.from(encodeMessage(imageToDatum(img, label), 'caffe.Datum'));
        expect([c, label, Buffer.from(imageToDatumBytes(img, label)).equals(want)]).toEqual([c, label, true]);
      }
  });
});

describe('jpegFileDatum', () => {
  ifLibjpeg('gives the bytes of the general path: colour, gray, resized or not', async () => {
    // f3: 188x250 is exactly half of it (INTER_AREA's path, written straight into the Datum as the others)
    const files = [
      await jpeg('f1.jpg', 500, 375),
      await jpeg('f2.jpg', 333, 500, { gray: true }),
      await jpeg('f3.jpg', 500, 376),
    ];
    const photos = sharedPath('fixtures', 'images');
    if (fs.existsSync(photos)) files.push(path.join(photos, 'cat.jpg'), path.join(photos, 'fish-bike.jpg'));
    for (const file of files)
      for (const [isColor, h, w] of [
        [true, 0, 0],
        [true, 256, 256],
        [false, 227, 300],
        [true, 187, 250],
        [true, 188, 250],
        [false, 188, 250],
      ] as const) {
        let img = await readImage(file, isColor);
        if (h > 0) img = resizeLinear(img, h, w);
        const want = Buffer.from(imageToDatumBytes(img, 4));
        const got = await native().jpegFileDatum(file, !isColor, h, w, 4);
        const what = `${path.basename(file)} ${isColor ? 'colour' : 'gray'} ${h}x${w}`;
        expect([what, got?.dims, got && Buffer.from(got.bytes).equals(want)]).toEqual([
          what,
          img.channels * img.height * img.width,
          true,
        ]);
      }
  });

  ifLibjpeg('writes into a reused buffer when it is large enough, else into a new one', async () => {
    const file = await jpeg('u.jpg', 40, 30);
    const want = Buffer.from((await native().jpegFileDatum(file, false, 20, 24, 3))!.bytes);
    const big = new Uint8Array(want.length + 100).fill(7),
      small = new Uint8Array(want.length - 1);
    const inBig = (await native().jpegFileDatum(file, false, 20, 24, 3, big))!.bytes;
    expect([inBig.buffer === big.buffer, inBig.byteOffset, Buffer.from(inBig).equals(want)]).toEqual([true, 0, true]);
    const inNew = (await native().jpegFileDatum(file, false, 20, 24, 3, small))!.bytes;
    expect([inNew.buffer === small.buffer, Buffer.from(inNew).equals(want)]).toEqual([false, true]);
  });

  it('leaves to the general path what is no plain JPEG: a PNG, a missing file, a rotated JPEG', async () => {
    const png = path.join(d, 'p.png');
    await sharp(Buffer.alloc(12, 1), { raw: { width: 2, height: 2, channels: 3 } }).toFile(png);
    expect(await native().jpegFileDatum(png, false, 0, 0, 0)).toBeNull();
    expect(await native().jpegFileDatum(path.join(d, 'missing.jpg'), false, 0, 0, 0)).toBeNull();
    expect(await native().jpegFileDatum(d, false, 0, 0, 0)).toBeNull(); // a folder
    expect(await native().jpegFileDatum(await jpeg('r8.jpg', 8, 8, { orientation: 8 }), false, 0, 0, 0)).toBeNull();
  });
});
