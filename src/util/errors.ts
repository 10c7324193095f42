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

/** `file:line:col: what` — the one-line shape of every parse error. */
export function locatedError(file: string, line: number, col: number, what: string): CaffeError {
  return new CaffeError(`${file}:${line}:${col}: ${what}`);
}
