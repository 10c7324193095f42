// NumPy .npy arrays (format 1.0/2.0/3.0), float32/float64 little-endian, C order: read and write.
import * as fs from 'fs';
import { CaffeError } from '../util/errors';
import { writeFileAtomic } from './atomic';

export interface NpyArray {
  shape: number[];
  data: Float32Array;
}

const MAGIC = '\x93NUMPY';

export function parseNpy(buf: Uint8Array, what = '<npy>'): NpyArray {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (b.length < 10 || b.toString('latin1', 0, 6) !== MAGIC) throw new CaffeError(`${what}: not a .npy file`);
  const major = b[6];
  const hlen = major === 1 ? b.readUInt16LE(8) : b.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = b.toString('latin1', start, start + hlen);
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shapeText === undefined)
    throw new CaffeError(`${what}: malformed .npy header: ${header.trim()}`);
  if (fortran === 'True') throw new CaffeError(`${what}: Fortran-order arrays are not supported`);
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(Number);
  const count = shape.reduce((a, c) => a * c, 1);
  const off = start + hlen;
  const data = new Float32Array(count);
  if (descr === '<f4') {
    if (b.length < off + 4 * count)
      throw new CaffeError(`${what}: truncated (${b.length - off} bytes of data, expected ${4 * count})`);
    new Uint8Array(data.buffer).set(b.subarray(off, off + 4 * count));
  } else if (descr === '<f8') {
    if (b.length < off + 8 * count)
      throw new CaffeError(`${what}: truncated (${b.length - off} bytes of data, expected ${8 * count})`);
    for (let i = 0; i < count; i++) data[i] = b.readDoubleLE(off + 8 * i);
  } else {
    throw new CaffeError(`${what}: dtype ${descr} not supported (expected <f4 or <f8)`);
  }
  return { shape, data };
}

export function readNpy(file: string): NpyArray {
  if (!fs.existsSync(file)) throw new CaffeError(`File not found: ${file}`);
  return parseNpy(fs.readFileSync(file), file);
}

/** Encodes a float32 C-order array as .npy version 1.0. */
export function encodeNpy(shape: readonly number[], data: Float32Array): Uint8Array {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const out = Buffer.alloc(10 + header.length + data.byteLength);
  out.write(MAGIC, 0, 'latin1');
  out[6] = 1;
  out[7] = 0;
  out.writeUInt16LE(header.length, 8);
  out.write(header, 10, 'latin1');
  Buffer.from(data.buffer, data.byteOffset, data.byteLength).copy(out, 10 + header.length);
  return out;
}

export function writeNpy(file: string, shape: readonly number[], data: Float32Array): void {
  writeFileAtomic(file, encodeNpy(shape, data));
}
