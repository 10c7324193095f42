// Image list files (`path label` per line) as Caffe's convert_imageset and ImageData layer read them:
// std::getline (so a CR of a CRLF file stays on the line), then split at the LAST space, the label being
// atoi of what follows it. A line without a space is the file name whole, with label atoi(line).

/** C's atoi: optional blanks, an optional sign, digits; 0 when there are none. */
export function atoi(s: string): number {
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(s);
  if (!m) return 0;
  const v = parseInt(m[1], 10);
  return v | 0; // (int)strtol(...): the low 32 bits
}

/** The list file's lines as Caffe parses them: std::getline, then split at the last space. */
export function parseImageList(text: string): [string, number][] {
  const rows = text.split('\n');
  if (rows.length && rows[rows.length - 1] === '') rows.pop(); // getline yields no line after a final '\n'
  return rows.map((line) => {
    const pos = line.lastIndexOf(' ');
    // no space: find_last_of gives npos, so the label is atoi(whole line) and the name the whole line
    return pos < 0 ? [line, atoi(line)] : [line.slice(0, pos), atoi(line.slice(pos + 1))];
  });
}

/** `s` with tabs, CRs and other control characters written as escapes, for log lines. */
export const visibleText = (s: string): string =>
  // eslint-disable-next-line no-control-regex
  s.replace(/[\x00-\x1f\x7f]/g, (c) => JSON.stringify(c).slice(1, -1));

/**
 * Why a list line's file name may not be what its author meant (caffets' addition: Caffe only says it
 * cannot open the file), or undefined when the line is a plain `path label`.
 */
export function listLineHint(line: string): string | undefined {
  if (line === '') return 'the line is empty';
  const hints: string[] = [];
  if (/^\s/.test(line)) hints.push('it starts with whitespace, which stays in the file name');
  if (line.includes('\t')) hints.push('it holds a tab: only a space separates the label');
  if (/ \r?$/.test(line)) hints.push('it ends with a space, so the label is read after that space (0)');
  if (line.endsWith('\r') && !line.includes(' ')) hints.push('it ends with a CR (CRLF line ends), kept in the name');
  if (!line.includes(' ') && !line.includes('\t')) hints.push('it has no space, so it is all file name (no label)');
  return hints.length ? hints.join('; ') : undefined;
}
