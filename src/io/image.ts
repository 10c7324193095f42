// Image reading as Caffe does it through OpenCV 4.5's cv::imread / cv::imdecode, and cv::resize
// INTER_LINEAR on 8-bit images, reproduced bit for bit. Pixels are kept as OpenCV keeps them:
// interleaved HWC, BGR for colour. Decoding is sharp's (libvips); what OpenCV does differently is
// redone here: no ICC transform, alpha dropped without compositing, 16-bit reduced by >> 8, EXIF
// orientation applied, and each codec's own colour-to-gray rule (libpng's rgb_to_gray for PNG, the
// JPEG decoder's luma for JPEG, cvtColor BGR2GRAY for the others).
import * as fs from 'fs';
import * as zlib from 'zlib';
import sharp from 'sharp';
import { CaffeError } from '../util/errors';

export interface Image {
  /** 1 or 3; 4 (BGRA) only from decodeImage(buf, undefined), OpenCV's IMREAD_UNCHANGED */
  channels: 1 | 3 | 4;
  height: number;
  width: number;
  /** HWC, BGR order for 3 channels (OpenCV's Mat layout) */
  data: Uint8Array;
}

export type ImageFormat = 'png' | 'jpeg' | 'webp' | 'tiff' | 'bmp' | 'pnm' | 'gif' | 'unknown';

/** The codec OpenCV would pick: by the file's signature, never by its extension. */
export function sniffFormat(buf: Uint8Array): ImageFormat {
  const b = (i: number) => buf[i];
  if (buf.length >= 8 && b(0) === 0x89 && b(1) === 0x50 && b(2) === 0x4e && b(3) === 0x47) return 'png';
  if (buf.length >= 3 && b(0) === 0xff && b(1) === 0xd8 && b(2) === 0xff) return 'jpeg';
  if (buf.length >= 12 && String.fromCharCode(...buf.subarray(0, 4)) === 'RIFF' &&
      String.fromCharCode(...buf.subarray(8, 12)) === 'WEBP') return 'webp';
  if (buf.length >= 4 && ((b(0) === 0x49 && b(1) === 0x49 && b(2) === 42 && b(3) === 0) ||
      (b(0) === 0x4d && b(1) === 0x4d && b(2) === 0 && b(3) === 42))) return 'tiff';
  if (buf.length >= 2 && b(0) === 0x42 && b(1) === 0x4d) return 'bmp';
  if (buf.length >= 2 && b(0) === 0x50 && b(1) >= 0x31 && b(1) <= 0x36) return 'pnm';
  if (buf.length >= 3 && b(0) === 0x47 && b(1) === 0x49 && b(2) === 0x46) return 'gif';
  return 'unknown';
}

// ------------------------------------------------------------------ colour to gray

/** cv::cvtColor BGR2GRAY on 8 bits: Y = (R*4899 + G*9617 + B*1868 + 8192) >> 14. */
export function grayOpenCV(r: number, g: number, b: number): number {
  return (r * 4899 + g * 9617 + b * 1868 + 8192) >> 14;
}

// libpng's png_set_rgb_to_gray(png, 1, 0.299, 0.587), as OpenCV's PNG decoder calls it: the
// coefficients truncated to 15 bits, the sum truncated (libpng's "historical approach").
const PNG_RC = Math.floor((29900 * 32768) / 100000), PNG_GC = Math.floor((58700 * 32768) / 100000);
const PNG_BC = 32768 - PNG_RC - PNG_GC;

/** libpng's 8-bit gamma table: floor(255 * (i/255)^(g/1e5) + .5), identity when g is ~1. */
function pngGammaTable(g: number): Uint8Array | null {
  if (g >= 95000 && g <= 105000) return null; // png_gamma_significant: within PNG_GAMMA_THRESHOLD_FIXED (5000)
  const t = new Uint8Array(256);
  for (let i = 0; i < 256; i++) t[i] = Math.floor(255 * Math.pow(i / 255, g * 0.00001) + 0.5);
  return t;
}

// libpng's known sRGB ICC profiles (png.c png_sRGB_checks): header MD5 (bytes 84..99, zero when the
// profile has none), length, rendering intent, adler32, crc32. An iCCP chunk holding one of them
// makes libpng assume sRGB (file gamma 45455); any other profile leaves the gamma unset.
const SRGB_PROFILES: [number[], number, number, number, number][] = [
  [[0x29f83dde, 0xaff255ae, 0x7842fae4, 0xca83390d], 3048, 0, 0x0a3fd9f6, 0x3b8772b9],
  [[0xc95bd637, 0xe95d8a3b, 0x0df38f99, 0xc1320389], 3052, 1, 0x4909e5e1, 0x427ebb21],
  [[0xfc663378, 0x37e2886b, 0xfd72e983, 0x8228f1b8], 60988, 0, 0xfd2144a1, 0x306fd8ae],
  [[0x34562abf, 0x994ccd06, 0x6d2c5721, 0xd0d68c5d], 60960, 0, 0x209c35d2, 0xbbef7812],
  [[0, 0, 0, 0], 3024, 1, 0xa054d762, 0x5d5129ce],
  [[0, 0, 0, 0], 3144, 0, 0xf784f3fb, 0x182ea552],
  [[0, 0, 0, 0], 3144, 1, 0x0398f3fc, 0xf29e526d],
];

let crcTable: Uint32Array | undefined;
function crc32(b: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) { let c = n; for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; crcTable[n] = c >>> 0; }
  }
  let c = 0xffffffff;
  for (let i = 0; i < b.length; i++) c = crcTable[(c ^ b[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function adler32(b: Uint8Array): number {
  let a = 1, s = 0;
  for (let i = 0; i < b.length; i++) { a = (a + b[i]) % 65521; s = (s + a) % 65521; }
  return ((s << 16) | a) >>> 0;
}

function isSRGBProfile(p: Uint8Array): boolean {
  if (p.length < 132) return false;
  const dv = new DataView(p.buffer, p.byteOffset, p.byteLength), u = (o: number) => dv.getUint32(o);
  for (const [md5, length, intent, adler, crc] of SRGB_PROFILES) {
    if (md5.some((m, i) => u(84 + 4 * i) !== m)) continue;
    if (u(0) !== length || u(64) !== intent) continue;
    if (length > p.length) return false;
    const prof = p.subarray(0, length); // checksums differ: "known sRGB profile that has been edited"
    return adler32(prof) === adler && crc32(prof) === crc;
  }
  return false;
}

/** The file gamma (PNG fixed point, 1e5 = 1.0) libpng would use: gAMA, or 45455 for sRGB; 0 = none. */
function pngFileGamma(buf: Uint8Array): number {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let gamma = 0;
  for (let p = 8; p + 8 <= buf.length;) {
    const len = dv.getUint32(p), type = String.fromCharCode(...buf.subarray(p + 4, p + 8));
    if (type === 'IDAT' || type === 'IEND' || p + 12 + len > buf.length) break;
    if (type === 'sRGB') return 45455;
    if (type === 'gAMA' && len === 4) gamma = dv.getUint32(p + 8);
    if (type === 'iCCP') {
      const body = buf.subarray(p + 8, p + 8 + len), nul = body.indexOf(0);
      try {
        if (nul > 0 && isSRGBProfile(zlib.inflateSync(body.subarray(nul + 2)))) return 45455;
      } catch { /* a broken profile is ignored, as libpng does */ }
    }
    p += 12 + len;
  }
  return gamma;
}

function pngRgbToGray(rgb: Uint8Array, n: number, step: number, fileGamma: number): Uint8Array {
  const out = new Uint8Array(n);
  // libpng with a file gamma and no screen gamma: screen = 1/file, so the overall table is the identity
  // but rgb_to_gray works in linear light: to_1 = (v)^(1/file), from_1 = (v)^(file).
  const to1 = fileGamma ? pngGammaTable(Math.floor(1e10 / fileGamma + 0.5)) : null;
  const from1 = to1 ? pngGammaTable(Math.floor(1e10 / Math.floor(1e10 / fileGamma + 0.5) + 0.5)) : null;
  for (let i = 0, s = 0; i < n; i++, s += step) {
    let r = rgb[s], g = rgb[s + 1], b = rgb[s + 2];
    if (r === g && r === b) { out[i] = r; continue; }
    if (to1 && from1) {
      r = to1[r]; g = to1[g]; b = to1[b];
      out[i] = from1[(PNG_RC * r + PNG_GC * g + PNG_BC * b + 16384) >> 15];
    } else {
      out[i] = (PNG_RC * r + PNG_GC * g + PNG_BC * b) >> 15;
    }
  }
  return out;
}

/** libpng's 16-bit rgb_to_gray (rounded since 1.5.5), then png_set_strip_16's high byte. */
function pngRgb16ToGray(rgb: Uint16Array, n: number, step: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0, s = 0; i < n; i++, s += step) {
    out[i] = ((PNG_RC * rgb[s] + PNG_GC * rgb[s + 1] + PNG_BC * rgb[s + 2] + 16384) / 32768) >>> 8;
  }
  return out;
}

// libjpeg's YCbCr -> RGB (jdcolor.c, 16-bit fixed point), used to recover the luma that OpenCV's
// IMREAD_GRAYSCALE gets straight from the decoder (out_color_space = JCS_GRAYSCALE).
const CRR = new Int32Array(256), CBB = new Int32Array(256), CRG = new Int32Array(256), CBG = new Int32Array(256);
for (let i = 0; i < 256; i++) {
  const x = i - 128;
  CRR[i] = (91881 * x + 32768) >> 16; CBB[i] = (116130 * x + 32768) >> 16;
  CRG[i] = -46802 * x; CBG[i] = -22554 * x + 32768;
}

/** The chroma values c whose table entry t[c], added to y and clamped, gives v: [lo, hi] or null. */
function chromaRange(t: Int32Array, y: number, v: number): [number, number] | null {
  let lo = 0, hi = 255;
  if (v > 0) while (lo <= 255 && y + t[lo] < v) lo++;
  if (v < 255) while (hi >= 0 && y + t[hi] > v) hi--;
  return lo <= hi ? [lo, hi] : null;
}

/** Is (r, g, b) what libjpeg outputs for luma y and some Cb, Cr? */
function jpegSolves(y: number, r: number, g: number, b: number): boolean {
  const cr = chromaRange(CRR, y, r), cb = chromaRange(CBB, y, b);
  if (!cr || !cb) return false;
  for (let c = cr[0]; c <= cr[1]; c++) { // G = y + ((CBG[cb] + CRG[cr]) >> 16), decreasing in cb
    const hiG = y + ((CBG[cb[0]] + CRG[c]) >> 16), loG = y + ((CBG[cb[1]] + CRG[c]) >> 16);
    if (g === 255 ? hiG >= 255 : g === 0 ? loG <= 0 : false) return true;
    if (g <= 0 || g >= 255 || g > hiG || g < loG) continue;
    for (let k = cb[0]; k <= cb[1]; k++) if (y + ((CBG[k] + CRG[c]) >> 16) === g) return true;
  }
  return false;
}

/**
 * libjpeg's luma recovered from its RGB output: the y nearest the BT.601 estimate that reproduces
 * (r, g, b) exactly (ties go to the clipped side). Exact where no channel was clipped; where one
 * was, several y can fit and the pick may be off (on real photos ~0.1% of pixels, mean 0.001).
 */
function jpegLuma(rgb: Uint8Array, n: number, step: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0, s = 0; i < n; i++, s += step) {
    const r = rgb[s], g = rgb[s + 1], b = rgb[s + 2];
    const est = (19595 * r + 38470 * g + 7471 * b + 32768) >>> 16; // jccolor.c's RGB -> Y
    out[i] = est;
    if (r === g && g === b) continue;
    const high = r === 255 || g === 255 || b === 255, low = r === 0 || g === 0 || b === 0;
    const dir = high && !low ? 1 : low && !high ? -1 : 0;
    const order = [0, dir || -1, -dir || 1, 2 * (dir || -1), -2 * (dir || -1), 3 * (dir || -1), -3 * (dir || -1)];
    for (const d of order) {
      const y = est + d;
      if (y >= 0 && y <= 255 && jpegSolves(y, r, g, b)) { out[i] = y; break; }
    }
  }
  return out;
}

// ------------------------------------------------------------------ decoding

/** Whether a PNG or JPEG holds one gray channel (with or without alpha); undefined: ask the decoder. */
function isGrayEncoded(buf: Uint8Array, format: ImageFormat): boolean | undefined {
  if (format === 'png') return buf.length > 25 && (buf[25] === 0 || buf[25] === 4);
  if (format !== 'jpeg') return undefined;
  for (let p = 2; p + 9 < buf.length && buf[p] === 0xff;) { // markers up to the frame header
    const m = buf[p + 1], len = (buf[p + 2] << 8) | buf[p + 3];
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
    throw new CaffeError(`Could not open or find file ${what} (${format === 'gif' ? 'GIF is not read by OpenCV 4.5' : 'not an image'})`);
  }
  if (format === 'bmp' || format === 'pnm') {
    throw new CaffeError(`Could not open or find file ${what} (${format.toUpperCase()} images are not supported by caffets yet)`);
  }
  const png16 = format === 'png' && buf[24] === 16;
  if (isColor === undefined && png16) throw new CaffeError(`${what}: Image data type must be unsigned byte (16-bit PNG)`);
  let raw: Buffer, w: number, h: number, ch: number, raw16: Uint16Array | undefined;
  try {
    const input = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
    const opts = { failOn: 'none' as const, ignoreIcc: true, autoOrient: format === 'jpeg' && isColor !== undefined };
    // sharp turns gray into RGB unless told to keep it; 16-bit images come back as their high
    // bytes, as OpenCV reduces them (png_set_strip_16)
    const grayIn = isGrayEncoded(buf, format) ?? ((await sharp(input, opts).metadata()).channels ?? 3) <= 2;
    const out = await (grayIn ? sharp(input, opts).toColourspace('b-w') : sharp(input, opts)).raw().toBuffer({ resolveWithObject: true });
    ({ width: w, height: h, channels: ch } = out.info);
    raw = out.data;
    if (isColor === false && png16 && (buf[25] & 2) !== 0) { // libpng goes to gray before dropping low bytes
      const o16 = await sharp(input, opts).toColourspace('rgb16').raw({ depth: 'ushort' }).toBuffer();
      raw16 = new Uint16Array(o16.buffer, o16.byteOffset, o16.byteLength >> 1);
    }
  } catch (e) {
    throw new CaffeError(`Could not open or find file ${what} (${(e as Error).message.split('\n')[0]})`);
  }
  const n = w * h, gray = ch <= 2;
  if (isColor !== false) {
    const alpha = isColor === undefined && (ch === 2 || ch === 4);
    if (isColor === undefined && ch === 1) return { channels: 1, height: h, width: w, data: new Uint8Array(raw.buffer, raw.byteOffset, n) };
    const oc = alpha ? 4 : 3, data = new Uint8Array(n * oc);
    if (gray) for (let i = 0, s = 0, d = 0; i < n; i++, s += ch, d += oc) data[d] = data[d + 1] = data[d + 2] = raw[s];
    else for (let i = 0, s = 0, d = 0; i < n; i++, s += ch, d += oc) { data[d] = raw[s + 2]; data[d + 1] = raw[s + 1]; data[d + 2] = raw[s]; }
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
    buf = await fs.promises.readFile(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new CaffeError(`Could not open or find file ${file} (${code})`);
  }
  return decodeImage(buf, isColor, file);
}

// ------------------------------------------------------------------ resize

/** cvRound on a float: round half to even (SSE cvtss2si in the default rounding mode). */
function roundEven(v: number): number {
  const f = Math.floor(v), d = v - f;
  return d > 0.5 ? f + 1 : d < 0.5 ? f : (f % 2 === 0 ? f : f + 1);
}

const f32 = Math.fround;
const COEF_SCALE = 2048; // INTER_RESIZE_COEF_SCALE = 1 << 11

/** Source index and fixed-point weights of each output position, as cv::resize computes them. */
function linearTaps(srcLen: number, dstLen: number, clampFrac: boolean) {
  const scale = 1 / (dstLen / srcLen); // OpenCV: inv_scale = dst/src, scale = 1/inv_scale
  const ofs = new Int32Array(dstLen), w0 = new Int32Array(dstLen), w1 = new Int32Array(dstLen);
  let max = dstLen;
  for (let d = 0; d < dstLen; d++) {
    let f = f32((d + 0.5) * scale - 0.5);
    let s = Math.floor(f);
    f = f32(f - s);
    if (clampFrac) {
      if (s < 0) { f = 0; s = 0; }
      if (s + 1 >= srcLen) { max = Math.min(max, d); if (s >= srcLen - 1) { f = 0; s = srcLen - 1; } }
    }
    ofs[d] = s;
    w0[d] = roundEven(f32(1 - f) * COEF_SCALE);
    w1[d] = roundEven(f * COEF_SCALE);
  }
  return { ofs, w0, w1, max };
}

/** cv::resize INTER_AREA's fast path for exactly half size, which INTER_LINEAR takes too. */
function halve(img: Image, height: number, width: number): Image {
  const cn = img.channels, s = img.data, rowIn = img.width * cn, out = new Uint8Array(height * width * cn);
  for (let y = 0, o = 0; y < height; y++) {
    const r0 = 2 * y * rowIn, r1 = r0 + rowIn;
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < cn; c++, o++) {
        const i = 2 * x * cn + c;
        out[o] = (s[r0 + i] + s[r0 + i + cn] + s[r1 + i] + s[r1 + i + cn] + 2) >> 2;
      }
    }
  }
  return { channels: cn, height, width, data: out };
}

/**
 * cv::resize(src, dst, Size(width, height)) with INTER_LINEAR on 8-bit images, bit-exact with
 * OpenCV 4.5: 11-bit weights, a horizontal pass into int rows, then the vertical pass
 * ((b0*(r0>>4))>>16) + ((b1*(r1>>4))>>16) + 2) >> 2 that OpenCV's SIMD and scalar code share.
 */
export function resizeLinear(img: Image, height: number, width: number): Image {
  const { width: sw, height: sh, channels: cn } = img;
  if (height <= 0 || width <= 0) throw new CaffeError(`resize: bad size ${width}x${height}`);
  if (sw === width && sh === height) return { ...img, data: img.data.slice() };
  const sx = 1 / (width / sw), sy = 1 / (height / sh);
  if (Math.abs(sx - 2) < Number.EPSILON && Math.abs(sy - 2) < Number.EPSILON) return halve(img, height, width);
  const X = linearTaps(sw, width, true), Y = linearTaps(sh, height, false);
  const rowLen = width * cn;
  // per output element: the two source offsets in a row and their weights; past X.max OpenCV takes
  // S[sx] * 2048, i.e. weights (2048, 0) on one pixel
  const o0 = new Int32Array(rowLen), o1 = new Int32Array(rowLen), a0 = new Int32Array(rowLen), a1 = new Int32Array(rowLen);
  for (let d = 0, x = 0; d < width; d++) {
    for (let c = 0; c < cn; c++, x++) {
      o0[x] = X.ofs[d] * cn + c;
      const inside = d < X.max;
      o1[x] = inside ? o0[x] + cn : o0[x];
      a0[x] = inside ? X.w0[d] : COEF_SCALE;
      a1[x] = inside ? X.w1[d] : 0;
    }
  }
  const src = img.data, out = new Uint8Array(height * rowLen), srcRow = sw * cn;
  let r0 = new Int32Array(rowLen), r1 = new Int32Array(rowLen), y0 = -1, y1 = -1;
  const hpass = (sy: number, dst: Int32Array) => {
    const base = sy * srcRow;
    for (let x = 0; x < rowLen; x++) dst[x] = src[base + o0[x]] * a0[x] + src[base + o1[x]] * a1[x];
  };
  for (let dy = 0; dy < height; dy++) {
    const s0 = Math.min(Math.max(Y.ofs[dy], 0), sh - 1), s1 = Math.min(Math.max(Y.ofs[dy] + 1, 0), sh - 1);
    if (s0 !== y0) {
      if (s0 === y1) { const t = r0; r0 = r1; r1 = t; y1 = y0; } else hpass(s0, r0);
      y0 = s0;
    }
    if (s1 !== y1) {
      if (s1 === y0) r1.set(r0); else hpass(s1, r1);
      y1 = s1;
    }
    const b0 = Y.w0[dy], b1 = Y.w1[dy], o = dy * rowLen;
    for (let x = 0; x < rowLen; x++) {
      const v = (((b0 * (r0[x] >> 4)) >> 16) + ((b1 * (r1[x] >> 4)) >> 16) + 2) >> 2;
      out[o + x] = v > 255 ? 255 : v;
    }
  }
  return { channels: cn, height, width, data: out };
}

export { imageToDatum, datumToImage, decodeDatumToImage, encodeImage } from './datum';
