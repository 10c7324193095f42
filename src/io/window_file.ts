// R-CNN window files as Caffe's WindowData layer reads them (std::ifstream >>, so tokens are separated
// by any whitespace), one record per image:
//   # <image_index>
//   <image_path>                                  (root_folder is prepended)
//   <channels> <height> <width>
//   <num_windows>
//   <class> <overlap> <x1> <y1> <x2> <y2>         (num_windows times)
// A window is foreground when overlap >= fg_threshold (its class must then be > 0), background when
// overlap < bg_threshold (class and overlap forced to 0), and dropped otherwise; the comparisons are in
// float. Windows keep their record's `# index`, by which Caffe later looks up the image (the position
// among the records read). Caffe's stream extraction stops silently at the first malformed token and
// reads garbage after it; here a malformed file is an error naming file:line:column.
import * as fs from 'fs';
import { Who, checkOp, fatal } from '../util/check';
import { errnoText } from '../util/errors';

/** Ints per window in WindowFile.fg / .bg: image index, class, x1, y1, x2, y2. */
export const WINDOW_FIELDS = 6;

export interface WindowImage {
  /** the record's `# index` */
  index: number;
  /** root_folder + the path as written */
  path: string;
  channels: number;
  height: number;
  width: number;
  numWindows: number;
  /** line of the record's `#` */
  line: number;
  /** line:column of its channel count */
  channelsAt: string;
}

export interface WindowFile {
  images: WindowImage[];
  /** foreground windows, WINDOW_FIELDS ints each, in a SharedArrayBuffer (handed to the prefetch worker) */
  fg: Int32Array;
  /** background windows (class 0), likewise */
  bg: Int32Array;
  /** windows per class, class 0 (background) always present: Caffe's label_hist */
  labelHist: Map<number, number>;
}

export interface WindowFileOptions {
  rootFolder: string;
  fgThreshold: number;
  bgThreshold: number;
}

/** A growable list of int32 rows, copied into shared memory at the end. */
class IntRows {
  private data = new Int32Array(WINDOW_FIELDS * 1024);
  length = 0;
  push(a: number, b: number, c: number, d: number, e: number, f: number): void {
    if (this.length + WINDOW_FIELDS > this.data.length) {
      const grown = new Int32Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data.set([a, b, c, d, e, f], this.length);
    this.length += WINDOW_FIELDS;
  }
  shared(): Int32Array {
    const out = new Int32Array(new SharedArrayBuffer(4 * Math.max(1, this.length)), 0, this.length);
    out.set(this.data.subarray(0, this.length));
    return out;
  }
}

/** C's isspace in the "C" locale. */
const isSpace = (b: number) => b === 0x20 || (b >= 0x09 && b <= 0x0d);
const isDigit = (b: number) => b >= 0x30 && b <= 0x39;
/** what operator>>(float) accepts as a whole token: decimal, optional exponent (no inf, nan or hex) */
const FLOAT_RE = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Whitespace-separated tokens of a byte buffer, with their line:column (numbers parsed from the bytes). */
class Tokens {
  private pos = 0;
  private line = 1;
  private lineStart = 0;
  private start = 0;
  /** line of the last token read */
  lineNo = 1;

  constructor(
    private readonly buf: Uint8Array,
    private readonly file: string,
    private readonly who: Who,
  ) {}

  /** line:column of the last token read (or of the end of the file) */
  get at(): string {
    return `${this.lineNo}:${this.start - this.lineStart + 1}`;
  }

  /** Moves to the next token; false at the end of the file. */
  private advance(): boolean {
    const b = this.buf;
    while (this.pos < b.length && isSpace(b[this.pos])) {
      if (b[this.pos] === 0x0a) {
        this.line++;
        this.lineStart = this.pos + 1;
      }
      this.pos++;
    }
    this.lineNo = this.line;
    this.start = this.pos;
    if (this.pos >= b.length) return false;
    while (this.pos < b.length && !isSpace(b[this.pos])) this.pos++;
    return true;
  }

  private text(): string {
    const b = this.buf;
    return Buffer.from(b.buffer, b.byteOffset + this.start, this.pos - this.start).toString('utf8');
  }

  /** The next token, or null at the end of the file. */
  next(): string | null {
    return this.advance() ? this.text() : null;
  }

  fail(what: string): never {
    fatal(this.who, `${this.file}:${this.at}: ${what}`);
  }

  private expected(what: string, kind: string): never {
    const found = this.start < this.pos ? `"${this.text().slice(0, 40)}"` : 'the end of the file';
    this.fail(`expected ${what}${kind}, found ${found}`);
  }

  /** The next token, which must be there. */
  word(what: string): string {
    if (!this.advance()) this.expected(what, '');
    return this.text();
  }

  /** The next token as an int (operator>>(int&): decimal, in int range). */
  int(what: string): number {
    if (!this.advance()) this.expected(what, ' (an int)');
    const b = this.buf;
    let i = this.start;
    const neg = b[i] === 0x2d;
    if (neg || b[i] === 0x2b) i++;
    let v = 0;
    if (i === this.pos) this.expected(what, ' (an int)');
    for (; i < this.pos; i++) {
      if (!isDigit(b[i])) this.expected(what, ' (an int)');
      v = v * 10 + b[i] - 0x30;
    }
    if (neg) v = -v;
    if (!(v >= -(2 ** 31) && v < 2 ** 31)) this.expected(what, ' (an int)');
    return v;
  }

  /** The next token as a float (operator>>(float&)). */
  float(what: string): number {
    if (!this.advance()) this.expected(what, ' (a float)');
    const t = this.text();
    const v = FLOAT_RE.test(t) ? Math.fround(Number(t)) : NaN;
    if (!Number.isFinite(v)) this.expected(what, ' (a float)');
    return v;
  }
}

/** Reads and parses `file` (window_data_param.source) for the layer `who`. */
export function readWindowFile(who: Who, file: string, opts: WindowFileOptions): WindowFile {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (e) {
    // Caffe: CHECK(infile.good()) << "Failed to open window file " << source
    fatal(
      who,
      `Check failed: infile.good() Failed to open window file ${file} (${errnoText(e as NodeJS.ErrnoException)})`,
    );
  }
  return parseWindowFile(who, buf, file, opts);
}

/** Parses a window file's bytes; `file` names it in errors. */
export function parseWindowFile(who: Who, buf: Uint8Array, file: string, opts: WindowFileOptions): WindowFile {
  const tok = new Tokens(buf, file, who);
  const fgThreshold = Math.fround(opts.fgThreshold),
    bgThreshold = Math.fround(opts.bgThreshold);
  const images: WindowImage[] = [];
  const fg = new IntRows(),
    bg = new IntRows();
  const labelHist = new Map<number, number>([[0, 0]]);
  /** records whose windows are kept: their `# index` must name an image */
  const used: WindowImage[] = [];
  for (let hashtag = tok.next(); hashtag !== null; hashtag = tok.next()) {
    const line = tok.lineNo,
      at = tok.at;
    if (hashtag !== '#') {
      if (images.length === 0 && tok.next() === null) fatal(who, 'Window file is empty');
      const cond = `hashtag == "#" (${hashtag.slice(0, 40)} vs. #)`;
      fatal(who, `${file}:${at}: Check failed: ${cond} each image's record starts "# <index>"`);
    }
    const index = tok.int('the image index after "#"');
    const path = opts.rootFolder + tok.word('the image path');
    const channels = tok.int('the image channel count');
    const channelsAt = tok.at;
    const height = tok.int('the image height');
    const width = tok.int('the image width');
    const numWindows = tok.int('the number of windows');
    const image = { index, path, channels, height, width, numWindows, line, channelsAt };
    const kept = fg.length + bg.length;
    for (let i = 0; i < numWindows; i++) {
      const w = `window ${i + 1} of ${numWindows}:`;
      const label = tok.int(`${w} the class`);
      const at = tok.at;
      const overlap = tok.float(`${w} the overlap`);
      const x1 = tok.int(`${w} x1`),
        y1 = tok.int(`${w} y1`),
        x2 = tok.int(`${w} x2`),
        y2 = tok.int(`${w} y2`);
      if (overlap >= fgThreshold) {
        const why = `${file}:${at}: a foreground window (overlap >= fg_threshold) needs a class above 0`;
        checkOp(who, label, '>', 0, 'label > 0', why);
        fg.push(index, label, x1, y1, x2, y2);
        labelHist.set(label, (labelHist.get(label) ?? 0) + 1);
      } else if (overlap < bgThreshold) {
        bg.push(index, 0, x1, y1, x2, y2);
        labelHist.set(0, labelHist.get(0)! + 1);
      }
    }
    images.push(image);
    if (fg.length + bg.length > kept) used.push(image);
  }
  if (images.length === 0) fatal(who, 'Window file is empty');
  // caffets' check: Caffe looks the windows' image up by `# index` unchecked
  for (const im of used) {
    if (im.index < 0 || im.index >= images.length)
      fatal(
        who,
        `${file}:${im.line}: image index ${im.index} is not a position 0..${images.length - 1} among the ` +
          `${images.length} images, by which Caffe looks up the image of its windows`,
      );
  }
  return { images, fg: fg.shared(), bg: bg.shared(), labelHist };
}
