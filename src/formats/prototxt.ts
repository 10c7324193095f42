// Protobuf text format ("prototxt"), driven by the caffe.proto schema.
// The parser accepts what protobuf 3.12's TextFormat::Parser accepts with default settings
// (as Caffe's ReadProtoFromTextFile uses it); the printer reproduces TextFormat::Print byte
// for byte. Messages are plain objects (see src/proto/schema.ts); defaults are never filled in.
import * as protobuf from 'protobufjs';
import { Message, messageType } from '../proto/schema';
import { Tok, Tokenizer, unescapeBytes, unescapeString } from './prototxt_tokenizer';
import { escapeString, cEscape, formatDouble, formatFloat32 } from './prototxt_numbers';
import { excerpt } from '../util/errors';

export { cEscape, formatDouble, formatFloat32, formatG, escapeString } from './prototxt_numbers';

const has = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);
const typeName = (t: protobuf.Type) => t.fullName.slice(1);

/** Inclusive integer ranges per scalar type. */
const INT_RANGE: Record<string, [bigint, bigint]> = {
  int32: [-(2n ** 31n), 2n ** 31n - 1n],
  sint32: [-(2n ** 31n), 2n ** 31n - 1n],
  sfixed32: [-(2n ** 31n), 2n ** 31n - 1n],
  uint32: [0n, 2n ** 32n - 1n],
  fixed32: [0n, 2n ** 32n - 1n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  sint64: [-(2n ** 63n), 2n ** 63n - 1n],
  sfixed64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
  fixed64: [0n, 2n ** 64n - 1n],
};

/** Value of an integer token (decimal, 0x hex, 0 octal), as protobuf's Tokenizer::ParseInteger reads it. */
function intTokenValue(text: string): bigint {
  if (text.length > 1 && text[0] === '0') {
    return text[1] === 'x' || text[1] === 'X' ? BigInt(text) : BigInt('0o' + text.slice(1));
  }
  return BigInt(text);
}

class Parser {
  constructor(private readonly t: Tokenizer) {}

  /** Fields until `close` ('}' or '>'), or until end of input for the top level (close = ''). */
  message(type: protobuf.Type, close: string): Message {
    const t: Tokenizer = this.t,
      msg: Message = {};
    for (;;) {
      if (t.type === Tok.End) {
        if (!close) break;
        t.error(`reached end of input in message ${typeName(type)}: expected "${close}"`);
      }
      if (close && (t.is('}') || t.is('>'))) {
        if (!t.is(close)) t.error(`expected "${close}", got ${t.describe()}`);
        break;
      }
      this.field(type, msg);
    }
    for (const f of type.fieldsArray) {
      // proto2 required fields (protobuf checks IsInitialized)
      if (f.required && !has(msg, f.name)) t.error(`message ${typeName(type)} is missing required field "${f.name}"`);
    }
    if (close) t.next();
    return msg;
  }

  private field(type: protobuf.Type, msg: Message): void {
    const t: Tokenizer = this.t;
    if (t.type !== Tok.Ident) t.error(`expected field name, got ${t.describe()}`);
    const name = t.text,
      line = t.line,
      col = t.col;
    const field = has(type.fields, name) ? type.fields[name] : undefined;
    if (!field) t.error(`message ${typeName(type)} has no field named "${excerpt(name)}"`);
    if (!field.repeated && has(msg, name))
      t.error(`Non-repeated field "${excerpt(name)}" is specified multiple times.`, line, col);
    t.next();
    const sub = field.resolvedType instanceof protobuf.Type ? field.resolvedType : undefined;
    if (t.is(':'))
      t.next(); // required for scalars, optional for messages
    else if (!sub) t.error(`expected ":", got ${t.describe()}`);
    if (field.repeated) {
      const list: unknown[] = has(msg, name) ? msg[name] : [];
      if (t.is('[')) {
        // list form: name: [v, v] / name [ {..}, {..} ]
        t.next();
        if (t.is(']')) t.next();
        else {
          for (;;) {
            list.push(sub ? this.subMessage(sub) : this.value(field));
            if (t.is(']')) {
              t.next();
              break;
            }
            if (!t.is(',')) t.error(`expected "," or "]", got ${t.describe()}`);
            t.next();
          }
        }
      } else {
        list.push(sub ? this.subMessage(sub) : this.value(field));
      }
      if (list.length && !has(msg, name)) msg[name] = list;
    } else {
      msg[name] = sub ? this.subMessage(sub) : this.value(field);
    }
    if (t.is(';') || t.is(',')) t.next(); // one optional separator
  }

  private subMessage(type: protobuf.Type): Message {
    const t: Tokenizer = this.t;
    let close: string;
    if (t.is('{')) close = '}';
    else if (t.is('<')) close = '>';
    else t.error(`expected "{" or "<", got ${t.describe()}`);
    t.next();
    return this.message(type, close);
  }

  private value(field: protobuf.Field): unknown {
    const t: Tokenizer = this.t;
    const rt = field.resolvedType;
    if (rt instanceof protobuf.Enum) return this.enumValue(field, rt);
    switch (field.type) {
      case 'float':
        return Math.fround(this.double(field));
      case 'double':
        return this.double(field);
      case 'bool':
        return this.bool(field);
      case 'string':
      case 'bytes': {
        if (t.type !== Tok.String) t.error(`expected string, got ${t.describe()}`);
        const parts: string[] = [];
        while (t.type === Tok.String) {
          parts.push(t.text);
          t.next();
        } // adjacent literals concatenate
        if (field.type === 'string')
          return parts.length === 1 ? unescapeString(parts[0]) : parts.map(unescapeString).join('');
        const chunks = parts.map(unescapeBytes);
        const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
        chunks.reduce((off, c) => (out.set(c, off), off + c.length), 0);
        return out;
      }
      default: {
        const range = INT_RANGE[field.type];
        if (!range) throw new Error(`prototxt: unsupported field type ${field.type}`);
        return Number(this.integer(field.type, range));
      }
    }
  }

  private integer(typeName: string, [min, max]: [bigint, bigint]): bigint {
    const t: Tokenizer = this.t,
      line = t.line,
      col = t.col;
    let neg = false;
    if (t.is('-')) {
      neg = true;
      t.next();
    }
    if (t.type !== Tok.Int) t.error(`expected integer, got ${t.describe()}`);
    const text = t.text;
    const v = neg ? -intTokenValue(text) : intTokenValue(text);
    if (v < min || v > max)
      t.error(`integer out of range for ${typeName}: ${neg ? '-' : ''}${excerpt(text)}`, line, col);
    t.next();
    return v;
  }

  private double(field: protobuf.Field): number {
    const t: Tokenizer = this.t;
    let neg = false;
    if (t.is('-')) {
      neg = true;
      t.next();
    }
    let v: number;
    const text = t.text;
    if (t.type === Tok.Int) {
      // protobuf reads integer tokens in float fields as decimal only
      if (text.length > 1 && text[0] === '0') t.error(`expected a decimal number, got ${excerpt(text)}`);
      v = Number(text);
    } else if (t.type === Tok.Float) {
      const last = text[text.length - 1];
      v = Number(last === 'f' || last === 'F' ? text.slice(0, -1) : text);
    } else {
      const low = t.type === Tok.Ident ? text.toLowerCase() : '';
      if (low === 'inf' || low === 'infinity') v = Infinity;
      else if (low === 'nan') v = NaN;
      else t.error(`expected ${field.type}, got ${t.describe()}`);
    }
    t.next();
    return neg ? -v : v;
  }

  private bool(field: protobuf.Field): boolean {
    const t: Tokenizer = this.t;
    if (t.type === Tok.Int) return this.integer('bool', [0n, 1n]) === 1n;
    const text = t.text;
    if (t.type === Tok.Ident) {
      if (text === 'true' || text === 'True' || text === 't') {
        t.next();
        return true;
      }
      if (text === 'false' || text === 'False' || text === 'f') {
        t.next();
        return false;
      }
    }
    return t.error(`invalid value for boolean field "${field.name}": ${t.describe()}`);
  }

  private enumValue(field: protobuf.Field, e: protobuf.Enum): string {
    const t: Tokenizer = this.t,
      line = t.line,
      col = t.col;
    let key: string | undefined;
    let shown: string;
    if (t.type === Tok.Ident) {
      shown = t.text;
      if (has(e.values, shown)) key = shown;
      t.next();
    } else if (t.type === Tok.Int || t.is('-')) {
      const v = this.integer('int32', INT_RANGE.int32);
      shown = String(v);
      key = e.valuesById[Number(v)];
    } else {
      return t.error(`expected enum name or number, got ${t.describe()}`);
    }
    if (key === undefined)
      t.error(`Unknown enumeration value of "${excerpt(shown)}" for field "${field.name}".`, line, col);
    return key;
  }
}

/** Parses prototxt `text` as message `typeName` ('caffe.NetParameter' or 'NetParameter'). */
export function parsePrototxt(text: string, typeName: string, fileName = '<input>'): Message {
  return new Parser(new Tokenizer(text, fileName)).message(messageType(typeName), '');
}

// ---- printer ----

const sortedFields = new Map<protobuf.Type, protobuf.Field[]>();

/** A type's fields in field-number order (the order protobuf's reflection lists set fields). */
function fieldsByNumber(type: protobuf.Type): protobuf.Field[] {
  let fs = sortedFields.get(type);
  if (!fs) {
    fs = [...type.fieldsArray].sort((a, b) => a.id - b.id);
    for (const f of fs) f.resolve();
    sortedFields.set(type, fs);
  }
  return fs;
}

function formatInt(v: unknown, type: string): string {
  if (typeof v === 'bigint') return v.toString();
  const n = Number(v);
  if (Number.isSafeInteger(n)) return String(n === 0 ? 0 : n);
  if (!Number.isFinite(n)) throw new Error(`prototxt: non-finite value ${n} in ${type} field`);
  // beyond 2^53 a JS number is approximate: print it in full, clamped to the type's range
  const range = INT_RANGE[type];
  let b = BigInt(Math.trunc(n));
  if (range && b > range[1]) b = range[1];
  if (range && b < range[0]) b = range[0];
  return b.toString();
}

function formatScalar(field: protobuf.Field, v: unknown): string {
  const rt = field.resolvedType;
  if (rt instanceof protobuf.Enum) {
    if (typeof v === 'number') return rt.valuesById[v] ?? String(v);
    return String(v);
  }
  switch (field.type) {
    case 'float':
      return formatFloat32(Number(v));
    case 'double':
      return formatDouble(Number(v));
    case 'bool':
      return v ? 'true' : 'false';
    case 'string':
    case 'bytes': // both go through CEscape; a string is taken as its UTF-8 bytes
      return '"' + (typeof v === 'string' ? escapeString(v) : cEscape(v as ArrayLike<number>)) + '"';
    default:
      return formatInt(v, field.type);
  }
}

function printMessage(msg: Message, type: protobuf.Type, indent: string, out: string[]): void {
  for (const field of fieldsByNumber(type)) {
    const v = msg[field.name];
    if (v === undefined || v === null || !has(msg, field.name)) continue;
    const sub = field.resolvedType instanceof protobuf.Type ? field.resolvedType : undefined;
    const items: ArrayLike<unknown> = field.repeated && typeof v === 'object' && 'length' in v ? v : [v];
    for (let i = 0; i < items.length; i++) {
      if (sub) {
        out.push(`${indent}${field.name} {\n`);
        printMessage(items[i] as Message, sub, indent + '  ', out);
        out.push(`${indent}}\n`);
      } else {
        out.push(`${indent}${field.name}: ${formatScalar(field, items[i])}\n`);
      }
    }
  }
}

/** Prints `msg` exactly as protobuf's TextFormat::Print would (the text Caffe writes). */
export function printPrototxt(msg: Message, typeName: string): string {
  const out: string[] = [];
  printMessage(msg, messageType(typeName), '', out);
  return out.join('');
}
