// String helpers shared across modules.

/** Byte-wise UTF-8 string order, as std::set<std::string> and std::map<std::string, ...> iterate. */
export const byteOrder = (a: string, b: string): number =>
  Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

/** Edit distance of `a` and `b`: insertions, deletions, substitutions and swaps of neighbours cost 1. */
export function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/** The name of `names` nearest to `word` (a name it begins, else the least edit distance), if near enough. */
export function nearestName(word: string, names: readonly string[]): string | undefined {
  const w = word.toLowerCase();
  if (!w) return undefined;
  const prefixed = names.find((n) => n.startsWith(w));
  if (prefixed) return prefixed;
  let best: string | undefined,
    bestD = Math.max(2, Math.ceil(w.length / 3)) + 1;
  for (const n of names) {
    const dist = editDistance(w, n);
    if (dist < bestD) [best, bestD] = [n, dist];
  }
  return best;
}
