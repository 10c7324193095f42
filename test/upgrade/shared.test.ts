// The real legacy models of ../shared (V1 net and weights, legacy input_dim, old BatchNorm params)
// upgraded by caffets must equal reference Caffe's upgrade of them: live when Caffe's tools are
// installed, and always against the sha256 of Caffe's output kept in test/golden/caffe-upgrade-digests.json.
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { parsePrototxt, printPrototxt } from '../../src/formats/prototxt';
import { decodeMessage, encodeMessage } from '../../src/formats/wire';
import { netNeedsUpgrade, upgradeNetAsNeeded } from '../../src/upgrade';
import { Message } from '../../src/proto/schema';
import { captureFatal } from './capture';

const SHARED = path.resolve(__dirname, '../../../shared');
const HAVE_SHARED = fs.existsSync(SHARED);
const DIGESTS: Record<string, string> = JSON.parse(
  fs.readFileSync(path.resolve(__dirname, '../golden/caffe-upgrade-digests.json'), 'utf8'),
);
const TOOLS = { text: '/usr/bin/upgrade_net_proto_text', binary: '/usr/bin/upgrade_net_proto_binary' };

const FILES: Array<[string, keyof typeof TOOLS]> = [
  ['fixtures/models/cifar10-quick-v1-legacy/v1_net.prototxt', 'text'],
  ['fixtures/models/squeezenet-v1.0/deploy.prototxt', 'text'],
  ['fixtures/models/resnet20-cifar10/deploy.prototxt', 'text'],
  ['fixtures/models/cifar10-quick-v1-legacy/cifar10_quick_iter_5000.v1.caffemodel', 'binary'],
];

const sha256 = (b: Uint8Array | string) => crypto.createHash('sha256').update(b).digest('hex');
const upgradeLine = /^([IWEF])\d{4} [\d:.]+ +\d+ upgrade_proto\.cpp:\d+\] (.*)$/;

/** caffets' upgrade of a shared file, as upgrade_net_proto_{text,binary} would write it. */
function ours(file: string, kind: keyof typeof TOOLS): { bytes: Buffer; ok: boolean | undefined; log: string[] } {
  const raw = fs.readFileSync(file);
  const net: Message =
    kind === 'text'
      ? parsePrototxt(raw.toString('utf8'), 'NetParameter', file)
      : decodeMessage(raw, 'NetParameter', file);
  const { ok, log } = netNeedsUpgrade(net) ? captureFatal(() => upgradeNetAsNeeded(file, net)) : { ok: true, log: [] };
  const bytes =
    kind === 'text' ? Buffer.from(printPrototxt(net, 'NetParameter')) : Buffer.from(encodeMessage(net, 'NetParameter'));
  return { bytes, ok, log };
}

function caffe(file: string, kind: keyof typeof TOOLS): { bytes: Buffer; rc: number | null; log: string[] } {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'caffets-shared-')), 'out');
  const r = spawnSync(TOOLS[kind], [file, out], { encoding: 'utf8' });
  const log = r.stderr
    .split('\n')
    .map((l) => upgradeLine.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => `${m[1]} ${m[2]}`);
  const bytes = fs.readFileSync(out);
  fs.rmSync(path.dirname(out), { recursive: true, force: true });
  return { bytes, rc: r.status, log };
}

const sharedDescribe = HAVE_SHARED ? describe : describe.skip;
sharedDescribe(
  HAVE_SHARED
    ? 'shared legacy models upgrade like Caffe (sha256 of its output)'
    : 'shared legacy models [skipped: ../shared is absent]',
  () => {
    it.each(FILES)('%s', (rel, kind) => {
      const r = ours(path.join(SHARED, rel), kind);
      expect(r.ok).toBe(true);
      expect(sha256(r.bytes)).toBe(DIGESTS[rel]);
    });
  },
);

const HAVE_CAFFE = fs.existsSync(TOOLS.text) && fs.existsSync(TOOLS.binary);
const liveDescribe = HAVE_SHARED && HAVE_CAFFE ? describe : describe.skip;
liveDescribe(
  HAVE_SHARED && HAVE_CAFFE
    ? 'shared legacy models vs live reference Caffe'
    : `shared legacy models vs live Caffe ` +
        `[skipped: ${HAVE_SHARED ? 'upgrade_net_proto_* not installed' : '../shared is absent'}]`,
  () => {
    it.each(FILES)('%s', (rel, kind) => {
      const file = path.join(SHARED, rel);
      const theirs = caffe(file, kind);
      const mine = ours(file, kind);
      expect(theirs.rc).toBe(0);
      expect(mine.log).toEqual(theirs.log);
      if (kind === 'text') expect(mine.bytes.toString('utf8')).toBe(theirs.bytes.toString('utf8'));
      else expect(mine.bytes.equals(theirs.bytes)).toBe(true);
      expect(sha256(theirs.bytes)).toBe(DIGESTS[rel]); // the committed digest is still Caffe's
    });
  },
);
