// The fast Datum decoder (src/formats/datum_wire.ts) against the schema-driven one: Caffe's LMDBs,
// and hand-made records with every field, negative labels, float_data, and the cases it hands over.
import * as fs from 'fs';
import { openDB } from '../../src/db';
import { decodeDatum } from '../../src/formats/datum_wire';
import { decodeMessage, encodeMessage } from '../../src/formats/wire';
import { Message } from '../../src/proto/schema';
import { describeShared, findFiles, SHARED } from '../helpers';

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
      for (await c.seekToFirst(); c.valid; await c.next()) same(c.value);
      await c.close();
      await db.close();
    }
  });
});
