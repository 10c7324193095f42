// Net construction logs, line for line against reference BVLC Caffe 1.0 (CAFFE_NET_LOGS, generated
// by running Caffe on the same prototxts): FilterNet's rule lines, the net's DebugString, layer
// creation, bottom/top wiring with split layers and in-place tops, top shapes, loss weights, memory,
// parameter sharing, backward needs, outputs. When Caffe itself is installed, it is also run live.
import * as fs from 'fs';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { Net } from '../../src/net';
import { HAVE_CAFFE, tmpDir } from '../helpers';
import { CAFFE_NET_LOGS } from './caffe_logs';
import { captureLog, netParam, netSetupLines } from './support';

function ourLines(name: string): string[] {
  const c = CAFFE_NET_LOGS[name];
  const { lines } = captureLog(() => new Net(netParam(c.prototxt), c.state));
  return lines;
}

describe('Net setup log matches Caffe', () => {
  it.each(Object.keys(CAFFE_NET_LOGS))('%s', (name) => {
    expect(ourLines(name)).toEqual(CAFFE_NET_LOGS[name].lines);
  });
});

(HAVE_CAFFE ? describe : describe.skip)('Net setup log matches a live Caffe run', () => {
  it.each(Object.keys(CAFFE_NET_LOGS))('%s', (name) => {
    const c = CAFFE_NET_LOGS[name];
    const dir = tmpDir();
    const model = path.join(dir, `${name}.prototxt`);
    fs.writeFileSync(model, c.prototxt);
    const args = [
      'time',
      `--model=${model}`,
      '--iterations=1',
      `--phase=${c.state.phase}`,
      `--level=${c.state.level}`,
      `--stage=${c.state.stages.join(',')}`,
    ];
    const run = spawnSync('caffe', args, { encoding: 'utf8', env: { ...process.env, GLOG_logtostderr: '1' } });
    const out = `${run.stdout ?? ''}${run.stderr ?? ''}`;
    fs.rmSync(dir, { recursive: true, force: true });
    const caffe = netSetupLines(out);
    const ours = ourLines(name);
    const start = ours.findIndex((l) => l.startsWith('I Initializing net'));
    expect(ours.slice(start)).toEqual(caffe);
  });
});
