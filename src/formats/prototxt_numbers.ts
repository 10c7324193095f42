// Number and string formatting as protobuf 3.12's TextFormat::Print does it with glibc:
// SimpleFtoa / SimpleDtoa (C "%.*g": util/format.ts's formatG) and CEscape.
import { formatG } from '../util/format';

export { formatG };

const FLT_MIN = 1.1754943508222875e-38;

/** A float field's value as protobuf prints it: "%.6g" if that reads back as the same float, else "%.9g". */
export function formatFloat32(v: number): string {
  const x = Math.fround(v);
  if (x !== x) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  // Subnormals always take the long form: strtof flags their read-back as a range error.
  if (x !== 0 && Math.abs(x) < FLT_MIN) return formatG(x, 9);
  const short = formatG(x, 6);
  return Math.fround(Number(short)) === x ? short : formatG(x, 9);
}

/** A double field's value as protobuf prints it: "%.15g" if that reads back exactly, else "%.17g". */
export function formatDouble(x: number): string {
  if (x !== x) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  const short = formatG(x, 15);
  return Number(short) === x ? short : formatG(x, 17);
}

/** protobuf's CEscape: \n \r \t \" \' \\ by name; other bytes outside 0x20..0x7e as 3-digit octal. */
export function cEscape(bytes: ArrayLike<number>): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    switch (b) {
      case 10:
        out += '\\n';
        break;
      case 13:
        out += '\\r';
        break;
      case 9:
        out += '\\t';
        break;
      case 34:
        out += '\\"';
        break;
      case 39:
        out += "\\'";
        break;
      case 92:
        out += '\\\\';
        break;
      default:
        if (b >= 0x20 && b < 0x7f) out += String.fromCharCode(b);
        else out += '\\' + (b >> 6).toString() + ((b >> 3) & 7).toString() + (b & 7).toString();
    }
  }
  return out;
}

const utf8 = new TextEncoder();

/** A string field printed: its UTF-8 bytes through CEscape (so non-ASCII text becomes octal escapes). */
export function escapeString(s: string): string {
  // fast path: printable ASCII with nothing to escape
  if (/^[\x20-\x21\x23-\x26\x28-\x5b\x5d-\x7e]*$/.test(s)) return s;
  return cEscape(utf8.encode(s));
}
