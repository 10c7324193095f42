// Seeded mutants of prototxt files for the fuzz test: line deletions, duplications and swaps, flipped
// characters, cuts, numbers replaced by extreme values, identifiers and quoted strings replaced by
// others (random ones, or words of the seed files: field names, layer types, blob names), unbalanced
// braces and very long tokens. The same seed always gives the same mutants.

/** mulberry32: a small seeded PRNG, self-contained so that a seed replays whatever the library does. */
export class Prng {
  constructor(private s: number) {}
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(a: readonly T[]): T {
    return a[this.int(a.length)];
  }
}

const NUMBERS = [
  '0', '-1', '1', '2', '1e30', '-1e30', '99999999999999999999', '2147483647', '2147483648', '4294967296',
  '-2147483649', '9007199254740993', 'nan', 'inf', '-inf', '1e-45', '0.5', '3.4e38', '1e309', '0x7fffffff',
  '-0', '1.5', '65536', '100000',
]; // prettier-ignore
const CHARS = [' ', '{', '}', ':', '"', '#', '\\', '\n', '0', '9', 'a', '-', '.', '\t', '\0', 'é', "'", '<', ';'];

/** The words to draw replacements from: those of the seed files, plus a few of no meaning. */
export interface Vocabulary {
  identifiers: string[];
  strings: string[];
  layerTypes: string[];
}

/** The words of `texts`, and `layerTypes` (those registered) for `type:` fields. */
export function vocabulary(texts: string[], layerTypes: string[]): Vocabulary {
  const ids = new Set<string>(['x', 'zz9', 'TRUE', 'true', 'false', '_', 'layers', 'input_dim', 'shape']);
  const strs = new Set<string>(['', 'x', '/nonexistent/file', '..', 'data', 'label', 'loss']);
  for (const t of texts) {
    for (const m of t.matchAll(/[A-Za-z_][A-Za-z0-9_]*/g)) ids.add(m[0]);
    for (const m of t.matchAll(/"([^"\n]*)"/g)) strs.add(m[1]);
  }
  return { identifiers: [...ids].sort(), strings: [...strs].sort(), layerTypes: layerTypes.slice().sort() };
}

type Mutation = (text: string, r: Prng, v: Vocabulary) => [string, string];

/** Replaces a random match of `re` in `text` by `by(match)`; the text unchanged if nothing matches. */
function replaceOne(text: string, re: RegExp, r: Prng, by: (m: string) => string): [string, string] {
  const ms = [...text.matchAll(re)];
  if (!ms.length) return [text, 'nothing to replace'];
  const m = r.pick(ms);
  const to = by(m[0]);
  return [
    text.slice(0, m.index) + to + text.slice(m.index! + m[0].length),
    `${short(m[0])} -> ${short(to)} at ${m.index}`,
  ];
}

const short = (s: string) => JSON.stringify(s.length > 40 ? `${s.slice(0, 40)}...(${s.length})` : s);

const MUTATIONS: Record<string, Mutation> = {
  deleteLine: (t, r) => {
    const lines = t.split('\n');
    const i = r.int(lines.length);
    lines.splice(i, 1);
    return [lines.join('\n'), `line ${i + 1}`];
  },
  duplicateLine: (t, r) => {
    const lines = t.split('\n');
    const i = r.int(lines.length);
    lines.splice(i, 0, lines[i]);
    return [lines.join('\n'), `line ${i + 1}`];
  },
  swapLines: (t, r) => {
    const lines = t.split('\n');
    const i = r.int(lines.length),
      j = r.int(lines.length);
    [lines[i], lines[j]] = [lines[j], lines[i]];
    return [lines.join('\n'), `lines ${i + 1} and ${j + 1}`];
  },
  flipChar: (t, r) => {
    const i = r.int(t.length + 1);
    const c = r.pick(CHARS);
    return [t.slice(0, i) + c + t.slice(i + 1), `at ${i} to ${short(c)}`];
  },
  cut: (t, r) => {
    const i = r.int(t.length + 1);
    return [t.slice(0, i), `at ${i}`];
  },
  number: (t, r) => replaceOne(t, /-?\b\d+(\.\d+)?(e[+-]?\d+)?\b/gi, r, () => r.pick(NUMBERS)),
  identifier: (t, r, v) =>
    replaceOne(t, /\b[A-Za-z_][A-Za-z0-9_]*\b/g, r, () => (r.next() < 0.8 ? r.pick(v.identifiers) : randomWord(r))),
  string: (t, r, v) => replaceOne(t, /"[^"\n]*"/g, r, () => `"${r.next() < 0.8 ? r.pick(v.strings) : randomWord(r)}"`),
  brace: (t, r) => {
    const i = r.int(t.length + 1);
    const b = r.pick(['{', '}', '{ {', '} }']);
    return [t.slice(0, i) + b + t.slice(i), `${short(b)} at ${i}`];
  },
  // a field's value by one of its kind, keeping the syntax: a number by an extreme or a small one, a
  // word (an enum value) or a string (a blob name, a type, a path) by another of the seeds'
  value: (t, r, v) =>
    replaceOne(t, /(?<=\b[a-z_0-9]+\s*:\s*)("[^"\n]*"|[^\s{}"]+)/g, r, (m) => {
      if (m.startsWith('"')) return `"${r.pick(v.strings)}"`;
      if (/^[A-Za-z_]/.test(m)) return r.pick(v.identifiers);
      return r.next() < 0.5 ? r.pick(NUMBERS) : String(r.int(9));
    }),
  layerType: (t, r, v) => replaceOne(t, /(?<=\btype\s*:\s*)"[^"\n]*"/g, r, () => `"${r.pick(v.layerTypes)}"`),
  // a whole layer block again (its name and tops included), or removed
  layerBlock: (t, r) => {
    const starts = [...t.matchAll(/\blayers?\s*\{/g)].map((m) => m.index!);
    if (!starts.length) return [t, 'no layer'];
    const a = r.pick(starts);
    let depth = 0,
      b = t.indexOf('{', a);
    for (; b < t.length; b++) {
      if (t[b] === '{') depth++;
      else if (t[b] === '}' && --depth === 0) break;
    }
    const block = t.slice(a, b + 1);
    return r.next() < 0.5
      ? [t.slice(0, b + 1) + '\n' + block + t.slice(b + 1), `duplicated the layer at ${a}`]
      : [t.slice(0, a) + t.slice(b + 1), `removed the layer at ${a}`];
  },
  longToken: (t, r) => {
    const i = r.int(t.length + 1);
    const n = r.pick([300, 5000, 100000]);
    const tok = r.pick([`"${'x'.repeat(n)}"`, 'y'.repeat(n), '9'.repeat(n), `name: "${'z'.repeat(n)}"`]);
    return [t.slice(0, i) + tok + t.slice(i), `${short(tok)} at ${i}`];
  },
};
/** How often each mutation is drawn: those that keep the syntax valid reach further than the parser. */
const WEIGHTS: Record<keyof typeof MUTATIONS, number> = {
  deleteLine: 2, duplicateLine: 1, swapLines: 1, flipChar: 1, cut: 0.5, number: 4, identifier: 1, string: 2,
  brace: 0.5, value: 4, layerType: 2, layerBlock: 1, longToken: 0.5,
}; // prettier-ignore
const DRAW = Object.entries(WEIGHTS).flatMap(([name, w]) => Array<string>(w * 2).fill(name));

function randomWord(r: Prng): string {
  const n = 1 + r.int(12);
  let s = '';
  for (let i = 0; i < n; i++) s += 'abcdefghijklmnopqrstuvwxyz_0123456789'[r.int(i === 0 ? 27 : 37)];
  return s;
}

/** One to four mutations of `text`; returns the mutant and what was done. */
export function mutate(text: string, r: Prng, v: Vocabulary): { text: string; ops: string[] } {
  const ops: string[] = [];
  const n = 1 + r.int(4);
  for (let k = 0; k < n; k++) {
    const name = r.pick(DRAW);
    const [t, what] = MUTATIONS[name](text, r, v);
    text = t;
    ops.push(`${name} ${what}`);
  }
  return { text, ops };
}

/**
 * A seed made cheap to run: batch sizes down to 1 or 2 (the first dim of an Input shape or of
 * input_dim, Data batch_size), so that a mutant that runs costs milliseconds, not seconds.
 */
export function shrinkBatch(text: string): string {
  return text
    .replace(/(shape\s*\{\s*dim:\s*)\d+/g, (_, p: string) => `${p}1`)
    .replace(/(input_dim:\s*)\d+/, (_, p: string) => `${p}1`)
    .replace(/(batch_size:\s*)\d+/g, (_, p: string) => `${p}2`);
}
