// Colour to gray as OpenCV 4.5's IMREAD_GRAYSCALE gets it from each codec: libpng's rgb_to_gray
// for PNG (in linear light when the file has a gamma), the JPEG decoder's own luma for JPEG, and
// cv::cvtColor BGR2GRAY for the others.
import * as zlib from 'zlib';

/** cv::cvtColor BGR2GRAY on 8 bits: Y = (R*4899 + G*9617 + B*1868 + 8192) >> 14. */
export function grayOpenCV(r: number, g: number, b: number): number {
  return (r * 4899 + g * 9617 + b * 1868 + 8192) >> 14;
}

// libpng's png_set_rgb_to_gray(png, 1, 0.299, 0.587), as OpenCV's PNG decoder calls it: the
// coefficients truncated to 15 bits, the sum truncated (libpng's "historical approach").
const PNG_RC = Math.floor((29900 * 32768) / 100000),
  PNG_GC = Math.floor((58700 * 32768) / 100000);
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
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < b.length; i++) c = crcTable[(c ^ b[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function adler32(b: Uint8Array): number {
  let a = 1,
    s = 0;
  for (let i = 0; i < b.length; i++) {
    a = (a + b[i]) % 65521;
    s = (s + a) % 65521;
  }
  return ((s << 16) | a) >>> 0;
}

function isSRGBProfile(p: Uint8Array): boolean {
  if (p.length < 132) return false;
  const dv = new DataView(p.buffer, p.byteOffset, p.byteLength),
    u = (o: number) => dv.getUint32(o);
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
export function pngFileGamma(buf: Uint8Array): number {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let gamma = 0;
  for (let p = 8; p + 8 <= buf.length;) {
    const len = dv.getUint32(p),
      type = String.fromCharCode(...buf.subarray(p + 4, p + 8));
    if (type === 'IDAT' || type === 'IEND' || p + 12 + len > buf.length) break;
    if (type === 'sRGB') return 45455;
    if (type === 'gAMA' && len === 4) gamma = dv.getUint32(p + 8);
    if (type === 'iCCP') {
      const body = buf.subarray(p + 8, p + 8 + len),
        nul = body.indexOf(0);
      try {
        if (nul > 0 && isSRGBProfile(zlib.inflateSync(body.subarray(nul + 2)))) return 45455;
      } catch {
        /* a broken profile is ignored, as libpng does */
      }
    }
    p += 12 + len;
  }
  return gamma;
}

/**
 * libpng's 8-bit rgb_to_gray: gray pixels kept, the others weighted by PNG_RC/GC/BC, in linear light when the
 * file has a gamma.
 */
export function pngRgbToGray(rgb: Uint8Array, n: number, step: number, fileGamma: number): Uint8Array {
  const out = new Uint8Array(n);
  // libpng with a file gamma and no screen gamma: screen = 1/file, so the overall table is the identity
  // but rgb_to_gray works in linear light: to_1 = (v)^(1/file), from_1 = (v)^(file).
  const to1 = fileGamma ? pngGammaTable(Math.floor(1e10 / fileGamma + 0.5)) : null;
  const from1 = to1 ? pngGammaTable(Math.floor(1e10 / Math.floor(1e10 / fileGamma + 0.5) + 0.5)) : null;
  for (let i = 0, s = 0; i < n; i++, s += step) {
    let r = rgb[s],
      g = rgb[s + 1],
      b = rgb[s + 2];
    if (r === g && r === b) {
      out[i] = r;
      continue;
    }
    if (to1 && from1) {
      r = to1[r];
      g = to1[g];
      b = to1[b];
      out[i] = from1[(PNG_RC * r + PNG_GC * g + PNG_BC * b + 16384) >> 15];
    } else {
      out[i] = (PNG_RC * r + PNG_GC * g + PNG_BC * b) >> 15;
    }
  }
  return out;
}

/** libpng's 16-bit rgb_to_gray (rounded since 1.5.5), then png_set_strip_16's high byte. */
export function pngRgb16ToGray(rgb: Uint16Array, n: number, step: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0, s = 0; i < n; i++, s += step) {
    out[i] = ((PNG_RC * rgb[s] + PNG_GC * rgb[s + 1] + PNG_BC * rgb[s + 2] + 16384) / 32768) >>> 8;
  }
  return out;
}

// libjpeg's YCbCr -> RGB (jdcolor.c, 16-bit fixed point), used to recover the luma that OpenCV's
// IMREAD_GRAYSCALE gets straight from the decoder (out_color_space = JCS_GRAYSCALE).
const CRR = new Int32Array(256),
  CBB = new Int32Array(256),
  CRG = new Int32Array(256),
  CBG = new Int32Array(256);
for (let i = 0; i < 256; i++) {
  const x = i - 128;
  CRR[i] = (91881 * x + 32768) >> 16;
  CBB[i] = (116130 * x + 32768) >> 16;
  CRG[i] = -46802 * x;
  CBG[i] = -22554 * x + 32768;
}

/** The chroma values c whose table entry t[c], added to y and clamped, gives v: [lo, hi] or null. */
function chromaRange(t: Int32Array, y: number, v: number): [number, number] | null {
  let lo = 0,
    hi = 255;
  if (v > 0) while (lo <= 255 && y + t[lo] < v) lo++;
  if (v < 255) while (hi >= 0 && y + t[hi] > v) hi--;
  return lo <= hi ? [lo, hi] : null;
}

/** Is (r, g, b) what libjpeg outputs for luma y and some Cb, Cr? */
function jpegSolves(y: number, r: number, g: number, b: number): boolean {
  const cr = chromaRange(CRR, y, r),
    cb = chromaRange(CBB, y, b);
  if (!cr || !cb) return false;
  for (let c = cr[0]; c <= cr[1]; c++) {
    // G = y + ((CBG[cb] + CRG[cr]) >> 16), decreasing in cb
    const hiG = y + ((CBG[cb[0]] + CRG[c]) >> 16),
      loG = y + ((CBG[cb[1]] + CRG[c]) >> 16);
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
export function jpegLuma(rgb: Uint8Array, n: number, step: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0, s = 0; i < n; i++, s += step) {
    const r = rgb[s],
      g = rgb[s + 1],
      b = rgb[s + 2];
    const est = (19595 * r + 38470 * g + 7471 * b + 32768) >>> 16; // jccolor.c's RGB -> Y
    out[i] = est;
    if (r === g && g === b) continue;
    const high = r === 255 || g === 255 || b === 255,
      low = r === 0 || g === 0 || b === 0;
    const dir = high && !low ? 1 : low && !high ? -1 : 0;
    const order = [0, dir || -1, -dir || 1, 2 * (dir || -1), -2 * (dir || -1), 3 * (dir || -1), -3 * (dir || -1)];
    for (const d of order) {
      const y = est + d;
      if (y >= 0 && y <= 255 && jpegSolves(y, r, g, b)) {
        out[i] = y;
        break;
      }
    }
  }
  return out;
}
