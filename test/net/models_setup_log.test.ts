// Setup logs of real model definitions (GoogLeNet's many splits, MobileNet v2, ResNet-20's BatchNorm /
// Scale / Eltwise, ...) against a live reference Caffe run (`caffe time --phase=TEST`). Two known
// differences are normalised away (see the note in normalise()).
import { spawnSync } from 'child_process';
import { Net } from '../../src/net';
import { readNetParamsFromTextFile } from '../../src/io/proto_io';
import { describeCaffe, sharedPath } from '../helpers';
import { captureLog, netSetupLines } from './support';

const MODELS = [
  'deploy-only/bvlc_googlenet_deploy.prototxt',
  'deploy-only/bvlc_alexnet_deploy.prototxt',
  'deploy-only/mobilenet_v2_deploy.prototxt',
  'deploy-only/squeezenet_v1.1_deploy.prototxt',
  'resnet20-cifar10/deploy.prototxt',
  'lenet-mnist/deploy.prototxt',
];

// - "Creating layer X" comes from Caffe's layer factory, so Caffe also logs it for layers created
//   inside layers (Scale's Bias, SoftmaxWithLoss's Softmax); here only the Net logs it.
// - glog cuts a line at 29998 characters (prefix included): GoogLeNet's DebugString is cut where
//   our shorter / longer prefix moves the cut.
const normalise = (lines: string[]) =>
  lines.filter((l) => !l.startsWith('I Creating layer ')).map((l) => l.slice(0, 29000));

describeCaffe('Net setup log of real models matches Caffe', () => {
  it.each(MODELS)(
    '%s',
    (model) => {
      const file = sharedPath('fixtures/models', model);
      const run = spawnSync('caffe', ['time', `--model=${file}`, '--iterations=1', '--phase=TEST'], {
        encoding: 'utf8',
      });
      const caffe = netSetupLines(`${run.stdout}${run.stderr}`);
      const { lines } = captureLog(
        () => new Net(readNetParamsFromTextFile(file), { phase: 'TEST', level: 0, stages: [''] }),
      );
      const ours = lines.slice(lines.findIndex((l) => l.startsWith('I Initializing net')));
      expect(caffe.length).toBeGreaterThan(10);
      expect(normalise(ours)).toEqual(normalise(caffe));
    },
    120000,
  );
});
