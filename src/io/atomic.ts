// Atomic file writes: data goes to a temp file in the same directory, is fsync'ed, then renamed over
// the final name. A crash leaves either the old file or the new one, never a half-written one.
import * as fs from 'fs';
import * as path from 'path';
import { CaffeError, errnoText } from '../util/errors';

export function writeFileAtomic(file: string, data: Uint8Array | string): void {
  const dir = path.dirname(path.resolve(file));
  if (!fs.existsSync(dir)) throw new CaffeError(`${file}: cannot write: directory ${dir} does not exist`);
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Date.now().toString(36)}.tmp`);
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
