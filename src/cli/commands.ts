// Every caffets subcommand: Caffe's tool names, flags (gflags names and defaults) and positionals.
// Handlers return the process exit code. Commands whose engine has not landed yet say so and exit 2.
// Each handler imports its API module when it runs, so a command loads only what it uses.
import type { Options } from 'yargs';
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
} satisfies Record<string, Options>;

const pick = <K extends keyof typeof caffeFlags>(...keys: K[]) =>
  Object.fromEntries(keys.map((k) => [k, caffeFlags[k]])) as Record<string, Options>;

const str = (a: Args, k: string) => String(a[k]);

export const COMMANDS: CommandSpec[] = [
  {
    name: 'train',
    describe: 'Train or fine-tune a model (caffe train).',
    options: pick('solver', 'gpu', 'snapshot', 'weights', 'level', 'stage', 'sigint_effect', 'sighup_effect', 'engine'),
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
      }),
  },
  {
    name: 'test',
    describe: 'Score a model (caffe test).',
    options: pick('model', 'weights', 'gpu', 'iterations', 'level', 'stage', 'engine'),
    run: async (a) => {
      (await import('../api/test')).testModel({
        model: (a.model as string) ?? '',
        weights: (a.weights as string) ?? '',
        iterations: a.iterations as number,
        gpu: a.gpu as string | undefined,
        level: a.level as number,
        stage: a.stage as string | undefined,
        engine: a.engine as string | undefined,
      });
      return 0;
    },
  },
  {
    name: 'time',
    describe: 'Benchmark the execution time of a model, layer by layer (caffe time).',
    options: pick('model', 'weights', 'gpu', 'iterations', 'phase', 'level', 'stage', 'engine'),
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
      });
      return 0;
    },
  },
  {
    name: 'device_query',
    describe: 'Show what the compute backend is: CPU, cores, ISA, threads; GPUs later.',
    options: pick('gpu', 'engine'),
    run: async (a) => {
      (await import('../api/device_query')).deviceQuery(a.gpu as string | undefined, a.engine as string | undefined);
      return 0;
    },
  },
  {
    name: 'convert_imageset',
    positionals: '<ROOTFOLDER> <LISTFILE> <DB_NAME>',
    describe: 'Convert a set of images to the leveldb/lmdb format used as input for Caffe.',
    options: {
      gray: { type: 'boolean', default: false, describe: 'When this option is on, treat images as grayscale ones' },
      shuffle: { type: 'boolean', default: false, describe: 'Randomly shuffle the order of images and their labels' },
      backend: {
        type: 'string',
        default: 'lmdb',
        choices: ['lmdb', 'leveldb'],
        describe: 'The backend {lmdb, leveldb} for storing the result',
      },
      resize_width: { type: 'number', default: 0, describe: 'Width images are resized to' },
      resize_height: { type: 'number', default: 0, describe: 'Height images are resized to' },
      check_size: {
        type: 'boolean',
        default: false,
        describe: 'When this option is on, check that all the datum have the same size',
      },
      encoded: {
        type: 'boolean',
        default: false,
        describe: 'When this option is on, the encoded image will be save in datum',
      },
      encode_type: {
        type: 'string',
        default: '',
        describe: "Optional: What type should we encode the image as ('png','jpg',...).",
      },
      overwrite: {
        type: 'boolean',
        default: false,
        describe: 'caffets addition: replace DB_NAME if it exists (Caffe refuses an existing database)',
      },
      shuffle_seed: {
        type: 'number',
        default: 0,
        describe: 'caffets addition: seed of --shuffle, for a repeatable order (Caffe seeds from /dev/urandom)',
      },
    },
    run: async (a) => {
      const { convertImageset } = await import('../api/convert_imageset');
      await convertImageset({
        root: str(a, 'ROOTFOLDER'),
        listFile: str(a, 'LISTFILE'),
        db: str(a, 'DB_NAME'),
        gray: a.gray as boolean,
        shuffle: a.shuffle as boolean,
        shuffleSeed: a.shuffle_seed as number,
        backend: a.backend as string,
        resizeHeight: a.resize_height as number,
        resizeWidth: a.resize_width as number,
        checkSize: a.check_size as boolean,
        encoded: a.encoded as boolean,
        encodeType: a.encode_type as string,
        overwrite: a.overwrite as boolean,
      });
      return 0;
    },
  },
  {
    name: 'compute_image_mean',
    positionals: '<INPUT_DB> [OUTPUT_FILE]',
    describe: 'Compute the mean image of a set of images given by a leveldb/lmdb.',
    options: {
      backend: {
        type: 'string',
        default: 'lmdb',
        choices: ['lmdb', 'leveldb'],
        describe: 'The backend {leveldb, lmdb} containing the images',
      },
    },
    run: async (a) => {
      const { computeImageMean } = await import('../api/compute_image_mean');
      await computeImageMean({
        input: str(a, 'INPUT_DB'),
        output: a.OUTPUT_FILE === undefined ? undefined : str(a, 'OUTPUT_FILE'),
        backend: a.backend as string,
      });
      return 0;
    },
  },
  {
    name: 'classify',
    positionals: '<DEPLOY> <WEIGHTS> <ARGS..>',
    describe:
      'Classify images with a trained model: caffets classify DEPLOY WEIGHTS MEAN LABELS IMG... ' +
      "as Caffe's classification example (MEAN is left out with --mean_value, LABELS with --labels; " +
      '`none` for neither). IMG: files, folders, @list files.',
    options: {
      mean_value: { type: 'string', describe: 'Per-channel mean(s) "b,g,r" (or one value) instead of a mean file' },
      labels: {
        type: 'string',
        describe: 'Labels file (instead of the LABELS positional); --labels=none prints class indices',
      },
      top_k: { type: 'number', default: 5, describe: 'Number of top predictions to print' },
      center_only: {
        type: 'boolean',
        default: false,
        describe: 'classify.py: resize to --images_dim, then the center crop',
      },
      oversample: {
        type: 'boolean',
        default: false,
        describe: 'classify.py: resize to --images_dim, average 4 corner + center crops and their mirrors',
      },
      images_dim: {
        type: 'string',
        default: '256,256',
        describe: 'Height,width images are resized to for --center_only / --oversample',
      },
      raw_scale: {
        type: 'number',
        describe: 'classify.py: scale pixels to [0, raw_scale] before subtracting the mean (default 255)',
      },
      input_scale: { type: 'number', describe: 'Multiply the mean-subtracted input by this' },
      channel_swap: {
        type: 'string',
        describe: 'classify.py: the RGB channels fed to the net, in order (default 2,1,0 = BGR)',
      },
      batch_size: { type: 'number', default: 10, describe: 'Net inputs per forward (an oversampled image counts 10)' },
      json: { type: 'boolean', default: false, describe: "Print one JSON document instead of Caffe's lines" },
      verbose: { type: 'boolean', default: false, describe: 'Show the net set-up log' },
    },
    run: async (a) => {
      const nums = (k: string) =>
        a[k] === undefined
          ? undefined
          : String(a[k])
              .split(',')
              .map((v) => {
                if (v.trim() === '' || !Number.isFinite(Number(v)))
                  throw new CaffeError(`--${k}=${a[k]}: expected numbers separated by ','`);
                return Number(v);
              });
      if (a.center_only && a.oversample) throw new CaffeError('--center_only and --oversample exclude each other');
      const dim = nums('images_dim')!;
      if (!a.verbose) (await import('../util/logging')).setMinLogLevel(2); // glog's stderr threshold
      return (await import('../api/classify_command')).classifyCommand({
        positionals: [str(a, 'DEPLOY'), str(a, 'WEIGHTS'), ...(a.ARGS as unknown[]).map(String)],
        meanValue: nums('mean_value'),
        labels: a.labels as string | undefined,
        topK: a.top_k as number,
        json: a.json as boolean,
        batchSize: a.batch_size as number,
        mode: a.oversample ? 'oversample' : a.center_only ? 'center' : 'resize',
        imagesDim: [dim[0], dim[1] ?? dim[0]],
        rawScale: a.raw_scale as number | undefined,
        inputScale: a.input_scale as number | undefined,
        channelSwap: nums('channel_swap'),
      });
    },
  },
  {
    name: 'extract_features',
    positionals: '<WEIGHTS> <PROTOTXT> <BLOBS> <DBS> <NUM_BATCHES> <DB_TYPE> [MODE] [DEVICE]',
    describe:
      "Extract blobs of a net into databases of Datums (Caffe's extract_features): BLOBS and DBS separated by ',', " +
      'DB_TYPE lmdb or leveldb, MODE CPU or GPU.',
    run: async (a) => {
      await (
        await import('../api/extract_features')
      ).extractFeatures({
        weights: str(a, 'WEIGHTS'),
        model: str(a, 'PROTOTXT'),
        blobs: str(a, 'BLOBS'),
        dbs: str(a, 'DBS'),
        numBatches: str(a, 'NUM_BATCHES'),
        dbType: str(a, 'DB_TYPE'),
        mode: a.MODE === undefined ? undefined : str(a, 'MODE'),
        device: a.DEVICE === undefined ? undefined : str(a, 'DEVICE'),
      });
      return 0;
    },
  },
  {
    name: 'upgrade_net_proto_text',
    positionals: '<IN> <OUT>',
    describe: 'Upgrade a net prototxt (V0, V1, legacy inputs, BatchNorm params) to the latest format.',
    run: async (a) => ((await import('../api/upgrade_tools')).upgradeNetProtoText(str(a, 'IN'), str(a, 'OUT')) ? 0 : 1),
  },
  {
    name: 'upgrade_net_proto_binary',
    positionals: '<IN> <OUT>',
    describe: 'Upgrade a binary net (.caffemodel) to the latest format.',
    run: async (a) =>
      (await import('../api/upgrade_tools')).upgradeNetProtoBinary(str(a, 'IN'), str(a, 'OUT')) ? 0 : 1,
  },
  {
    name: 'upgrade_solver_proto_text',
    positionals: '<IN> <OUT>',
    describe: 'Upgrade a solver prototxt (solver_type enum) to the latest format.',
    run: async (a) =>
      (await import('../api/upgrade_tools')).upgradeSolverProtoText(str(a, 'IN'), str(a, 'OUT')) ? 0 : 1,
  },
  {
    name: 'plot',
    positionals: '<LOGFILE..>',
    describe:
      'Chart training logs (train/test loss, test accuracy, learning rate vs. iterations; several logs in one chart) ' +
      "to .png or .svg, like tools/extra/plot_training_log.py; --csv writes parse_log.py's <log>.train and <log>.test.",
    options: {
      output: {
        type: 'string',
        describe: 'The chart file, .png or .svg. Default: <first log>.png (with --csv: no chart unless given).',
      },
      chart: {
        type: 'number',
        describe:
          'A plot_training_log.py chart instead of the dashboard: ' +
          '0 test accuracy vs. iters, 1 test accuracy vs. seconds, 2 test loss vs. iters, 3 test loss vs. seconds, ' +
          '4 train learning rate vs. iters, 5 train learning rate vs. seconds, ' +
          '6 train loss vs. iters, 7 train loss vs. seconds.',
      },
      csv: {
        type: 'boolean',
        default: false,
        describe: "Write parse_log.py's CSV tables <log>.train and <log>.test beside each log.",
      },
    },
    run: async (a) => {
      const { plotCommand } = await import('../api/plot_command');
      await plotCommand((a.LOGFILE as unknown[]).map(String), {
        output: a.output as string | undefined,
        chart: a.chart as number | undefined,
        csv: a.csv === true,
      });
      return 0;
    },
  },
  {
    name: 'demo',
    describe:
      'The whole workflow on digits bundled with the mnist package: write images and list files, ' +
      'convert_imageset, compute_image_mean, train LeNet (models/lenet), classify held-back digits.',
    options: {
      dir: {
        type: 'string',
        default: 'caffets-demo',
        describe: 'working folder for the images, databases, logs and weights',
      },
      iterations: { type: 'number', default: 600, describe: 'training iterations (batch 64)' },
      train_per_class: { type: 'number', default: 500, describe: 'training images per digit' },
      test_per_class: { type: 'number', default: 100, describe: 'test images per digit' },
    },
    run: async (a) => {
      const { demo } = await import('../api/demo');
      const r = await demo({
        dir: a.dir as string,
        iterations: a.iterations as number,
        trainPerClass: a.train_per_class as number,
        testPerClass: a.test_per_class as number,
      });
      return r.accuracy >= 0.5 ? 0 : 1;
    },
  },
];

export function notBuilt(spec: CommandSpec): never {
  throw new CaffeError(
    `caffets ${spec.name}: not implemented yet (it comes with ${spec.comesWith ?? 'a later release'})`,
    2,
  );
}
