// Image reading as Caffe does it through OpenCV 4.5's cv::imread / cv::imdecode. Pixels are kept as
// OpenCV keeps them: interleaved HWC, BGR for colour. A JPEG goes to the system libjpeg, the library
// OpenCV decodes with, set up as OpenCV sets it up (native/image.cc jpegDecode); the rest, and JPEGs
// that path leaves (no libjpeg, CMYK, EXIF rotation, damaged data), are sharp's (libvips), where what
// OpenCV does differently is redone here: no ICC transform, alpha dropped without compositing, 16-bit
// reduced by >> 8, EXIF orientation applied, and each codec's own colour-to-gray rule (gray.ts).
// cv::resize INTER_LINEAR is in resize.ts.
import * as fs from 'fs';
import type Sharp from 'sharp';
import { native } from '../native/addon';
import { CaffeError } from '../util/errors';
import { grayOpenCV, jpegLuma, pngFileGamma, pngRgb16ToGray, pngRgbToGray } from './gray';

export interface Image {
  /** 1 or 3; 4 (BGRA) only from decodeImage(buf, undefined), OpenCV's IMREAD_UNCHANGED */
  channels: 1 | 3 | 4;
  height: number;
  width: number;
  /** HWC, BGR order for 3 channels (OpenCV's Mat layout) */
  data: Uint8Array;
}

/** sharp (libvips), loaded on first use: start-up stays short where only JPEGs are read. */
export const sharp = (): typeof Sharp => require('sharp') as typeof Sharp;

export type ImageFormat = 'png' | 'jpeg' | 'webp' | 'tiff' | 'bmp' | 'pnm' | 'gif' | 'unknown';

/** The codec OpenCV would pick: by the file's signature, never by its extension. */
export function sniffFormat(buf: Uint8Array): ImageFormat {
  const b = (i: number) => buf[i];
  if (buf.length >= 8 && b(0) === 0x89 && b(1) === 0x50 && b(2) === 0x4e && b(3) === 0x47) return 'png';
  if (buf.length >= 3 && b(0) === 0xff && b(1) === 0xd8 && b(2) === 0xff) return 'jpeg';
  if (
    buf.length >= 12 &&
    String.fromCharCode(...buf.subarray(0, 4)) === 'RIFF' &&
    String.fromCharCode(...buf.subarray(8, 12)) === 'WEBP'
  )
    return 'webp';
  if (
    buf.length >= 4 &&
    ((b(0) === 0x49 && b(1) === 0x49 && b(2) === 42 && b(3) === 0) ||
      (b(0) === 0x4d && b(1) === 0x4d && b(2) === 0 && b(3) === 42))
  )
    return 'tiff';
  if (buf.length >= 2 && b(0) === 0x42 && b(1) === 0x4d) return 'bmp';
  if (buf.length >= 2 && b(0) === 0x50 && b(1) >= 0x31 && b(1) <= 0x36) return 'pnm';
  if (buf.length >= 3 && b(0) === 0x47 && b(1) === 0x49 && b(2) === 0x46) return 'gif';
  return 'unknown';
}

/** Whether a PNG or JPEG holds one gray channel (with or without alpha); undefined: ask the decoder. */
function isGrayEncoded(buf: Uint8Array, format: ImageFormat): boolean | undefined {
  if (format === 'png') return buf.length > 25 && (buf[25] === 0 || buf[25] === 4);
  if (format !== 'jpeg') return undefined;
  for (let p = 2; p + 9 < buf.length && buf[p] === 0xff;) {
    // markers up to the frame header
    const m = buf[p + 1],
      len = (buf[p + 2] << 8) | buf[p + 3];
    if (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc) return buf[p + 9] === 1;
    p += 2 + len;
  }
  return undefined;
}

/**
 * Decodes image bytes as cv::imdecode does: isColor true = IMREAD_COLOR (3 channels, BGR), false =
 * IMREAD_GRAYSCALE (1 channel), undefined = IMREAD_UNCHANGED (the image's own channels, alpha kept
 * as BGRA, no EXIF rotation; 16-bit refused as Caffe's CVMatToDatum refuses it).
 */
export async function decodeImage(buf: Uint8Array, isColor: boolean | undefined, what = '<buffer>'): Promise<Image> {
  const format = sniffFormat(buf);
  if (format === 'unknown' || format === 'gif') {
    throw new CaffeError(
      `Could not open or find file ${what} (${format === 'gif' ? 'GIF is not read by OpenCV 4.5' : 'not an image'})`,
    );
  }
  if (format === 'bmp' || format === 'pnm') {
    throw new CaffeError(
      `Could not open or find file ${what} (${format.toUpperCase()} images are not supported by caffets yet)`,
    );
  }
  if (format === 'jpeg' && isColor !== undefined) {
    const img = native().jpegDecode(buf, !isColor);
    if (img) return img;
  }
  const png16 = format === 'png' && buf[24] === 16;
  if (isColor === undefined && png16)
    throw new CaffeError(`${what}: Image data type must be unsigned byte (16-bit PNG)`);
  let raw: Buffer, w: number, h: number, ch: number, raw16: Uint16Array | undefined;
  try {
    const input = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
    const opts = { failOn: 'none' as const, ignoreIcc: true, autoOrient: format === 'jpeg' && isColor !== undefined };
    // sharp turns gray into RGB unless told to keep it; 16-bit images come back as their high
    // bytes, as OpenCV reduces them (png_set_strip_16)
    const grayIn = isGrayEncoded(buf, format) ?? ((await sharp()(input, opts).metadata()).channels ?? 3) <= 2;
    const out = await (grayIn ? sharp()(input, opts).toColourspace('b-w') : sharp()(input, opts))
      .raw()
      .toBuffer({ resolveWithObject: true });
    ({ width: w, height: h, channels: ch } = out.info);
    raw = out.data;
    if (isColor === false && png16 && (buf[25] & 2) !== 0) {
      // libpng goes to gray before dropping low bytes
      const o16 = await sharp()(input, opts).toColourspace('rgb16').raw({ depth: 'ushort' }).toBuffer();
      raw16 = new Uint16Array(o16.buffer, o16.byteOffset, o16.byteLength >> 1);
    }
  } catch (e) {
    throw new CaffeError(`Could not open or find file ${what} (${(e as Error).message.split('\n')[0]})`);
  }
  const n = w * h,
    gray = ch <= 2;
  if (isColor !== false) {
    const alpha = isColor === undefined && (ch === 2 || ch === 4);
    if (isColor === undefined && ch === 1)
      return { channels: 1, height: h, width: w, data: new Uint8Array(raw.buffer, raw.byteOffset, n) };
    const oc = alpha ? 4 : 3,
      data = new Uint8Array(n * oc);
    if (gray) for (let i = 0, s = 0, d = 0; i < n; i++, s += ch, d += oc) data[d] = data[d + 1] = data[d + 2] = raw[s];
    else
      for (let i = 0, s = 0, d = 0; i < n; i++, s += ch, d += oc) {
        data[d] = raw[s + 2];
        data[d + 1] = raw[s + 1];
        data[d + 2] = raw[s];
      }
    if (alpha) for (let i = 0, s = ch - 1, d = 3; i < n; i++, s += ch, d += 4) data[d] = raw[s];
    return { channels: oc, height: h, width: w, data };
  }
  let data: Uint8Array;
  if (gray) {
    data = new Uint8Array(n);
    for (let i = 0, s = 0; i < n; i++, s += ch) data[i] = raw[s];
  } else if (format === 'png') {
    data = raw16 ? pngRgb16ToGray(raw16, n, ch) : pngRgbToGray(raw, n, ch, pngFileGamma(buf));
  } else if (format === 'jpeg') {
    data = jpegLuma(raw, n, ch);
  } else {
    data = new Uint8Array(n);
    for (let i = 0, s = 0; i < n; i++, s += ch) data[i] = grayOpenCV(raw[s], raw[s + 1], raw[s + 2]);
  }
  return { channels: 1, height: h, width: w, data };
}

/** cv::imread(file, isColor ? IMREAD_COLOR : IMREAD_GRAYSCALE); a missing or unreadable file throws. */
export async function readImage(file: string, isColor: boolean): Promise<Image> {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file); // small files: one blocking read beats four thread-pool round trips
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new CaffeError(`Could not open or find file ${file} (${code})`);
  }
  return decodeImage(buf, isColor, file);
}

// for the data layers' lazy require('../io/image') (sharp loads only when images are read): the
// Datum codecs, and cv::resize for ImageData's new_height / new_width
export { imageToDatum, datumToImage, decodeDatumToImage, encodeImage } from './datum';
