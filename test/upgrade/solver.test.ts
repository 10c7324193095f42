import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  solverNeedsTypeUpgrade,
  upgradeSolverType,
  upgradeSolverAsNeeded,
  upgradeSnapshotPrefixProperty,
} from '../../src/upgrade';
import { captureLog } from './capture';
import type { Message } from '../../src/proto/schema';

describe('solver type upgrade', () => {
  it('maps every solver_type', () => {
    const names: Record<string, string> = {
      SGD: 'SGD',
      NESTEROV: 'Nesterov',
      ADAGRAD: 'AdaGrad',
      RMSPROP: 'RMSProp',
      ADADELTA: 'AdaDelta',
      ADAM: 'Adam',
    };
    for (const [k, v] of Object.entries(names)) {
      const s: Message = { base_lr: 0.1, solver_type: k };
      expect(upgradeSolverType(s)).toBe(true);
      expect(s).toEqual({ base_lr: 0.1, type: v });
    }
  });
  it('upgradeSolverAsNeeded logs like Caffe', () => {
    const s: Message = { solver_type: 'NESTEROV', momentum: 0.9 };
    expect(solverNeedsTypeUpgrade(s)).toBe(true);
    const { result, log } = captureLog(() => upgradeSolverAsNeeded('solver.prototxt', s));
    expect(result).toBe(true);
    expect(s).toEqual({ type: 'Nesterov', momentum: 0.9 });
    expect(log).toEqual([
      "I Attempting to upgrade input file specified using deprecated 'solver_type' field (enum)': solver.prototxt",
      "I Successfully upgraded file specified using deprecated 'solver_type' field (enum) to 'type' field (string).",
      "W Note that future Caffe releases will only support 'type' field (string) for a solver's type.",
    ]);
    expect(solverNeedsTypeUpgrade(s)).toBe(false);
  });
  it('refuses solver_type together with type', () => {
    expect(() => upgradeSolverType({ solver_type: 'SGD', type: 'Adam' })).toThrow(
      'Check failed: !solver_param->has_solver_type() || !solver_param->has_type() Failed to upgrade solver: ' +
        'old solver_type field (enum) and new type field (string) cannot be both specified in solver proto text.',
    );
  });
  it('says when there is nothing to upgrade', () => {
    const { result, log } = captureLog(() => upgradeSolverType({ type: 'SGD' }));
    expect(result).toBe(false);
    expect(log).toEqual(['E Warning: solver type already up to date. ']);
    expect(captureLog(() => upgradeSolverAsNeeded('f', { type: 'SGD' }))).toEqual({ result: true, log: [] });
  });
});

describe('upgradeSnapshotPrefixProperty', () => {
  it('derives an unset prefix from the solver file name without extension', () => {
    const s: Message = {};
    const { log } = captureLog(() => upgradeSnapshotPrefixProperty('examples/mnist/lenet_solver.prototxt', s));
    expect(s.snapshot_prefix).toBe('examples/mnist/lenet_solver');
    expect(log).toEqual(['I snapshot_prefix was not specified and is set to examples/mnist/lenet_solver']);
    const t: Message = {};
    captureLog(() => upgradeSnapshotPrefixProperty('a.b/solver', t));
    expect(t.snapshot_prefix).toBe('a.b/solver');
  });
  it('appends the solver stem to a directory prefix and leaves other prefixes alone', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'caffets-snap-'));
    for (const [prefix, expected] of [
      [dir, `${dir}/solver`],
      [`${dir}/`, `${dir}/solver`],
    ]) {
      const s: Message = { snapshot_prefix: prefix };
      const { log } = captureLog(() => upgradeSnapshotPrefixProperty('x/solver.prototxt', s));
      expect(s.snapshot_prefix).toBe(expected);
      expect(log).toEqual([`I snapshot_prefix was a directory and is replaced to ${expected}`]);
    }
    const s: Message = { snapshot_prefix: `${dir}/snap` };
    expect(captureLog(() => upgradeSnapshotPrefixProperty('x/solver.prototxt', s)).log).toEqual([]);
    expect(s.snapshot_prefix).toBe(`${dir}/snap`);
    // boost's stem of ".hidden" is empty, so the directory is kept as it is
    const h: Message = { snapshot_prefix: dir };
    captureLog(() => upgradeSnapshotPrefixProperty('.hidden', h));
    expect(h.snapshot_prefix).toBe(dir);
  });
});
