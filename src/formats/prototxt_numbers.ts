// Number and string formatting as protobuf 3.12's TextFormat::Print does it with glibc:
// SimpleFtoa / SimpleDtoa (C "%.*g", exact value, round-half-even) and CEscape.

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer); // little-endian word order on every Node target

/** Whether the finite, nonzero |a| is exactly equal to the decimal string `d` (BigInt check). */
function exactlyEquals(a: number, d: string): boolean {
  f64[0] = a;
  const hi = u32[1], lo = u32[0];
  const bexp = (hi >>> 20) & 0x7ff;
  let m = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  const e2 = bexp === 0 ? -1074 : bexp - 1075;
  if (bexp !== 0) m |= 1n << 52n;
  const [mant, ex] = d.split('e');
  const digits = mant.replace('.', '');
  const frac = mant.includes('.') ? mant.length - mant.indexOf('.') - 1 : 0;
  const dm = BigInt(digits);
  const e10 = Number(ex ?? 0) - frac;
  // compare m * 2^e2 with dm * 10^e10
  let left = m, right = dm;
  if (e2 >= 0) left <<= BigInt(e2); else right <<= BigInt(-e2);
  if (e10 >= 0) right *= 10n ** BigInt(e10); else left *= 10n ** BigInt(-e10);
  return left === right;
}

/** C printf("%.{p}g", x) as glibc prints it (p >= 2); nan / inf / -inf. */
export function formatG(x: number, p: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const a = Math.abs(x);
  const [mant, ex] = a.toExponential(p - 1).split('e');
  let digits = mant.replace('.', '');
  const exp = Number(ex);
  const last = digits.charCodeAt(digits.length - 1) - 48;
  if (last & 1) {
    // JS breaks exact ties upward; C rounds them to even.
    const wider = a.toExponential(p);
    if (wider.charCodeAt(wider.indexOf('e') - 1) === 53 && exactlyEquals(a, wider)) {
      digits = digits.slice(0, -1) + String(last - 1);
    }
  }
  let s: string;
  if (exp < -4 || exp >= p) {
    const t = digits.replace(/0+$/, '');
    s = t[0] + (t.length > 1 ? '.' + t.slice(1) : '') + 'e' + (exp < 0 ? '-' : '+') +
      (Math.abs(exp) < 10 ? '0' : '') + Math.abs(exp);
  } else if (exp >= 0) {
    const int = digits.slice(0, exp + 1), frac = digits.slice(exp + 1).replace(/0+$/, '');
    s = frac ? `${int}.${frac}` : int;
  } else {
    s = '0.' + '0'.repeat(-exp - 1) + digits.replace(/0+$/, '');
  }
  return x < 0 ? '-' + s : s;
}

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
      case 10: out += '\\n'; break;
      case 13: out += '\\r'; break;
      case 9: out += '\\t'; break;
      case 34: out += '\\"'; break;
      case 39: out += "\\'"; break;
      case 92: out += '\\\\'; break;
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
