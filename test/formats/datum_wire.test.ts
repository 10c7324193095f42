// The fast Datum decoder (src/formats/datum_wire.ts) against the schema-driven one: Caffe's LMDBs,
// and hand-made records with every field, negative labels, float_data, and the cases it hands over.
import * as fs from 'fs';
import { openDB } from '../../src/db';
import { decodeDatum } from '../../src/formats/datum_wire';
import { decodeMessage, encodeMessage } from '../../src/formats/wire';
import { Message } from '../../src/proto/schema';
import { describeShared, findFiles, SHARED } from '../helpers';
import { native } from '../../src/native/addon';

const plain = (m: Message) =>
  JSON.parse(JSON.stringify(m, (_k, v) => (ArrayBuffer.isView(v) ? Array.from(v as Uint8Array) : v)));
const same = (buf: Uint8Array) =>
  expect(plain(decodeDatum(buf, () => 'x'))).toEqual(plain(decodeMessage(buf, 'caffe.Datum', 'x')));

describe('decodeDatum', () => {
  it.each([
    [
      'uint8 pixels',
      {
        channels: 3,
        height: 2,
        width: 2,
        data: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 255]),
        label: 4,
        encoded: false,
      },
    ],
    ['a negative label (ten-byte varint)', { channels: 1, height: 1, width: 1, data: new Uint8Array([7]), label: -3 }],
    ['float_data', { channels: 1, height: 1, width: 3, float_data: [1.5, -2.25, 1e-8], label: 2 }],
    ['an encoded image', { data: new Uint8Array([0x89, 0x50, 0x4e, 0x47]), label: 1, encoded: true }],
    ['an empty datum', {}],
  ])('%s: as decodeMessage', (_name, m) => same(encodeMessage(m, 'caffe.Datum')));

  it('hands unknown fields and packed floats to decodeMessage', () => {
    const base = encodeMessage({ channels: 1, label: 2 }, 'caffe.Datum');
    same(new Uint8Array([...base, 0x48, 0x05])); // field 9, varint
    same(new Uint8Array([0x32, 0x08, 0, 0, 0x80, 0x3f, 0, 0, 0, 0x40])); // float_data packed: 1, 2
  });

  it("reports a truncated record in decodeMessage's one line", () => {
    const buf = encodeMessage({ channels: 1, data: new Uint8Array(10) }, 'caffe.Datum').subarray(0, 8);
    expect(() => decodeDatum(buf, () => 'db record 7')).toThrow(
      /^db record 7: cannot parse as caffe\.Datum \(truncated or corrupt/,
    );
  });
});

describeShared("decodeDatum on Caffe's databases", () => {
  it('decodes every record of the LMDBs in ../shared as decodeMessage does', async () => {
    const dbs = findFiles(SHARED, /data\.mdb$/)
      .map((f) => f.replace(/\/data\.mdb$/, ''))
      .filter((d) => fs.existsSync(d));
    expect(dbs.length).toBeGreaterThan(2);
    for (const d of dbs) {
      const db = await openDB('lmdb', d, 'read');
      const c = await db.newCursor();
      for (await c.seekToFirst(); c.valid; await c.next()) {
        same(c.value);
        agrees(c.value, isPlain(decodeDatum(c.value, () => 'x')));
      }
      await c.close();
      await db.close();
    }
  });
});

// native parseDatums (the data worker's bulk parse of a read-ahead batch): a plain uint8 Datum gives
// decodeDatum's channels, height, width, label and data; every other record is left to decodeDatum.
const isPlain = (m: Message) => !!m.data?.length && !m.encoded && !m.float_data;

/** parseDatums on `value` placed as the second record of a batch (after a key and a decoy record). */
function parsed(value: Uint8Array): Int32Array {
  const parts = [new Uint8Array([1, 2]), encodeMessage({ channels: 9 }, 'caffe.Datum'), new Uint8Array([3]), value];
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0)),
    ends = new Int32Array(parts.length);
  let at = 0;
  parts.forEach((p, i) => {
    bytes.set(p, at);
    ends[i] = at += p.length;
  });
  const out = new Int32Array(8).fill(-7);
  native().parseDatums(bytes, ends, 1, 1, out);
  return out.map((v, i) => (i === 5 ? v - ends[2] : v)); // the data offset within the value
}

function agrees(value: Uint8Array, plainExpected: boolean): void {
  const t = parsed(value);
  expect(t[0]).toBe(plainExpected ? 1 : 0);
  if (!plainExpected) return;
  const m = decodeDatum(value, () => 'x');
  expect([t[1], t[2], t[3], t[4]]).toEqual([m.channels ?? 0, m.height ?? 0, m.width ?? 0, m.label ?? 0]);
  expect(Array.from(value.subarray(t[5], t[5] + t[6]))).toEqual(Array.from(m.data as Uint8Array));
}

describe('native parseDatums', () => {
  const enc = (m: Message) => encodeMessage(m, 'caffe.Datum');
  it.each([
    ['uint8 pixels', enc({ channels: 3, height: 1, width: 2, data: new Uint8Array([1, 2, 3, 4, 5, 255]), label: 4 })],
    [
      'a negative label (ten-byte varint)',
      enc({ channels: 1, height: 1, width: 1, data: new Uint8Array([7]), label: -3 }),
    ],
    ['encoded false', enc({ channels: 1, height: 1, width: 1, data: new Uint8Array([7]), encoded: false })],
    ['no channels, no label', enc({ height: 1, width: 1, data: new Uint8Array([7]) })],
    [
      'a field given twice (the last wins)',
      new Uint8Array([...enc({ channels: 1, data: new Uint8Array([1]) }), 0x08, 0x05]),
    ],
  ])('%s: plain, as decodeDatum', (_n, v) => agrees(v, true));

  it.each([
    ['float_data', enc({ channels: 1, height: 1, width: 3, float_data: [1.5, -2.25, 1e-8], label: 2 })],
    ['an encoded image', enc({ data: new Uint8Array([0x89, 0x50, 0x4e, 0x47]), label: 1, encoded: true })],
    ['empty data', enc({ channels: 1, height: 1, width: 1, data: new Uint8Array(0), label: 1 })],
    ['no data', enc({ channels: 1, label: 2 })],
    ['an unknown field', new Uint8Array([...enc({ channels: 1, data: new Uint8Array([1]) }), 0x48, 0x05])],
    ['a truncated record', enc({ channels: 1, data: new Uint8Array(10) }).subarray(0, 8)],
    ['a varint past the end', new Uint8Array([0x08, 0x80])],
    ['an eleven-byte varint', new Uint8Array([0x08, ...new Array(10).fill(0x80), 0x01])],
  ])('%s: left to decodeDatum', (_n, v) => agrees(v, false));

  it('refuses records outside the arrays', () => {
    const call = () => native().parseDatums(new Uint8Array(4), new Int32Array(2), 0, 2, new Int32Array(16));
    expect(call).toThrow(/^parseDatums: records out of range$/);
    const out = new Int32Array(8);
    native().parseDatums(new Uint8Array(4), new Int32Array([0, 9]), 0, 1, out); // a value past the bytes
    expect(out[0]).toBe(0);
  });
});
