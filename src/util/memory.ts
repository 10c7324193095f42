// The memory a net or a blob may still take, for the checks that refuse one before allocating it (one
// line instead of a process killed by the kernel or V8). It is MemAvailable (os.freemem() reads it on
// Linux), capped under a cgroup limit by that limit less what this process holds already.
// CAFFETS_MEMORY_AVAILABLE_BYTES overrides it: tests set it to be deterministic, and a user may set it
// to keep caffets below what the machine offers.
import * as os from 'os';
import { CaffeError, excerpt } from './errors';

export const MEMORY_ENV = 'CAFFETS_MEMORY_AVAILABLE_BYTES';

/** Bytes of memory available to this process now. */
export function memoryAvailable(): number {
  const set = process.env[MEMORY_ENV];
  if (set !== undefined && set !== '') {
    const n = Number(set);
    if (!Number.isFinite(n) || n < 0) {
      throw new CaffeError(`${MEMORY_ENV} must be a number of bytes, not "${excerpt(set)}"`);
    }
    return n;
  }
  const free = os.freemem();
  const limit = process.constrainedMemory(); // the cgroup's limit; 0 or a huge value without one
  if (limit > 0 && limit < os.totalmem()) return Math.max(0, Math.min(free, limit - process.memoryUsage.rss()));
  return free;
}

/** `37.2 GB`, `512.0 MB`, `96 bytes` (binary units, as `free` counts). */
export function bytesText(bytes: number): string {
  if (bytes >= 2 ** 30) return `${(bytes / 2 ** 30).toFixed(1)} GB`;
  if (bytes >= 2 ** 20) return `${(bytes / 2 ** 20).toFixed(1)} MB`;
  return `${bytes} bytes`;
}

/** Refuses `bytes` for `what` in one line when they exceed the memory available (before allocating them):
 *  `<who>: out of memory: <what> need 29.8 GB, 21.4 GB available`. */
export function checkMemoryFor(who: string, what: string, bytes: number): void {
  const available = memoryAvailable();
  if (bytes > available) {
    throw new CaffeError(`${who}: out of memory: ${what} need ${bytesText(bytes)}, ${bytesText(available)} available`);
  }
}
