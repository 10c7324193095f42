// extract_features: Caffe's tool. A tiny DummyData -> InnerProduct net (exact arithmetic) checks keys,
// Datums, commits every 1000 and the log lines, and, with reference Caffe installed, that Caffe's own
// extract_features writes byte-identical databases. With ../shared: SqueezeNet v1.0 reading
// photos_lmdb through its Data layer (feat.prototxt) matches Caffe's extracted .npy blobs.
import { gpuSkipReason } from '../gpu';
import * as fs from 'fs';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { extractFeatures, featureKey } from '../../src/api/extract_features';
import { layerTypeList } from '../../src/core/layer_factory';
import { openDB } from '../../src/db';
import { decodeMessage } from '../../src/formats/wire';
import { readNpy } from '../../src/io/npy';
import { writeProtoToBinaryFile } from '../../src/io/proto_io';
import '../../src/layers';
import { setLogSink, setMinLogLevel } from '../../src/util/logging';
import { describeCaffe, describeShared, relMaxError, sharedPath, tmpDir } from '../helpers';

const dir = tmpDir('caffets-extract-');
const P = (f: string) => path.join(dir, f);
const K = 4,
  D = 12;
const weights = Float32Array.from({ length: K * D }, (_, i) => ((i * 7) % 13) / 8 - 0.75);
const bias = Float32Array.from([0.5, -1, 0.25, 2]);

function writeNet(file: string, num: number): void {
  fs.writeFileSync(
    file,
    `name: "tiny"
layer { name: "data" type: "DummyData" top: "data"
  dummy_data_param { shape { dim: ${num} dim: 3 dim: 2 dim: 2 } data_filler { type: "constant" value: 0.5 } } }
layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip" inner_product_param { num_output: ${K} } }\n`,
  );
}

async function readDB(p: string, backend = 'lmdb'): Promise<[string, Uint8Array][]> {
  const db = await openDB(backend, p, 'read'),
    c = await db.newCursor(),
    out: [string, Uint8Array][] = [];
  for (await c.seekToFirst(); c.valid; await c.next()) out.push([c.key, Uint8Array.from(c.value)]);
  await c.close();
  await db.close();
  return out;
}

function captureLog(): { lines: string[]; stop: () => void } {
  const lines: string[] = [];
  return { lines, stop: setLogSink((l) => lines.push(l)) };
}

let restoreLog: () => void;
beforeAll(() => {
  restoreLog = setLogSink(() => undefined); // quiet: tests that read the log capture it themselves
  writeNet(P('net.prototxt'), 3);
  writeNet(P('big.prototxt'), 400);
  writeProtoToBinaryFile(
    {
      name: 'tiny',
      layer: [
        {
          name: 'ip',
          type: 'InnerProduct',
          blobs: [
            { shape: { dim: [K, D] }, data: weights },
            { shape: { dim: [K] }, data: bias },
          ],
        },
      ],
    },
    'caffe.NetParameter',
    P('w.caffemodel'),
  );
});
afterAll(() => restoreLog());

describe('extract_features', () => {
  it('writes one Datum per item and blob under running 10-digit keys', async () => {
    const log = captureLog();
    try {
      const r = await extractFeatures({
        weights: P('w.caffemodel'),
        model: P('net.prototxt'),
        blobs: 'ip,data',
        dbs: `${P('ip_db')},${P('data_db')}`,
        numBatches: 2,
        dbType: 'lmdb',
        progress: false,
      });
      expect(r.counts).toEqual([6, 6]);
    } finally {
      log.stop();
    }
    const msgs = log.lines.map((l) => `${l[0]} ${l.slice(l.indexOf('] ') + 2)}`);
    expect(msgs).toEqual(
      expect.arrayContaining([
        'E Using CPU',
        'E Extracting Features',
        'E Extracted features of 6 query images for feature blob ip',
        'E Extracted features of 6 query images for feature blob data',
        'E Successfully extracted the features!',
      ]),
    );
    const ip = await readDB(P('ip_db')),
      data = await readDB(P('data_db'));
    expect(ip.map(([k]) => k)).toEqual([0, 1, 2, 3, 4, 5].map(featureKey));
    expect(featureKey(12)).toBe('0000000012');
    const want = Array.from(
      { length: K },
      (_, k) => bias[k] + weights.subarray(k * D, (k + 1) * D).reduce((s, w) => s + 0.5 * w, 0),
    );
    for (const [, v] of ip) {
      const d = decodeMessage(v, 'caffe.Datum');
      expect([d.channels, d.height, d.width]).toEqual([K, 1, 1]);
      expect(Array.from(d.float_data)).toEqual(want);
      expect(d.data).toBeUndefined();
    }
    const d0 = decodeMessage(data[0][1], 'caffe.Datum');
    expect([d0.channels, d0.height, d0.width, d0.float_data.length]).toEqual([3, 2, 2, D]);
  });

  it("leveldb too; commits every 1000 items with Caffe's log line", async () => {
    const log = captureLog();
    try {
      await extractFeatures({
        weights: P('w.caffemodel'),
        model: P('big.prototxt'),
        blobs: 'ip',
        dbs: P('big_db'),
        numBatches: '3',
        dbType: 'leveldb',
        mode: 'GPU',
        device: '0',
        progress: false,
      });
    } finally {
      log.stop();
    }
    const msgs = log.lines.filter((l) => l.includes('Extracted features')).map((l) => l.slice(l.indexOf('] ') + 2));
    expect(msgs).toEqual([
      'Extracted features of 1000 query images for feature blob ip',
      'Extracted features of 1200 query images for feature blob ip',
    ]);
    expect(log.lines.some((l) => l.includes('Using Device_id=0'))).toBe(true);
    const rows = await readDB(P('big_db'), 'leveldb');
    expect(rows).toHaveLength(1200);
    expect(rows[1199][0]).toBe('0000001199');
  });

  it('one-line errors: unknown blob, unequal lists, bad NUM_BATCHES, existing database', async () => {
    setMinLogLevel(3);
    try {
      const o = {
        weights: P('w.caffemodel'),
        model: P('net.prototxt'),
        numBatches: 1,
        dbType: 'lmdb',
        progress: false,
      };
      await expect(extractFeatures({ ...o, blobs: 'ip,fc7', dbs: `${P('e1')},${P('e2')}` })).rejects.toThrow(
        `Unknown feature blob name fc7 in the network ${P('net.prototxt')}`,
      );
      await expect(extractFeatures({ ...o, blobs: 'ip,data', dbs: P('e3') })).rejects.toThrow(
        'the number of blob names and dataset names must be equal',
      );
      await expect(extractFeatures({ ...o, blobs: 'ip', dbs: P('e4'), numBatches: 'ten' })).rejects.toThrow(
        'NUM_BATCHES must be a non-negative integer, got "ten"',
      );
      await expect(extractFeatures({ ...o, blobs: 'ip', dbs: P('ip_db') })).rejects.toThrow(P('ip_db'));
      await expect(extractFeatures({ ...o, blobs: 'ip', dbs: P('e5'), weights: P('nope.caffemodel') })).rejects.toThrow(
        `File not found: ${P('nope.caffemodel')}`,
      );
      expect(fs.existsSync(P('e1'))).toBe(false);
    } finally {
      setMinLogLevel(0);
    }
  });
});

describeCaffe("extract_features writes what Caffe's extract_features writes", () => {
  it('byte-identical keys and Datums (lmdb)', async () => {
    const r = spawnSync(
      'extract_features',
      ['w.caffemodel', 'net.prototxt', 'ip,data', 'caffe_ip,caffe_data', '2', 'lmdb', 'CPU'],
      { cwd: dir, encoding: 'utf8' },
    );
    expect(r.status).toBe(0);
    await extractFeatures({
      weights: P('w.caffemodel'),
      model: P('net.prototxt'),
      blobs: 'ip,data',
      dbs: `${P('our_ip')},${P('our_data')}`,
      numBatches: 2,
      dbType: 'lmdb',
      progress: false,
    });
    for (const b of ['ip', 'data']) expect(await readDB(P(`our_${b}`))).toEqual(await readDB(P(`caffe_${b}`)));
  }, 60000);
});

const EF = sharedPath('fixtures/models/squeezenet-v1.0/extract-features');
const HAVE_DATA = layerTypeList().includes('Data');
const describeData = HAVE_DATA
  ? describeShared
  : (name: string, fn: () => void) => describe.skip(`${name} [skipped: the Data layer is not registered]`, fn);

for (const mode of ['CPU', 'GPU'] as const) {
  const gpuWhy = mode === 'GPU' ? gpuSkipReason() : undefined;
  const skipped = gpuWhy ? `; skipped: ${gpuWhy}` : '';
  (gpuWhy ? describe.skip : describeData)(
    `extract_features on SqueezeNet v1.0 through its Data layer matches Caffe (${mode}${skipped})`,
    () => {
      // Caffe ran it from extract-features/: feat.prototxt reads photos_lmdb and
      // ../../imagenet/imagenet_mean.binaryproto
      const root = tmpDir('caffets-squeeze-'),
        work = path.join(root, 'models/squeezenet-v1.0/extract-features');
      const blobs: [string, string][] = [
        ['conv1', 'conv1'],
        ['fire5/concat', 'fire5'],
        ['fire9/concat', 'fire9'],
        ['pool_final', 'pool'],
      ];
      const got: Record<string, Float32Array[]> = {};

      beforeAll(async () => {
        fs.mkdirSync(work, { recursive: true });
        fs.symlinkSync(sharedPath('fixtures/models/imagenet'), path.join(root, 'models/imagenet'));
        fs.symlinkSync(
          path.join(EF, '../squeezenet_v1.0.caffemodel'),
          path.join(work, '../squeezenet_v1.0.caffemodel'),
        );
        for (const f of ['feat.prototxt', 'photos_lmdb']) fs.symlinkSync(path.join(EF, f), path.join(work, f));
        const cwd = process.cwd();
        setMinLogLevel(2);
        try {
          process.chdir(work);
          await extractFeatures({
            weights: '../squeezenet_v1.0.caffemodel',
            model: 'feat.prototxt',
            blobs: blobs.map((b) => b[0]).join(','),
            dbs: blobs.map((b) => `feat_${b[1]}`).join(','),
            numBatches: 12,
            dbType: 'lmdb',
            mode,
            device: '0',
            progress: false,
          });
        } finally {
          process.chdir(cwd);
          setMinLogLevel(0);
        }
        for (const [, f] of blobs)
          got[f] = (await readDB(path.join(work, `feat_${f}`))).map(
            ([, v]) => decodeMessage(v, 'caffe.Datum').float_data as Float32Array,
          );
      }, 300000);

      it.each(blobs)('%s within 1e-4 of Caffe (max |ours - caffe| / max |caffe|)', (_blob, f) => {
        const ref = readNpy(path.join(EF, `${f}.npy`)),
          per = ref.data.length / ref.shape[0];
        expect(got[f]).toHaveLength(12);
        const ours = new Float32Array(ref.data.length); // the images Caffe's blob file holds
        for (let i = 0; i < ref.shape[0]; i++) {
          expect(got[f][i].length).toBe(per);
          ours.set(got[f][i], i * per);
        }
        expect(relMaxError(ours, ref.data)).toBeLessThan(1e-4);
      });
    },
  );
}
