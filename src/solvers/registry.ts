// Caffe's SolverRegistry: solver constructors by `type` string. The built-in solvers register
// themselves when their module loads (src/solvers/index.ts loads them all); users add their own with
// registerSolver('MySolver', (param) => new MySolver(param)).
import { getField } from '../proto/schema';
import type { SolverParameter } from '../proto/caffe';
import { checkFailed } from '../util/check';
import { excerpt } from '../util/errors';
import { byteOrder } from '../util/strings';
import type { Solver } from './solver';

export type SolverCreator = (param: SolverParameter) => Solver;

const registry = new Map<string, SolverCreator>();

export function registerSolver(type: string, creator: SolverCreator): void {
  if (registry.has(type)) {
    checkFailed(null, 'registry.count(type) == 0 (1 vs. 0)', `Solver type ${type} already registered.`);
  }
  registry.set(type, creator);
}

/** Registered solver types, sorted as Caffe lists them. */
export function solverTypeList(): string[] {
  return [...registry.keys()].sort(byteOrder);
}

/** Caffe's SolverRegistry::CreateSolver: the solver named by param.type (default "SGD"). */
export function createSolver(param: SolverParameter): Solver {
  const type = getField(param, 'caffe.SolverParameter', 'type');
  const creator = registry.get(type);
  if (!creator) {
    checkFailed(
      null,
      'registry.count(type) == 1 (0 vs. 1)',
      `Unknown solver type: ${excerpt(type)} ` + `(known types: ${solverTypeList().join(', ')})`,
    );
  }
  return creator(param);
}
