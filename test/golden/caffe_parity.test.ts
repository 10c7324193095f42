// Every prototxt and caffemodel of ../shared/fixtures goes through caffets' upgrade tools and must come
// out exactly as reference BVLC Caffe's tools write it. With Caffe installed the check runs live
// (including Caffe's re-print of our output); without it, against the sha256 of Caffe's output recorded
// in caffe-upgrade-digests.json (made by `node scripts/caffe-parity.js ../shared/fixtures --json`).
import * as fs from 'fs';
import * as path from 'path';
import { describeCaffe, describeShared, SHARED, tmpDir } from '../helpers';
import { upgradeNetProtoBinary, upgradeNetProtoText, upgradeSolverProtoText } from '../../src/api/upgrade_tools';
import { setLogSink } from '../../src/util/logging';

const parity = require('../../scripts/caffe-parity.js');
const digests: Record<string, string> = JSON.parse(
  fs.readFileSync(path.join(__dirname, 'caffe-upgrade-digests.json'), 'utf8'),
);

const files: string[] = fs.existsSync(SHARED) ? parity.listFiles([path.join(SHARED, 'fixtures')]) : [];
const rel = (f: string) => path.relative(SHARED, f);

describeShared('upgrade goldens (sha256 of reference Caffe output)', () => {
  it('has a digest for every prototxt/caffemodel in ../shared/fixtures', () => {
    expect(files.map(rel).sort()).toEqual(Object.keys(digests).sort());
  });

  it.each(files.map((f) => [rel(f), f]))('%s', (r, file) => {
    const kind = parity.kindOf(file);
    const out = path.join(tmpDir(), kind === 'weights' ? 'o.caffemodel' : 'o.prototxt');
    const restore = setLogSink(() => {});
    try {
      const fn =
        kind === 'net' ? upgradeNetProtoText : kind === 'solver' ? upgradeSolverProtoText : upgradeNetProtoBinary;
      expect(fn(file, out)).toBe(true);
    } finally {
      restore();
    }
    expect(parity.sha256(fs.readFileSync(out))).toBe(digests[r]);
  });
});

describeCaffe('upgrade parity with reference Caffe (live)', () => {
  it.each(files.map((f) => [rel(f), f]))('%s', (_r, file) => {
    const row = parity.checkFile(file);
    expect(row.error).toBeUndefined();
    expect(row.caffeOk).toBe(true);
    expect(row.identical).toBe(true);
    if (row.kind !== 'weights') expect(row.reprintIdentical).toBe(true);
  });
});
