// Solver::InitTrainNet / InitTestNets: which NetParameter each net comes from, the NetState each runs
// in (solver defaults, then the net's own state, then train_state / test_state), Caffe's CHECKs and
// log lines, and the `weights` to finetune from. Nets given inside the solver (net_param, train_net_param,
// test_net_param) are upgraded as net files are, so that V1 `layers` nets, as in Caffe's
// lenet_consolidated_solver example, train (caffets' addition: Caffe 1.0 reads them as nets of no layer).
import * as fs from 'fs';
import * as path from 'path';
import { Net, planDiffMemory } from '../net';
import { getField } from '../proto/schema';
import type { NetParameter, NetState, SolverParameter } from '../proto/caffe';
import { readNetParamsFromTextFile } from '../io/proto_io';
import { PidLock, acquirePidLock } from '../io/lock';
import { cloneMessage } from '../proto/message';
import { upgradeNetAsNeeded } from '../upgrade';
import { CaffeError } from '../util/errors';
import { log } from '../util/logging';
import { checkFailed, checkOp } from '../util/check';

const SP = 'caffe.SolverParameter';

/** NetState::MergeFrom: set phase/level override, stages append. */
function mergeState(into: NetState, from: NetState | undefined): void {
  if (!from) return;
  if (from.phase !== undefined) into.phase = from.phase;
  if (from.level !== undefined) into.level = from.level;
  if (from.stage?.length) into.stage = [...(into.stage ?? []), ...from.stage];
}

function withState(netParam: NetParameter, phase: 'TRAIN' | 'TEST', override: NetState | undefined): NetParameter {
  const state: NetState = { phase };
  mergeState(state, netParam.state);
  mergeState(state, override);
  netParam.state = state;
  return netParam;
}

/** A net given inside the solver (`field`), copied and upgraded to the current format. */
function inlineNet(netParam: NetParameter, field: string): NetParameter {
  const net = cloneMessage(netParam);
  upgradeNetAsNeeded(`${field} of the solver`, net);
  return net;
}

/** Caffe's LoadNetWeights: a comma-separated list of .caffemodel files, each copied in by layer name. */
export function loadNetWeights(net: Net, modelList: string): void {
  for (const raw of modelList.split(',')) {
    const name = raw.trim();
    log.info(`Finetuning from ${name}`);
    net.copyTrainedLayersFromFile(name);
  }
}

export function initTrainNet(param: SolverParameter): Net {
  const fields = ['net', 'net_param', 'train_net', 'train_net_param'];
  const num = fields.filter((f) => param[f as keyof SolverParameter] !== undefined).length;
  const names = 'net, net_param, train_net, train_net_param';
  checkOp(
    null,
    num,
    '>=',
    1,
    'num_train_nets >= 1',
    `SolverParameter must specify a train net using one of these fields: ${names}`,
  );
  checkOp(
    null,
    num,
    '<=',
    1,
    'num_train_nets <= 1',
    `SolverParameter must not contain more than one of these fields specifying a train_net: ${names}`,
  );
  let netParam: NetParameter = {};
  if (param.train_net_param !== undefined) {
    log.info('Creating training net specified in train_net_param.');
    netParam = inlineNet(param.train_net_param, 'train_net_param');
  } else if (param.train_net !== undefined) {
    log.info(`Creating training net from train_net file: ${param.train_net}`);
    netParam = readNetParamsFromTextFile(param.train_net);
  }
  if (param.net_param !== undefined) {
    log.info('Creating training net specified in net_param.');
    netParam = inlineNet(param.net_param, 'net_param');
  }
  if (param.net !== undefined) {
    log.info(`Creating training net from net file: ${param.net}`);
    netParam = readNetParamsFromTextFile(param.net);
  }
  const net = new Net(withState(netParam, 'TRAIN', param.train_state));
  return disposedOnFailure([net], () => {
    if (!net.blobLossWeights.some((w) => w !== 0)) {
      throw new CaffeError(
        `The train net "${net.name}" has no loss: nothing would be learned. ` +
          'Add a loss layer (e.g. SoftmaxWithLoss) or set loss_weight on an output.',
      );
    }
    for (const w of param.weights ?? []) loadNetWeights(net, w);
    planDiffMemory(net); // the solver reads only the parameters' diffs
    return net;
  });
}

/** f(), disposing `nets` (their data workers) when it throws. */
function disposedOnFailure<T>(nets: Net[], f: () => T): T {
  try {
    return f();
  } catch (e) {
    for (const n of nets) n.dispose();
    throw e;
  }
}

export function initTestNets(param: SolverParameter): Net[] {
  const hasNetParam = param.net_param !== undefined,
    hasNetFile = param.net !== undefined;
  const numGeneric = Number(hasNetParam) + Number(hasNetFile);
  checkOp(null, numGeneric, '<=', 1, 'num_generic_nets <= 1', 'Both net_param and net_file may not be specified.');
  const testNetParams: NetParameter[] = param.test_net_param ?? [],
    testNetFiles: string[] = param.test_net ?? [];
  const testIter: number[] = param.test_iter ?? [];
  const numTestNets = testNetParams.length + testNetFiles.length;
  if (numGeneric) {
    checkOp(
      null,
      testIter.length,
      '>=',
      numTestNets,
      'param_.test_iter_size() >= num_test_nets',
      'test_iter must be specified for each test network.',
    );
  } else {
    checkOp(
      null,
      testIter.length,
      '==',
      numTestNets,
      'param_.test_iter_size() == num_test_nets',
      'test_iter must be specified for each test network.',
    );
  }
  const numInstances = numTestNets + (testIter.length - numTestNets);
  const testState: NetState[] = param.test_state ?? [];
  if (testState.length) {
    checkOp(
      null,
      testState.length,
      '==',
      numInstances,
      'param_.test_state_size() == num_test_net_instances',
      'test_state must be unspecified or specified once per test net.',
    );
  }
  if (numInstances) checkOp(null, getField(param, SP, 'test_interval'), '>', 0, 'param_.test_interval() > 0');

  const sources: string[] = [],
    netParams: NetParameter[] = [];
  for (const [i, p] of testNetParams.entries()) {
    sources.push('test_net_param');
    netParams.push(inlineNet(p, `test_net_param #${i}`));
  }
  for (const f of testNetFiles) {
    sources.push(`test_net file: ${f}`);
    netParams.push(readNetParamsFromTextFile(f));
  }
  const remaining = testIter.length - netParams.length;
  for (let i = 0; i < remaining; i++) {
    if (param.net_param !== undefined) {
      sources.push('net_param');
      netParams.push(inlineNet(param.net_param, 'net_param'));
    }
    if (param.net !== undefined) {
      sources.push(`net file: ${param.net}`);
      netParams.push(readNetParamsFromTextFile(param.net));
    }
  }
  const nets: Net[] = [];
  return disposedOnFailure(nets, () => {
    netParams.forEach((np, i) => {
      withState(np, 'TEST', testState.length ? testState[i] : undefined);
      log.info(`Creating test net (#${i}) specified by ${sources[i]}`);
      const net = new Net(np);
      nets.push(net);
      net.debugInfo = getField(param, SP, 'debug_info');
      for (const w of param.weights ?? []) loadNetWeights(net, w);
    });
    return nets;
  });
}

/** Caffe's CheckSnapshotWritePermissions (also run when only the final snapshot will be written). */
export function checkSnapshotWritePermissions(param: SolverParameter): void {
  const snapshot = getField(param, SP, 'snapshot');
  if (!snapshot && !getField(param, SP, 'snapshot_after_train')) return;
  if (snapshot && param.snapshot_prefix === undefined) {
    checkFailed(
      null,
      'param_.has_snapshot_prefix()',
      'In solver params, snapshot is specified but snapshot_prefix is not',
    );
  }
  const prefix = getField(param, SP, 'snapshot_prefix');
  const probe = `${prefix}_iter_0.tempfile`;
  try {
    fs.writeFileSync(probe, '');
    fs.rmSync(probe, { force: true });
  } catch {
    throw new CaffeError(
      `Cannot write to snapshot prefix '${prefix}'.  Make sure that the directory exists and is writable.`,
    );
  }
}

/**
 * Locks the snapshot prefix for this process (`<prefix>.lock` holding the PID) when snapshots will be
 * written, so that two trainings never overwrite each other's snapshots: refuses, in one line naming
 * its PID, a prefix a live process holds; takes over the lock of a dead one. When the prefix's
 * directory is missing or not writable it locks nothing and checkSnapshotWritePermissions reports.
 */
export function lockSnapshotPrefix(param: SolverParameter): PidLock | undefined {
  if (!getField(param, SP, 'snapshot') && !getField(param, SP, 'snapshot_after_train')) return undefined;
  const prefix = getField(param, SP, 'snapshot_prefix');
  try {
    fs.accessSync(path.dirname(path.resolve(`${prefix}.lock`)), fs.constants.W_OK);
  } catch {
    return undefined;
  }
  return acquirePidLock(`${prefix}.lock`, `snapshot prefix '${prefix}'`);
}
