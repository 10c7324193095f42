// Helpers for data-layer tests: databases of hand-made Datums, log capture, layer construction.
import * as path from 'path';
import { Blob } from '../../src/core/blob';
import { createLayer } from '../../src/core/layer_factory';
import { openDB } from '../../src/db';
import { encodeMessage } from '../../src/formats/wire';
import type { Message } from '../../src/proto/schema';
import { setLogSink } from '../../src/util/logging';
import { BaseDataLayer } from '../../src/layers/base_data_layer';
import { tmpDir } from '../helpers';

/** A raw datum C x H x W whose CHW byte i is fill(i). */
export function rawDatum(c: number, h: number, w: number, label: number, fill: (i: number) => number): Message {
  return {
    channels: c,
    height: h,
    width: w,
    data: Uint8Array.from({ length: c * h * w }, (_, i) => fill(i) & 255),
    label,
  };
}

/** Writes the datums to a new database (keys 00000000, 00000001, ...), returns its path. */
export async function makeDB(backend: 'lmdb' | 'leveldb', datums: Message[]): Promise<string> {
  const dir = path.join(tmpDir(), `db_${backend}`);
  const db = await openDB(backend, dir, 'new');
  const txn = db.newTransaction();
  datums.forEach((d, i) => txn.put(String(i).padStart(8, '0'), encodeMessage(d, 'caffe.Datum')));
  await txn.commit();
  await db.close();
  return dir;
}

/** Collects log messages (without the glog prefix) until the returned stop() is called. */
export function captureLog(): { lines: string[]; stop: () => void } {
  const lines: string[] = [];
  const stop = setLogSink((l) => lines.push(l.slice(l.indexOf('] ') + 2)));
  return { lines, stop };
}

export const tops = (n: number) => Array.from({ length: n }, () => new Blob());

/** Layers created by a test, disposed by disposeAll() (afterEach). */
const made: BaseDataLayer[] = [];
export function makeLayer<T extends BaseDataLayer>(param: Message): T {
  const l = createLayer({ name: 'data', ...param }) as T;
  made.push(l);
  return l;
}
export function disposeAll(): void {
  while (made.length) made.pop()!.dispose();
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
