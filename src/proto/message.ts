// Generic helpers on plain-object messages (see schema.ts): proto2-style presence tests,
// mutable_x()/add_x() equivalents, Clear(), deep copies, and enum numbers.
import { Message, messageType } from './schema';

export type { Message };

/** Number of elements of a repeated field (0 when absent). */
export function size(m: Message | undefined, field: string): number {
  const v = m?.[field];
  return v === undefined || v === null ? 0 : (v as ArrayLike<unknown>).length;
}

/** has_x() for singular fields, x_size() > 0 for repeated ones. */
export function has(m: Message | undefined, field: string): boolean {
  const v = m?.[field];
  if (v === undefined || v === null) return false;
  if (Array.isArray(v) || ArrayBuffer.isView(v)) return (v as ArrayLike<unknown>).length > 0;
  return true;
}

/** mutable_x(): the sub-message, created empty (and thereby set) when absent. */
export function mutable(m: Message, field: string): Message {
  if (m[field] === undefined || m[field] === null) m[field] = {};
  return m[field] as Message;
}

/** add_x(value) on a repeated field. Typed arrays are turned into plain arrays first. */
export function add<T>(m: Message, field: string, value: T): T {
  const cur = m[field];
  if (cur === undefined || cur === null) m[field] = [value];
  else if (Array.isArray(cur)) cur.push(value);
  else m[field] = [...Array.from(cur as ArrayLike<unknown>), value];
  return value;
}

/** The elements of a repeated field as an array (empty when absent). */
export function items<T = Message>(m: Message | undefined, field: string): T[] {
  const v = m?.[field];
  if (v === undefined || v === null) return [];
  return Array.isArray(v) ? (v as T[]) : Array.from(v as ArrayLike<T>);
}

/** Clear(): removes every field, keeping the object's identity. */
export function clearMessage(m: Message): void {
  for (const k of Object.keys(m)) delete m[k];
}

/**
 * CopyFrom() for one value: sub-messages and arrays are copied recursively.
 * Typed arrays (blob payloads, which can be hundreds of MB) are shared, not copied:
 * no upgrade writes into them.
 */
export function cloneMessage<T>(v: T): T {
  if (v === null || typeof v !== 'object') return v;
  if (ArrayBuffer.isView(v)) return v;
  if (Array.isArray(v)) return v.map((x) => cloneMessage(x)) as unknown as T;
  const out: Message = {};
  for (const [k, x] of Object.entries(v as Message)) if (x !== undefined) out[k] = cloneMessage(x);
  return out as T;
}

/** The numeric value of an enum name of `typeName.field`, for messages that print the number. */
export function enumNumber(typeName: string, field: string, value: unknown): string {
  if (typeof value === 'number') return String(value);
  try {
    const f = messageType(typeName).fields[field];
    f.resolve();
    const e = f.resolvedType as { values?: Record<string, number> } | null;
    const n = e?.values?.[String(value)];
    if (n !== undefined) return String(n);
  } catch {
    // fall through: print the name as given
  }
  return String(value);
}
