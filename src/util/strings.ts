// String helpers shared across modules.

/** Byte-wise UTF-8 string order, as std::set<std::string> and std::map<std::string, ...> iterate. */
export const byteOrder = (a: string, b: string): number =>
  Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
