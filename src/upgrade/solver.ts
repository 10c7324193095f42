// Solver upgrades: the old `solver_type` enum becomes the `type` string, and (when a solver
// file is read for training) an unset or directory snapshot_prefix is derived from its path.
import * as fs from 'fs';
import { log } from '../util/logging';
import { Message, has } from '../proto/message';
import { checkFailed, fatal } from '../util/check';

const SOLVER_TYPES: Record<string, string> = {
  SGD: 'SGD',
  NESTEROV: 'Nesterov',
  ADAGRAD: 'AdaGrad',
  RMSPROP: 'RMSProp',
  ADADELTA: 'AdaDelta',
  ADAM: 'Adam',
};
const SOLVER_TYPE_NUMBERS = ['SGD', 'NESTEROV', 'ADAGRAD', 'RMSPROP', 'ADADELTA', 'ADAM'];

/** True iff the solver sets the deprecated `solver_type` enum. */
export function solverNeedsTypeUpgrade(solver: Message): boolean {
  return has(solver, 'solver_type');
}

/**
 * Replaces `solver_type` by the equivalent `type` string. Having both is fatal; having only
 * `type` already is logged and returns false.
 */
export function upgradeSolverType(solver: Message): boolean {
  if (has(solver, 'solver_type') && has(solver, 'type')) {
    checkFailed(
      null,
      '!solver_param->has_solver_type() || !solver_param->has_type()',
      'Failed to upgrade solver: old solver_type field (enum) and new type field (string) ' +
        'cannot be both specified in solver proto text.',
    );
  }
  if (!has(solver, 'solver_type')) {
    log.error('Warning: solver type already up to date. ');
    return false;
  }
  const raw = solver.solver_type;
  const name = typeof raw === 'number' ? SOLVER_TYPE_NUMBERS[raw] : String(raw);
  if (name === undefined || !Object.prototype.hasOwnProperty.call(SOLVER_TYPES, name)) {
    // Caffe prints its (still empty) result string here, not the bad value.
    fatal(null, 'Unknown SolverParameter solver_type: ');
  }
  solver.type = SOLVER_TYPES[name];
  delete solver.solver_type;
  return true;
}

/** Applies the solver upgrades `solver` needs, logging as Caffe does; false on a problem. */
export function upgradeSolverAsNeeded(paramFile: string, solver: Message): boolean {
  let success = true;
  if (solverNeedsTypeUpgrade(solver)) {
    log.info(
      "Attempting to upgrade input file specified using deprecated 'solver_type' " + `field (enum)': ${paramFile}`,
    );
    if (!upgradeSolverType(solver)) {
      success = false;
      log.error('Warning: had one or more problems upgrading SolverType (see above).');
    } else {
      log.info(
        "Successfully upgraded file specified using deprecated 'solver_type' field " +
          "(enum) to 'type' field (string).",
      );
      log.warning("Note that future Caffe releases will only support 'type' field (string) " + "for a solver's type.");
    }
  }
  return success;
}

// boost::filesystem (v3) path pieces, which Caffe uses on the solver file name.
function splitName(p: string): [dir: string, name: string] {
  const slash = p.lastIndexOf('/');
  if (slash === p.length - 1 && p.length > 1) return [p, '.']; // "dir/" has filename "."
  return slash < 0 ? ['', p] : [p.slice(0, slash + 1), p.slice(slash + 1)];
}
function extensionOf(name: string): string {
  if (name === '.' || name === '..') return '';
  const dot = name.lastIndexOf('.');
  return dot < 0 ? '' : name.slice(dot);
}
/** path(p).replace_extension(): p without its file name's extension. */
export function removeExtension(p: string): string {
  const ext = extensionOf(splitName(p)[1]);
  return ext ? p.slice(0, p.length - ext.length) : p;
}
/** path(p).stem(). */
export function pathStem(p: string): string {
  const name = splitName(p)[1];
  const ext = extensionOf(name);
  return ext ? name.slice(0, name.length - ext.length) : name;
}
/** path(dir) / leaf, adding a separator only where one is needed. */
function joinPath(dir: string, leaf: string): string {
  if (leaf === '') return dir;
  if (dir === '' || dir.endsWith('/') || leaf.startsWith('/')) return dir + leaf;
  return `${dir}/${leaf}`;
}

function isDirectory(p: string): boolean {
  try {
    return p !== '' && fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/**
 * An unset snapshot_prefix becomes the solver file's path without extension; one naming an
 * existing directory gets the solver file's stem appended.
 */
export function upgradeSnapshotPrefixProperty(paramFile: string, solver: Message): void {
  if (!has(solver, 'snapshot_prefix')) {
    solver.snapshot_prefix = removeExtension(paramFile);
    log.info(`snapshot_prefix was not specified and is set to ${solver.snapshot_prefix}`);
  } else if (isDirectory(solver.snapshot_prefix)) {
    solver.snapshot_prefix = joinPath(solver.snapshot_prefix, pathStem(paramFile));
    log.info(`snapshot_prefix was a directory and is replaced to ${solver.snapshot_prefix}`);
  }
}
