// Runs a function with caffets' log lines captured as "<severity> <message>" (glog prefix dropped).
import { setLogSink } from '../../src/util/logging';

export function captureLog<T>(fn: () => T): { result: T; log: string[] } {
  const log: string[] = [];
  const restore = setLogSink((line) => {
    const m = /^([IWEF])\d{4} [\d:.]+ +\d+ [^\]]*\] (.*)$/s.exec(line);
    log.push(m ? `${m[1]} ${m[2]}` : line);
  });
  try {
    return { result: fn(), log };
  } finally {
    restore();
  }
}

/** Like captureLog, but a thrown error is recorded as an "F <message>" line instead. */
export function captureFatal(fn: () => unknown): { ok: boolean | undefined; log: string[] } {
  let fatal: string | undefined;
  const { result, log } = captureLog(() => {
    try {
      return fn() as boolean;
    } catch (e) {
      fatal = `F ${(e as Error).message}`;
      return undefined;
    }
  });
  if (fatal !== undefined) log.push(fatal);
  return { ok: result, log };
}
