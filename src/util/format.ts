// Numbers as C's printf and C++ streams print them (glibc's exact, round-half-even conversions).

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer); // little-endian word order on every Node target

/** Whether the finite, nonzero |a| is exactly equal to the decimal string `d` (BigInt check). */
function exactlyEquals(a: number, d: string): boolean {
  f64[0] = a;
  const hi = u32[1],
    lo = u32[0];
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
  let left = m,
    right = dm;
  if (e2 >= 0) left <<= BigInt(e2);
  else right <<= BigInt(-e2);
  if (e10 >= 0) right *= 10n ** BigInt(e10);
  else left *= 10n ** BigInt(-e10);
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
    s =
      t[0] +
      (t.length > 1 ? '.' + t.slice(1) : '') +
      'e' +
      (exp < 0 ? '-' : '+') +
      (Math.abs(exp) < 10 ? '0' : '') +
      Math.abs(exp);
  } else if (exp >= 0) {
    const int = digits.slice(0, exp + 1),
      frac = digits.slice(exp + 1).replace(/0+$/, '');
    s = frac ? `${int}.${frac}` : int;
  } else {
    s = '0.' + '0'.repeat(-exp - 1) + digits.replace(/0+$/, '');
  }
  return x < 0 ? '-' + s : s;
}

/** A float as a C++ stream prints it by default (%g, 6 digits; glibc's nan / inf spellings). */
export function streamFloat(x: number): string {
  const v = Math.fround(x);
  if (Number.isNaN(v)) return new Uint8Array(new Float64Array([v]).buffer)[7] & 0x80 ? '-nan' : 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  return formatG(v, 6);
}
