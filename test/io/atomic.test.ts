import * as fs from 'fs';
import * as path from 'path';
import { writeFileAtomic } from '../../src/io/atomic';
import { CaffeError, errnoText } from '../../src/util/errors';
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

describe('system errors in one phrase', () => {
  afterEach(() => jest.restoreAllMocks());
  it('names the code once (no "ENOSPC ENOSPC")', () => {
    const d = tmpDir();
    jest.spyOn(jest.requireActual<typeof fs>('fs'), 'writeSync').mockImplementation(() => {
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    });
    expect(() => writeFileAtomic(path.join(d, 'm'), 'x')).toThrow(
      `${path.join(d, 'm')}: cannot write: ENOSPC: no space left on device, write`,
    );
    expect(fs.readdirSync(d)).toEqual([]);
  });
  it('errnoText: the message when it begins with the code, else code and message', () => {
    const err = (code: string | undefined, message: string) => Object.assign(new Error(message), { code });
    expect(errnoText(err('ENOSPC', 'ENOSPC: no space left on device, write'))).toBe(
      'ENOSPC: no space left on device, write',
    );
    expect(errnoText(err('ENOSPC', 'ENOSPC'))).toBe('ENOSPC');
    expect(errnoText(err('EIO', 'i/o error'))).toBe('EIO: i/o error');
    expect(errnoText(err(undefined, 'oops'))).toBe('oops');
  });
});
