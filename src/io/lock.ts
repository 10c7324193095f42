// A PID lock file: created exclusively (the PID is written to a temp file that is then hard-linked to
// the lock's name, so a lock is never seen empty), removed on release, at exit and on SIGTERM. A lock
// whose process is no longer alive is taken over, with a log line; one of a live process is refused.
import * as fs from 'fs';
import { atomicTempName, pidAlive, removeStaleTemps } from './atomic';
import { CaffeError } from '../util/errors';
import { log } from '../util/logging';
import * as path from 'path';

export interface PidLock {
  readonly file: string;
  /** Removes the lock file (if still ours) and the exit/SIGTERM hooks; later calls do nothing. */
  release(): void;
}

/** The PID a lock file holds, or undefined when it is missing or unreadable. */
function lockOwner(file: string): number | undefined {
  try {
    const pid = parseInt(fs.readFileSync(file, 'utf8').trim(), 10);
    return Number.isSafeInteger(pid) ? pid : NaN;
  } catch {
    return undefined;
  }
}

/**
 * Takes the lock `file` for this process; `what` names the locked thing in the refusal, e.g.
 * "snapshot prefix 'x'". Throws a one-line CaffeError naming the holder's PID when a live process holds it.
 */
export function acquirePidLock(file: string, what: string): PidLock {
  const dir = path.dirname(path.resolve(file));
  removeStaleTemps(dir);
  const tmp = atomicTempName(file);
  try {
    fs.writeFileSync(tmp, `${process.pid}\n`, { flag: 'wx' });
  } catch (e) {
    throw new CaffeError(`cannot create lock ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        fs.linkSync(tmp, file);
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 5) {
          throw new CaffeError(
            `cannot create lock ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
          );
        }
      }
      const owner = lockOwner(file);
      if (owner === undefined) continue; // removed meanwhile: try again
      if (owner === process.pid || pidAlive(owner)) {
        throw new CaffeError(
          `${what} is in use by process ${owner} (lock file ${file}); ` +
            'wait for it to finish, or use another snapshot_prefix',
        );
      }
      log.info(`Taking over the lock ${file} of process ${Number.isNaN(owner) ? '?' : owner} (no longer running)`);
      fs.rmSync(file, { force: true });
    }
  } finally {
    fs.rmSync(tmp, { force: true });
  }

  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    process.removeListener('exit', release);
    process.removeListener('SIGTERM', onSigterm);
    if (lockOwner(file) === process.pid) fs.rmSync(file, { force: true });
  };
  const onSigterm = () => {
    // terminated: drop the lock, then die of the signal as without this handler
    release();
    if (process.listenerCount('SIGTERM') === 0) process.kill(process.pid, 'SIGTERM');
  };
  process.on('exit', release);
  process.on('SIGTERM', onSigterm);
  return { file, release };
}
