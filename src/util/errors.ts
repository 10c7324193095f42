// User-facing errors: the CLI prints `message` as one line (no stack) and exits non-zero.
// Anything else that escapes is a bug and keeps its stack.

export class CaffeError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CaffeError';
  }
}

/** A blob shape Caffe's Blob::Reshape refuses; the layer whose reshape asked for it names itself in front. */
export class BlobShapeError extends CaffeError {
  constructor(message: string) {
    super(message);
    this.name = 'BlobShapeError';
  }
}

/**
 * A system error as one phrase: Node's message already begins with the code ("ENOSPC: no space left on
 * device, write"), so the code is put in front only when the message lacks it.
 */
export function errnoText(e: NodeJS.ErrnoException): string {
  const code = e.code ?? '',
    msg = e.message ?? '';
  if (!msg || msg === code) return code;
  return !code || msg.startsWith(code) ? msg : `${code}: ${msg}`;
}

/** Input quoted in a message, cut to `max` characters and "..." when longer, so that one line stays readable. */
export function excerpt(s: string, max = 80): string {
  return s.length > max ? `${s.slice(0, max)}...` : s;
}

/** `file:line:col: what` — the one-line shape of every parse error. */
export function locatedError(file: string, line: number, col: number, what: string): CaffeError {
  return new CaffeError(`${file}:${line}:${col}: ${what}`);
}
