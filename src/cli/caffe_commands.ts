// The commands of tools/caffe.cpp: train, test, time, device_query, with its shared flags.
import type { Options } from 'yargs';
import type { CommandSpec } from './command_spec';

// Flags of tools/caffe.cpp, shared by train/test/time/device_query.
const caffeFlags = {
  gpu: {
    type: 'string',
    describe:
      "Optional; run in GPU mode on given device IDs separated by ','. Use '-gpu all' to run on all available GPUs.",
  },
  solver: { type: 'string', describe: 'The solver definition protocol buffer text file.' },
  model: { type: 'string', describe: 'The model definition protocol buffer text file.' },
  phase: {
    type: 'string',
    choices: ['TRAIN', 'TEST'],
    describe: "Optional; network phase (TRAIN or TEST). Only used for 'time'.",
  },
  level: { type: 'number', default: 0, describe: 'Optional; network level.' },
  stage: { type: 'string', describe: "Optional; network stages (not to be confused with phase), separated by ','." },
  snapshot: { type: 'string', describe: 'Optional; the snapshot solver state to resume training.' },
  weights: {
    type: 'string',
    describe:
      "Optional; the pretrained weights to initialize finetuning, separated by ','. " +
      'Cannot be set simultaneously with snapshot.',
  },
  iterations: { type: 'number', default: 50, describe: 'The number of iterations to run.' },
  sigint_effect: {
    type: 'string',
    default: 'stop',
    choices: ['snapshot', 'stop', 'none'],
    describe: 'Optional; action to take when a SIGINT signal is received.',
  },
  sighup_effect: {
    type: 'string',
    default: 'snapshot',
    choices: ['snapshot', 'stop', 'none'],
    describe: 'Optional; action to take when a SIGHUP signal is received.',
  },
  engine: {
    type: 'string',
    describe:
      "caffets addition: DEFAULT (oneDNN, fast) or CAFFE (Caffe's own arithmetic: im2col + the system BLAS, " +
      "bit for bit Caffe's results with the same BLAS library, kernels and thread count). " +
      'Default $CAFFETS_ENGINE, else DEFAULT.',
  },
  threads: {
    type: 'string',
    describe:
      'caffets addition: compute threads (OpenMP for oneDNN and our kernels; BLAS threads with --engine=CAFFE). ' +
      'Default $OMP_NUM_THREADS, else one per CPU.',
  },
} satisfies Record<string, Options>;

const pick = <K extends keyof typeof caffeFlags>(...keys: K[]) =>
  Object.fromEntries(keys.map((k) => [k, caffeFlags[k]])) as Record<string, Options>;

export const CAFFE_COMMANDS: CommandSpec[] = [
  {
    name: 'train',
    describe: 'Train or fine-tune a model (caffe train).',
    options: pick(
      'solver',
      'gpu',
      'snapshot',
      'weights',
      'level',
      'stage',
      'sigint_effect',
      'sighup_effect',
      'engine',
      'threads',
    ),
    run: async (a) =>
      (await import('../api/train')).train({
        solver: (a.solver as string) ?? '',
        weights: a.weights as string | undefined,
        snapshot: a.snapshot as string | undefined,
        gpu: a.gpu as string | undefined,
        level: a.level as number,
        stage: a.stage as string | undefined,
        sigint_effect: a.sigint_effect as string,
        sighup_effect: a.sighup_effect as string,
        engine: a.engine as string | undefined,
        threads: a.threads as string | undefined,
      }),
  },
  {
    name: 'test',
    describe: 'Score a model (caffe test).',
    options: pick('model', 'weights', 'gpu', 'iterations', 'level', 'stage', 'engine', 'threads'),
    run: async (a) => {
      (await import('../api/test')).testModel({
        model: (a.model as string) ?? '',
        weights: (a.weights as string) ?? '',
        iterations: a.iterations as number,
        gpu: a.gpu as string | undefined,
        level: a.level as number,
        stage: a.stage as string | undefined,
        engine: a.engine as string | undefined,
        threads: a.threads as string | undefined,
      });
      return 0;
    },
  },
  {
    name: 'time',
    describe: 'Benchmark the execution time of a model, layer by layer (caffe time).',
    options: pick('model', 'weights', 'gpu', 'iterations', 'phase', 'level', 'stage', 'engine', 'threads'),
    run: async (a) => {
      (await import('../api/time')).timeModel({
        model: (a.model as string) ?? '',
        iterations: a.iterations as number,
        phase: a.phase as string | undefined,
        level: a.level as number,
        stage: a.stage as string | undefined,
        gpu: a.gpu as string | undefined,
        weights: a.weights as string | undefined,
        engine: a.engine as string | undefined,
        threads: a.threads as string | undefined,
      });
      return 0;
    },
  },
  {
    name: 'device_query',
    describe: 'Show what the compute backend is: CPU, cores, ISA, threads; GPUs later.',
    options: pick('gpu', 'engine', 'threads'),
    run: async (a) => {
      (await import('../api/device_query')).deviceQuery({
        gpu: a.gpu as string | undefined,
        engine: a.engine as string | undefined,
        threads: a.threads as string | undefined,
      });
      return 0;
    },
  },
];
