// Caffe's other tools (convert_imageset, compute_image_mean, the classification example,
// extract_features, the upgrade tools), plot (tools/extra/plot_training_log.py) and demo.
import { CaffeError } from '../util/errors';
import { CommandSpec, str } from './command_spec';

export const TOOL_COMMANDS: CommandSpec[] = [
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
      "as Caffe's classification example (MEAN is left out with --mean_value, LABELS with --labels or when " +
      'the images follow; `none` for either: `DEPLOY WEIGHTS none IMG...` has neither). ' +
      'IMG: files, folders, @list files.',
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
      gpu: { type: 'number', describe: 'Classify on this GPU (device id, e.g. 0)' },
      threads: { type: 'string', describe: 'Compute threads (default $OMP_NUM_THREADS, else one per CPU)' },
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
        gpu: a.gpu as number | undefined,
        threads: a.threads as string | undefined,
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
