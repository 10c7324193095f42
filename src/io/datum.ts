// Images to and from Caffe's Datum (caffe/util/io.cpp): CVMatToDatum, DecodeDatumToCVMat,
// DecodeDatumNative and ReadImageToDatum, with cv::imencode for convert_imageset --encoded.
import * as fs from 'fs';
import { native } from '../native/addon';
import { Message } from '../proto/schema';
import { checkFailed } from '../util/check';
import { CaffeError } from '../util/errors';
import { Image, decodeImage, readImage, sharp } from './image';
import { resizeLinear } from './resize';

/**
 * CVMatToDatum then set_label: HWC pixels become CHW `data`; `encoded` is set to false (and so is
 * serialized, as Caffe's Datum has it), float_data cleared.
 */
export function imageToDatum(img: Image, label?: number): Message {
  const { channels: C, height: H, width: W } = img,
    src = img.data;
  const data = new Uint8Array(C * H * W);
  native().hwcToChw(src, C, H, W, data, 0);
  const d: Message = { channels: C, height: H, width: W, data, encoded: false };
  if (label !== undefined) d.label = label;
  return d;
}

/** encodeMessage(imageToDatum(img, label), 'caffe.Datum'), in one pass (native/image.cc imageDatum). */
export function imageToDatumBytes(img: Image, label?: number): Uint8Array {
  return native().imageDatum(img.data, img.channels, img.height, img.width, label);
}

/** The pixels of a non-encoded uint8 Datum as an HWC image (the inverse of imageToDatum). */
export function datumToImage(datum: Message): Image {
  const C = datum.channels ?? 0,
    H = datum.height ?? 0,
    W = datum.width ?? 0;
  const src: Uint8Array = datum.data ?? new Uint8Array(0);
  if (src.length !== C * H * W || ![1, 3, 4].includes(C)) {
    throw new CaffeError(`Datum of ${C}x${H}x${W} holds ${src.length} bytes of data: not an image`);
  }
  const out = new Uint8Array(src.length);
  for (let h = 0, i = 0; h < H; h++) {
    for (let w = 0; w < W; w++) for (let c = 0; c < C; c++) out[i++] = src[(c * H + h) * W + w];
  }
  return { channels: C as 1 | 3 | 4, height: H, width: W, data: out };
}

/**
 * DecodeDatumToCVMat(datum, isColor) for an encoded Datum; isColor undefined is
 * DecodeDatumToCVMatNative (cv::imdecode with IMREAD_UNCHANGED).
 */
export async function decodeDatumToImage(datum: Message, isColor?: boolean): Promise<Image> {
  if (!datum.encoded) checkFailed(null, 'datum.encoded()', 'Datum not encoded');
  const data: Uint8Array = datum.data ?? new Uint8Array(0);
  try {
    return await decodeImage(data, isColor, 'datum');
  } catch (e) {
    throw new CaffeError(`Could not decode datum (${(e as Error).message})`);
  }
}

/** DecodeDatumNative: an encoded Datum becomes a plain one in place (label kept); false if not encoded. */
export async function decodeDatumNative(datum: Message): Promise<boolean> {
  if (!datum.encoded) return false;
  const d = imageToDatum(await decodeDatumToImage(datum));
  delete datum.float_data;
  Object.assign(datum, d);
  return true;
}

/** cv::imencode('.png' | '.jpg' ...): lossless PNG at OpenCV's default level 1, JPEG at quality 95. */
export async function encodeImage(img: Image, type: string): Promise<Buffer> {
  const t = type.toLowerCase().replace(/^\./, '');
  const n = img.width * img.height,
    C = img.channels;
  const raw = Buffer.allocUnsafe(n * C);
  for (let i = 0; i < n * C; i += C) {
    // BGR(A) -> RGB(A)
    if (C === 1) {
      raw[i] = img.data[i];
      continue;
    }
    raw[i] = img.data[i + 2];
    raw[i + 1] = img.data[i + 1];
    raw[i + 2] = img.data[i];
    if (C === 4) raw[i + 3] = img.data[i + 3];
  }
  let s = sharp()(raw, { raw: { width: img.width, height: img.height, channels: C } });
  if (C === 1) s = s.toColourspace('b-w'); // a one-channel image stays one channel
  if (t === 'png') return s.png({ compressionLevel: 1 }).toBuffer();
  if (t === 'jpg' || t === 'jpeg' || t === 'jpe') return s.jpeg({ quality: 95, chromaSubsampling: '4:2:0' }).toBuffer();
  if (t === 'webp') return s.webp({ quality: 95 }).toBuffer();
  if (t === 'tif' || t === 'tiff') return s.tiff({ compression: 'lzw' }).toBuffer();
  throw new CaffeError(`cannot encode images as '${type}' (caffets encodes png, jpg, webp and tiff)`);
}

/** io.cpp's matchExt: the file's extension (lower-cased) is the encoding, jpeg counting as jpg. */
export function matchExt(file: string, encoding: string): boolean {
  const p = file.lastIndexOf('.');
  const ext = (p >= 0 ? file.slice(p + 1) : file).toLowerCase(),
    en = encoding.toLowerCase();
  return ext === en || (en === 'jpg' && ext === 'jpeg');
}

/**
 * ReadImageToDatum(file, label, height, width, isColor, encoding): the image read (and resized when
 * both sizes are > 0); with an encoding, the file's own bytes are stored when no resize is asked
 * and its extension matches, else the image is re-encoded. Throws when the image cannot be read.
 */
export async function readImageToDatum(
  file: string,
  label: number,
  height: number,
  width: number,
  isColor: boolean,
  encoding: string,
): Promise<Message> {
  const img = await readResized(file, isColor, height, width);
  if (!encoding) return imageToDatum(img, label);
  if (!height && !width && matchExt(file, encoding)) {
    return { data: new Uint8Array(fs.readFileSync(file)), label, encoded: true }; // ReadFileToDatum
  }
  return { data: new Uint8Array(await encodeImage(img, encoding)), label, encoded: true };
}

/** ReadImageToCVMat: the image read, and resized when both sizes are > 0. */
async function readResized(file: string, isColor: boolean, height: number, width: number): Promise<Image> {
  const img = await readImage(file, isColor);
  return height > 0 && width > 0 ? resizeLinear(img, height, width) : img;
}

/** A serialized Datum with what convert_imageset's --check_size compares: data's length and C * H * W. */
export interface DatumBytes {
  bytes: Uint8Array;
  dataLen: number;
  dims: number;
}

/** readImageToDatum serialized (a plain Datum in one pass: imageToDatumBytes). */
export async function readImageToDatumBytes(
  file: string,
  label: number,
  height: number,
  width: number,
  isColor: boolean,
  encoding: string,
): Promise<DatumBytes> {
  if (!encoding) {
    const img = await readResized(file, isColor, height, width);
    const n = img.channels * img.height * img.width;
    return { bytes: imageToDatumBytes(img, label), dataLen: n, dims: n };
  }
  const d = await readImageToDatum(file, label, height, width, isColor, encoding);
  // protobufjs and the schema load only here: decoding workers start faster without them
  const { encodeMessage } = require('../formats/wire') as typeof import('../formats/wire');
  const dims = (d.channels ?? 0) * (d.height ?? 0) * (d.width ?? 0);
  return { bytes: encodeMessage(d, 'caffe.Datum'), dataLen: d.data.length, dims };
}
