// Atomic file writes: data goes to a temp file in the same directory, is fsync'ed, then renamed over
// the final name. A crash leaves either the old file or the new one, never a half-written one.
// Temp files are named `.NAME.PID.STAMP.tmp`; those a killed process left (its PID is no longer
// alive) are removed by the next atomic write into the same directory, never those of live processes.
import * as fs from 'fs';
import * as path from 'path';
import { CaffeError, errnoText } from '../util/errors';

/** Whether a process with this PID exists (EPERM: it exists but belongs to another user). */
export function pidAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/** The temp file name an atomic write of `file` uses. */
export const atomicTempName = (file: string) =>
  path.join(path.dirname(path.resolve(file)), `.${path.basename(file)}.${process.pid}.${Date.now().toString(36)}.tmp`);

const TEMP_RE = /^\..+\.(\d+)\.[0-9a-z]+\.tmp$/;
const swept = new Set<string>();

/**
 * Removes the atomic-write temp files of dead processes from `dir` (once per directory and process).
 * Best effort: a file that cannot be read or removed is left alone.
 */
export function removeStaleTemps(dir: string): void {
  const abs = path.resolve(dir);
  if (swept.has(abs)) return;
  swept.add(abs);
  let names: string[];
  try {
    names = fs.readdirSync(abs);
  } catch {
    return;
  }
  for (const name of names) {
    const m = TEMP_RE.exec(name);
    if (!m || pidAlive(Number(m[1]))) continue;
    try {
      if (fs.lstatSync(path.join(abs, name)).isFile()) fs.rmSync(path.join(abs, name), { force: true });
    } catch {
      // gone already, or not ours to remove
    }
  }
}

export function writeFileAtomic(file: string, data: Uint8Array | string): void {
  const dir = path.dirname(path.resolve(file));
  if (!fs.existsSync(dir)) throw new CaffeError(`${file}: cannot write: directory ${dir} does not exist`);
  removeStaleTemps(dir);
  const tmp = atomicTempName(file);
  let fd: number | undefined;
  try {
    fd = fs.openSync(tmp, 'w', 0o644);
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let off = 0;
    while (off < buf.length) off += fs.writeSync(fd, buf, off, buf.length - off);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(tmp, file);
  } catch (e) {
    if (fd !== undefined) fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    const err = e as NodeJS.ErrnoException;
    throw err.code ? new CaffeError(`${file}: cannot write: ${errnoText(err)}`) : err;
  }
}
