// Numbers as C++ streams print them.
import { formatG } from '../formats/prototxt_numbers';

/** A float as a C++ stream prints it by default (%g, 6 digits; glibc's nan / inf spellings). */
export function streamFloat(x: number): string {
  const v = Math.fround(x);
  if (Number.isNaN(v)) return new Uint8Array(new Float64Array([v]).buffer)[7] & 0x80 ? '-nan' : 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  return formatG(v, 6);
}
