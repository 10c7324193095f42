// The three upgrade tools of Caffe (tools/upgrade_*.cpp) as library calls. Each reads without
// upgrading, upgrades if needed (logging as Caffe does), writes the result atomically and returns
// whether the upgrade succeeded.
import { log } from '../util/logging';
import {
  readProtoFromBinaryFile,
  readProtoFromTextFile,
  writeProtoToBinaryFile,
  writeProtoToTextFile,
} from '../io/proto_io';
import { netNeedsUpgrade, upgradeNetAsNeeded, solverNeedsTypeUpgrade, upgradeSolverAsNeeded } from '../upgrade';
import { Message } from '../proto/schema';

function upgradeOrSay(input: string, needs: boolean, upgrade: () => boolean): boolean {
  if (!needs) {
    log.error(`File already in latest proto format: ${input}`);
    return true;
  }
  const ok = upgrade();
  if (!ok) log.error('Encountered error(s) while upgrading prototxt; see details above.');
  return ok;
}

export function upgradeNetProtoText(input: string, output: string): boolean {
  const net: Message = readProtoFromTextFile(input, 'caffe.NetParameter');
  const ok = upgradeOrSay(input, netNeedsUpgrade(net), () => upgradeNetAsNeeded(input, net));
  writeProtoToTextFile(net, 'caffe.NetParameter', output);
  log.info(`Wrote upgraded NetParameter text proto to ${output}`);
  return ok;
}

export function upgradeNetProtoBinary(input: string, output: string): boolean {
  const net: Message = readProtoFromBinaryFile(input, 'caffe.NetParameter');
  const ok = upgradeOrSay(input, netNeedsUpgrade(net), () => upgradeNetAsNeeded(input, net));
  writeProtoToBinaryFile(net, 'caffe.NetParameter', output);
  log.info(`Wrote upgraded NetParameter binary proto to ${output}`);
  return ok;
}

export function upgradeSolverProtoText(input: string, output: string): boolean {
  const solver: Message = readProtoFromTextFile(input, 'caffe.SolverParameter');
  const ok = upgradeOrSay(input, solverNeedsTypeUpgrade(solver), () => upgradeSolverAsNeeded(input, solver));
  writeProtoToTextFile(solver, 'caffe.SolverParameter', output);
  log.info(`Wrote upgraded SolverParameter text proto to ${output}`);
  return ok;
}
