// The caffe.proto schema, loaded once with protobufjs reflection.
// Messages throughout caffets are plain objects keyed by Caffe's own field names:
//   - a field that is absent is "not set" (proto2 has_ semantics); read defaults with fieldDefault()
//   - repeated fields are arrays (repeated float/double decoded from binary are Float32Array/Float64Array)
//   - enums are their value names ('MAX', 'TRAIN'); int64/uint64 are JS numbers; bytes are Uint8Array
import * as path from 'path';
import * as protobuf from 'protobufjs';

/** A decoded protobuf message: Caffe field names to values (see the header comment). */
export type Message = { [field: string]: any };

export const PROTO_FILE = process.env.CAFFETS_PROTO ?? path.resolve(__dirname, '../../proto/caffe.proto');

let root: protobuf.Root | undefined;

/** The resolved protobufjs Root of proto/caffe.proto (fields keep their snake_case names). */
export function caffeRoot(): protobuf.Root {
  if (!root) {
    root = new protobuf.Root();
    root.loadSync(PROTO_FILE, { keepCase: true });
    root.resolveAll();
  }
  return root;
}

/** Looks up a message type by 'caffe.X' or 'X'. */
export function messageType(name: string): protobuf.Type {
  const full = name.includes('.') ? name : `caffe.${name}`;
  return caffeRoot().lookupType(full);
}

/** The declared default of a field (proto2 [default = ...] or the type's zero value), enums by name. */
export function fieldDefault(field: protobuf.Field): unknown {
  field.resolve();
  if (field.repeated) return [];
  const opt = field.options?.default;
  if (field.resolvedType instanceof protobuf.Enum) {
    const e = field.resolvedType;
    if (opt !== undefined) return typeof opt === 'number' ? e.valuesById[opt] : opt;
    return Object.keys(e.values)[0]; // proto2: the first listed value
  }
  if (field.resolvedType instanceof protobuf.Type) return undefined;
  if (opt !== undefined) return opt;
  switch (field.type) {
    case 'string': return '';
    case 'bytes': return new Uint8Array(0);
    case 'bool': return false;
    default: return 0;
  }
}

/** m[name] if set, else the schema default of that field of `typeName`. */
export function getField<T = any>(m: Message | undefined, typeName: string, name: string): T {
  if (m && m[name] !== undefined) return m[name] as T;
  const f = messageType(typeName).fields[name];
  if (!f) throw new Error(`message ${messageType(typeName).fullName.slice(1)} has no field named "${name}"`);
  return fieldDefault(f) as T;
}
