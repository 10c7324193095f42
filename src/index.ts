// caffets library API: what the CLI uses, for TypeScript users to import.
export type { Message } from './proto/schema';
export { messageType, getField, fieldDefault, caffeRoot, withDefaults } from './proto/schema';
export type { WithDefaults, TypeName } from './proto/schema';
// Every Caffe message and enum as a TypeScript type (generated from proto/caffe.proto), e.g.
// `import type { caffe } from 'caffets'; const p: caffe.LayerParameter = ...`.
export type * as caffe from './proto/caffe';
export { parsePrototxt, printPrototxt } from './formats/prototxt';
export { decodeMessage, encodeMessage } from './formats/wire';
export {
  readProtoFromTextFile,
  readProtoFromBinaryFile,
  writeProtoToTextFile,
  writeProtoToBinaryFile,
  readNetParamsFromTextFile,
  readNetParamsFromBinaryFile,
  readSolverParamsFromTextFile,
  readBlobProtoFromFile,
} from './io/proto_io';
export { writeFileAtomic } from './io/atomic';
export * as upgrade from './upgrade';
export { upgradeNetProtoText, upgradeNetProtoBinary, upgradeSolverProtoText } from './api/upgrade_tools';
export { CaffeError } from './util/errors';
export { log, setLogSink, setMinLogLevel } from './util/logging';
export { run as runCli } from './cli/main';

// The engine: Caffe's Blob / Layer / Net, the layer registry, fillers, the backend.
import './layers';
export { Blob } from './core/blob';
export { Layer, LossLayer } from './core/layer';
export type { Phase, LayerParamField, LayerParamView } from './core/layer';
export { registerLayer, createLayer, layerTypeList } from './core/layer_factory';
export type { LayerCtor } from './core/layer_factory';
export { fillBlob } from './core/filler';
export { setRandomSeed, rng, Rng } from './core/rng';
export { Net } from './net';
export { backend, setBackend, setEngine, parseEngine } from './backend';
export type { Engine } from './backend';
export type { Backend } from './backend/backend';
export { readNpy, writeNpy } from './io/npy';
export { timeModel } from './api/time';
export { deviceQuery } from './api/device_query';

// Training: Caffe's solvers and the train / test tools.
export * from './solvers';
export { train } from './api/train';
export type { TrainOptions } from './api/train';
export { testModel } from './api/test';
export type { TestOptions, TestResult } from './api/test';
export { parseLog } from './plot/parse_log';
export { plotTrainingLog } from './plot/plot';
// GPU mode: devices, the mode, and what moves between host and device
export type { Device, DeviceMath, DeviceKernels, DevicePtr, DeviceBuffer } from './backend/device';
export { mode, setDevice, currentDevice } from './backend/mode';
export type { Mode } from './backend/mode';
export { WebGpuDevice } from './backend/webgpu/webgpu_device';
export { openGpu } from './api/common';
export { transfers, resetTransfers } from './core/synced_memory';
// Data-parallel training: replicas, their communicators, and the interface a CUDA/NCCL backend implements
export { DataParallel } from './solvers/parallel';
export type { Communicator, CommRequest, DeviceCollectives, DeviceStream } from './backend/comm';
export { ThreadCommunicator, createThreadGroup } from './backend/comm_threads';
export type { ThreadGroup } from './backend/comm_threads';
export { MpiCommunicator } from './backend/comm_mpi';
export { solverCount, solverRank, rootSolver, setSolverCount, setSolverRank } from './backend/mode';
