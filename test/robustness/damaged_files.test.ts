// Damaged Caffe files (truncated, bit-flipped, zeroed blocks) of every binary kind give one line, never
// another error: a .caffemodel read and copied into the net it belongs to, a .solverstate, a mean
// .binaryproto. Mutants are seeded, so a failure names a reproducible case.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Net } from '../../src/net';
import { readBlobProtoFromFile, readNetParamsFromTextFile, readProtoFromBinaryFile } from '../../src/io/proto_io';
import { Rng } from '../../src/core/rng';
import { CaffeError } from '../../src/util/errors';
import { describeShared, SHARED } from '../helpers';

const DIR = path.join(SHARED, 'fixtures/caffe-train/lenet-fmnist');

/** Truncations at several sizes, seeded bit flips, and zeroed 4 KB blocks of `buf`. */
function mutants(buf: Buffer, seed: number): [string, Buffer][] {
  const out: [string, Buffer][] = [];
  for (const n of [0, 1, 7, 100, buf.length >> 2, buf.length >> 1, buf.length - 1]) {
    out.push([`truncated to ${n}`, buf.subarray(0, n)]);
  }
  const r = new Rng(seed);
  for (let k = 0; k < 40; k++) {
    const b = Buffer.from(buf);
    const flips = 1 + (k % 4);
    for (let f = 0; f < flips; f++) {
      const at = Math.floor(r.uniform(0, b.length)) % b.length;
      b[at] ^= 1 << (Math.floor(r.uniform(0, 8)) % 8);
    }
    out.push([`bit flips #${k}`, b]);
  }
  for (let k = 0; k < 6; k++) {
    const b = Buffer.from(buf);
    const at = Math.floor(r.uniform(0, Math.max(1, b.length - 4096)));
    b.fill(0, at, Math.min(b.length, at + 4096));
    out.push([`zeroed 4 KB at ${at}`, b]);
  }
  return out;
}

/** Runs `read` on each mutant of `file`: it returns, or throws a one-line CaffeError. */
function expectOneLineOrSuccess(file: string, seed: number, read: (f: string) => void): void {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'caffets-damaged-'));
  try {
    const bad: string[] = [];
    let refused = 0;
    for (const [name, bytes] of mutants(fs.readFileSync(file), seed)) {
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
