// Damaged Caffe files (truncated, bit-flipped, zeroed blocks) of every binary kind give one line, never
// another error: a .caffemodel read and copied into the net it belongs to, a .solverstate, a mean
// .binaryproto. Mutants are seeded, so a failure names a reproducible case.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Net } from '../../src/net';
import { readBlobProtoFromFile, readNetParamsFromTextFile, readProtoFromBinaryFile } from '../../src/io/proto_io';
import { CaffeError } from '../../src/util/errors';
import { describeShared, SHARED } from '../helpers';
import { mutants } from './mutants';

const DIR = path.join(SHARED, 'fixtures/caffe-train/lenet-fmnist');

/** Truncations at several sizes, seeded bit flips, and zeroed 4 KB blocks of `buf`. */
const damage = (buf: Buffer, seed: number) =>
  mutants(buf, seed, { cuts: [0, 1, 7, 100, buf.length >> 2, buf.length >> 1, buf.length - 1], flips: 40, zeroed: 6 });

/** Runs `read` on each mutant of `file`: it returns, or throws a one-line CaffeError. */
function expectOneLineOrSuccess(file: string, seed: number, read: (f: string) => void): void {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'caffets-damaged-'));
  try {
    const bad: string[] = [];
    let refused = 0;
    for (const [name, bytes] of damage(fs.readFileSync(file), seed)) {
      const f = path.join(tmp, path.basename(file));
      fs.writeFileSync(f, bytes);
      try {
        read(f);
      } catch (e) {
        refused++;
        if (!(e instanceof CaffeError) || e.message.includes('\n')) bad.push(`${name}: ${String(e)}`);
      }
    }
    expect(bad).toEqual([]);
    expect(refused).toBeGreaterThan(0); // the damage is seen (a half-length file is always refused)
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

describeShared('damaged binary files', () => {
  test('caffemodel: parsed and copied into LeNet', () => {
    const cwd = process.cwd();
    process.chdir(DIR); // the net's data sources are relative to the fixture folder
    let net: Net;
    try {
      net = new Net(readNetParamsFromTextFile('train_test.prototxt'), { phase: 'TEST' });
    } finally {
      process.chdir(cwd);
    }
    try {
      expectOneLineOrSuccess(path.join(DIR, 'lenet_iter_60.caffemodel'), 1, (f) => net.copyTrainedLayersFromFile(f));
    } finally {
      net.dispose();
    }
  });

  test('solverstate', () => {
    expectOneLineOrSuccess(path.join(DIR, 'lenet_iter_60.solverstate'), 2, (f) =>
      readProtoFromBinaryFile(f, 'caffe.SolverState'),
    );
  });

  test('mean binaryproto', () => {
    expectOneLineOrSuccess(path.join(DIR, 'mean.binaryproto'), 3, (f) => readBlobProtoFromFile(f));
  });
});
