// caffets library API: what the CLI uses, for TypeScript users to import.
export type { Message } from './proto/schema';
export { messageType, getField, fieldDefault, caffeRoot } from './proto/schema';
export { parsePrototxt, printPrototxt } from './formats/prototxt';
export { decodeMessage, encodeMessage } from './formats/wire';
export {
  readProtoFromTextFile, readProtoFromBinaryFile, writeProtoToTextFile, writeProtoToBinaryFile,
  readNetParamsFromTextFile, readNetParamsFromBinaryFile, readSolverParamsFromTextFile, readBlobProtoFromFile,
} from './io/proto_io';
export { writeFileAtomic } from './io/atomic';
export * as upgrade from './upgrade';
export { upgradeNetProtoText, upgradeNetProtoBinary, upgradeSolverProtoText } from './api/upgrade_tools';
export { CaffeError } from './util/errors';
export { log, setLogSink, setMinLogLevel } from './util/logging';
export { run as runCli } from './cli/main';
