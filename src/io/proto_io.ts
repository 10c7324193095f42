// Reading and writing Caffe's protobuf files (mirrors caffe/util/io.cpp and the *OrDie readers of
// upgrade_proto.cpp): text (.prototxt), binary (.caffemodel, .solverstate, .binaryproto).
import * as fs from 'fs';
import { Message } from '../proto/schema';
import { parsePrototxt, printPrototxt } from '../formats/prototxt';
import { decodeMessage, encodeMessage } from '../formats/wire';
import { upgradeNetAsNeeded, upgradeSnapshotPrefixProperty, upgradeSolverAsNeeded } from '../upgrade';
import { CaffeError } from '../util/errors';
import { writeFileAtomic } from './atomic';

function readFileOrDie(file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT') throw new CaffeError(`File not found: ${file}`);
    if (err.code === 'EISDIR') throw new CaffeError(`${file}: is a directory, expected a file`);
    throw new CaffeError(`${file}: cannot read: ${err.code ?? err.message}`);
  }
}

export function readProtoFromTextFile(file: string, typeName: string): Message {
  return parsePrototxt(readFileOrDie(file).toString('utf8'), typeName, file);
}

export function readProtoFromBinaryFile(file: string, typeName: string): Message {
  return decodeMessage(readFileOrDie(file), typeName, file);
}

export function writeProtoToTextFile(m: Message, typeName: string, file: string): void {
  writeFileAtomic(file, printPrototxt(m, typeName));
}

export function writeProtoToBinaryFile(m: Message, typeName: string, file: string): void {
  writeFileAtomic(file, encodeMessage(m, typeName));
}

/** A net definition (prototxt), upgraded from any older format as Caffe does on every read. */
export function readNetParamsFromTextFile(file: string): Message {
  const net = readProtoFromTextFile(file, 'caffe.NetParameter');
  upgradeNetAsNeeded(file, net);
  return net;
}

/** Trained weights (.caffemodel), V0/V1 models upgraded on read. */
export function readNetParamsFromBinaryFile(file: string): Message {
  const net = readProtoFromBinaryFile(file, 'caffe.NetParameter');
  upgradeNetAsNeeded(file, net);
  return net;
}

/** A solver definition, `solver_type` enum upgraded to the `type` string, snapshot_prefix resolved. */
export function readSolverParamsFromTextFile(file: string): Message {
  const solver = readProtoFromTextFile(file, 'caffe.SolverParameter');
  if (!upgradeSolverAsNeeded(file, solver)) throw new CaffeError(`Failed to parse SolverParameter file: ${file}`);
  upgradeSnapshotPrefixProperty(file, solver);
  return solver;
}

/** A BlobProto (.binaryproto mean file). */
export function readBlobProtoFromFile(file: string): Message {
  return readProtoFromBinaryFile(file, 'caffe.BlobProto');
}
