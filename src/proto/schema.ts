// The caffe.proto schema, loaded once with protobufjs reflection.
// Messages throughout caffets are plain objects keyed by Caffe's own field names:
//   - a field that is absent is "not set" (proto2 has_ semantics); read defaults with fieldDefault()
//   - repeated fields are arrays (repeated float/double decoded from binary are Float32Array/Float64Array)
//   - enums are their value names ('MAX', 'TRAIN'); int64/uint64 are JS numbers; bytes are Uint8Array
import * as path from 'path';
import * as protobuf from 'protobufjs';
import type { MessageTypes } from './caffe';

/** A decoded protobuf message: Caffe field names to values (see the header comment). Untyped, for the
 *  passes that walk any message (parsing, printing, upgrades); the rest uses src/proto/caffe.ts. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- values of every field type, by design
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
    case 'string':
      return '';
    case 'bytes':
      return new Uint8Array(0);
    case 'bool':
      return false;
    default:
      return 0;
  }
}

/** A message type's full name, 'caffe.X' (see src/proto/caffe.ts, generated from the .proto). */
export type TypeName = keyof MessageTypes;

/** Values that have a default when not set: scalars, enums, bytes and repeated fields. */
type Plain = number | string | boolean | Uint8Array | readonly unknown[] | Float32Array | Float64Array;

/** A message read through its defaults: every scalar, enum and repeated field has a value (set, or
 *  the schema default, repeated ones []), sub-messages stay optional (proto2 has_ semantics). */
export type WithDefaults<T> = {
  readonly [K in keyof T]-?: NonNullable<T[K]> extends Plain ? NonNullable<T[K]> : T[K];
};

/** The fields of T that hold a sub-message (e.g. a LayerParameter's `<x>_param` fields). */
export type MessageField<T> = { [K in keyof T]-?: NonNullable<T[K]> extends Plain ? never : K }[keyof T];

const defaultsByType = new Map<string, object>();

/** An object with every field's default, the prototype of withDefaults' results (not frozen: a
 *  read-only inherited property would forbid setting that field on the view; its arrays are). */
function defaultsOf(typeName: string): object {
  let d = defaultsByType.get(typeName);
  if (!d) {
    const values: Record<string, unknown> = {};
    for (const f of messageType(typeName).fieldsArray) {
      const v = fieldDefault(f);
      values[f.name] = Array.isArray(v) ? Object.freeze(v) : v;
    }
    d = values;
    defaultsByType.set(typeName, d);
  }
  return d;
}

/** `m` (or an empty message) seen through the schema defaults of `typeName`: reads of unset fields
 *  give their defaults. A view for reading: it does not write back into `m`. */
export function withDefaults<N extends TypeName>(
  typeName: N,
  m: MessageTypes[N] | undefined,
): WithDefaults<MessageTypes[N]> {
  const view: Record<string, unknown> = Object.create(defaultsOf(typeName));
  if (m) for (const [k, v] of Object.entries(m)) if (v !== undefined) view[k] = v;
  return view as WithDefaults<MessageTypes[N]>;
}

/** m[name] if set, else the schema default of that field of `typeName`. */
export function getField<N extends TypeName, K extends keyof MessageTypes[N] & string>(
  m: MessageTypes[N] | undefined,
  typeName: N,
  name: K,
): WithDefaults<MessageTypes[N]>[K] {
  const v = m?.[name];
  if (v !== undefined) return v as WithDefaults<MessageTypes[N]>[K];
  const f = messageType(typeName).fields[name];
  if (!f) throw new Error(`message ${messageType(typeName).fullName.slice(1)} has no field named "${name}"`);
  return fieldDefault(f) as WithDefaults<MessageTypes[N]>[K];
}

const subTypes = new Map<string, TypeName>();

/** The full name of the message type held by field `field` of message `typeName` (cached: layers ask
 *  for their parameter's type on every reshape). */
export function subMessageType(typeName: string, field: string): TypeName {
  const key = `${typeName}.${field}`;
  let name = subTypes.get(key);
  if (!name) {
    const f = messageType(typeName).fields[field];
    f?.resolve();
    if (!(f?.resolvedType instanceof protobuf.Type)) {
      throw new Error(`${typeName}.${field} is not a message field`);
    }
    name = f.resolvedType.fullName.slice(1) as TypeName;
    subTypes.set(key, name);
  }
  return name;
}
