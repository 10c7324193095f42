import * as fs from 'fs';
import * as path from 'path';
import { writeFileAtomic } from '../../src/io/atomic';
import { CaffeError } from '../../src/util/errors';
import { tmpDir } from '../helpers';

describe('writeFileAtomic', () => {
  it('replaces the file and leaves no temp files', () => {
    const d = tmpDir();
    const f = path.join(d, 'a.caffemodel');
    fs.writeFileSync(f, 'old');
    writeFileAtomic(f, new Uint8Array([1, 2, 3]));
    expect(Array.from(fs.readFileSync(f))).toEqual([1, 2, 3]);
    expect(fs.readdirSync(d)).toEqual(['a.caffemodel']);
  });

  it('keeps the old file when the write fails', () => {
    const d = tmpDir();
    const f = path.join(d, 'x');
    fs.mkdirSync(f); // renaming a file over a directory fails
    expect(() => writeFileAtomic(f, 'new')).toThrow(CaffeError);
    expect(fs.statSync(f).isDirectory()).toBe(true);
    expect(fs.readdirSync(d)).toEqual(['x']);
  });

  it('names a missing directory in one line', () => {
    expect(() => writeFileAtomic('/nonexistent/dir/m.caffemodel', 'x')).toThrow(
      /^\/nonexistent\/dir\/m\.caffemodel: cannot write: directory/,
    );
  });
});
