// Binary protobuf (wire format) for caffe.proto messages, driven by the protobufjs schema.
// Decoding a packed `repeated float` (BlobProto.data/diff) copies its bytes once, straight into a
// Float32Array, so a 250 MB caffemodel is never expanded into JS number arrays. Encoding writes
// fields in field-number order, packed where the schema says so: the bytes protobuf's C++
// SerializeToOstream writes for the same message.
import * as protobuf from 'protobufjs';
import { Message, messageType } from '../proto/schema';
import { CaffeError } from '../util/errors';

type Kind =
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'uint64'
  | 'sint32'
  | 'sint64'
  | 'fixed32'
  | 'sfixed32'
  | 'fixed64'
  | 'sfixed64'
  | 'float'
  | 'double'
  | 'bool'
  | 'string'
  | 'bytes'
  | 'enum'
  | 'message';

interface FieldInfo {
  name: string;
  id: number;
  kind: Kind;
  repeated: boolean;
  packed: boolean;
  enumType?: protobuf.Enum;
  msgType?: protobuf.Type;
}
interface TypeInfo {
  name: string;
  byId: Map<number, FieldInfo>;
  ordered: FieldInfo[];
}

const WIRE: Record<Kind, number> = {
  int32: 0,
  uint32: 0,
  int64: 0,
  uint64: 0,
  sint32: 0,
  sint64: 0,
  bool: 0,
  enum: 0,
  fixed32: 5,
  sfixed32: 5,
  float: 5,
  fixed64: 1,
  sfixed64: 1,
  double: 1,
  string: 2,
  bytes: 2,
  message: 2,
};

const infos = new Map<protobuf.Type, TypeInfo>();

function typeInfo(t: protobuf.Type): TypeInfo {
  let info = infos.get(t);
  if (info) return info;
  const ordered: FieldInfo[] = [];
  for (const f of t.fieldsArray) {
    f.resolve();
    const rt = f.resolvedType;
    const kind: Kind =
      rt instanceof protobuf.Type ? 'message' : rt instanceof protobuf.Enum ? 'enum' : (f.type as Kind);
    ordered.push({
      name: f.name,
      id: f.id,
      kind,
      repeated: f.repeated,
      packed: f.repeated && f.options?.packed === true,
      enumType: rt instanceof protobuf.Enum ? rt : undefined,
      msgType: rt instanceof protobuf.Type ? rt : undefined,
    });
  }
  ordered.sort((a, b) => a.id - b.id);
  info = { name: t.fullName.slice(1), byId: new Map(ordered.map((f) => [f.id, f])), ordered };
  infos.set(t, info);
  return info;
}

// ---------------------------------------------------------------- decode

const toNum = (v: unknown): number => (typeof v === 'number' ? v : (v as { toNumber(): number }).toNumber());

/** The next length-delimited payload, bounds-checked (protobufjs' string() does not check). */
function lengthDelimited(r: protobuf.Reader): Uint8Array {
  const len = r.uint32(),
    start = r.pos;
  if (start + len > r.len) throw new RangeError(`index out of range: ${start} + ${len} > ${r.len}`);
  r.pos += len;
  return r.buf.subarray(start, start + len);
}

function readScalar(r: protobuf.Reader, f: FieldInfo): unknown {
  switch (f.kind) {
    case 'int32':
      return r.int32();
    case 'uint32':
      return r.uint32();
    case 'sint32':
      return r.sint32();
    case 'int64':
      return toNum(r.int64());
    case 'uint64':
      return toNum(r.uint64());
    case 'sint64':
      return toNum(r.sint64());
    case 'fixed32':
      return r.fixed32();
    case 'sfixed32':
      return r.sfixed32();
    case 'fixed64':
      return toNum(r.fixed64());
    case 'sfixed64':
      return toNum(r.sfixed64());
    case 'float':
      return r.float();
    case 'double':
      return r.double();
    case 'bool':
      return r.bool();
    case 'string':
      return Buffer.from(lengthDelimited(r)).toString('utf8');
    case 'bytes':
      return lengthDelimited(r);
    case 'enum': {
      const v = r.int32();
      return f.enumType!.valuesById[v] ?? v;
    }
    default:
      throw new Error(`unreachable: ${f.kind}`);
  }
}

/** A packed run of `len` bytes: floats/doubles are copied once into a typed array. */
function readPacked(
  r: protobuf.Reader,
  f: FieldInfo,
  len: number,
  out: unknown[] | null,
): unknown[] | Float32Array | Float64Array {
  const start = r.pos,
    end = start + len;
  if (end > r.len) throw new RangeError(`index out of range: ${start} + ${len} > ${r.len}`);
  if (f.kind === 'float' || f.kind === 'double') {
    const Ctor = f.kind === 'float' ? Float32Array : Float64Array;
    const bytes = new Uint8Array(len); // the one copy (aligned, owned: r.buf may be a pooled Buffer)
    bytes.set(r.buf.subarray(start, end));
    r.pos = end;
    const arr = new Ctor(bytes.buffer, bytes.byteOffset, len / Ctor.BYTES_PER_ELEMENT);
    return out && out.length ? [...out, ...arr] : arr;
  }
  const vals = out ?? [];
  while (r.pos < end) vals.push(readScalar(r, f));
  return vals;
}

function decodeInto(r: protobuf.Reader, info: TypeInfo, end: number): Message {
  const m: Message = {};
  while (r.pos < end) {
    const tag = r.uint32();
    const id = tag >>> 3,
      wt = tag & 7;
    const f = info.byId.get(id);
    if (!f) {
      r.skipType(wt);
      continue;
    } // unknown field: skipped, as protobuf keeps it aside
    const expected = WIRE[f.kind];
    if (f.repeated && wt === 2 && expected !== 2) {
      const prev = m[f.name];
      m[f.name] = readPacked(
        r,
        f,
        r.uint32(),
        Array.isArray(prev) ? prev : prev ? Array.from(prev as ArrayLike<number>) : null,
      );
      continue;
    }
    if (wt !== expected) throw new RangeError(`field ${info.name}.${f.name} has wire type ${wt}, expected ${expected}`);
    let v: unknown;
    if (f.kind === 'message') {
      const len = r.uint32();
      const subEnd = r.pos + len;
      if (subEnd > r.len) throw new RangeError(`index out of range: ${r.pos} + ${len} > ${r.len}`);
      const sub = typeInfo(f.msgType!);
      if (!f.repeated && m[f.name]) {
        Object.assign(m[f.name], decodeInto(r, sub, subEnd));
        continue;
      } // merge, as protobuf does
      v = decodeInto(r, sub, subEnd);
    } else {
      v = readScalar(r, f);
    }
    if (!f.repeated) {
      m[f.name] = v;
      continue;
    }
    let arr = m[f.name];
    if (arr === undefined) arr = m[f.name] = [];
    else if (!Array.isArray(arr)) arr = m[f.name] = Array.from(arr as ArrayLike<number>);
    (arr as unknown[]).push(v);
  }
  if (r.pos !== end) throw new RangeError(`message ${info.name} overruns its length`);
  // unpacked repeated floats (e.g. Datum.float_data) become typed arrays too
  for (const f of info.ordered) {
    const v = m[f.name];
    if (Array.isArray(v) && (f.kind === 'float' || f.kind === 'double')) {
      m[f.name] = f.kind === 'float' ? Float32Array.from(v as number[]) : Float64Array.from(v as number[]);
    }
  }
  return m;
}

/** Decodes `buf` as `typeName`; `what` names the input in the one-line error. */
export function decodeMessage(buf: Uint8Array, typeName: string, what = '<buffer>'): Message {
  const type = messageType(typeName);
  const r = protobuf.Reader.create(buf);
  try {
    return decodeInto(r, typeInfo(type), buf.length);
  } catch (e) {
    if (
      e instanceof RangeError ||
      (e instanceof Error && /index out of range|invalid wire type|overrun/.test(e.message))
    ) {
      throw new CaffeError(
        `${what}: cannot parse as ${type.fullName.slice(1)} ` +
          `(truncated or corrupt binary protobuf: ${e.message}; ${buf.length} bytes)`,
      );
    }
    throw e;
  }
}

// ---------------------------------------------------------------- encode

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a decoded field value of f.kind's type
function writeScalar(w: protobuf.Writer, f: FieldInfo, v: any): void {
  switch (f.kind) {
    case 'int32':
      w.int32(v);
      break;
    case 'uint32':
      w.uint32(v);
      break;
    case 'sint32':
      w.sint32(v);
      break;
    case 'int64':
      w.int64(v);
      break;
    case 'uint64':
      w.uint64(v);
      break;
    case 'sint64':
      w.sint64(v);
      break;
    case 'fixed32':
      w.fixed32(v);
      break;
    case 'sfixed32':
      w.sfixed32(v);
      break;
    case 'fixed64':
      w.fixed64(v);
      break;
    case 'sfixed64':
      w.sfixed64(v);
      break;
    case 'float':
      w.float(v);
      break;
    case 'double':
      w.double(v);
      break;
    case 'bool':
      w.bool(v);
      break;
    case 'string':
      w.string(v);
      break;
    case 'bytes':
      w.bytes(v);
      break;
    case 'enum': {
      const n = typeof v === 'number' ? v : f.enumType!.values[v];
      if (n === undefined) throw new CaffeError(`unknown value "${v}" for enum ${f.enumType!.name} (field ${f.name})`);
      w.int32(n);
      break;
    }
    default:
      throw new Error(`unreachable: ${f.kind}`);
  }
}

function encodeInto(w: protobuf.Writer, info: TypeInfo, m: Message): void {
  for (const f of info.ordered) {
    const v = m[f.name];
    if (v === undefined || v === null) continue;
    if (f.kind === 'message') {
      for (const sub of f.repeated ? v : [v]) {
        w.uint32((f.id << 3) | 2).fork();
        encodeInto(w, typeInfo(f.msgType!), sub);
        w.ldelim();
      }
      continue;
    }
    if (!f.repeated) {
      w.uint32((f.id << 3) | WIRE[f.kind]);
      writeScalar(w, f, v);
      continue;
    }
    const arr = v as ArrayLike<unknown>;
    if (arr.length === 0) continue;
    if (f.packed && (f.kind === 'float' || f.kind === 'double')) {
      const Ctor = f.kind === 'float' ? Float32Array : Float64Array;
      const typed = arr instanceof Ctor ? arr : Ctor.from(arr as ArrayLike<number>);
      w.uint32((f.id << 3) | 2).bytes(new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength));
    } else if (f.packed) {
      w.uint32((f.id << 3) | 2).fork();
      for (let i = 0; i < arr.length; i++) writeScalar(w, f, arr[i]);
      w.ldelim();
    } else {
      for (let i = 0; i < arr.length; i++) {
        w.uint32((f.id << 3) | WIRE[f.kind]);
        writeScalar(w, f, arr[i]);
      }
    }
  }
}

/** Encodes `m` as `typeName` in field-number order (protobuf C++'s serialization order). */
export function encodeMessage(m: Message, typeName: string): Uint8Array {
  const w = protobuf.Writer.create();
  encodeInto(w, typeInfo(messageType(typeName)), m);
  return w.finish();
}
