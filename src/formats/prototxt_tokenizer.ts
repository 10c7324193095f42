// Tokenizer for the protobuf text format, following the lexical rules of protobuf's
// io::Tokenizer as TextFormat::Parser configures it (# comments, "f" suffix on floats,
// a space required between a number and an identifier). Lazy: errors surface in order.
import { excerpt, locatedError } from '../util/errors';

export const enum Tok {
  End,
  Ident,
  Int,
  Float,
  String,
  Symbol,
}

const C_0 = 48,
  C_9 = 57,
  C_BS = 92,
  C_NL = 10;

function isDigit(c: number): boolean {
  return c >= C_0 && c <= C_9;
}
function isOctal(c: number): boolean {
  return c >= C_0 && c <= 55;
}
function isHex(c: number): boolean {
  return isDigit(c) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
}
function isLetter(c: number): boolean {
  // protobuf's Letter class includes '_'
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
}
function isSpace(c: number): boolean {
  // ' ' \t \n \v \f \r
  return c === 32 || (c >= 9 && c <= 13);
}

export class Tokenizer {
  /** The current token: kind, [start, end) in `src`, 1-based line and column of its start. */
  type: Tok = Tok.End;
  start = 0;
  end = 0;
  line = 1;
  col = 1;
  private pos = 0;
  private curLine = 1;
  private lineStart = 0;

  constructor(
    readonly src: string,
    readonly file: string,
  ) {
    if (src.charCodeAt(0) === 0xfeff) this.pos = this.lineStart = 1; // tolerate a UTF-8 BOM
    this.next();
  }

  get text(): string {
    return this.src.slice(this.start, this.end);
  }

  /** The current token as error messages quote it. */
  describe(): string {
    return this.type === Tok.End ? 'end of input' : excerpt(this.text);
  }

  is(sym: string): boolean {
    return this.type === Tok.Symbol && this.src.charCodeAt(this.start) === sym.charCodeAt(0);
  }

  error(what: string, line = this.line, col = this.col): never {
    throw locatedError(this.file, line, col, what);
  }

  private errorAt(pos: number, what: string): never {
    throw locatedError(this.file, this.curLine, pos - this.lineStart + 1, what);
  }

  next(): void {
    const s = this.src,
      n = s.length;
    let p = this.pos,
      c = 0;
    for (;;) {
      // skip whitespace and comments
      if (p >= n) break;
      c = s.charCodeAt(p);
      if (c === C_NL) {
        p++;
        this.curLine++;
        this.lineStart = p;
      } else if (isSpace(c)) p++;
      else if (c === 35) {
        while (p < n && s.charCodeAt(p) !== C_NL) p++;
      } // '#'
      else break;
    }
    this.start = p;
    this.line = this.curLine;
    this.col = p - this.lineStart + 1;
    if (p >= n) {
      this.type = Tok.End;
      this.end = this.pos = p;
      return;
    }
    if (isLetter(c)) {
      p++;
      while (p < n && (isLetter((c = s.charCodeAt(p))) || isDigit(c))) p++;
      this.type = Tok.Ident;
    } else if (isDigit(c) || (c === 46 && p + 1 < n && isDigit(s.charCodeAt(p + 1)))) {
      p = this.number(p);
    } else if (c === 34 || c === 39) {
      p = this.string(p, c);
      this.type = Tok.String;
    } else if (c > 32 && c < 127) {
      p++;
      this.type = Tok.Symbol;
    } else {
      this.errorAt(p, `unexpected character ${JSON.stringify(String.fromCodePoint(s.codePointAt(p)!))}`);
    }
    this.end = this.pos = p;
  }

  private number(p: number): number {
    const s = this.src,
      n = s.length;
    const at = (i: number) => (i < n ? s.charCodeAt(i) : -1);
    let isFloat = false;
    const startedWithZero = at(p) === C_0;
    const startedWithDot = at(p) === 46;
    let hexOrOctal = false;
    if (startedWithZero && (at(p + 1) === 120 || at(p + 1) === 88)) {
      // 0x
      p += 2;
      if (!isHex(at(p))) this.errorAt(p, '"0x" must be followed by hex digits');
      while (isHex(at(p))) p++;
      hexOrOctal = true;
    } else if (startedWithZero && isDigit(at(p + 1))) {
      // octal
      p++;
      while (isOctal(at(p))) p++;
      if (isDigit(at(p))) this.errorAt(p, 'numbers starting with a leading zero must be in octal');
      hexOrOctal = true;
    } else {
      if (startedWithDot) {
        isFloat = true;
        p++;
      }
      while (isDigit(at(p))) p++;
      if (!startedWithDot && at(p) === 46) {
        isFloat = true;
        p++;
        while (isDigit(at(p))) p++;
      }
      if (at(p) === 101 || at(p) === 69) {
        // e E
        isFloat = true;
        p++;
        if (at(p) === 45 || at(p) === 43) p++;
        if (!isDigit(at(p))) this.errorAt(p, '"e" must be followed by exponent');
        while (isDigit(at(p))) p++;
      }
      if (at(p) === 102 || at(p) === 70) {
        isFloat = true;
        p++;
      } // f F suffix
    }
    const c = at(p);
    if (isLetter(c)) this.errorAt(p, 'need space between number and identifier');
    if (c === 46) {
      this.errorAt(
        p,
        hexOrOctal
          ? 'hex and octal numbers must be integers'
          : "already saw decimal point or exponent; can't have another one",
      );
    }
    this.type = isFloat ? Tok.Float : Tok.Int;
    return p;
  }

  /** Scans a quoted literal, validating escapes as protobuf's tokenizer does. */
  private string(p: number, quote: number): number {
    const s = this.src,
      n = s.length,
      open = p;
    p++;
    for (;;) {
      if (p >= n || s.charCodeAt(p) === C_NL) this.errorAt(open, 'unterminated string literal');
      const c = s.charCodeAt(p);
      if (c === quote) return p + 1;
      if (c !== C_BS) {
        p++;
        continue;
      }
      const e = p + 1 < n ? s.charCodeAt(p + 1) : -1;
      if ('abfnrtv\\?\'"'.includes(String.fromCharCode(e))) p += 2;
      else if (isOctal(e)) {
        p += 2;
        for (let k = 0; k < 2 && isOctal(s.charCodeAt(p)); k++) p++;
      } else if (e === 120) {
        // \x: one or two hex digits
        if (!isHex(s.charCodeAt(p + 2))) this.errorAt(p, 'expected hex digits for escape sequence');
        p += 3;
        if (isHex(s.charCodeAt(p))) p++;
      } else if (e === 117 || e === 85) {
        // \uXXXX, \UXXXXXXXX
        const len = e === 117 ? 4 : 8;
        const hex = s.slice(p + 2, p + 2 + len);
        if (!/^[0-9a-fA-F]*$/.test(hex) || hex.length !== len || parseInt(hex, 16) > 0x10ffff) {
          this.errorAt(
            p,
            e === 117
              ? 'expected four hex digits for \\u escape sequence'
              : 'expected eight hex digits up to 10ffff for \\U escape sequence',
          );
        }
        p += 2 + len;
      } else {
        const bad = e < 0 || e === C_NL ? '\\' : s.slice(p, p + 2);
        this.errorAt(p, `invalid escape sequence "${excerpt(bad)}" in string literal`);
      }
    }
  }
}

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8');

/** Decodes a validated string token (quotes included) to bytes, per C escape rules. */
export function unescapeBytes(tok: string): Uint8Array {
  const body = tok.slice(1, -1);
  if (!body.includes('\\')) return utf8.encode(body);
  const out: number[] = [];
  const pushCodePoint = (cp: number) => {
    for (const b of utf8.encode(String.fromCodePoint(cp))) out.push(b);
  };
  const simple: Record<string, number> = {
    a: 7,
    b: 8,
    f: 12,
    n: 10,
    r: 13,
    t: 9,
    v: 11,
    '\\': 92,
    '?': 63,
    "'": 39,
    '"': 34,
  };
  let i = 0;
  while (i < body.length) {
    const ch = body[i];
    if (ch !== '\\') {
      const cp = body.codePointAt(i)!;
      if (cp < 0x80) out.push(cp);
      else pushCodePoint(cp);
      i += cp > 0xffff ? 2 : 1;
      continue;
    }
    const e = body[i + 1];
    if (simple[e] !== undefined) {
      out.push(simple[e]);
      i += 2;
    } else if (e >= '0' && e <= '7') {
      let j = i + 1,
        v = 0;
      while (j < i + 4 && body[j] >= '0' && body[j] <= '7') v = v * 8 + (body.charCodeAt(j++) - 48);
      out.push(v & 0xff);
      i = j;
    } else if (e === 'x' || e === 'X') {
      let j = i + 2;
      while (j < i + 4 && isHex(body.charCodeAt(j))) j++;
      out.push(parseInt(body.slice(i + 2, j), 16));
      i = j;
    } else {
      // \u or \U (a \u high surrogate followed by a \u low surrogate forms one code point)
      const len = e === 'u' ? 4 : 8;
      let cp = parseInt(body.slice(i + 2, i + 2 + len), 16);
      i += 2 + len;
      if (cp >= 0xd800 && cp < 0xdc00 && body.startsWith('\\u', i)) {
        const lo = parseInt(body.slice(i + 2, i + 6), 16);
        if (lo >= 0xdc00 && lo < 0xe000) {
          cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
          i += 6;
        }
      }
      pushCodePoint(cp);
    }
  }
  return Uint8Array.from(out);
}

/** A string field's value: the literal's bytes decoded as UTF-8. */
export function unescapeString(tok: string): string {
  const body = tok.slice(1, -1);
  if (!body.includes('\\')) return body;
  return utf8Decoder.decode(unescapeBytes(tok));
}
