// A fast decoder for caffe.Datum, the one message the data layers parse per record: the same plain
// object decodeMessage makes (only the fields present; `data` a view into the buffer, float_data a
// Float32Array), without the schema-driven walk. Anything unusual (unknown fields, wrong wire types,
// truncation) is handed to decodeMessage, which decodes it or reports it in its one line.
import { Message } from '../proto/schema';
import { decodeMessage } from './wire';

export function decodeDatum(buf: Uint8Array, what: () => string): Message {
  const m: Message = {};
  const n = buf.length;
  let pos = 0,
    floats: number[] | null = null;
  const varint = (): number => {
    // low 32 bits of a varint, as int32 (negative int32s take 10 bytes)
    let v = 0,
      shift = 0,
      b: number;
    do {
      if (pos >= n) return NaN;
      b = buf[pos++];
      if (shift < 32) v |= (b & 0x7f) << shift;
      shift += 7;
    } while (b & 0x80 && shift < 70);
    return b & 0x80 ? NaN : v | 0;
  };
  let view: DataView | null = null;
  while (pos < n) {
    const tag = varint();
    const field = tag >>> 3,
      wire = tag & 7;
    if (wire === 0 && (field === 1 || field === 2 || field === 3 || field === 5 || field === 7)) {
      const v = varint();
      if (Number.isNaN(v)) return decodeMessage(buf, 'caffe.Datum', what());
      if (field === 1) m.channels = v;
      else if (field === 2) m.height = v;
      else if (field === 3) m.width = v;
      else if (field === 5) m.label = v;
      else m.encoded = v !== 0;
    } else if (wire === 2 && field === 4) {
      const len = varint();
      if (Number.isNaN(len) || len < 0 || pos + len > n) return decodeMessage(buf, 'caffe.Datum', what());
      m.data = buf.subarray(pos, pos + len);
      pos += len;
    } else if (wire === 5 && field === 6) {
      if (pos + 4 > n) return decodeMessage(buf, 'caffe.Datum', what());
      view ??= new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
      (floats ??= []).push(view.getFloat32(pos, true));
      pos += 4;
    } else {
      return decodeMessage(buf, 'caffe.Datum', what());
    }
  }
  if (floats) m.float_data = Float32Array.from(floats);
  return m;
}
