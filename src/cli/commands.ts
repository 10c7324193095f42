// Every caffets subcommand: Caffe's tool names, flags (gflags names and defaults) and positionals.
// Handlers return the process exit code. Commands whose engine has not landed yet say so and exit 2.
import type { Options } from 'yargs';
import { upgradeNetProtoBinary, upgradeNetProtoText, upgradeSolverProtoText } from '../api/upgrade_tools';
import { timeModel } from '../api/time';
import { deviceQuery } from '../api/device_query';
import { CaffeError } from '../util/errors';

export type Args = { [key: string]: unknown; _: (string | number)[] };

export interface CommandSpec {
  name: string;
  /** positionals as yargs spells them: '<in> <out>', '[output]' */
  positionals?: string;
  describe: string;
  options?: Record<string, Options>;
  /** what to run; absent = not built yet */
  run?: (args: Args) => number | Promise<number>;
  /** the issue that brings a command not built yet */
  comesWith?: string;
}

// Flags of tools/caffe.cpp, shared by train/test/time/device_query.
const caffeFlags = {
  gpu: { type: 'string', describe: "Optional; run in GPU mode on given device IDs separated by ','. Use '-gpu all' to run on all available GPUs." },
  solver: { type: 'string', describe: 'The solver definition protocol buffer text file.' },
  model: { type: 'string', describe: 'The model definition protocol buffer text file.' },
  phase: { type: 'string', choices: ['TRAIN', 'TEST'], describe: "Optional; network phase (TRAIN or TEST). Only used for 'time'." },
  level: { type: 'number', default: 0, describe: 'Optional; network level.' },
  stage: { type: 'string', describe: "Optional; network stages (not to be confused with phase), separated by ','." },
  snapshot: { type: 'string', describe: 'Optional; the snapshot solver state to resume training.' },
  weights: { type: 'string', describe: "Optional; the pretrained weights to initialize finetuning, separated by ','. Cannot be set simultaneously with snapshot." },
  iterations: { type: 'number', default: 50, describe: 'The number of iterations to run.' },
  sigint_effect: { type: 'string', default: 'stop', choices: ['snapshot', 'stop', 'none'], describe: 'Optional; action to take when a SIGINT signal is received.' },
  sighup_effect: { type: 'string', default: 'snapshot', choices: ['snapshot', 'stop', 'none'], describe: 'Optional; action to take when a SIGHUP signal is received.' },
} satisfies Record<string, Options>;

const pick = <K extends keyof typeof caffeFlags>(...keys: K[]) =>
  Object.fromEntries(keys.map((k) => [k, caffeFlags[k]])) as Record<string, Options>;

const str = (a: Args, k: string) => String(a[k]);

export const COMMANDS: CommandSpec[] = [
  {
    name: 'train', describe: 'Train or fine-tune a model (caffe train).', comesWith: 'the training issue',
    options: pick('solver', 'gpu', 'snapshot', 'weights', 'level', 'stage', 'sigint_effect', 'sighup_effect'),
  },
  {
    name: 'test', describe: 'Score a model (caffe test).', comesWith: 'the training issue',
    options: pick('model', 'weights', 'gpu', 'iterations', 'level', 'stage'),
  },
  {
    name: 'time', describe: 'Benchmark the execution time of a model, layer by layer (caffe time).',
    options: pick('model', 'weights', 'gpu', 'iterations', 'phase', 'level', 'stage'),
    run: (a) => {
      timeModel({
        model: (a.model as string) ?? '', iterations: a.iterations as number, phase: a.phase as string | undefined,
        level: a.level as number, stage: a.stage as string | undefined, gpu: a.gpu as string | undefined, weights: a.weights as string | undefined,
      });
      return 0;
    },
  },
  {
    name: 'device_query', describe: 'Show what the compute backend is: CPU, cores, ISA, threads; GPUs later.',
    options: pick('gpu'),
    run: (a) => { deviceQuery(a.gpu as string | undefined); return 0; },
  },
  {
    name: 'convert_imageset', positionals: '<ROOTFOLDER> <LISTFILE> <DB_NAME>', comesWith: 'the data issue',
    describe: 'Convert a set of images to the leveldb/lmdb format used as input for Caffe.',
    options: {
      gray: { type: 'boolean', default: false, describe: 'When this option is on, treat images as grayscale ones' },
      shuffle: { type: 'boolean', default: false, describe: 'Randomly shuffle the order of images and their labels' },
      backend: { type: 'string', default: 'lmdb', choices: ['lmdb', 'leveldb'], describe: 'The backend {lmdb, leveldb} for storing the result' },
      resize_width: { type: 'number', default: 0, describe: 'Width images are resized to' },
      resize_height: { type: 'number', default: 0, describe: 'Height images are resized to' },
      check_size: { type: 'boolean', default: false, describe: 'When this option is on, check that all the datum have the same size' },
      encoded: { type: 'boolean', default: false, describe: 'When this option is on, the encoded image will be save in datum' },
      encode_type: { type: 'string', default: '', describe: "Optional: What type should we encode the image as ('png','jpg',...)." },
    },
  },
  {
    name: 'compute_image_mean', positionals: '<INPUT_DB> [OUTPUT_FILE]', comesWith: 'the data issue',
    describe: 'Compute the mean image of a set of images given by a leveldb/lmdb.',
    options: { backend: { type: 'string', default: 'lmdb', choices: ['lmdb', 'leveldb'], describe: 'The backend {leveldb, lmdb} containing the images' } },
  },
  {
    name: 'classify', positionals: '<DEPLOY> <WEIGHTS> <MEAN> <LABELS> <IMG..>', comesWith: 'the data issue',
    describe: 'Classify images with a trained model (Caffe\'s classification example).',
  },
  {
    name: 'extract_features', comesWith: 'the data issue',
    positionals: '<WEIGHTS> <PROTOTXT> <BLOBS> <DBS> <NUM_BATCHES> <DB_TYPE> [MODE] [DEVICE]',
    describe: 'Extract blobs of a net into databases of Datums (Caffe\'s extract_features).',
  },
  {
    name: 'upgrade_net_proto_text', positionals: '<IN> <OUT>',
    describe: 'Upgrade a net prototxt (V0, V1, legacy inputs, BatchNorm params) to the latest format.',
    run: (a) => (upgradeNetProtoText(str(a, 'IN'), str(a, 'OUT')) ? 0 : 1),
  },
  {
    name: 'upgrade_net_proto_binary', positionals: '<IN> <OUT>',
    describe: 'Upgrade a binary net (.caffemodel) to the latest format.',
    run: (a) => (upgradeNetProtoBinary(str(a, 'IN'), str(a, 'OUT')) ? 0 : 1),
  },
  {
    name: 'upgrade_solver_proto_text', positionals: '<IN> <OUT>',
    describe: 'Upgrade a solver prototxt (solver_type enum) to the latest format.',
    run: (a) => (upgradeSolverProtoText(str(a, 'IN'), str(a, 'OUT')) ? 0 : 1),
  },
  {
    name: 'demo', comesWith: 'the data issue',
    describe: 'The whole workflow on bundled digits: convert_imageset, compute_image_mean, train LeNet, classify.',
  },
];

export function notBuilt(spec: CommandSpec): never {
  throw new CaffeError(`caffets ${spec.name}: not implemented yet (it comes with ${spec.comesWith ?? 'a later release'})`, 2);
}
